"""The one engine and the session factories of an app instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, false, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from admin_app.settings import Settings
from models import AuditEntry


def build_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` with production-minded pool settings."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url.database)
    return create_engine(
        url,
        # Five warm connections per process, five more under bursts: with WEB_CONCURRENCY=2
        # and a few dynos this stays far below a managed PostgreSQL's connection limit.
        pool_size=5,
        max_overflow=5,
        # Wait at most 5 s for a free pooled connection, then fail the request (503).
        pool_timeout=5,
        # Test each connection on checkout: after a database restart or a terminated
        # backend the stale connection is replaced instead of failing the request.
        pool_pre_ping=True,
        # Recycle before typical server/proxy idle cut-offs.
        pool_recycle=1800,
        # Error messages and SQL logs leave out the statement's values: they include
        # password hashes and people's data, and SQLAdmin logs every refused save.
        hide_parameters=True,
        connect_args=_postgresql_connect_args(settings),
    )


def _postgresql_connect_args(settings: Settings) -> dict[str, Any]:
    args: dict[str, Any] = {
        "connect_timeout": 5,  # a database that is away fails fast (503), not in minutes
        # Shows who is connected in pg_stat_activity. A startup parameter, not a session
        # SET: PgBouncer tracks it per client and sets it on each server connection it lends.
        "application_name": "band-admin",
    }
    if settings.database_pooler == "transaction":
        # psycopg prepares a statement on the server after its 5th run on a connection; the
        # next transaction may get another server connection (prepared statement "_pg3_0"
        # does not exist) or one another client prepared "_pg3_0" on (already exists).
        # PgBouncer < 1.21 cannot track them. Session SETs and session advisory locks are
        # not used anywhere (SET LOCAL, pg_advisory_xact_lock), so this is the only switch.
        args["prepare_threshold"] = None
    return args


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder of a SQLite file so a fresh clone needs no manual step."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(database: str | None) -> Engine:
    ensure_sqlite_directory(f"sqlite:///{database or ':memory:'}")
    engine = create_engine(
        f"sqlite:///{database or ':memory:'}",
        # Starlette runs sync work in a thread pool; the connection pool hands each
        # connection to one thread at a time, so SQLite's same-thread check only gets in the way.
        connect_args={"check_same_thread": False, "timeout": 15},
        hide_parameters=True,  # as for PostgreSQL: no values in error messages or logs
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection; WAL lets readers and the
    # writer work at the same time.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def build_sessionmaker(
    engine: Engine, *, public_base_url: str | None = None
) -> sessionmaker[Session]:
    """Session factory for the app's own code (CLI, shell pages, booking rules).

    Each session carries the console's public address (``PUBLIC_BASE_URL``) in its
    ``info``: notifications written in a decision's transaction link to it, wherever the
    decision was taken (a request, the CLI, the worker).
    """
    return sessionmaker(
        bind=engine, expire_on_commit=False, info={PUBLIC_BASE_URL_KEY: public_base_url}
    )


PUBLIC_BASE_URL_KEY = "public_base_url"


def lock_writes_on_sqlite(session: Session) -> None:
    """On SQLite, take the database's single writer lock now, before reading anything.

    A read-check-write on SQLite would otherwise read under a snapshot that a colleague's
    commit makes stale, and the write then fails at once with "database is locked". A
    write that matches no row makes pysqlite BEGIN and SQLite grant the writer lock; a
    competing writer waits (the busy timeout) and then reads our commit. PostgreSQL uses
    row locks instead, so this does nothing there.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(AuditEntry).where(false()).values(id=AuditEntry.id))
