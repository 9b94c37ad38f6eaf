"""Two venues in two zones, a band and two users, in a rolled-back session.

For the calendar, matching, feed and booking-rule tests that run inside ``db_session``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from admin_app.calendars import Month
from admin_app.localtime import to_utc
from admin_app.scoping import Scope, load_scope
from models import Band, BandMember, Event, Venue
from tests.worlds import rows

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
APRIL = Month(2026, 4)
# "Now" for the matching tests: Thu 02 Apr 2026, so 01 Apr is already past.
NOW = datetime(2026, 4, 2, 12, tzinfo=UTC)


def at(zone: str, y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``."""
    return to_utc(datetime.combine(date(y, m, d), time(h, mi)), zone)


@dataclass
class World:
    """A superuser, a Berlin venue (Tue-Sat 20:00-23:00), a New York venue and a band."""

    session: Session
    root: Scope
    staff: Scope
    lido: Venue
    bowery: Venue
    band: Band

    def add(self, *objs: Any) -> None:
        self.session.add_all(objs)
        self.session.flush()

    def event(
        self,
        venue: Venue,
        starts_at: datetime,
        ends_at: datetime,
        status: str = "confirmed",
        title: str = "Show",
        **kw: Any,
    ) -> Event:
        return rows.event(self.session, venue, starts_at, ends_at, title=title, status=status, **kw)

    def apply(self, event: Event, band: Band | None = None, status: str = "pending") -> None:
        decided = None if status == "pending" else NOW
        rows.application(self.session, event, band or self.band, status, decided_at=decided)

    def member(self, name: str) -> BandMember:
        person = rows.user(
            self.session, f"{name.lower()}@example.com", password=None, full_name=name
        )
        return rows.member(self.session, self.band, person)


def build_world(db_session: Session) -> World:
    """The :class:`World`, flushed into ``db_session`` (rolled back after the test)."""
    root = rows.user(db_session, "ops@example.com", password=None, full_name="Ops", superuser=True)
    clerk = rows.user(db_session, "clerk@example.com", password=None, full_name="Clerk")
    lido = rows.venue(db_session, "Lido", city="Berlin", timezone=BERLIN)
    bowery = rows.venue(db_session, "Bowery", city="New York", timezone=NEW_YORK)
    band = rows.band(db_session, "The Commas")
    rows.staff(db_session, lido, clerk)
    for weekday in range(1, 6):
        rows.opening_hours(db_session, lido, weekday)
    root_scope, staff_scope = load_scope(db_session, root.id), load_scope(db_session, clerk.id)
    assert root_scope is not None
    assert staff_scope is not None
    return World(db_session, root_scope, staff_scope, lido, bowery, band)


@contextmanager
def counting(session: Session) -> Iterator[Callable[[], int]]:
    """Count the SQL statements the session's connection executes inside the block."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    connection = session.connection()
    sa_event.listen(connection, "before_cursor_execute", count)
    try:
        yield lambda: len(statements)
    finally:
        sa_event.remove(connection, "before_cursor_execute", count)


def mark_april(world: World) -> None:
    """April at the Lido for The Commas: every reason a date can match or not, once."""
    ana = world.member("Ana")
    session, lido, band = world.session, world.lido, world.band
    rows.venue_day(session, lido, date(2026, 4, 8), "closed")
    rows.venue_day(session, lido, date(2026, 4, 22), "open")
    rows.venue_day(session, lido, date(2026, 4, 24), "open")
    rows.band_day(session, band, date(2026, 4, 24), "available")
    rows.band_day(session, band, date(2026, 4, 25), "available")
    rows.band_day(session, band, date(2026, 4, 21), "tentative")
    rows.member_day(session, ana, date(2026, 4, 14), "unavailable")
    world.event(world.lido, at(BERLIN, 2026, 4, 9, 20), at(BERLIN, 2026, 4, 9, 23))
    world.event(world.lido, at(BERLIN, 2026, 4, 10, 20), at(BERLIN, 2026, 4, 10, 23), "hold")
    # Booked in New York on the 15th (already the 16th in Berlin): only the 15th is lost.
    gig = world.event(world.bowery, at(NEW_YORK, 2026, 4, 15, 21), at(NEW_YORK, 2026, 4, 15, 23))
    world.apply(gig, status="accepted")
