"""Committed test data for the calendar pages and feeds over HTTP: two venues, four users.

Venue A (Berlin, open every night 20:00-23:00) and venue B (New York), a band, and a
superuser, a manager of A, a staff member of A and a staff member of B. Everything is
committed (the app reads it through its own connections); the ``engine`` fixture clears
the tables after each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.localtime import to_utc
from models import AuditEntry
from tests.auth_support import SAME_ORIGIN
from tests.worlds import rows

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
# A month safely in the future: its dates are never "past" for matching and holds.
MONTH = "2030-04"
FIRST = date(2030, 4, 1)


@dataclass(frozen=True)
class Site:
    """Ids of the committed test data."""

    venue_a: int
    venue_b: int
    band: int
    root: str = "root@example.com"
    manager_a: str = "manager-a@example.com"
    staff_a: str = "staff-a@example.com"
    staff_b: str = "staff-b@example.com"


def at(zone: str, day: date, hour: int) -> datetime:
    """The UTC instant of ``hour``:00 on ``day`` in ``zone``."""
    return to_utc(datetime.combine(day, time(hour)), zone)


def build_site(engine: Engine) -> Site:
    """Commit the venues, band and users; return their ids."""
    with rows.committed(engine) as session:
        venue_a = rows.venue(session, "Alpha Hall", city="Berlin", timezone=BERLIN)
        venue_b = rows.venue(session, "Bravo Room", city="New York", timezone=NEW_YORK)
        band = rows.band(session, "The Commas", city="Leipzig", genre="indie")
        for weekday in range(7):
            rows.opening_hours(session, venue_a, weekday)
        rows.user(session, "root@example.com", superuser=True)
        for email, venue, role in (
            ("manager-a@example.com", venue_a, "manager"),
            ("staff-a@example.com", venue_a, "staff"),
            ("staff-b@example.com", venue_b, "staff"),
        ):
            rows.user(session, email, venue=venue, role=role)
    return Site(venue_a.id, venue_b.id, band.id)


def add_event(
    engine: Engine,
    venue_id: int,
    day: date,
    *,
    hour: int = 20,
    title: str = "Show",
    status: str = "confirmed",
    hold_rank: int | None = None,
    zone: str = BERLIN,
    band_id: int | None = None,
    application: str = "pending",
) -> int:
    """Commit a two-hour event (and the band's application to it, when given)."""
    starts_at = at(zone, day, hour)
    with rows.committed(engine) as session:
        show = rows.event(
            session,
            venue_id,
            starts_at,
            starts_at + timedelta(hours=2),
            title=title,
            status=status,
            hold_rank=hold_rank,
        )
        if band_id is not None:
            decided = None if application == "pending" else starts_at
            rows.application(session, show, band_id, application, decided_at=decided)
    return show.id


def fill_month(engine: Engine, venue_id: int, band_id: int, count: int, start: int = 0) -> None:
    """Commit confirmed events ``start``.. ``start + count - 1`` of MONTH at the venue, three
    a night, each with the band's pending application (rows of every kind to show)."""
    with rows.committed(engine) as session:
        for n in range(start, start + count):
            day, slot = FIRST + timedelta(days=n // 3), n % 3
            starts_at = at(BERLIN, day, 9 + 4 * slot)
            show = rows.event(
                session, venue_id, starts_at, starts_at + timedelta(hours=2), title=f"Show {n}"
            )
            rows.application(session, show, band_id)


def post(client: TestClient, url: str, data: dict[str, str] | None = None) -> Any:
    """POST a form the way a browser on this site does; no redirect following."""
    return client.post(url, data=data or {}, headers=SAME_ORIGIN, follow_redirects=False)


def audit_of(engine: Engine, object_type: str) -> list[tuple[str, str | None]]:
    """``(action, actor_email)`` of the audit entries about ``object_type``, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor_email)
            .where(AuditEntry.object_type == object_type)
            .order_by(AuditEntry.id)
        ).all()
    return [(action, email) for action, email in rows]


@contextmanager
def counting(engine: Engine) -> Iterator[Callable[[], int]]:
    """Count the statements every connection of ``engine`` executes inside the block."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
