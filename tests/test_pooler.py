"""The console behind a transaction pooler: a real PgBouncer (transaction mode) in front of
the test PostgreSQL, the app on its URL, the database migrated through the direct one.

Through it: sign-in (the throttle's advisory locks), a list page, a save refused as stale,
booking decisions with their row locks, the calendar, the ICS feed, ``/healthz``, and two
web processes under the load test. And the reason for ``DATABASE_POOLER``: without it,
psycopg's automatic prepared statements break behind this pooler.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from psycopg.errors import DuplicatePreparedStatement
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import outbox
from admin_app.app import create_app
from admin_app.db import build_engine, build_sessionmaker
from admin_app.mail import SmtpTransport
from admin_app.settings import (
    Settings,
    SettingsError,
    load_settings,
    migration_database_url_from_env,
)
from admin_app.worker import Worker
from models import Event, EventApplication, OutboxMessage
from tests.auth_support import SAME_ORIGIN, sign_in, sign_in_through_form
from tests.browser import admin_env
from tests.pooler_support import PgBouncer, running_pgbouncer
from tests.reliability.two_process import deployed, drive
from tests.smtp_support import smtp_server
from tests.support import ROOT, clear_tables, fresh_database, make_settings, upgrade
from tests.worlds.three_venues import MANAGER_A, STAFF_A, World, row_state, seed_world


def test_the_pool_url_and_the_pooler_setting_come_from_the_environment() -> None:
    direct, pooled = "postgres://u@db:5432/d", "postgres://u@pooler:6432/d"
    plain = load_settings({"DATABASE_URL": direct})
    assert (plain.database_url, plain.database_pooler) == (
        "postgresql+psycopg://u@db:5432/d",
        "none",
    )
    behind = load_settings({"DATABASE_URL": direct, "DATABASE_CONNECTION_POOL_URL": pooled})
    assert (behind.database_url, behind.database_pooler) == (
        "postgresql+psycopg://u@pooler:6432/d",
        "transaction",
    )
    session_pooler = {"DATABASE_CONNECTION_POOL_URL": pooled, "DATABASE_POOLER": "none"}
    assert load_settings(session_pooler).database_pooler == "none"
    with pytest.raises(SettingsError, match="DATABASE_POOLER must be"):
        load_settings({"DATABASE_POOLER": "statement"})
    # The release phase: always the direct URL, and never a URL said to be pooled.
    env = {"DATABASE_URL": direct, "DATABASE_CONNECTION_POOL_URL": pooled}
    assert migration_database_url_from_env(env) == "postgresql+psycopg://u@db:5432/d"
    with pytest.raises(SettingsError, match="migrations need a direct connection"):
        migration_database_url_from_env({"DATABASE_URL": pooled, "DATABASE_POOLER": "transaction"})


@pytest.fixture(scope="module")
def pgbouncer() -> Iterator[PgBouncer]:
    """One pooler for the module's tests."""
    with running_pgbouncer() as bouncer:
        yield bouncer


@pytest.fixture(scope="module")
def direct_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway database, migrated through the direct URL (as the release phase is)."""
    with fresh_database("postgresql", tmp_path_factory.mktemp("pooler")) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def pooled_settings(pgbouncer: PgBouncer, direct_url: str) -> Settings:
    """Settings as on a host with a pooler: DATABASE_URL direct, the pool URL beside it."""
    return make_settings(direct_url, database_connection_pool_url=pgbouncer.url_for(direct_url))


@pytest.fixture(scope="module")
def pooled_app(pooled_settings: Settings) -> Iterator[Starlette]:
    """The app built on the pooled settings, started once."""
    application = create_app(pooled_settings)
    with TestClient(application):
        yield application


@pytest.fixture
def direct_engine(direct_url: str) -> Iterator[Engine]:
    """The tests' own engine, straight to PostgreSQL; tables emptied afterwards."""
    engine = build_engine(make_settings(direct_url))
    yield engine
    clear_tables(engine)
    engine.dispose()


@pytest.fixture
def world(direct_engine: Engine) -> World:
    """The three-venue world, committed."""
    return seed_world(direct_engine)


