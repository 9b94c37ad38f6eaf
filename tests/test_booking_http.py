"""Booking decisions over HTTP: the buttons, the POST routes, their answers and their audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import AuditEntry, Event, EventApplication
from tests.auth_support import SAME_ORIGIN
from tests.worlds import rows
from tests.worlds.three_venues import ROOT, STAFF_A, World, row_state, seed_world, signed_in

EVIL = {"Origin": "https://evil.example"}


@pytest.fixture
def world(engine: Engine) -> World:
    """The three-venue world, fresh for each test."""
    return seed_world(engine)


def shown_version(page: str) -> str:
    """The version the page's decision form carries."""
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "no decision form on the page"
    return match.group(1)


def decide(client: TestClient, kind: str, pk: int, decision: str, version: str) -> Any:
    return client.post(
        f"/admin/{kind}/decide/{pk}",
        data={"decision": decision, "version": version},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )


def column(engine: Engine, model: Any, pk: int, name: str) -> Any:
    """One column of a stored row."""
    state = row_state(engine, model, pk)
    assert state is not None
    return state[name]


def audit_of(engine: Engine, object_type: str, pk: int) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor_email)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(pk))
            .order_by(AuditEntry.id)
        ).all()
    return [(action, email) for action, email in rows]


OUTCOMES = {
    "accept": ("accepted", "Accepted"),
    "reject": ("rejected", "Rejected"),
    "withdraw": ("withdrawn", "Withdrawn"),
}


@pytest.mark.parametrize("decision", sorted(OUTCOMES))
def test_staff_decide_an_application(
    client: TestClient, engine: Engine, world: World, decision: str
) -> None:
    signed_in(client, STAFF_A)
    pk = world.applications["A"]
    page = client.get(f"/admin/event-application/details/{pk}").text
    assert 'value="accept"' in page
    assert 'value="reject"' in page
    assert 'value="withdraw"' in page
    response = decide(client, "event-application", pk, decision, shown_version(page))
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith(f"/admin/event-application/details/{pk}")
    after = client.get(location).text
    stored, done = OUTCOMES[decision]
    assert f"{done}: The Testers → Alpha Gig." in after
    assert 'value="accept"' not in after  # decided: no more buttons

    state = row_state(engine, EventApplication, pk)
    assert state is not None
    assert state["status"] == stored
    assert state["decided_by_id"] == world.users["staff_a"]
    assert state["decided_at"] is not None
    assert state["decided_at"] <= datetime.now(UTC)
    assert audit_of(engine, "EventApplication", pk) == [(decision, STAFF_A)]


