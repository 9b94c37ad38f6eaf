"""The booking rules: transitions, decisions recorded and audited, clashes, stale edits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from admin_app.booking import (
    BandDoubleBooked,
    BookingError,
    InvalidTransition,
    NotFound,
    StaleObject,
    VenueClash,
    accept_application,
    cancel_event,
    confirm_event,
    reject_application,
    withdraw_application,
)
from admin_app.scoping import Scope
from models import AuditEntry, Event, EventApplication
from tests.worlds.booking import NIGHT, Booking, build_booking

Decide = Callable[..., EventApplication]


@pytest.fixture
def bk(db_session: Session) -> Booking:
    return build_booking(db_session)


def audit_entries(session: Session, obj: Event | EventApplication) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == type(obj).__name__,
                AuditEntry.object_id == str(obj.id),
            )
            .order_by(AuditEntry.id)
        )
    )


DECISIONS = [
    pytest.param(accept_application, "accepted", "accept", id="accept"),
    pytest.param(reject_application, "rejected", "reject", id="reject"),
    pytest.param(withdraw_application, "withdrawn", "withdraw", id="withdraw"),
]


@pytest.mark.parametrize(("decide", "status", "verb"), DECISIONS)
@pytest.mark.parametrize("event_status", ["draft", "hold", "confirmed"])
def test_pending_application_decided_recorded_and_audited(
    bk: Booking, decide: Decide, status: str, verb: str, event_status: str
) -> None:
    application = bk.application(bk.event("Gig", bk.berlin, status=event_status))
    assert application.version == 1
    decide(bk.session, application.id, bk.staff_berlin, expected_version=1)

    bk.session.expire_all()
    row = bk.session.get_one(EventApplication, application.id)
    assert row.status == status
    assert row.decided_by_id == bk.staff_berlin.user_id
    assert row.updated_by_id == bk.staff_berlin.user_id
    assert row.decided_at is not None
    assert abs(row.decided_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert row.version == 2
    (entry,) = audit_entries(bk.session, row)
    assert entry.action == verb
    assert entry.actor_email == "anna@example.com"
    assert entry.changes is not None
    assert entry.changes["status"] == ["pending", status]
    assert entry.changes["decided_by_id"] == [None, bk.staff_berlin.user_id]
    # Bookkeeping (version, updated_at) is never listed: one rule for every entry.
    assert "version" not in entry.changes
    assert "updated_at" not in entry.changes


@pytest.mark.parametrize("decide", [d.values[0] for d in DECISIONS], ids=lambda d: d.__name__)
@pytest.mark.parametrize("decided", ["accepted", "rejected", "withdrawn"])
def test_decisions_are_final(bk: Booking, decide: Decide, decided: str) -> None:
    application = bk.application(
        bk.event("Gig", bk.berlin), status=decided, decided_at=NIGHT - timedelta(days=9)
    )
    with pytest.raises(InvalidTransition, match=f"already {decided}; reopen it to decide again"):
        decide(bk.session, application.id, bk.root)
    bk.session.expire_all()
    assert bk.session.get_one(EventApplication, application.id).status == decided
    assert audit_entries(bk.session, application) == []


def test_cancelled_event_accepts_no_band(bk: Booking) -> None:
    application = bk.application(bk.event("Off", bk.berlin, status="cancelled"))
    with pytest.raises(InvalidTransition, match='"Off" is cancelled'):
        accept_application(bk.session, application.id, bk.root)
    reject_application(bk.session, application.id, bk.root)  # saying no is still possible
    assert application.status == "rejected"


@pytest.mark.parametrize("start_status", ["draft", "hold"])
def test_confirm_clears_the_hold_rank_and_is_audited(bk: Booking, start_status: str) -> None:
    event = bk.event("Gig", bk.berlin, status=start_status)
    confirm_event(bk.session, event.id, bk.staff_berlin, expected_version=1)
    bk.session.expire_all()
    row = bk.session.get_one(Event, event.id)
    assert (row.status, row.hold_rank, row.version) == ("confirmed", None, 2)
    assert row.updated_by_id == bk.staff_berlin.user_id
    (entry,) = audit_entries(bk.session, row)
    assert entry.action == "confirm"
    assert entry.changes is not None
    assert entry.changes["status"] == [start_status, "confirmed"]


@pytest.mark.parametrize("start_status", ["draft", "hold", "confirmed"])
def test_cancel(bk: Booking, start_status: str) -> None:
    event = bk.event("Gig", bk.berlin, status=start_status)
    cancel_event(bk.session, event.id, bk.staff_berlin)
    bk.session.expire_all()
    row = bk.session.get_one(Event, event.id)
    assert (row.status, row.hold_rank) == ("cancelled", None)
    assert [e.action for e in audit_entries(bk.session, row)] == ["cancel"]


@pytest.mark.parametrize(
    ("start_status", "change", "message"),
    [
        ("confirmed", confirm_event, "A confirmed event cannot be confirmed"),
        ("cancelled", confirm_event, "A cancelled event cannot be confirmed"),
        ("cancelled", cancel_event, "already cancelled"),
    ],
)
def test_event_transitions_refused(
    bk: Booking, start_status: str, change: Callable[..., Event], message: str
) -> None:
    event = bk.event("Gig", bk.berlin, status=start_status)
    with pytest.raises(InvalidTransition, match=message):
        change(bk.session, event.id, bk.root)
    bk.session.expire_all()
    assert bk.session.get_one(Event, event.id).status == start_status
    assert audit_entries(bk.session, event) == []


def test_venue_clash_names_the_confirmed_event_in_local_time(bk: Booking) -> None:
    first = bk.event("Opening Night", bk.berlin, status="confirmed")
    late = bk.event("Late Show", bk.berlin, start=2, status="hold")
    with pytest.raises(VenueClash) as refused:
        confirm_event(bk.session, late.id, bk.staff_berlin)
    assert str(refused.value) == (
        "The venue already has a confirmed event at that time: "
        "Opening Night, Sat 05 Dec 2026 20:00-23:00 (Europe/Berlin)."
    )
    assert refused.value.clash_event_id == first.id
    bk.session.expire_all()
    assert bk.session.get_one(Event, late.id).status == "hold"


def test_touching_holds_and_other_venues_do_not_clash(bk: Booking) -> None:
    bk.event("Early", bk.berlin, status="confirmed")
    bk.event("Stacked hold", bk.berlin, start=1, status="hold")  # holds may overlap
    after = bk.event("After", bk.berlin, start=3)  # [) ranges: back to back is fine
    elsewhere = bk.event("Elsewhere", bk.newyork)
    confirm_event(bk.session, after.id, bk.root)
    confirm_event(bk.session, elsewhere.id, bk.root)
    assert (after.status, elsewhere.status) == ("confirmed", "confirmed")


def test_band_double_booking_refused_when_accepting(bk: Booking) -> None:
    booked = bk.event("Berlin Night", bk.berlin, start=1, status="confirmed")
    bk.application(booked, status="accepted", decided_at=NIGHT - timedelta(days=1))
    newyork = bk.event("NY Night", bk.newyork, status="confirmed")
    application = bk.application(newyork)
    with pytest.raises(BandDoubleBooked) as refused:
        accept_application(bk.session, application.id, bk.root)
    assert str(refused.value) == (
        'The Testers is already booked for "Berlin Night" at Lido, '
        "Sat 05 Dec 2026 21:00-Sun 06 Dec 2026 00:00 (Europe/Berlin)."
    )
    assert refused.value.clash_event_id == booked.id
    # Staff of New York may not see Lido's events: refused without naming the booking.
    with pytest.raises(BandDoubleBooked) as refused:
        accept_application(bk.session, application.id, bk.staff_newyork)
    assert str(refused.value) == "The Testers is already booked elsewhere at that time."
    # Another band, or a show that does not overlap, is fine.
    accept_application(bk.session, bk.application(newyork, bk.other_band).id, bk.staff_newyork)
    later = bk.event("NY Late", bk.newyork, start=5, status="confirmed")
    accept_application(bk.session, bk.application(later).id, bk.staff_newyork)


def test_band_double_booking_refused_when_confirming(bk: Booking) -> None:
    booked = bk.event("Berlin Night", bk.berlin, status="confirmed")
    bk.application(booked, status="accepted", decided_at=NIGHT - timedelta(days=1))
    draft = bk.event("NY Night", bk.newyork, start=1)
    # Accepting for an unconfirmed event is allowed; confirming it is where it stops.
    accept_application(bk.session, bk.application(draft).id, bk.staff_newyork)
    with pytest.raises(BandDoubleBooked, match=r'^Cannot confirm: The Testers .* "Berlin Night"'):
        confirm_event(bk.session, draft.id, bk.root)
    elsewhere = "^Cannot confirm: The Testers is already booked elsewhere at that time.$"
    with pytest.raises(BandDoubleBooked, match=elsewhere):
        confirm_event(bk.session, draft.id, bk.staff_newyork)
    bk.session.expire_all()
    assert bk.session.get_one(Event, draft.id).status == "draft"


def test_foreign_and_missing_rows_are_not_found(bk: Booking, db_session: Session) -> None:
    event = bk.event("Gig", bk.berlin)
    application = bk.application(event)
    nobody = Scope(user_id=0, email="x@example.com", is_superuser=False)
    calls: list[tuple[Callable[..., object], int, Scope]] = [
        (accept_application, application.id, bk.staff_newyork),
        (reject_application, application.id, bk.staff_newyork),
        (withdraw_application, application.id, nobody),
        (accept_application, 10**9, bk.root),
        (confirm_event, event.id, bk.staff_newyork),
        (cancel_event, event.id, nobody),
        (confirm_event, 10**9, bk.root),
    ]
    for call, pk, scope in calls:
        with pytest.raises(NotFound, match=f" {pk} was not found"):
            call(db_session, pk, scope)
    db_session.expire_all()
    assert db_session.get_one(Event, event.id).status == "draft"
    assert db_session.get_one(EventApplication, application.id).status == "pending"


def test_stale_version_names_who_changed_it(bk: Booking) -> None:
    event = bk.event("Gig", bk.berlin)
    application = bk.application(event)
    opened_at = event.version
    event.title = "Gig (moved)"
    event.updated_by_id = bk.staff_newyork.user_id  # the console's edit form sets this
    bk.session.flush()
    assert event.version == opened_at + 1
    with pytest.raises(StaleObject, match=r"^This event was changed by ned@example\.com since"):
        confirm_event(bk.session, event.id, bk.staff_berlin, expected_version=opened_at)
    with pytest.raises(StaleObject, match="changed by someone else since you opened it"):
        accept_application(bk.session, application.id, bk.root, expected_version=7)
    assert issubclass(StaleObject, BookingError)
    confirm_event(bk.session, event.id, bk.staff_berlin, expected_version=opened_at + 1)


def test_version_column_refuses_lost_updates(engine: Engine) -> None:
    """Two forms opened on the same event: the second save fails instead of overwriting."""
    with Session(engine) as session:
        setup = build_booking(session)
        event_id = setup.event("Gig", setup.berlin).id
        session.commit()
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get_one(Event, event_id), second.get_one(Event, event_id)
        theirs.title = "Their title"
        second.commit()
        mine.title = "My title"
        with pytest.raises(StaleDataError):
            first.commit()
    with Session(engine) as session:
        assert session.get_one(Event, event_id).title == "Their title"