def browser(app: Starlette) -> TestClient:
    """A fresh browser (no cookies) on ``app``."""
    return TestClient(app, base_url="http://testserver")


def version_in(page: str) -> str:
    """The version a form (edit or decision) carries."""
    match = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page)
    assert match, "the page carries no version"
    return match.group(1) or match.group(2)


def post(client: TestClient, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data=data, headers=SAME_ORIGIN, follow_redirects=False)


@pytest.mark.postgres
def test_the_pool_url_is_used_with_the_pooler_setting(
    pooled_settings: Settings, pgbouncer: PgBouncer
) -> None:
    assert f":{pgbouncer.port}/" in pooled_settings.database_url
    assert pooled_settings.database_pooler == "transaction"


@pytest.mark.postgres
def test_sign_in_lists_and_a_stale_save_through_the_pooler(
    pooled_app: Starlette, direct_engine: Engine, world: World
) -> None:
    first, second = browser(pooled_app), browser(pooled_app)
    sign_in_through_form(first, STAFF_A)  # the throttle's pg_advisory_xact_lock, argon2
    sign_in(second, MANAGER_A)
    # More than psycopg's prepare threshold (5) of the same statements per connection.
    for _ in range(8):
        listed = first.get("/admin/event/list")
        assert listed.status_code == 200
        assert "Alpha Gig" in listed.text

    pk = world.events["A"]
    url = f"/admin/event/edit/{pk}"
    first_version, second_version = (
        version_in(first.get(url).text),
        version_in(second.get(url).text),
    )
    form = {
        "title": "Alpha Gig",
        "starts_at": "2026-12-10T20:00",
        "ends_at": "2026-12-10T23:00",
        "status": "draft",
        "venue": str(world.venues["A"]),
        "save": "Save",
    }
    saved = post(first, url, form | {"title": "First edit", "version": first_version})
    assert saved.status_code == 302, saved.text[:500]
    refused = second.post(
        url, data=form | {"title": "Second edit", "version": second_version}, headers=SAME_ORIGIN
    )
    assert refused.status_code == 400
    assert f"This event was changed by {STAFF_A} since you opened it." in refused.text
    state = row_state(direct_engine, Event, pk)
    assert state is not None
    assert (state["title"], state["version"]) == ("First edit", 2)


@pytest.mark.postgres
def test_decisions_calendar_feed_and_health_through_the_pooler(
    pooled_app: Starlette, direct_engine: Engine, world: World
) -> None:
    staff = browser(pooled_app)
    sign_in(staff, STAFF_A)
    application, event = world.applications["A"], world.events["A"]

    page = staff.get(f"/admin/event-application/details/{application}").text
    accepted = post(
        staff,
        f"/admin/event-application/decide/{application}",
        {"decision": "accept", "version": version_in(page)},
    )
    assert accepted.status_code == 303, accepted.text[:500]
    page = staff.get(f"/admin/event/details/{event}").text
    confirmed = post(
        staff, f"/admin/event/decide/{event}", {"decision": "confirm", "version": version_in(page)}
    )
    assert confirmed.status_code == 303, confirmed.text[:500]
    assert "Confirmed: Alpha Gig." in staff.get(f"/admin/event/details/{event}").text
    application_state = row_state(direct_engine, EventApplication, application)
    event_state = row_state(direct_engine, Event, event)
    assert application_state is not None
    assert event_state is not None
    assert (application_state["status"], event_state["status"]) == ("accepted", "confirmed")

    venue = world.venues["A"]
    calendar = staff.get(f"/admin/calendar/venue/{venue}?month=2026-12")
    assert calendar.status_code == 200
    assert "Alpha Gig" in calendar.text
    issued = post(staff, f"/admin/calendar/venue/{venue}/feed", {})
    assert issued.status_code == 200, issued.text[:500]
    found = re.search(
        r'value="http://testserver(/feeds/venue/[A-Za-z0-9_-]{43}\.ics)"', issued.text
    )
    assert found, "the new feed URL is shown"
    feed = browser(pooled_app).get(found.group(1))  # a calendar app: no session
    assert feed.status_code == 200
    shows = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert "Alpha Gig" in {str(show["summary"]) for show in shows}

    health = staff.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


