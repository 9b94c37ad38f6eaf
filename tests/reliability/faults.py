"""Faults injected into a real PostgreSQL server: terminated backends, refused connections,
a stopped cluster. Every helper undoes what it did, even when the test fails.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

from tests.support import pg_admin_url, pg_reachable, unavailable

CLUSTER = ("15", "main")
PG_CTLCLUSTER = "pg_ctlcluster"
COME_BACK_TIMEOUT = 60.0  # seconds for a restarted server to accept connections again


def terminate_backends(database_url: str) -> int:
    """Terminate every other connection to ``database_url``'s database; how many there were."""
    engine = create_engine(database_url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()
    return sum(1 for (done,) in rows if done)


def terminate_lock_waiters(database_url: str, timeout: float = 10.0) -> int:
    """Wait until a connection of the app (``band-admin``) waits on a lock; terminate it."""
    name = make_url(database_url).database
    engine = create_engine(database_url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + timeout
    try:
        with engine.connect() as connection:
            while time.monotonic() < deadline:
                killed = connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND application_name = 'band-admin' "
                        "AND wait_event_type = 'Lock'"
                    ),
                    {"name": name},
                )
                if killed:
                    return int(killed)
                time.sleep(0.02)
    finally:
        engine.dispose()
    raise AssertionError(f"no app connection waited on a lock within {timeout:.0f} s")


def _as_admin(statement: str, **params: object) -> None:
    engine = create_engine(pg_admin_url(), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


@contextmanager
def database_away(database_url: str) -> Iterator[None]:
    """While the block runs, ``database_url``'s database refuses every connection.

    Only this one database goes away (other databases on the server, and other
    engineers' tests, are untouched): new connections are refused and the open ones are
    terminated, as after a failover.
    """
    name = make_url(database_url).database
    _as_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    try:
        _as_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name",
            name=name,
        )
        yield
    finally:
        _as_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def require_cluster_control() -> None:
    """Skip (fail under CI=true) when this machine cannot stop and start the cluster."""
    if shutil.which(PG_CTLCLUSTER) is None:
        unavailable("pg_ctlcluster is not installed: cannot restart PostgreSQL")
    if not pg_reachable(pg_admin_url()):
        unavailable("PostgreSQL is not reachable")


def _cluster(action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PG_CTLCLUSTER, "--skip-systemctl-redirect", *CLUSTER, action],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_for_postgres(timeout: float = COME_BACK_TIMEOUT) -> float:
    """Block until PostgreSQL accepts connections again; seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if pg_reachable(pg_admin_url()):
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"PostgreSQL did not come back within {timeout:.0f} s")


@contextmanager
def postgres_stopped() -> Iterator[None]:
    """Stop the whole cluster for the block's duration, then start it and wait for it.

    Disruptive: every connection to the server (other engineers' too) is cut. Keep the
    block short; it always starts the server again, even when the block fails.
    """
    stopped = _cluster("stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    try:
        yield
    finally:
        started = _cluster("start")
        if started.returncode != 0 and "already running" not in started.stderr:
            raise AssertionError(started.stdout + started.stderr)
        wait_for_postgres()
