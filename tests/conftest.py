"""Fixtures: every database is built by `alembic upgrade head`, on SQLite and PostgreSQL.

What each test pays for (see STYLE.md 18):

* databases: one per kind and per xdist worker, migrated once (``db_url``);
* the app: built once per database (``app``); each test gets a fresh browser on it
  (``client``: its own cookies), so nothing of one test's sign-in reaches the next;
* rows: ``db_session`` tests run in one transaction that is rolled back; tests that commit
  (through the app, or ``engine``) get the tables emptied afterwards, and only when
  something is actually there;
* passwords: hashed with argon2's cheapest parameters (``PASSWORD_HASHING=fast``), set
  here for this process and every subprocess it starts; tests of hashing itself ask for
  the production parameters explicitly.
"""

from __future__ import annotations

import os

# Before any settings are read; subprocesses (CLI, servers) inherit it.
os.environ["PASSWORD_HASHING"] = "fast"

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import passwords
from admin_app.app import create_app
from admin_app.db import build_engine
from admin_app.settings import Settings
from tests.browser import (
    CHROMIUM_ARGS,
    LiveServer,
    require_chromium,
    run_admin,
    running_server,
)
from tests.support import (
    CHROMIUM,
    clear_tables,
    fresh_database,
    make_settings,
    upgrade,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(autouse=True)
def _fast_hashing() -> Iterator[None]:
    """Every test starts with cheap hashing, whatever an app built by the last one chose."""
    passwords.use_profile("fast")
    yield
    passwords.use_profile("fast")


@pytest.fixture(scope="session", params=DATABASES)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on: every database test runs on both."""
    return str(request.param)


@pytest.fixture(scope="session")
def db_url(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per session (and xdist worker) and kind."""
    with fresh_database(db_kind, tmp_path_factory.mktemp(db_kind)) as url:
        upgrade(url)
        yield url


@pytest.fixture
def empty_db_url(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database, for migration tests."""
    with fresh_database(db_kind, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def shared_settings(db_url: str) -> Settings:
    """Settings of the shared app on the shared test database."""
    return make_settings(db_url)


@pytest.fixture
def settings(shared_settings: Settings) -> Settings:
    """Settings for an app on the shared test database."""
    return shared_settings


@pytest.fixture(scope="session")
def shared_engine(shared_settings: Settings) -> Iterator[Engine]:
    """One engine per test database for the tests' own reads and writes."""
    engine = build_engine(shared_settings)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(shared_engine: Engine) -> Iterator[Engine]:
    """The shared engine, for tests that commit: tables are emptied afterwards."""
    yield shared_engine
    clear_tables(shared_engine)


@pytest.fixture
def db_session(shared_engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back: commits inside it become savepoints."""
    with shared_engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()
    # Nothing should have reached the tables; if a code path committed for real after all,
    # the next test must still start empty.
    clear_tables(shared_engine)


@pytest.fixture(scope="session")
def app(shared_settings: Settings) -> Iterator[Starlette]:
    """The app on the shared test database, built and started (lifespan) once."""
    application = create_app(shared_settings)
    with TestClient(application):
        yield application


@pytest.fixture
def client(app: Starlette, engine: Engine) -> Iterator[TestClient]:
    """A fresh browser (no cookies) on the shared app; rows are cleared afterwards.

    Not entered as a context manager: the app's lifespan ran once (``app``), and running
    it per test would dispose of the app's connection pool after every test.
    """
    test_client = TestClient(app, base_url="http://testserver")
    yield test_client
    test_client.close()


@pytest.fixture
def engine_for() -> Iterator[Callable[[str], Engine]]:
    """Open engines on any test database URL (app pool settings); all disposed afterwards."""
    engines: list[Engine] = []

    def open_engine(database_url: str) -> Engine:
        engine = build_engine(make_settings(database_url))
        engines.append(engine)
        return engine

    yield open_engine
    for engine in engines:
        engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real server (``python -m admin_app serve``) on a free port over a fresh, migrated,
    demo-seeded SQLite database; stopped afterwards."""
    database_url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade(database_url)
    seeded = run_admin("seed-demo", database_url=database_url)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    with running_server(database_url, tmp_path) as server:
        yield server


@pytest.fixture
def browser_page() -> Iterator[Page]:
    """A page in a fresh headless Chromium (Debian's /usr/bin/chromium); closed afterwards."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Started and stopped per test: the sync API runs its own event loop in this thread,
    # and keeping it alive across tests could collide with other tests' loops.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
        finally:
            browser.close()