def _run_one_statement_repeatedly(engine: Engine) -> None:
    """Two pooled connections each run one statement past psycopg's prepare threshold,
    one transaction at a time: the pooler lends them the same few server connections."""
    with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            for n in range(8):
                assert connection.execute(text("SELECT :n + 1"), {"n": n}).scalar() == n + 1
                connection.commit()


@pytest.mark.postgres
def test_without_the_setting_prepared_statements_break_behind_the_pooler(
    pgbouncer: PgBouncer, direct_url: str
) -> None:
    pooled = pgbouncer.url_for(direct_url)
    unprotected = build_engine(
        make_settings(direct_url, database_connection_pool_url=pooled, database_pooler="none")
    )
    protected = build_engine(make_settings(direct_url, database_connection_pool_url=pooled))
    try:
        with pytest.raises(ProgrammingError) as broken:
            _run_one_statement_repeatedly(unprotected)
        assert isinstance(broken.value.orig, DuplicatePreparedStatement)
        _run_one_statement_repeatedly(protected)  # the app's setting: no error
    finally:
        unprotected.dispose()
        protected.dispose()


@pytest.mark.postgres
@pytest.mark.e2e
def test_the_release_phase_refuses_to_migrate_through_the_pooler(
    pgbouncer: PgBouncer, tmp_path: Path
) -> None:
    with fresh_database("postgresql", tmp_path) as direct:
        pooled = pgbouncer.url_for(direct)
        # DATABASE_URL itself through the pooler: refused, nothing migrated.
        refused = _alembic_upgrade(pooled, DATABASE_POOLER="transaction")
        assert refused.returncode != 0
        assert "migrations need a direct connection" in refused.stderr
        # The pool URL beside the direct DATABASE_URL: the release migrates directly.
        done = _alembic_upgrade(direct, DATABASE_CONNECTION_POOL_URL=pooled)
        assert done.returncode == 0, done.stderr
        engine = build_engine(make_settings(direct))
        try:
            with engine.connect() as connection:
                revision = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert revision.scalar()
                assert connection.scalar(select(func.count()).select_from(Event)) == 0
        finally:
            engine.dispose()


def _alembic_upgrade(database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The Procfile's release command, ``alembic upgrade head``, as a process."""
    return subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=admin_env(database_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.postgres
@pytest.mark.e2e
def test_two_processes_under_a_short_load_through_the_pooler(
    pgbouncer: PgBouncer, tmp_path: Path
) -> None:
    def through_the_pooler(database_url: str) -> dict[str, str]:
        return {"DATABASE_CONNECTION_POOL_URL": pgbouncer.url_for(database_url)}

    with deployed(8, tmp_path, through_the_pooler) as deployment:
        drive(deployment, "two-process-load-pooler", sessions=8, seconds=10)
        database = make_url(deployment.servers[0].database_url).database
    # The web processes really connected through the pooler (it logs each client login).
    assert f"login attempt: db={database} " in pgbouncer.output()


@pytest.mark.postgres
def test_two_workers_drain_one_outbox_through_the_pooler(
    pooled_settings: Settings, direct_engine: Engine
) -> None:
    with Session(direct_engine) as session, session.begin():
        for number in range(40):
            outbox.enqueue(
                session, key=f"event:{number}:confirmed", kind="event_confirmed",
                recipients=["ana@band.example"], subject=f"Show {number}", text="Confirmed.",
            )  # fmt: skip
    engines = [build_engine(pooled_settings) for _ in range(2)]
    with smtp_server() as server:
        workers = [
            Worker(
                sessions=build_sessionmaker(engine),
                transport=SmtpTransport.from_url(server.url, timeout=5),
                mail_from="bookings@lantern.example",
                lease=timedelta(minutes=5),
            )
            for engine in engines
        ]
        with ThreadPoolExecutor(max_workers=2) as pool:
            attempted = list(pool.map(lambda worker: worker.drain(), workers))
        received = server.handler.message_ids()
    for engine in engines:
        engine.dispose()

    assert sum(attempted) == 40
    assert len(received) == 40
    assert len(set(received)) == 40  # none sent twice
    with Session(direct_engine) as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert set(statuses) == {"sent"}
