"""Two venues in two zones, two bands, a superuser and one staff member per venue.

For the booking-rule tests (in a rolled-back session) and the booking races (committed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from admin_app.scoping import Scope, load_scope
from models import Band, Event, EventApplication, Venue
from tests.worlds import rows

# Sat 05 Dec 2026 19:00 UTC is 20:00 in Berlin (CET) and 14:00 in New York (EST).
NIGHT = datetime(2026, 12, 5, 19, tzinfo=UTC)


@dataclass
class Booking:
    """Two venues in two zones, two bands, a superuser and one staff member per venue."""

    session: Session
    berlin: Venue
    newyork: Venue
    band: Band
    other_band: Band
    root: Scope
    staff_berlin: Scope
    staff_newyork: Scope

    def event(
        self, title: str, venue: Venue, start: int = 0, hours: int = 3, status: str = "draft"
    ) -> Event:
        """An event ``start`` hours after NIGHT, lasting ``hours``."""
        starts_at = NIGHT + timedelta(hours=start)
        return rows.event(
            self.session,
            venue,
            starts_at,
            starts_at + timedelta(hours=hours),
            title=title,
            status=status,
        )

    def application(self, event: Event, band: Band | None = None, **kw: object) -> EventApplication:
        """A band's application (pending unless told otherwise)."""
        return rows.application(self.session, event, band or self.band, **kw)  # type: ignore[arg-type]


def build_booking(session: Session) -> Booking:
    """The :class:`Booking` world, flushed into ``session`` (the caller commits or not)."""
    berlin = rows.venue(session, "Lido", city="Berlin", timezone="Europe/Berlin")
    newyork = rows.venue(session, "Bowery", city="New York", timezone="America/New_York")
    band, other_band = rows.band(session, "The Testers"), rows.band(session, "Second Band")
    people = [
        rows.user(session, f"{name.lower()}@example.com", password=None, full_name=name)
        for name in ("Root", "Anna", "Ned")
    ]
    people[0].is_superuser = True
    rows.staff(session, berlin, people[1], "staff")
    rows.staff(session, newyork, people[2], "manager")
    session.flush()
    scopes = [load_scope(session, person.id) for person in people]
    assert all(scopes)
    root_scope, anna_scope, ned_scope = (scope for scope in scopes if scope is not None)
    return Booking(session, berlin, newyork, band, other_band, root_scope, anna_scope, ned_scope)