def test_staff_confirm_then_cancel_an_event(
    client: TestClient, engine: Engine, world: World
) -> None:
    signed_in(client, STAFF_A)
    pk = world.events["A"]
    page = client.get(f"/admin/event/details/{pk}").text
    assert 'value="confirm"' in page
    assert 'value="cancel"' in page
    assert decide(client, "event", pk, "confirm", shown_version(page)).status_code == 303
    page = client.get(f"/admin/event/details/{pk}").text
    assert "Confirmed: Alpha Gig." in page
    assert 'value="confirm"' not in page
    asked = decide(client, "event", pk, "cancel", shown_version(page))
    assert asked.status_code == 200  # a confirmed show: the question first
    assert "Cancel the confirmed show “Alpha Gig”?" in asked.text
    confirmed = client.post(
        f"/admin/event/decide/{pk}",
        data={"decision": "cancel", "version": shown_version(page), "confirm": "1"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    page = client.get(f"/admin/event/details/{pk}").text
    assert 'data-testid="decisions"' not in page  # a cancelled event has nothing left to decide
    assert 'value="accept"' not in page  # nor its applications: no band can be accepted
    state = row_state(engine, Event, pk)
    assert state is not None
    assert (state["status"], state["updated_by_id"]) == ("cancelled", world.users["staff_a"])
    assert audit_of(engine, "Event", pk) == [("confirm", STAFF_A), ("cancel", STAFF_A)]


def test_a_clash_is_refused_and_named(client: TestClient, engine: Engine, world: World) -> None:
    with Session(engine) as session:
        clash = Event(
            venue_id=world.venues["A"],
            title="Already Booked",
            starts_at=datetime(2026, 12, 10, 20, tzinfo=UTC),
            ends_at=datetime(2026, 12, 10, 23, tzinfo=UTC),
            status="confirmed",
        )
        session.add(clash)
        session.commit()
    signed_in(client, STAFF_A)
    pk = world.events["A"]
    before = row_state(engine, Event, pk)
    response = decide(client, "event", pk, "confirm", "1")
    assert response.status_code == 400
    assert "Already Booked" in response.text
    assert 'data-testid="decision-error"' in response.text
    assert row_state(engine, Event, pk) == before
    assert audit_of(engine, "Event", pk) == []


def test_a_stale_page_is_refused(client: TestClient, engine: Engine, world: World) -> None:
    signed_in(client, STAFF_A)
    pk = world.applications["A"]
    version = shown_version(client.get(f"/admin/event-application/details/{pk}").text)
    with Session(engine) as session:  # the superuser edits it meanwhile
        session.execute(
            update(EventApplication)
            .where(EventApplication.id == pk)
            .values(message="Changed", updated_by_id=world.users["superuser"])
        )
        application = session.get(EventApplication, pk)
        assert application is not None
        application.message = "Changed again"  # a versioned update: the version moves on
        session.commit()
    response = decide(client, "event-application", pk, "accept", version)
    assert response.status_code == 400
    assert f"changed by {ROOT} since you opened it" in response.text
    state = row_state(engine, EventApplication, pk)
    assert state is not None
    assert state["status"] == "pending"


def test_a_decided_application_cannot_be_decided_again(
    client: TestClient, engine: Engine, world: World
) -> None:
    signed_in(client, STAFF_A)
    pk = world.applications["A"]
    assert decide(client, "event-application", pk, "accept", "1").status_code == 303
    version = str(column(engine, EventApplication, pk, "version"))
    again = decide(client, "event-application", pk, "reject", version)
    assert again.status_code == 400
    assert "already accepted; reopen it to decide again" in again.text
    assert column(engine, EventApplication, pk, "status") == "accepted"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "approve", "version": "1"}, "Unknown decision"),
        ({"decision": "confirm"}, "carries no version"),
    ],
)
def test_malformed_decisions_are_refused(
    client: TestClient, engine: Engine, world: World, data: dict[str, str], message: str
) -> None:
    signed_in(client, STAFF_A)
    pk = world.events["A"]
    response = client.post(f"/admin/event/decide/{pk}", data=data, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert message in response.text
    assert client.post("/admin/event/decide/abc", data=data, headers=SAME_ORIGIN).status_code == 404
    assert column(engine, Event, pk, "status") == "draft"


def test_cross_site_requests_change_nothing(
    client: TestClient, engine: Engine, world: World
) -> None:
    signed_in(client, STAFF_A)
    pk = world.applications["A"]
    forged = client.post(
        f"/admin/event-application/decide/{pk}",
        data={"decision": "accept", "version": "1"},
        headers=EVIL,
    )
    assert forged.status_code == 403
    for url in (
        f"/admin/event-application/decide/{pk}?decision=accept&version=1",
        f"/admin/event/decide/{world.events['A']}?decision=cancel&version=1",
    ):
        # A GET changes nothing: it is sent back to the row's page (Post/Redirect/Get).
        answer = client.get(url, headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
        assert answer.status_code == 303
    assert column(engine, EventApplication, pk, "status") == "pending"
    assert column(engine, Event, world.events["A"], "status") == "draft"
    assert audit_of(engine, "EventApplication", pk) == []


def test_the_superuser_decides_anywhere(client: TestClient, engine: Engine, world: World) -> None:
    signed_in(client, ROOT)
    pk = world.applications["C"]
    assert decide(client, "event-application", pk, "reject", "1").status_code == 303
    assert column(engine, EventApplication, pk, "status") == "rejected"
    assert audit_of(engine, "EventApplication", pk) == [("reject", ROOT)]


def test_a_refusal_does_not_name_another_venues_booking(
    client: TestClient, engine: Engine, world: World
) -> None:
    """The band plays Gamma Room at that time: staff of Alpha Hall learn only "elsewhere"."""
    with rows.committed(engine) as session:
        # Venue C's gig (12 Dec 19:00-22:00 UTC) is confirmed with the band accepted.
        session.execute(
            update(Event).where(Event.id == world.events["C"]).values(status="confirmed")
        )
        session.execute(
            update(EventApplication)
            .where(EventApplication.id == world.applications["C"])
            .values(status="accepted", decided_at=rows.utc(2026, 11, 1))
        )
        # Alpha Hall: a confirmed show at that time the band applies to, and (just before
        # it) a hold the band is already accepted for.
        alpha = world.venues["A"]
        show = rows.event(session, alpha, rows.utc(2026, 12, 12, 21), rows.utc(2026, 12, 12, 23))
        held = rows.event(
            session, alpha, rows.utc(2026, 12, 12, 19), rows.utc(2026, 12, 12, 21), status="hold"
        )
        applied_id = rows.application(session, show, world.band).id
        rows.application(session, held, world.band, "accepted")
        held_id = held.id
    elsewhere = "The Testers is already booked elsewhere at that time."
    named = "The Testers is already booked for &#34;Gamma Gig&#34; at Gamma Room"

    staff = signed_in(client, STAFF_A)
    accepted = decide(staff, "event-application", applied_id, "accept", "1")
    confirmed = decide(staff, "event", held_id, "confirm", "1")
    for refused in (accepted, confirmed):
        assert refused.status_code == 400
        assert elsewhere in refused.text
        assert "Gamma" not in refused.text
    assert "Cannot confirm: " + elsewhere in confirmed.text
    assert column(engine, EventApplication, applied_id, "status") == "pending"
    assert column(engine, Event, held_id, "status") == "hold"

    # The superuser may see every venue: the refusal names the booking.
    root = signed_in(client, ROOT)
    assert named in decide(root, "event-application", applied_id, "accept", "1").text
    assert named in decide(root, "event", held_id, "confirm", "1").text
