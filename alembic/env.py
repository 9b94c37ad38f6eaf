"""Alembic environment: runs migrations online (a connection) or offline (``--sql``).

The URL comes from ``admin_app.settings`` (``DATABASE_URL``, always the direct one: never
``DATABASE_CONNECTION_POOL_URL``, since the session ``SET``s below and concurrent index
builds do not survive a transaction pooler), or tests hand in an open connection through
``config.attributes["connection"]``.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, pool

from admin_app.db import ensure_sqlite_directory
from admin_app.settings import migration_database_url_from_env, migration_timeouts
from models import Base
from models.dialects import include_object_for

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    # Keep loggers configured by the caller (pytest's caplog, the app) working.
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
logger = logging.getLogger("alembic.env")


def _url() -> str:
    return str(config.attributes.get("database_url") or migration_database_url_from_env())


def _set_timeouts_if_postgresql(dialect_name: str) -> None:
    # Session-level SET (not LOCAL) so they hold for every per-migration transaction;
    # emitted through the context so they also appear in `--sql` output.
    if dialect_name == "postgresql":
        timeouts = migration_timeouts()
        context.execute(f"SET lock_timeout = '{timeouts.lock_timeout}'")
        context.execute(f"SET statement_timeout = '{timeouts.statement_timeout}'")


def run_migrations_offline() -> None:
    """Render the SQL instead of running it (``alembic upgrade head --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        _set_timeouts_if_postgresql(context.get_context().dialect.name)
        context.run_migrations()


def _upgrading_a_database_ahead_of_the_code(connection: Connection) -> bool:
    """True when `alembic upgrade` meets a revision newer than this code knows.

    A Heroku-style rollback re-runs the *previous* release's `alembic upgrade head` against
    a database the newer release already migrated. Alembic would stop with "Can't locate
    revision" and the rollback would not deploy; expand/contract keeps the old code working
    on the newer schema, so there is nothing to upgrade and nothing to fail.
    """
    # Only the `alembic upgrade` command line (the release phase) is concerned; stamp,
    # downgrade and programmatic calls keep Alembic's own behaviour.
    command_line = config.cmd_opts
    command = getattr(command_line, "cmd", None)
    if not command or getattr(command[0], "__name__", "") != "upgrade":
        return False
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    began_here = not connection.in_transaction()
    current = MigrationContext.configure(connection).get_current_heads()
    if began_here:
        # Reading autobegan a transaction; left open, Alembic would take it for the
        # caller's and never commit the migrations it runs next.
        connection.rollback()
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        logger.warning(
            "database is at %s, newer than this code's migrations: nothing to upgrade "
            "(expected after a rollback)",
            ", ".join(unknown),
        )
    return bool(unknown)


def _run_with(connection: Connection) -> None:
    if _upgrading_a_database_ahead_of_the_code(connection):
        return
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # PostgreSQL-only indexes (pg_trgm) are not missing on SQLite.
        include_object=include_object_for(connection.dialect.name),
        # Each migration commits on its own: a failure leaves the database at the last
        # good revision, and concurrent index builds can step out of the transaction.
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        _set_timeouts_if_postgresql(connection.dialect.name)
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    # NullPool: a migration run is one short-lived process; nothing to keep warm.
    url = _url()
    ensure_sqlite_directory(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run_with(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
