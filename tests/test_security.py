"""Throttling, cross-site protection, security headers and the audit of sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from admin_app.app import create_app
from admin_app.auth import SESSION_COOKIE, SIGN_IN_REFUSED
from admin_app.security import protect
from admin_app.settings import Settings
from admin_app.throttle import MAX_FAILURES, WINDOW
from models import AuditEntry, LoginFailure
from tests.auth_support import (
    BASE,
    PASSWORD,
    add_user,
    audit_actions,
    failure_count,
    is_signed_in,
    load_user,
    post_login,
    sign_in,
    sign_in_through_form,
)

EMAIL = "ops@example.com"
THROTTLED = "Too many failed sign-ins for this email. Try again in"


def fail(client: TestClient, times: int, email: str = EMAIL) -> None:
    for _ in range(times):
        assert post_login(client, email, "not the password").status_code == 400


# --- throttling ------------------------------------------------------------------------------


def test_five_failures_lock_the_email_even_for_the_right_password(
    client: TestClient, engine: Engine
) -> None:
    add_user(engine, EMAIL, superuser=True)
    fail(client, MAX_FAILURES)

    response = post_login(client, EMAIL, PASSWORD)

    assert response.status_code == 429
    assert response.text == f"{THROTTLED} 15 minutes."
    assert response.headers["content-type"].startswith("text/plain")
    assert 0 < int(response.headers["retry-after"]) <= WINDOW.total_seconds()
    assert SESSION_COOKIE not in client.cookies
    # A refused attempt does not count again: the lock ends when the window passes.
    assert failure_count(engine, EMAIL) == MAX_FAILURES


def test_throttle_counts_the_email_however_it_is_typed(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)
    for typed in ("OPS@example.com", " ops@Example.COM ", "ops@example.com"):
        fail(client, 1, typed)
    fail(client, 2, "Ops@Example.com")

    assert failure_count(engine, EMAIL) == MAX_FAILURES
    assert post_login(client, EMAIL, PASSWORD).status_code == 429


def test_unknown_emails_are_throttled_too(client: TestClient, engine: Engine) -> None:
    fail(client, MAX_FAILURES, "nobody@example.com")

    assert post_login(client, "nobody@example.com", PASSWORD).status_code == 429


def test_success_resets_the_count(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)
    add_user(engine, "other@example.com", superuser=True)
    fail(client, MAX_FAILURES - 1)
    fail(client, 2, "other@example.com")

    sign_in_through_form(client, EMAIL)

    assert failure_count(engine, EMAIL) == 0
    assert failure_count(engine, "other@example.com") == 2
    fail(client, MAX_FAILURES - 1)
    assert post_login(client, EMAIL, PASSWORD).status_code == 302


def test_two_app_instances_share_the_count(
    client: TestClient, settings: Settings, engine: Engine
) -> None:
    add_user(engine, EMAIL, superuser=True)
    with TestClient(create_app(settings), base_url=BASE) as other_process:
        fail(client, 3)
        fail(other_process, MAX_FAILURES - 3)

        assert post_login(client, EMAIL, PASSWORD).status_code == 429
        assert post_login(other_process, EMAIL, PASSWORD).status_code == 429


def add_failures(engine: Engine, ages: list[timedelta]) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add_all(LoginFailure(email=EMAIL, failed_at=now - age) for age in ages)
        session.commit()


def test_failures_older_than_the_window_do_not_count(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)
    add_failures(engine, [WINDOW + timedelta(minutes=1)] * MAX_FAILURES)

    assert post_login(client, EMAIL, PASSWORD).status_code == 302


def test_the_lock_lifts_when_the_oldest_failure_leaves_the_window(
    client: TestClient, engine: Engine
) -> None:
    add_user(engine, EMAIL, superuser=True)
    add_failures(engine, [timedelta(minutes=10, seconds=30)] + [timedelta(minutes=1)] * 4)

    response = post_login(client, EMAIL, PASSWORD)

    assert response.status_code == 429
    assert response.text == f"{THROTTLED} 5 minutes."


# --- audit of sign-ins ----------------------------------------------------------------------


def test_sign_ins_and_failures_are_audited(client: TestClient, engine: Engine) -> None:
    user_id = add_user(engine, EMAIL, superuser=True)

    post_login(client, " OPS@example.com", "not the password")
    post_login(client, "nobody@example.com", "whatever it is")
    sign_in_through_form(client, EMAIL)

    assert audit_actions(engine) == [
        ("sign_in_failed", " OPS@example.com"),
        ("sign_in_failed", "nobody@example.com"),
        ("sign_in", EMAIL),
    ]
    with Session(engine) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert all(entry.remote_addr == "testclient" for entry in entries)
    assert entries[0].actor_id is None
    assert (entries[2].actor_id, entries[2].object_type) == (user_id, "User")


def test_throttled_attempts_are_audited_as_failures(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)
    fail(client, MAX_FAILURES)
    post_login(client, EMAIL, PASSWORD)

    assert [action for action, _ in audit_actions(engine)] == ["sign_in_failed"] * 6


# --- cross-site requests --------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://evil.example"}, id="foreign-origin"),
        pytest.param({"Origin": "http://testserver:8080"}, id="other-port"),
        pytest.param({"Origin": "https://testserver"}, id="other-scheme"),
        pytest.param({"Origin": "null"}, id="null-origin"),
        pytest.param({"Referer": "https://evil.example/page"}, id="foreign-referer"),
        pytest.param({}, id="no-origin-no-referer"),
    ],
)
def test_cross_site_posts_are_refused_and_change_nothing(
    client: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    user_id = add_user(engine, EMAIL, superuser=True)
    sign_in(client, EMAIL)
    before = load_user(engine, user_id)

    response = client.post(
        "/admin/account/password",
        data={
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "repeated": "a brand new passphrase",
        },
        headers=headers,
    )

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")
    assert "refused" in response.text
    after = load_user(engine, user_id)
    assert (after.password_hash, after.session_version) == (
        before.password_hash,
        before.session_version,
    )
    assert is_signed_in(client)


def test_cross_site_sign_in_and_sign_out_are_refused(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)
    evil = {"Origin": "https://evil.example"}

    forged_login = client.post(
        "/admin/login", data={"username": EMAIL, "password": PASSWORD}, headers=evil
    )
    assert forged_login.status_code == 403
    assert audit_actions(engine) == []  # the attempt never reached the sign-in code

    sign_in(client, EMAIL)
    assert client.post("/admin/logout", headers=evil).status_code == 403
    assert client.delete("/admin/audit-entry/delete?pks=1", headers=evil).status_code == 403
    assert is_signed_in(client)


def test_same_origin_referer_is_enough_without_origin(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)

    response = client.post(
        "/admin/login",
        data={"username": EMAIL, "password": PASSWORD},
        headers={"Referer": f"{BASE}/admin/login"},
        follow_redirects=False,
    )

    assert response.status_code == 302


def test_cross_site_get_of_an_action_url_is_refused(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)
    sign_in(client, EMAIL)
    url = "/admin/audit-entry/action/anything?pks=1"

    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": "https://evil.example/"},
        {},
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, headers
        assert "Cross-site request refused" in response.text


def action_app() -> tuple[Starlette, list[str]]:
    """A tiny app with a GET action that changes state, wrapped like the real one."""
    done: list[str] = []

    async def bump(request: Request) -> Response:
        done.append(request.query_params["pks"])
        return PlainTextResponse("done")

    app = Starlette(routes=[Route("/admin/event/action/cancel", bump)])
    protect(app, console_prefix="/admin", hsts=False)
    return app, done


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Referer": f"{BASE}/admin/event/list"}, True),
        ({"Sec-Fetch-Site": "cross-site", "Referer": f"{BASE}/admin/event/list"}, False),
        ({"Sec-Fetch-Site": "none"}, False),
        ({"Referer": "https://evil.example/"}, False),
        ({}, False),
    ],
)
def test_action_urls_run_only_from_this_site(headers: dict[str, str], allowed: bool) -> None:
    app, done = action_app()
    with TestClient(app, base_url=BASE) as client:
        response = client.get("/admin/event/action/cancel?pks=7", headers=headers)

    assert response.status_code == (200 if allowed else 403)
    assert done == (["7"] if allowed else [])


# --- headers ---------------------------------------------------------------------------------


def assert_protective_headers(response: httpx2.Response) -> None:
    headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_console_pages_carry_security_headers(client: TestClient, engine: Engine) -> None:
    add_user(engine, EMAIL, superuser=True)
    login_page = client.get("/admin/login")
    refused = post_login(client, EMAIL, "not the password")
    sign_in(client, EMAIL)
    pages = [
        login_page,
        refused,
        client.get("/admin/"),
        client.get("/admin/audit-entry/list"),
        client.get("/admin/account/password"),
        client.get("/admin/no-such-page"),
        client.post("/admin/logout", headers={"Origin": "https://evil.example"}),
    ]

    for response in pages:
        assert_protective_headers(response)
        assert response.headers["cache-control"] == "no-store", response.url
    assert "strict-transport-security" not in pages[0].headers  # development: plain http
    assert SIGN_IN_REFUSED in refused.text


def test_statics_stay_cacheable_and_other_pages_are_protected(client: TestClient) -> None:
    static = client.get("/admin/statics/css/main.css")
    health = client.get("/healthz")

    assert static.status_code == 200
    assert_protective_headers(static)
    assert "no-store" not in static.headers.get("cache-control", "")
    assert_protective_headers(health)
