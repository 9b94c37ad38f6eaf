"""Fixtures: every database is built by `alembic upgrade head`, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.app import create_app
from admin_app.db import build_engine
from admin_app.settings import Settings, load_settings
from tests.browser import (
    CHROMIUM_ARGS,
    LiveServer,
    require_chromium,
    run_admin,
    running_server,
)
from tests.support import CHROMIUM, fresh_database, upgrade

if TYPE_CHECKING:
    from playwright.sync_api import Page

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session", params=DATABASES)
def db_kind(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on: every database test runs on both."""
    return str(request.param)


@pytest.fixture(scope="session")
def db_url(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per session and kind."""
    with fresh_database(db_kind, tmp_path_factory.mktemp(db_kind)) as url:
        upgrade(url)
        yield url


@pytest.fixture
def empty_db_url(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database, for migration tests."""
    with fresh_database(db_kind, tmp_path) as url:
        yield url


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Development settings pointing at ``database_url``."""
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key-" + "x" * 32}
    env.update({key.upper(): str(value) for key, value in overrides.items()})
    return load_settings(env)


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings for an app on the shared test database."""
    return make_settings(db_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the shared test database; rows are cleared after each test."""
    from tests.support import clear_tables

    engine = build_engine(settings)
    yield engine
    clear_tables(engine)
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back: commits inside it become savepoints."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A TestClient on a real app (lifespan included) over the shared test database."""
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


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
