"""Conflict warnings where the decision is made: confirming on a closed day or outside the
opening hours, saving such a confirmed event, closing a day with shows on it, accepting a
band accepted elsewhere. Each is refused with its reason until an explicit "... anyway",
and the override is audited; nothing changes before it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import AuditEntry, Event, EventApplication, VenueAvailability
from tests.auth_support import SAME_ORIGIN, sign_in
from tests.console_views_support import event_form, post_form
from tests.worlds import rows
from tests.worlds.today import MANAGER_A, ROOT, STAFF_A, TodayWorld, local, seed_today


@pytest.fixture
def world(engine: Engine) -> TodayWorld:
    """The Today world, fresh for each test."""
    return seed_today(engine)


def add_event(engine: Engine, venue_id: int, title: str, start: Any, end: Any, **kw: Any) -> int:
    with rows.committed(engine) as session:
        return rows.event(session, venue_id, start, end, title=title, **kw).id


def decide(client: TestClient, kind: str, pk: int, decision: str, **extra: str) -> Any:
    return client.post(
        f"/admin/{kind}/decide/{pk}",
        data={"decision": decision, "version": "1", **extra},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )


def audit_of(engine: Engine, object_type: str, pk: int) -> list[AuditEntry]:
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(pk))
                .order_by(AuditEntry.id)
            )
        )


def status_of(engine: Engine, model: Any, pk: int) -> str:
    with Session(engine) as session:
        return str(session.get_one(model, pk).status)


def long_day(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def test_confirming_on_a_closed_day_needs_confirm_anyway(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    d3 = world.nights["d3"]
    pk = add_event(
        engine,
        world.venues["A"],
        "Late Extra",
        local(d3, 23),
        local(d3 + timedelta(days=1), 1),
        status="draft",
    )
    sign_in(client, STAFF_A)
    refused = decide(client, "event", pk, "confirm", next="/admin/")
    assert refused.status_code == 400
    reason = f"{long_day(d3)} is marked closed (Private hire)."
    assert f"Cannot confirm: {reason}" in refused.text
    anyway = re.search(r'data-testid="decision-anyway">(.*?)</form>', refused.text, re.S)
    assert anyway is not None
    assert 'name="override" value="1"' in anyway.group(1)
    assert 'name="next" value="/admin/"' in anyway.group(1)
    assert "Confirm anyway" in anyway.group(1)
    assert status_of(engine, Event, pk) == "draft"
    assert audit_of(engine, "Event", pk) == []

    done = decide(client, "event", pk, "confirm", override="1", next="/admin/")
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/"
    assert "Confirmed (confirm anyway): Late Extra." in client.get("/admin/").text
    assert status_of(engine, Event, pk) == "confirmed"
    [entry] = audit_of(engine, "Event", pk)
    assert entry.action == "confirm"
    assert entry.actor_email == STAFF_A
    assert entry.changes is not None
    assert entry.changes["override"] == [None, [reason]]
    assert entry.changes["status"] == ["draft", "confirmed"]


def test_confirming_outside_the_opening_hours_names_them(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    d2 = world.nights["d2"]
    pk = add_event(
        engine, world.venues["A"], "Matinee", local(d2, 15), local(d2, 17), status="draft"
    )
    sign_in(client, MANAGER_A)
    refused = decide(client, "event", pk, "confirm")
    assert refused.status_code == 400
    assert (
        f"15:00-17:00 on {long_day(d2)} is outside the opening hours 19:00-02:00 (Europe/Berlin)."
        in refused.text
    )
    assert status_of(engine, Event, pk) == "draft"
    # With the explicit second click it is confirmed.
    assert decide(client, "event", pk, "confirm", override="1").status_code == 303
    assert status_of(engine, Event, pk) == "confirmed"


def test_an_unchecked_venue_has_no_hours_conflict(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    """Gamma Room has no opening hours at all: nothing to be outside of."""
    pk = add_event(
        engine,
        world.venues["C"],
        "Any Time",
        local(world.nights["d2"], 9, zone="America/New_York"),
        local(world.nights["d2"], 11, zone="America/New_York"),
        status="draft",
    )
    sign_in(client, ROOT)
    assert decide(client, "event", pk, "confirm").status_code == 303


def test_saving_a_confirmed_event_on_a_closed_day_needs_the_box(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    d3 = world.nights["d3"]
    sign_in(client, STAFF_A)
    form = event_form(
        world.venues["A"],
        title="Form Show",
        starts_at=f"{d3.isoformat()}T23:00",
        ends_at=f"{(d3 + timedelta(days=1)).isoformat()}T01:00",
        status="confirmed",
    )
    refused = post_form(client, "/admin/event/create", form)
    assert refused.status_code == 400
    assert f"Cannot save this confirmed event: {long_day(d3)} is marked closed" in refused.text
    assert "Tick &#34;Confirm anyway&#34; and save again" in refused.text
    with Session(engine) as session:
        assert session.scalar(select(Event.id).where(Event.title == "Form Show")) is None

    saved = post_form(client, "/admin/event/create", {**form, "confirm_anyway": "y"})
    assert saved.status_code == 302
    with Session(engine) as session:
        pk = session.scalar(select(Event.id).where(Event.title == "Form Show"))
    assert pk is not None
    [entry] = audit_of(engine, "Event", pk)
    assert entry.action == "create"
    assert entry.changes is not None
    assert entry.changes["override"] == [None, [f"{long_day(d3)} is marked closed (Private hire)."]]
    assert "confirm_anyway" not in entry.changes


def test_editing_a_confirmed_show_asks_again_only_when_it_moves(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    """The closed-day show of the world: a new description saves as it is; moving it to
    another night outside the hours is refused until the box is ticked."""
    pk = world.events["Closed Night Show"]
    d3, d2 = world.nights["d3"], world.nights["d2"]
    sign_in(client, MANAGER_A)
    base = event_form(
        world.venues["A"],
        title="Closed Night Show",
        description="New words",
        starts_at=f"{d3.isoformat()}T20:00",
        ends_at=f"{d3.isoformat()}T23:00",
        status="confirmed",
        version="1",
    )
    assert post_form(client, f"/admin/event/edit/{pk}", base).status_code == 302
    moved = {
        **base,
        "starts_at": f"{d2.isoformat()}T16:00",
        "ends_at": f"{d2.isoformat()}T18:00",
        "version": "2",
    }
    refused = post_form(client, f"/admin/event/edit/{pk}", moved)
    assert refused.status_code == 400
    assert "is outside the opening hours 19:00-02:00" in refused.text
    with Session(engine) as session:
        assert session.get_one(Event, pk).starts_at == local(d3, 20)
    assert (
        post_form(client, f"/admin/event/edit/{pk}", {**moved, "confirm_anyway": "y"}).status_code
        == 302
    )
    entries = audit_of(engine, "Event", pk)
    assert [entry.action for entry in entries] == ["update", "update"]
    assert entries[0].changes is not None
    assert "override" not in entries[0].changes
    assert entries[1].changes is not None
    assert "override" in entries[1].changes


def mark(client: TestClient, venue_id: int, day: date, status: str, **extra: str) -> Any:
    return client.post(
        f"/admin/calendar/venue/{venue_id}/day",
        data={"date": day.isoformat(), "status": status, "note": "Flood", **extra},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )


def test_closing_a_day_with_shows_on_it_lists_them_and_needs_close_anyway(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    d2 = world.nights["d2"]
    venue = world.venues["A"]
    sign_in(client, STAFF_A)
    refused = mark(client, venue, d2, "closed")
    assert refused.status_code == 409
    assert (
        f"{long_day(d2)} has 1 show booked: &#34;Alpha Hold&#34; (hold 1) at Alpha Hall"
        in refused.text
    )
    assert "Close anyway" in refused.text
    assert 'name="override" value="1"' in refused.text
    with Session(engine) as session:
        stored = select(VenueAvailability).where(
            VenueAvailability.venue_id == venue, VenueAvailability.date == d2
        )
        assert session.scalar(stored) is None
    # Marking it open, or closing an empty night, needs nothing more.
    assert mark(client, venue, world.nights["d2"] + timedelta(days=7), "closed").status_code == 303

    done = mark(client, venue, d2, "closed", override="1")
    assert done.status_code == 303
    with Session(engine) as session:
        row = session.scalar(stored)
        assert row is not None
        assert (row.status, row.note) == ("closed", "Flood")
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.object_type == "VenueAvailability", AuditEntry.object_id == str(row.id)
            )
        )
    assert entry is not None
    assert entry.action == "create"
    assert entry.changes is not None
    [listed] = entry.changes["override"][1]
    assert listed.startswith('"Alpha Hold" (hold 1) at Alpha Hall')
    # The show is still there (closing does not cancel it); Today now shows the conflict.
    assert status_of(engine, Event, world.events["Alpha Hold"]) == "hold"
    assert f"{long_day(d2)} is marked closed (Flood)." in client.get("/admin/").text


def test_accepting_a_band_accepted_elsewhere_warns_first(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    d2 = world.nights["d2"]
    pk_event = add_event(
        engine, world.venues["A"], "Side Stage", local(d2, 21), local(d2, 23), status="draft"
    )
    with rows.committed(engine) as session:
        pk = rows.application(session, pk_event, world.bands["double"]).id
    sign_in(client, MANAGER_A)
    warned = decide(client, "event-application", pk, "accept")
    assert warned.status_code == 400
    assert (
        'Double Band is already accepted for "Alpha Hold" (hold 1) at Alpha Hall'
        in warned.text.replace("&#34;", '"')
    )
    # Beta Late is another venue's: named only as "elsewhere".
    assert "Double Band is already accepted elsewhere at an overlapping time." in warned.text
    assert "Beta Late" not in warned.text
    assert "Accept anyway" in warned.text
    assert status_of(engine, EventApplication, pk) == "pending"
    assert audit_of(engine, "EventApplication", pk) == []

    assert decide(client, "event-application", pk, "accept", override="1").status_code == 303
    assert status_of(engine, EventApplication, pk) == "accepted"
    [entry] = audit_of(engine, "EventApplication", pk)
    assert entry.action == "accept"
    assert entry.changes is not None
    assert len(entry.changes["override"][1]) == 2


def test_a_band_booked_for_an_overlapping_confirmed_show_stays_refused(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    """Both confirmed is the booking rule, not a warning: "accept anyway" changes nothing."""
    d1 = world.nights["d1"]
    booked = add_event(engine, world.venues["B"], "Booked", local(d1, 19), local(d1, 22))
    wanted = add_event(engine, world.venues["A"], "Wanted", local(d1, 20), local(d1, 23))
    with rows.committed(engine) as session:
        rows.application(session, booked, world.bands["testers"], "accepted")
        pk = rows.application(session, wanted, world.bands["testers"]).id
    sign_in(client, ROOT)
    refused = decide(client, "event-application", pk, "accept", override="1")
    assert refused.status_code == 400
    assert "The Testers is already booked for" in refused.text
    assert 'data-testid="decision-anyway"' not in refused.text
    assert status_of(engine, EventApplication, pk) == "pending"


def test_the_warning_on_an_events_page_posts_the_application_again(
    client: TestClient, engine: Engine, world: TodayWorld
) -> None:
    """Accepting from an event's page (its applications' buttons send next=that page):
    the warning is shown there, and its "Accept anyway" posts the application's own
    decision, with the version submitted, and comes back to the event's page."""
    d2 = world.nights["d2"]
    event_id = add_event(
        engine, world.venues["A"], "Side Stage", local(d2, 21), local(d2, 23), status="draft"
    )
    with rows.committed(engine) as session:
        pk = rows.application(session, event_id, world.bands["double"]).id
    sign_in(client, MANAGER_A)
    event_page = f"/admin/event/details/{event_id}"
    warned = decide(client, "event-application", pk, "accept", next=event_page)
    assert warned.status_code == 400
    assert 'data-testid="event-applications"' in warned.text  # the event's page
    anyway = re.search(r'data-testid="decision-anyway">(.*?)</form>', warned.text, re.S)
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*data-testid="decision-anyway"', warned.text
    )
    assert anyway is not None
    assert form is not None
    assert form.group(1) == f"/admin/event-application/decide/{pk}"
    assert 'name="version" value="1"' in anyway.group(1)
    assert f'name="next" value="{event_page}"' in anyway.group(1)
    done = decide(client, "event-application", pk, "accept", override="1", next=event_page)
    assert done.status_code == 303
    assert done.headers["location"] == event_page
    assert status_of(engine, EventApplication, pk) == "accepted"
