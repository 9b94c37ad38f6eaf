"""Closing a day while a colleague books it, at the same instant: one of them is told.

Closing takes the venue lock every schedule write takes (a hold placed, a confirmation),
so the later of the two sees the earlier: never a day marked closed over a hold or a
confirmed show that nobody was warned about (no override in the audit), never a 500.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from admin_app.booking import NeedsOverride, confirm_event
from admin_app.calendars.grid import today_in
from admin_app.calendars.marks import set_venue_day
from admin_app.calendars.match import HoldRefused, place_hold
from admin_app.scoping import Scope
from models import AuditEntry, Event, VenueAvailability
from tests.worlds import rows
from tests.worlds.today import local

ROUNDS = 4


def _world(engine: Engine) -> tuple[Scope, int, int]:
    with rows.committed(engine) as session:
        venue = rows.venue(session, "Lido", timezone="Europe/Berlin")
        for weekday in range(7):
            rows.opening_hours(session, venue, weekday, opens=19, closes=2)
        user = rows.user(session, "ops@example.com", superuser=True)
        band = rows.band(session, "The Racers")
        scope = Scope(user_id=user.id, email=user.email, is_superuser=True)
        return scope, venue.id, band.id


def _at_once(*work: Callable[[], None]) -> list[str]:
    """Run each callable in its own thread, released together; each one's outcome."""
    barrier = threading.Barrier(len(work))
    outcomes = [""] * len(work)

    def run(index: int) -> None:
        barrier.wait()
        try:
            work[index]()
            outcomes[index] = "done"
        except (NeedsOverride, HoldRefused):
            outcomes[index] = "refused"
        except Exception as exc:  # anything else would have been a 500
            outcomes[index] = f"error: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _closed(engine: Engine, venue_id: int, day: date) -> bool:
    with Session(engine) as session:
        return (
            session.scalar(
                select(VenueAvailability.status).where(
                    VenueAvailability.venue_id == venue_id, VenueAvailability.date == day
                )
            )
            == "closed"
        )


def _overrides(engine: Engine) -> int:
    with Session(engine) as session:
        changes = session.scalars(select(AuditEntry.changes)).all()
    return sum(1 for change in changes if change and "override" in change)


@pytest.mark.parametrize("booking", ["hold", "confirm"])
def test_closing_and_booking_one_night_at_once(engine: Engine, booking: str) -> None:
    scope, venue_id, band_id = _world(engine)
    first = today_in("Europe/Berlin") + timedelta(days=10)
    for round_ in range(ROUNDS):
        day = first + timedelta(days=round_)
        draft_id = 0
        if booking == "confirm":
            with rows.committed(engine) as session:
                draft_id = rows.event(
                    session, venue_id, local(day, 20), local(day, 23), status="draft"
                ).id

        def close(day: date = day) -> None:
            with Session(engine) as session, session.begin():
                set_venue_day(session, scope, venue_id, day, "closed", "Flood")

        def book(day: date = day, draft_id: int = draft_id) -> None:
            with Session(engine) as session, session.begin():
                if booking == "hold":
                    place_hold(session, scope, venue_id, band_id, day)
                else:
                    confirm_event(session, draft_id, scope)

        outcomes = _at_once(close, book)
        assert sorted(outcomes) == ["done", "refused"], outcomes
        with Session(engine) as session:
            lower, upper = local(day, 0), local(day + timedelta(days=1), 0)
            booked = session.scalars(
                select(Event.status).where(
                    Event.venue_id == venue_id,
                    Event.starts_at >= lower,
                    Event.starts_at < upper,
                    Event.status.in_(("hold", "confirmed")),
                )
            ).all()
        # Exactly one of the two happened.
        assert _closed(engine, venue_id, day) != bool(booked), (outcomes, booked)
    assert _overrides(engine) == 0
