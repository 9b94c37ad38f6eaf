"""Helpers for the console view tests: sign-in, same-origin writes, SQL counting, rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from typing import Any, cast

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from models import AuditEntry, Band, Base, Event, EventApplication, Venue
from tests.auth_support import SAME_ORIGIN, add_user, sign_in

ADMIN_EMAIL = "ops@example.com"


def sign_in_superuser(client: TestClient, engine: Engine) -> int:
    """Commit a superuser, sign ``client`` in as them, and return their id."""
    user_id = add_user(engine, ADMIN_EMAIL, superuser=True)
    sign_in(client, ADMIN_EMAIL)
    return user_id


def post_form(client: TestClient, url: str, data: dict[str, str]) -> Any:
    """POST a console form as the browser does (same origin, the Save button)."""
    return client.post(
        url, data={**data, "save": "Save"}, headers=SAME_ORIGIN, follow_redirects=False
    )


def delete(client: TestClient, identity: str, pk: int) -> Any:
    """The delete request the list and details pages send."""
    return client.delete(f"/admin/{identity}/delete?pks={pk}", headers=SAME_ORIGIN)


def export_rows(client: TestClient, identity: str, query: str = "") -> list[list[str]]:
    """The CSV export of a list (with ``query``), parsed; the header row first."""
    response = client.get(f"/admin/{identity}/export/csv{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


@contextmanager
def count_statements(client: TestClient) -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine runs while the block runs."""
    engine = cast(Starlette, client.app).state.engine
    statements: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def list_statement_count(client: TestClient, identity: str, page_size: int) -> int:
    """SQL statements one list page of ``identity`` costs at ``page_size`` rows."""
    with count_statements(client) as statements:
        response = client.get(f"/admin/{identity}/list?pageSize={page_size}")
    assert response.status_code == 200, response.text
    return len(statements)


def count_rows(engine: Engine, model: type[Base]) -> int:
    """Rows in ``model``'s table."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def audit_entries(engine: Engine, object_type: str) -> list[AuditEntry]:
    """Audit entries about ``object_type``, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == object_type)
                .order_by(AuditEntry.id)
            )
        )


def add_venue(
    engine: Engine,
    name: str = "Roxy",
    *,
    city: str = "Berlin",
    timezone: str = "Europe/Berlin",
    capacity: int | None = 300,
) -> int:
    """Commit a venue and return its id."""
    with Session(engine) as session:
        venue = Venue(name=name, city=city, timezone=timezone, capacity=capacity)
        session.add(venue)
        session.commit()
        return venue.id


def add_event(
    engine: Engine,
    venue_id: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    *,
    status: str = "confirmed",
    hold_rank: int | None = None,
) -> int:
    """Commit an event (times are aware UTC instants) and return its id."""
    with Session(engine) as session:
        item = Event(
            venue_id=venue_id,
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            hold_rank=hold_rank,
        )
        session.add(item)
        session.commit()
        return item.id


def add_band(engine: Engine, name: str) -> int:
    """Commit a band and return its id."""
    with Session(engine) as session:
        band = Band(name=name)
        session.add(band)
        session.commit()
        return band.id


def add_application(engine: Engine, event_id: int, band_id: int, status: str = "pending") -> int:
    """Commit an application (decided now unless pending) and return its id."""
    with Session(engine) as session:
        application = EventApplication(
            event_id=event_id,
            band_id=band_id,
            status=status,
            decided_at=None if status == "pending" else datetime.now(UTC),
        )
        session.add(application)
        session.commit()
        return application.id


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def clock(hour: int, minute: int = 0) -> time:
    """A wall-clock time of day."""
    return time(hour, minute)
