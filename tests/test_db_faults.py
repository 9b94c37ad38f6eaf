"""A database that goes away: 503 "try again" pages, no half-saved rows, recovery by itself.

Faults are real (PostgreSQL terminating backends, refusing connections, a stopped
cluster, a closed port); nothing is mocked. Only the last test stops the whole server,
which cuts everyone's connections: it is marked ``slow`` and runs on request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine, create_engine, pool, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from admin_app.app import create_app
from admin_app.errors import UNAVAILABLE_MESSAGE, is_database_unavailable
from models import AuditEntry, Band
from tests.auth_support import SAME_ORIGIN, post_login
from tests.browser import run_admin, running_server
from tests.console_views_support import delete, post_form, sign_in_superuser
from tests.reliability.faults import (
    database_away,
    postgres_stopped,
    require_cluster_control,
    terminate_backends,
    terminate_lock_waiters,
)
from tests.support import POSTGRES_ONLY, free_port, fresh_database, make_settings, upgrade


def assert_unavailable_page(response: Any) -> None:
    """A readable 503 page with the outage message, never a traceback."""
    assert response.status_code == 503, response.text[:500]
    assert UNAVAILABLE_MESSAGE in response.text
    assert response.headers["retry-after"] == "5"
    assert "Traceback" not in response.text
    assert "psycopg" not in response.text
    assert "SELECT" not in response.text


def bands(engine: Engine) -> list[str]:
    """Names of every band."""
    with Session(engine) as session:
        return list(session.scalars(select(Band.name).order_by(Band.id)))


def band_audit_count(engine: Engine) -> int:
    """Audit entries about bands."""
    with Session(engine) as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "Band"))
        return len(list(rows))


def cut_off_at_the_audit_write(db_url: str, request: Callable[[], Any]) -> Any:
    """Send ``request`` (a save or delete) and cut its connection mid-transaction.

    The row is written (flushed) first; the audit entry, written in the same transaction,
    then waits on a lock this holds, and the waiting connection is terminated there.
    """
    locker = create_engine(db_url, poolclass=pool.NullPool)
    responses: list[Any] = []
    try:
        with locker.connect() as connection:
            connection.execute(text("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE"))
            sending = threading.Thread(target=lambda: responses.append(request()))
            sending.start()
            assert terminate_lock_waiters(db_url) == 1
            connection.rollback()
        sending.join(timeout=30)
    finally:
        locker.dispose()
    (response,) = responses
    return response


@POSTGRES_ONLY
def test_terminated_connections_are_replaced_before_the_next_request(
    client: TestClient, engine: Engine, db_url: str
) -> None:
    sign_in_superuser(client, engine)
    assert client.get("/admin/band/list").status_code == 200

    killed = terminate_backends(db_url)

    assert killed >= 1  # the app's pooled connections were among them
    # pool_pre_ping notices the dead connections and opens new ones: no error shown.
    assert client.get("/admin/band/list").status_code == 200
    created = post_form(client, "/admin/band/create", {"name": "After the cut", "genre": ""})
    assert created.status_code == 302, created.text
    assert bands(engine) == ["After the cut"]
    assert client.get("/healthz").status_code == 200


@POSTGRES_ONLY
def test_every_page_answers_503_while_the_database_is_away_then_recovers(
    client: TestClient, engine: Engine, db_url: str
) -> None:
    sign_in_superuser(client, engine)
    assert client.get("/admin/band/list").status_code == 200

    with database_away(db_url):
        for path in ("/admin/", "/admin/band/list", "/admin/user/create", "/admin/band/edit/1"):
            assert_unavailable_page(client.get(path))
        created = post_form(client, "/admin/band/create", {"name": "Lost", "genre": ""})
        assert_unavailable_page(created)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"] == "unreachable"

    # The same app, not restarted, serves again.
    assert client.get("/admin/band/list").status_code == 200
    assert bands(engine) == []
    assert client.get("/healthz").status_code == 200


@POSTGRES_ONLY
def test_sign_in_while_the_database_is_away_answers_503(
    client: TestClient, engine: Engine, db_url: str
) -> None:
    with database_away(db_url):
        assert client.get("/admin/login").status_code == 200  # the form needs no database
        response = post_login(client, "ops@example.com", "whatever it is")
        assert_unavailable_page(response)
        assert "band_admin_session" not in response.headers.get("set-cookie", "")


def test_an_app_whose_database_port_is_closed_answers_503() -> None:
    settings = make_settings(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    app = create_app(settings)

    async def shell_probe(request: Request) -> Response:
        with request.app.state.sessions() as session:
            session.execute(text("SELECT 1"))
        return PlainTextResponse("reached")

    app.router.routes.append(Route("/probe", shell_probe))
    # No lifespan on purpose: its schema check refuses to start without a database, which
    # is the start-up behaviour; this test is about a database lost after start-up.
    client = TestClient(app, base_url="http://testserver")
    try:
        login = client.post(
            "/admin/login",
            data={"username": "a@example.com", "password": "x" * 12},
            headers=SAME_ORIGIN,
        )
        assert_unavailable_page(login)
        assert client.get("/healthz").status_code == 503
        # Shell pages (outside SQLAdmin) get the same answer: HTML for a browser, text else.
        assert_unavailable_page(client.get("/probe", headers={"Accept": "text/html"}))
        plain = client.get("/probe", headers={"Accept": "text/calendar"})
        assert plain.status_code == 503
        assert plain.text == UNAVAILABLE_MESSAGE
    finally:
        client.close()
        app.state.engine.dispose()


@POSTGRES_ONLY
def test_a_save_cut_off_mid_transaction_leaves_nothing_behind(
    client: TestClient, engine: Engine, db_url: str
) -> None:
    sign_in_superuser(client, engine)
    response = cut_off_at_the_audit_write(
        db_url, partial(post_form, client, "/admin/band/create", {"name": "Half", "genre": ""})
    )
    assert_unavailable_page(response)
    assert "Logout" in response.text  # signed in: the page keeps the console's layout
    assert bands(engine) == []
    assert band_audit_count(engine) == 0
    # And the next try goes through, whole.
    retried = post_form(client, "/admin/band/create", {"name": "Whole", "genre": ""})
    assert retried.status_code == 302, retried.text
    assert bands(engine) == ["Whole"]
    assert band_audit_count(engine) == 1


@POSTGRES_ONLY
def test_only_retryable_database_errors_count_as_unavailable(engine: Engine) -> None:
    def error_of(statement: str) -> DBAPIError:
        with engine.connect() as connection:
            try:
                connection.execute(text(statement))
            except DBAPIError as exc:
                return exc
        raise AssertionError(f"{statement} did not fail")

    # statement_timeout cancels the query (57014): try again later.
    assert is_database_unavailable(
        error_of("SET LOCAL statement_timeout = '10ms'; SELECT pg_sleep(1)")
    )
    # Refused values and broken SQL are not outages: retrying never helps.
    assert not is_database_unavailable(error_of("SELECT 1 / 0"))
    assert not is_database_unavailable(error_of("SELECT * FROM no_such_table"))
    # A program limit (54000, ProgramLimitExceeded) is an OperationalError, yet final.
    limit = error_of("SELECT array_fill(1, ARRAY[1000000000])")
    assert isinstance(limit, OperationalError)
    assert not is_database_unavailable(limit)


# --- a real server through a real PostgreSQL restart -------------------------------------


@pytest.fixture
def pg_database(tmp_path: Any) -> Iterator[str]:
    """A fresh PostgreSQL database migrated to head."""
    with fresh_database("postgresql", tmp_path) as url:
        upgrade(url)
        yield url


@pytest.mark.slow
@pytest.mark.postgres
def test_live_server_rides_out_a_postgresql_restart(pg_database: str, tmp_path: Any) -> None:
    require_cluster_control()
    password = "restart drill " + "p" * 12
    created = run_admin(
        "create-user",
        "ops@example.com",
        "--superuser",
        "--password-stdin",
        database_url=pg_database,
        stdin=password + "\n",
    )
    assert created.returncode == 0, created.stdout + created.stderr

    with running_server(pg_database, tmp_path) as server:
        headers = {"Origin": server.url}
        with httpx2.Client(base_url=server.url, timeout=15, headers=headers) as browser:
            login = browser.post(
                "/admin/login", data={"username": "ops@example.com", "password": password}
            )
            assert login.status_code == 302, login.text
            saved = browser.post(
                "/admin/band/create", data={"name": "Before the restart", "save": "Save"}
            )
            assert saved.status_code == 302, saved.text  # acknowledged

            during: list[int] = []
            with postgres_stopped():
                for path in ("/admin/band/list", "/admin/band/list", "/healthz"):
                    during.append(browser.get(path).status_code)
                lost = browser.post("/admin/band/create", data={"name": "Lost", "save": "Save"})
                during.append(lost.status_code)
                assert UNAVAILABLE_MESSAGE in lost.text
            # Back up; the server was never restarted. Requests while it warms up may
            # still be refused (503), never failed (500).
            deadline = time.monotonic() + 30
            after = browser.get("/admin/band/list")
            while after.status_code != 200 and time.monotonic() < deadline:
                during.append(after.status_code)
                time.sleep(0.2)
                after = browser.get("/admin/band/list")

            assert set(during) == {503}, during
            assert after.status_code == 200, after.text[:500]
            assert "Before the restart" in after.text
            assert browser.get("/healthz").status_code == 200
        assert server.process.poll() is None
        assert "Traceback" not in server.output(), server.output()

    engine = create_engine(pg_database, poolclass=pool.NullPool)
    try:
        assert bands(engine) == ["Before the restart"]
    finally:
        engine.dispose()


@POSTGRES_ONLY
def test_a_delete_cut_off_mid_transaction_says_so_and_deletes_nothing(
    client: TestClient, engine: Engine, db_url: str
) -> None:
    sign_in_superuser(client, engine)
    assert post_form(client, "/admin/band/create", {"name": "Kept", "genre": ""}).is_redirect
    with Session(engine) as session:
        band_id = session.scalars(select(Band.id)).one()
    response = cut_off_at_the_audit_write(db_url, partial(delete, client, "band", band_id))
    # SQLAdmin's delete answers with the list address the page then opens, carrying the
    # error: it is the plain outage message, not the driver's text.
    listing = client.get(response.text)
    assert listing.status_code == 200
    assert UNAVAILABLE_MESSAGE in listing.text
    assert "psycopg" not in listing.text
    assert "DELETE" not in listing.text
    assert bands(engine) == ["Kept"]
    assert band_audit_count(engine) == 1  # the create's entry only
