"""Hostile names render as text: lists, details, forms, flashed and error messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from markupsafe import escape
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import Band, Base, Event, EventApplication, Venue
from tests.auth_support import SAME_ORIGIN
from tests.worlds.three_venues import ROOT, STAFF_A, World, row_state, seed_world, signed_in

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def world(engine: Engine) -> World:
    """The world, with hostile names on venue A, its event and the band."""
    world = seed_world(engine)
    with Session(engine) as session:
        session.execute(update(Venue).where(Venue.id == world.venues["A"]).values(name=SCRIPT))
        session.execute(update(Band).where(Band.id == world.band).values(name=BREAKOUT))
        event = session.get(Event, world.events["A"])
        assert event is not None
        event.title = f"{SCRIPT} {BREAKOUT}"
        session.commit()
    return world


def version_of(engine: Engine, model: type[Base], pk: int) -> str:
    """The stored version of a row, as a form sends it."""
    state = row_state(engine, model, pk)
    assert state is not None
    return str(state["version"])


def assert_escaped(page: str, *payloads: str) -> None:
    """Each payload appears only in its escaped form."""
    for payload in payloads:
        assert payload not in page
        assert str(escape(payload)) in page, payload


@pytest.mark.parametrize("email", [ROOT, STAFF_A])
def test_pages_escape_hostile_names(
    client: TestClient, engine: Engine, world: World, email: str
) -> None:
    signed_in(client, email)
    event, application = world.events["A"], world.applications["A"]
    pages = {
        "/admin/event/list": (SCRIPT, BREAKOUT),
        f"/admin/event/details/{event}": (SCRIPT, BREAKOUT),
        f"/admin/event/edit/{event}": (BREAKOUT,),
        "/admin/event-application/list": (SCRIPT, BREAKOUT),
        f"/admin/event-application/details/{application}": (SCRIPT, BREAKOUT),
        "/admin/venue/list": (SCRIPT,),
        f"/admin/venue/details/{world.venues['A']}": (SCRIPT,),
        f"/admin/venue/edit/{world.venues['A']}": (SCRIPT,),
        "/admin/band/list": (BREAKOUT,),
    }
    for url, payloads in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.text, *payloads)


def test_flashed_and_error_messages_escape_hostile_names(
    client: TestClient, engine: Engine, world: World
) -> None:
    signed_in(client, STAFF_A)
    with Session(engine) as session:  # a confirmed show with a hostile title, in the way
        session.add(
            Event(
                venue_id=world.venues["A"],
                title=BREAKOUT,
                starts_at=datetime(2026, 12, 10, 18, tzinfo=UTC),
                ends_at=datetime(2026, 12, 10, 21, tzinfo=UTC),
                status="confirmed",
            )
        )
        session.commit()
    version = version_of(engine, Event, world.events["A"])
    refused = client.post(
        f"/admin/event/decide/{world.events['A']}",
        data={"decision": "confirm", "version": version},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 400
    assert "already has a confirmed event" in refused.text
    assert_escaped(refused.text, BREAKOUT)

    accepted = client.post(
        f"/admin/event-application/decide/{world.applications['A']}",
        data={
            "decision": "accept",
            "version": version_of(engine, EventApplication, world.applications["A"]),
        },
        headers=SAME_ORIGIN,
    )
    assert accepted.status_code == 200  # followed to the details page with the flash
    assert "Accepted: " in accepted.text
    assert_escaped(accepted.text, SCRIPT, BREAKOUT)

    form = {
        "venue": str(world.venues["A"]),
        "title": SCRIPT,
        "starts_at": "2026-12-10T19:30",
        "ends_at": "2026-12-10T22:00",
        "status": "confirmed",
        "save": "Save",
    }
    # A new confirmed event (the edit form does not confirm: the "Confirm event" button does).
    clash = client.post("/admin/event/create", data=form, headers=SAME_ORIGIN)
    assert clash.status_code == 400
    assert "already has a confirmed event" in clash.text
    assert_escaped(clash.text, SCRIPT, BREAKOUT)
