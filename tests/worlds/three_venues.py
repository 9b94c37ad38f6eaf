"""A small world of three venues and their people, for the permission and booking tests.

Venue A ("Alpha Hall") has a manager and two staff; staff.ab also works at venue B ("Beta
Club"); venue C ("Gamma Room") is nobody's here but its own clerk's, so "Gamma" must never
show up for the venue users. Every venue has one draft event with one pending
application, one weekday of hours and one marked day. Rows are committed through an
engine; :func:`tests.support.clear_tables` removes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import AuditEntry, Base
from tests.auth_support import sign_in
from tests.worlds import rows

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


def seed_world(engine: Engine) -> World:
    """Commit the three venues, their people and their bookings; return their ids."""
    world = World()
    with rows.committed(engine) as session:
        for key, name in VENUE_NAMES.items():
            world.venues[key] = rows.venue(session, name).id
        world.users["superuser"] = rows.user(session, ROOT, superuser=True).id
        for role, email in [
            ("manager_a", MANAGER_A),
            ("staff_a", STAFF_A),
            ("staff_ab", STAFF_AB),
            ("nobody", NOBODY),
            ("clerk_c", GAMMA_CLERK),
        ]:
            world.users[role] = rows.user(session, email).id
        people = [
            ("A", "manager_a", "manager"),
            ("A", "staff_a", "staff"),
            ("A", "staff_ab", "staff"),
            ("B", "staff_ab", "staff"),
            ("C", "clerk_c", "staff"),
        ]
        for key, person, role in people:
            row = rows.staff(session, world.venues[key], world.users[person], role)
            world.staff.setdefault(key, row.id)
        world.band = rows.band(session, "The Testers").id
        world.spare_band = rows.band(session, "The Spares").id
        world.band_member = rows.member(session, world.band, world.users["nobody"], "drums").id
        world.band_day = rows.band_day(session, world.band, date(2026, 12, 1)).id
        world.member_day = rows.member_day(
            session, world.band_member, date(2026, 12, 1), "tentative"
        ).id
        for day, (key, venue_id) in enumerate(world.venues.items(), start=10):
            name = VENUE_NAMES[key].split()[0]
            world.hours[key] = rows.opening_hours(session, venue_id, weekday=4, opens=18).id
            world.days[key] = rows.venue_day(session, venue_id, date(2026, 12, day)).id
            world.events[key] = rows.event(
                session,
                venue_id,
                rows.utc(2026, 12, day, 19),
                rows.utc(2026, 12, day, 22),
                title=f"{name} Gig",
                status="draft",
            ).id
            world.applications[key] = rows.application(session, world.events[key], world.band).id
        entry = AuditEntry(action="seed", actor_email=ROOT, object_type="Venue", object_id="1")
        session.add(entry)
        session.flush()
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
