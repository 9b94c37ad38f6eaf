"""Helpers for the console view tests: sign-in, same-origin writes, SQL counting, rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from typing import Any, cast

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from models import AuditEntry, Base
from tests.auth_support import SAME_ORIGIN, add_user, sign_in
from tests.worlds import rows

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


def event_form(venue_id: int, **overrides: str) -> dict[str, str]:
    """A valid event form (a confirmed show 20:00-23:00 local), with ``overrides``."""
    return {
        "venue": str(venue_id),
        "title": "Night show",
        "description": "",
        "starts_at": "2026-12-12T20:00",
        "ends_at": "2026-12-12T23:00",
        "status": "confirmed",
        "hold_rank": "",
    } | overrides


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


def assert_same_statement_count(client: TestClient, url: str) -> None:
    """A list page costs as many statements at 10 rows as at 100 (no N+1)."""
    counts = []
    for size in (10, 100):
        with count_statements(client) as statements:
            response = client.get(url, params={"pageSize": size})
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


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
    with rows.committed(engine) as session:
        return rows.venue(session, name, city=city, timezone=timezone, capacity=capacity).id


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
    with rows.committed(engine) as session:
        show = rows.event(
            session, venue_id, starts_at, ends_at, title=title, status=status, hold_rank=hold_rank
        )
        return show.id


def add_band(engine: Engine, name: str) -> int:
    """Commit a band and return its id."""
    with rows.committed(engine) as session:
        return rows.band(session, name).id


def add_application(engine: Engine, event_id: int, band_id: int, status: str = "pending") -> int:
    """Commit an application (decided now unless pending) and return its id."""
    with rows.committed(engine) as session:
        return rows.application(session, event_id, band_id, status).id


def clock(hour: int, minute: int = 0) -> time:
    """A wall-clock time of day."""
    return time(hour, minute)
