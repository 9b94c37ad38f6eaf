"""The Alembic history: one head, up and down on both databases, models match, data survives."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, bindparam, inspect, select, text

from admin_app.schema_guard import alembic_config
from models import Band, Base, Event, EventApplication, User, Venue
from models.dialects import include_object_for
from models.events import EVENT_NO_OVERLAP_CONSTRAINT
from models.types import UTCDateTime
from tests.support import ROOT, downgrade, upgrade

EngineFor = Callable[[str], Engine]
POSTGRES_ONLY = pytest.mark.parametrize(
    "db_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
MODEL_TABLES = {table.name for table in Base.metadata.sorted_tables}


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _current(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def _revisions_base_to_head() -> list[str]:
    return [rev.revision for rev in reversed(list(_script().walk_revisions()))]


def test_single_head() -> None:
    heads = _script().get_heads()
    assert len(heads) == 1, f"divergent migration heads, merge them: {heads}"


def test_history_is_linear_from_one_base() -> None:
    script = _script()
    assert len(script.get_bases()) == 1
    revisions = _revisions_base_to_head()
    assert len(revisions) == len(set(revisions))
    assert revisions[-1] == script.get_current_head()


def test_revision_files_are_named_after_their_revision() -> None:
    for rev in _script().walk_revisions():
        assert rev.path is not None
        assert Path(rev.path).name.startswith(f"{rev.revision}_"), rev.path


def test_upgrade_base_to_head(empty_db_url: str, engine_for: EngineFor) -> None:
    upgrade(empty_db_url)
    engine = engine_for(empty_db_url)
    assert _current(engine) == (_script().get_current_head(),)
    assert _tables(engine) == MODEL_TABLES | {"alembic_version"}


def test_head_to_base_to_head(empty_db_url: str, engine_for: EngineFor) -> None:
    engine = engine_for(empty_db_url)
    upgrade(empty_db_url)
    downgrade(empty_db_url, "base")
    assert _current(engine) == ()
    assert _tables(engine) <= {"alembic_version"}, "downgrade base left tables behind"
    upgrade(empty_db_url)
    assert _current(engine) == (_script().get_current_head(),)
    assert _tables(engine) == MODEL_TABLES | {"alembic_version"}


def test_every_step_downgrades_and_upgrades_again(empty_db_url: str, engine_for: EngineFor) -> None:
    engine = engine_for(empty_db_url)
    for revision in _revisions_base_to_head():
        upgrade(empty_db_url, revision)
        tables_at_revision = _tables(engine)
        downgrade(empty_db_url, "-1")
        upgrade(empty_db_url, revision)
        assert _current(engine) == (revision,)
        assert _tables(engine) == tables_at_revision, f"{revision} down/up changed the tables"


def test_models_match_migrations(empty_db_url: str, engine_for: EngineFor) -> None:
    upgrade(empty_db_url)
    with engine_for(empty_db_url).connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "target_metadata": Base.metadata,
                "include_object": include_object_for(connection.dialect.name),
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


@POSTGRES_ONLY
def test_exclusion_constraint_exists_on_postgresql(
    empty_db_url: str, engine_for: EngineFor
) -> None:
    # Autogenerate cannot see EXCLUDE constraints, so compare_metadata above is blind to it.
    upgrade(empty_db_url)
    with engine_for(empty_db_url).connect() as connection:
        kind = connection.scalar(
            text("SELECT contype FROM pg_constraint WHERE conname = :name"),
            {"name": EVENT_NO_OVERLAP_CONSTRAINT},
        )
    assert kind == "x"


@pytest.mark.e2e
def test_offline_sql_renders_postgresql() -> None:
    alembic_bin = Path(sys.executable).parent / "alembic"
    env = {**os.environ, "DATABASE_URL": "postgresql://x@localhost/x"}
    result = subprocess.run(
        [str(alembic_bin), "upgrade", "head", "--sql"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    sql = result.stdout
    assert "CREATE TABLE events" in sql
    assert f"ADD CONSTRAINT {EVENT_NO_OVERLAP_CONSTRAINT}" in sql
    assert "EXCLUDE USING gist" in sql
    assert "CREATE EXTENSION IF NOT EXISTS btree_gist" in sql
    assert "SET lock_timeout = '5s'" in sql
    assert "SET statement_timeout = '15min'" in sql
    # PostgreSQL DDL, not SQLite's: identity columns and timestamptz.
    assert "GENERATED BY DEFAULT AS IDENTITY" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql
    # The timeouts come before the first DDL so every migration runs under them.
    assert sql.index("SET lock_timeout") < sql.index("CREATE TABLE")
    head = _script().get_current_head()
    assert head is not None
    assert f"UPDATE alembic_version SET version_num='{head}'" in sql


def test_rows_from_older_revisions_survive_upgrade(
    empty_db_url: str, engine_for: EngineFor
) -> None:
    engine = engine_for(empty_db_url)
    when = bindparam("when", type_=UTCDateTime())
    until = bindparam("until", type_=UTCDateTime())
    starts = datetime(2027, 3, 5, 19, 0, tzinfo=UTC)
    ends = datetime(2027, 3, 5, 23, 0, tzinfo=UTC)

    upgrade(empty_db_url, "8d3e5b2c1a47")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (email, full_name) VALUES ('old@example.com', 'Old Timer')")
        )
        connection.execute(text("INSERT INTO bands (name, genre) VALUES ('Early Birds', 'ska')"))
        connection.execute(
            text(
                "INSERT INTO band_availabilities (band_id, date, status) "
                "SELECT id, '2027-03-05', 'unavailable' FROM bands"
            )
        )

    upgrade(empty_db_url, "b6a9f0d4e231")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO venues (name, city, timezone, capacity) "
                "VALUES ('Old Hall', 'Berlin', 'Europe/Berlin', 200)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO events (venue_id, title, starts_at, ends_at, status) "
                "SELECT id, 'Old Show', :when, :until, 'confirmed' FROM venues"
            ).bindparams(when, until),
            {"when": starts, "until": ends},
        )
        # A hold without a rank, as the first hold-rank CHECK let through; a later
        # migration repairs it.
        connection.execute(
            text(
                "INSERT INTO events (venue_id, title, starts_at, ends_at, status) "
                "SELECT id, 'Old Hold', :when, :until, 'hold' FROM venues"
            ).bindparams(when, until),
            {"when": starts, "until": ends},
        )
        # Applications point at events: rebuilding the events table (SQLite batch mode)
        # must not cascade-delete them.
        connection.execute(
            text(
                "INSERT INTO event_applications (event_id, band_id, status) "
                "SELECT events.id, bands.id, 'pending' FROM events, bands "
                "WHERE events.title = 'Old Show'"
            )
        )

    upgrade(empty_db_url)
    with engine.connect() as connection:
        user = connection.execute(select(User.email, User.is_active, User.session_version)).one()
        band = connection.execute(select(Band.name, Band.genre)).one()
        venue = connection.execute(select(Venue.name, Venue.timezone)).one()
        event = connection.execute(
            select(Event.title, Event.starts_at, Event.ends_at).where(Event.title == "Old Show")
        ).one()
        hold_rank = connection.scalar(select(Event.hold_rank).where(Event.title == "Old Hold"))
        application = connection.execute(
            select(Event.title, Band.name, EventApplication.status)
            .join(EventApplication.event)
            .join(EventApplication.band)
        ).one()
        availability = connection.scalar(text("SELECT count(*) FROM band_availabilities"))
    # Server defaults of the first migration filled what the old insert left out.
    assert tuple(user) == ("old@example.com", True, 1)
    assert tuple(band) == ("Early Birds", "ska")
    assert tuple(venue) == ("Old Hall", "Europe/Berlin")
    assert tuple(event) == ("Old Show", starts, ends)
    assert availability == 1
    assert hold_rank == 1
    assert tuple(application) == ("Old Show", "Early Birds", "pending")


def _python_files() -> list[Path]:
    skip = {".venv", "var", ".git", "node_modules", "test-artifacts"}
    return [
        path
        for path in ROOT.rglob("*.py")
        if not skip.intersection(path.relative_to(ROOT).parts)
        and "versions" not in path.relative_to(ROOT).parts
    ]


def test_nothing_outside_migrations_creates_tables_from_models() -> None:
    # Split so this file does not find itself.
    needle = "create" + "_all("
    files = _python_files()
    assert any(path.name == "app.py" for path in files)  # the scan does look at the app
    offenders = [
        str(path.relative_to(ROOT)) for path in files if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], f"only Alembic may create tables; found {needle} in {offenders}"
