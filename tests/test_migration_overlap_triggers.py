"""Migration 9a3a1e85b614: SQLite refuses overlapping confirmed events as PostgreSQL does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Event
from models.events import EVENT_NO_OVERLAP_CONSTRAINT
from tests.support import downgrade, upgrade
from tests.worlds import rows
from tests.worlds.rows import utc

BEFORE = "10869f52de01"
SQLITE_ONLY = pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
EngineFor = Callable[[str], Engine]
# Both databases name the PostgreSQL constraint when they refuse.
REFUSED = EVENT_NO_OVERLAP_CONSTRAINT


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar())


def _insert_event(
    connection: Connection,
    venue_id: int,
    starts_at: datetime,
    ends_at: datetime,
    title: str,
    status: str = "confirmed",
) -> int:
    """An event row written with the columns every revision here has: the models' newer
    columns (hold expiry) do not exist at the older revisions these tests visit."""
    values = {"venue_id": venue_id, "title": title, "starts_at": starts_at, "ends_at": ends_at}
    values |= {"status": status, "hold_rank": 1 if status == "hold" else None}
    return int(connection.execute(insert(Event).values(**values).returning(Event.id)).scalar_one())


def _refusal(engine: Engine, venue_id: int) -> str | None:
    """The database's refusal of a confirmed show over the one at 19:00-22:00 (rolled back)."""
    with engine.connect() as connection:
        try:
            _insert_event(connection, venue_id, utc(2027, 6, 4, 21), utc(2027, 6, 4, 23), "Rival")
        except IntegrityError as refused:
            return str(refused.orig)
        finally:
            connection.rollback()
    return None


def test_downgrade_removes_the_guard_on_sqlite_only(
    empty_db_url: str, db_kind: str, engine_for: EngineFor
) -> None:
    upgrade(empty_db_url)
    engine = engine_for(empty_db_url)
    with rows.committed(engine) as session:
        venue_id = rows.venue(session).id
    with engine.begin() as connection:
        _insert_event(connection, venue_id, utc(2027, 6, 4, 19), utc(2027, 6, 4, 22), "Show")
    assert REFUSED in str(_refusal(engine, venue_id))

    downgrade(empty_db_url, BEFORE)
    if db_kind == "postgresql":  # its exclusion constraint: this migration never touched it
        assert REFUSED in str(_refusal(engine, venue_id))
    else:
        assert _refusal(engine, venue_id) is None

    upgrade(empty_db_url)
    assert REFUSED in str(_refusal(engine, venue_id))


@SQLITE_ONLY
def test_stored_overlaps_stop_the_upgrade_naming_them(
    empty_db_url: str, engine_for: EngineFor
) -> None:
    upgrade(empty_db_url, BEFORE)
    engine = engine_for(empty_db_url)
    with rows.committed(engine) as session:
        venue_id = rows.venue(session).id
    with engine.begin() as connection:
        first = _insert_event(connection, venue_id, utc(2027, 6, 4, 19), utc(2027, 6, 4, 22), "A")
        # Slipped in past the booking rules, before the database could refuse it.
        second = _insert_event(connection, venue_id, utc(2027, 6, 4, 21), utc(2027, 6, 4, 23), "B")
        # Not overlaps: back to back, and a hold.
        _insert_event(connection, venue_id, utc(2027, 6, 4, 23), utc(2027, 6, 5, 1), "C")
        _insert_event(
            connection, venue_id, utc(2027, 6, 4, 20), utc(2027, 6, 4, 21), "Show", "hold"
        )

    with pytest.raises(RuntimeError) as stopped:
        upgrade(empty_db_url)
    assert str(stopped.value) == (
        f'These confirmed events overlap at the same venue: #{first} "A" and #{second} "B". '
        "Cancel or move one of each pair, then run `alembic upgrade head` again."
    )
    assert _revision(engine) == BEFORE

    with rows.committed(engine) as session:
        session.execute(update(Event).where(Event.id == second).values(status="cancelled"))
    upgrade(empty_db_url)
    assert _revision(engine) != BEFORE
    assert REFUSED in str(_refusal(engine, venue_id))
    with Session(engine) as session:
        assert session.scalars(select(Event.title).order_by(Event.id)).all() == [
            "A",
            "B",
            "C",
            "Show",
        ]
