"""Test data for the calendar and feed tests: two venues in two zones, a band, two users."""

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
from models import (
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Event,
    EventApplication,
    User,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)

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
        rank = kw.pop("hold_rank", 1 if status == "hold" else None)
        event = Event(
            venue=venue,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            hold_rank=rank,
            **kw,
        )
        self.add(event)
        return event

    def apply(self, event: Event, band: Band | None = None, status: str = "pending") -> None:
        decided = None if status == "pending" else NOW
        self.add(
            EventApplication(event=event, band=band or self.band, status=status, decided_at=decided)
        )

    def member(self, name: str) -> BandMember:
        user = User(email=f"{name.lower()}@example.com", full_name=name)
        member = BandMember(band=self.band, user=user)
        self.add(user, member)
        return member


def build_world(db_session: Session) -> World:
    """The :class:`World`, flushed into ``db_session`` (rolled back after the test)."""
    root = User(email="ops@example.com", full_name="Ops", is_superuser=True)
    clerk = User(email="clerk@example.com", full_name="Clerk")
    lido = Venue(name="Lido", city="Berlin", timezone=BERLIN)
    bowery = Venue(name="Bowery", city="New York", timezone=NEW_YORK)
    band = Band(name="The Commas")
    db_session.add_all(
        [root, clerk, lido, bowery, band, VenueStaff(venue=lido, user=clerk, role="staff")]
    )
    for weekday in range(1, 6):
        db_session.add(
            VenueOperatingHours(venue=lido, weekday=weekday, opens_at=time(20), closes_at=time(23))
        )
    db_session.flush()
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
    world.add(
        VenueAvailability(venue=world.lido, date=date(2026, 4, 8), status="closed"),
        VenueAvailability(venue=world.lido, date=date(2026, 4, 22), status="open"),
        VenueAvailability(venue=world.lido, date=date(2026, 4, 24), status="open"),
        BandAvailability(band=world.band, date=date(2026, 4, 24), status="available"),
        BandAvailability(band=world.band, date=date(2026, 4, 25), status="available"),
        BandAvailability(band=world.band, date=date(2026, 4, 21), status="tentative"),
        BandMemberAvailability(band_member=ana, date=date(2026, 4, 14), status="unavailable"),
    )
    world.event(world.lido, at(BERLIN, 2026, 4, 9, 20), at(BERLIN, 2026, 4, 9, 23))
    world.event(world.lido, at(BERLIN, 2026, 4, 10, 20), at(BERLIN, 2026, 4, 10, 23), "hold")
    # Booked in New York on the 15th (already the 16th in Berlin): only the 15th is lost.
    gig = world.event(world.bowery, at(NEW_YORK, 2026, 4, 15, 21), at(NEW_YORK, 2026, 4, 15, 23))
    world.apply(gig, status="accepted")
