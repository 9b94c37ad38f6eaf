"""A small world of three venues and their people, for the permission and booking tests.

Venue A ("Alpha Hall") has a manager and two staff; staff.ab also works at venue B ("Beta
Club"); venue C ("Gamma Room") is nobody's here but its own clerk's, so "Gamma" must never
show up for the venue users. Every venue has one draft event with one pending
application, one weekday of hours and one marked day. Rows are committed through an
engine; :func:`tests.support.clear_tables` removes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.accounts import create_user
from models import (
    AuditEntry,
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Base,
    Event,
    EventApplication,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)
from tests.auth_support import PASSWORD, sign_in

ROOT = "root@example.com"
MANAGER_A = "manager.a@example.com"
STAFF_A = "staff.a@example.com"
STAFF_AB = "staff.ab@example.com"
NOBODY = "nobody@example.com"
GAMMA_CLERK = "clerk.c@example.com"
VENUE_NAMES = {"A": "Alpha Hall", "B": "Beta Club", "C": "Gamma Room"}
ROLES = {"superuser": ROOT, "manager_a": MANAGER_A, "staff_a": STAFF_A, "staff_ab": STAFF_AB}
# The venues each role works at (the superuser: all of them).
OWN = {"superuser": "ABC", "manager_a": "A", "staff_a": "A", "staff_ab": "AB"}


@dataclass
class World:
    """Ids of everything seeded, by venue key ("A", "B", "C") where it belongs to one."""

    users: dict[str, int] = field(default_factory=dict)
    venues: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    hours: dict[str, int] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    applications: dict[str, int] = field(default_factory=dict)
    band: int = 0
    spare_band: int = 0  # has applied nowhere: new applications use it
    band_member: int = 0
    band_day: int = 0
    member_day: int = 0
    audit_entry: int = 0

    def rows(self, identity: str) -> dict[str, int]:
        """The ids of one view's rows, by venue key (``""`` for rows of no venue)."""
        by_venue = {
            "venue": self.venues,
            "venue-staff": self.staff,
            "venue-operating-hours": self.hours,
            "venue-availability": self.days,
            "event": self.events,
            "event-application": self.applications,
        }
        if identity in by_venue:
            return by_venue[identity]
        single = {
            "user": self.users["nobody"],
            "band": self.band,
            "band-member": self.band_member,
            "band-availability": self.band_day,
            "band-member-availability": self.member_day,
            "audit-entry": self.audit_entry,
        }
        return {"": single[identity]}


def _user(session: Session, email: str, *, superuser: bool = False) -> int:
    user = create_user(
        session,
        email=email,
        password=PASSWORD,
        full_name=email.split("@")[0],
        is_superuser=superuser,
    )
    session.flush()
    return user.id


def seed_world(engine: Engine) -> World:
    """Commit the three venues, their people and their bookings; return their ids."""
    world = World()
    with Session(engine) as session:
        for key, name in VENUE_NAMES.items():
            venue = Venue(name=name, city=f"{name} City", timezone="Europe/Berlin")
            session.add(venue)
            session.flush()
            world.venues[key] = venue.id
        world.users["superuser"] = _user(session, ROOT, superuser=True)
        for role, email in [("manager_a", MANAGER_A), ("staff_a", STAFF_A)]:
            world.users[role] = _user(session, email)
        world.users["staff_ab"] = _user(session, STAFF_AB)
        world.users["nobody"] = _user(session, NOBODY)
        world.users["clerk_c"] = _user(session, GAMMA_CLERK)
        people = [
            ("A", "manager_a", "manager"),
            ("A", "staff_a", "staff"),
            ("A", "staff_ab", "staff"),
            ("B", "staff_ab", "staff"),
            ("C", "clerk_c", "staff"),
        ]
        for key, person, role in people:
            row = VenueStaff(venue_id=world.venues[key], user_id=world.users[person], role=role)
            session.add(row)
            session.flush()
            world.staff.setdefault(key, row.id)
        band = Band(name="The Testers")
        session.add(band)
        session.flush()
        spare = Band(name="The Spares")
        session.add(spare)
        session.flush()
        world.band, world.spare_band = band.id, spare.id
        member = BandMember(band_id=band.id, user_id=world.users["nobody"], instrument="drums")
        session.add(member)
        session.flush()
        world.band_member = member.id
        band_day = BandAvailability(band_id=band.id, date=date(2026, 12, 1), status="available")
        member_day = BandMemberAvailability(
            band_member_id=member.id, date=date(2026, 12, 1), status="tentative"
        )
        session.add_all([band_day, member_day])
        for day, (key, venue_id) in enumerate(world.venues.items(), start=10):
            name = VENUE_NAMES[key].split()[0]
            hours = VenueOperatingHours(
                venue_id=venue_id, weekday=4, opens_at=time(18), closes_at=time(23)
            )
            marked = VenueAvailability(venue_id=venue_id, date=date(2026, 12, day), status="open")
            event = Event(
                venue_id=venue_id,
                title=f"{name} Gig",
                starts_at=datetime(2026, 12, day, 19, tzinfo=UTC),
                ends_at=datetime(2026, 12, day, 22, tzinfo=UTC),
                status="draft",
            )
            session.add_all([hours, marked, event])
            session.flush()
            application = EventApplication(event_id=event.id, band_id=band.id, status="pending")
            session.add(application)
            session.flush()
            world.hours[key], world.days[key] = hours.id, marked.id
            world.events[key], world.applications[key] = event.id, application.id
        session.flush()
        world.band_day, world.member_day = band_day.id, member_day.id
        entry = AuditEntry(action="seed", actor_email=ROOT, object_type="Venue", object_id="1")
        session.add(entry)
        session.commit()
        world.audit_entry = entry.id
    return world


def row_state(engine: Engine, model: type[Base], pk: int) -> dict[str, Any] | None:
    """Every column of one row (None when it is gone), to compare before and after."""
    with Session(engine) as session:
        row = session.get(model, pk)
        if row is None:
            return None
        return {attr.key: getattr(row, attr.key) for attr in inspect(model).column_attrs}


def signed_in(client: TestClient, email: str) -> TestClient:
    """``client`` signed in as ``email`` (asserting it worked)."""
    sign_in(client, email)
    return client
