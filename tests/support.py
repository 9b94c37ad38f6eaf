"""Helpers shared by the tests: building databases with the real migrations."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from admin_app.schema_guard import alembic_config
from admin_app.settings import Settings, load_settings, normalize_database_url
from models import Base

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHROMIUM = Path("/usr/bin/chromium")


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI=true, where every part of the suite must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


def pg_admin_url() -> str:
    """A URL of an existing PostgreSQL database used to create and drop throwaway ones."""
    return normalize_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_ADMIN_URL)


def pg_reachable(url: str) -> bool:
    """True when a PostgreSQL server answers at ``url``."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


def create_pg_database(admin_url: str, prefix: str = "bsa_test") -> str:
    """Create an empty throwaway database and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, database_url: str) -> None:
    """Drop a throwaway database, disconnecting whoever is still in it."""
    name = make_url(database_url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def migration_config(database_url: str) -> Config:
    """The project's Alembic config aimed at ``database_url``, leaving logging alone."""
    config = alembic_config()
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """``alembic upgrade`` — the only way test databases get their schema."""
    command.upgrade(migration_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """``alembic downgrade``."""
    command.downgrade(migration_config(database_url), revision)


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Development settings pointing at ``database_url`` (cheap password hashing)."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "PASSWORD_HASHING": "fast",
    }
    env.update({key.upper(): str(value) for key, value in overrides.items()})
    return load_settings(env)


_TABLES = [table.name for table in Base.metadata.sorted_tables]
# One statement: is any row left in any table?
_ANY_ROWS = "SELECT " + " OR ".join(f'EXISTS (SELECT 1 FROM "{name}")' for name in _TABLES)


def clear_tables(engine: Engine) -> None:
    """Delete every row (keeping alembic_version) so the next test starts empty.

    Only when a row is there: a test whose work was rolled back pays one small query.
    DELETE, not TRUNCATE: on tables of a few rows it is several times cheaper on
    PostgreSQL (no new files, no cascade bookkeeping); ids keep counting up.
    """
    with engine.begin() as connection:
        if not connection.execute(text(_ANY_ROWS)).scalar():
            return
        for name in reversed(_TABLES):
            connection.execute(text(f'DELETE FROM "{name}"'))


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of ``kind`` ("sqlite" or "postgresql"), removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    admin_url = pg_admin_url()
    if not pg_reachable(admin_url):
        unavailable(f"PostgreSQL is not reachable at {make_url(admin_url)!r}")
    url = create_pg_database(admin_url)
    try:
        yield url
    finally:
        drop_pg_database(admin_url, url)


# Parametrises a test (and the database fixtures it uses) over PostgreSQL only.
POSTGRES_ONLY = pytest.mark.parametrize(
    "db_kind",
    [pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
    scope="session",
)
