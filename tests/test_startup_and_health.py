"""Start-up guard and /healthz: at head serve, behind refuse, ahead warn and serve, DB away 503."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import outbox
from admin_app.app import SchemaBehindError, create_app
from admin_app.schema_guard import code_heads
from admin_app.settings import Settings, load_settings
from models import OutboxMessage
from tests.browser import get, run_admin, running_server
from tests.support import free_port, upgrade

AppFor = Callable[[str], Starlette]
EngineFor = Callable[[str], Engine]
OLDER_REVISION = "e2c7d1f8a905"
UNKNOWN_REVISION = "ffff0000dead"
# Nothing listens on port 1: the connection is refused at once.
UNREACHABLE_URL = "postgresql://postgres@127.0.0.1:1/nowhere"


def _settings(database_url: str) -> Settings:
    return load_settings({"DATABASE_URL": database_url, "SECRET_KEY": "health-" + "s" * 40})


@pytest.fixture
def app_for() -> Iterator[AppFor]:
    """Build apps on any database URL; their engines are disposed afterwards."""
    apps: list[Starlette] = []

    def build(database_url: str) -> Starlette:
        app = create_app(_settings(database_url))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.state.engine.dispose()


def _healthz_without_lifespan(app: Starlette) -> tuple[int, dict[str, object]]:
    # The client is not entered as a context manager, so the lifespan (and its start-up
    # refusal) does not run: this is a monitor probing a process that is already up.
    client = TestClient(app, base_url="http://testserver")
    try:
        response = client.get("/healthz")
    finally:
        client.close()
    return response.status_code, response.json()


def _set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


# -- in process ------------------------------------------------------------------------


def test_home_redirects_to_the_console(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/"


def test_healthz_at_head(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "reachable",
        "current": list(code_heads()),
        "head": list(code_heads()),
        "outbox_oldest_due_seconds": 0.0,
    }


def test_healthz_reports_how_long_the_oldest_due_message_has_waited(
    client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session, session.begin():
        outbox.enqueue(
            session, key="k", kind="event_confirmed", recipients=["a@b.example"],
            subject="Confirmed", text="Confirmed.",
        )  # fmt: skip
        session.execute(
            update(OutboxMessage).values(next_attempt_at=datetime.now(UTC) - timedelta(minutes=10))
        )

    body = client.get("/healthz").json()

    assert body["status"] == "ok"
    assert 595 <= body["outbox_oldest_due_seconds"] <= 700


@pytest.mark.parametrize("revision", [OLDER_REVISION, None], ids=["older", "empty"])
def test_healthz_behind_is_503_and_says_what_to_do(
    empty_db_url: str, app_for: AppFor, revision: str | None
) -> None:
    if revision is not None:
        upgrade(empty_db_url, revision)
    status, body = _healthz_without_lifespan(app_for(empty_db_url))
    assert status == 503
    assert body["status"] == "behind"
    assert body["database"] == "reachable"
    assert body["current"] == ([revision] if revision else [])
    assert body["head"] == list(code_heads())
    assert "alembic upgrade head" in str(body["reason"])


def test_app_refuses_to_start_when_behind(
    empty_db_url: str, app_for: AppFor, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade(empty_db_url, OLDER_REVISION)
    app = app_for(empty_db_url)
    caplog.set_level(logging.INFO, logger="admin_app")
    with pytest.raises(SchemaBehindError, match="alembic upgrade head"), TestClient(app):
        pytest.fail("the app served a request although the database is behind")
    refusals = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(refusals) == 1
    assert "refusing to start" in refusals[0].getMessage()
    assert "alembic upgrade head" in refusals[0].getMessage()
    assert OLDER_REVISION in refusals[0].getMessage()


def test_app_ahead_of_the_code_warns_and_serves(
    empty_db_url: str,
    app_for: AppFor,
    engine_for: EngineFor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # What a rollback leaves behind: a newer release migrated, this code does not know it.
    upgrade(empty_db_url)
    _set_revision(engine_for(empty_db_url), UNKNOWN_REVISION)
    caplog.set_level(logging.INFO, logger="admin_app")

    with TestClient(app_for(empty_db_url)) as client:
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "ahead" in warnings[0].getMessage()
        assert UNKNOWN_REVISION in warnings[0].getMessage()
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

        # It serves: the console's sign-in page answers.
        assert client.get("/admin/login").status_code == 200
        health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "ahead"
    assert health.json()["current"] == [UNKNOWN_REVISION]
    assert health.json()["head"] == list(code_heads())


def test_healthz_when_the_database_is_unreachable(
    app_for: AppFor, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = _healthz_without_lifespan(app_for(UNREACHABLE_URL))
    assert status == 503
    assert body["database"] == "unreachable"
    assert body["status"] == "unavailable"
    # The reason is generic: no host names or driver messages leak to whoever probes.
    assert "127.0.0.1" not in json.dumps(body)
    assert any("unreachable" in r.getMessage() for r in caplog.records)


# -- the real process ------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("revision", [OLDER_REVISION, "base"], ids=["older", "empty"])
def test_serve_exits_when_behind(empty_db_url: str, revision: str) -> None:
    if revision != "base":
        upgrade(empty_db_url, revision)
    result = run_admin("serve", "--port", str(free_port()), database_url=empty_db_url, timeout=30)
    assert result.returncode != 0
    assert "alembic upgrade head" in result.stderr
    assert "Uvicorn running" not in result.stderr + result.stdout


@pytest.mark.e2e
def test_serve_at_head_answers_healthz(db_url: str, tmp_path: Path) -> None:
    with running_server(db_url, tmp_path) as server:
        status, body = get(server.url + "/healthz")
        assert status == 200
        assert json.loads(body)["status"] == "ok"
        status, _ = get(server.url + "/admin/login")
        assert status == 200
        assert server.process.poll() is None
    assert server.process.poll() is not None, "the server outlived its test"
