"""Session cookies that are tampered with, expired, foreign or from before a key rotation
sign the browser out cleanly; secrets, password hashes and session contents never show up
in a page, an export, an error page or a log line.
"""

from __future__ import annotations

import json
import logging
import time
from base64 import b64decode, b64encode
from typing import Any

import itsdangerous
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.app import create_app
from admin_app.auth import SESSION_COOKIE, SESSION_MAX_AGE, open_session
from admin_app.settings import Settings
from tests.auth_support import PASSWORD, SAME_ORIGIN, add_user, load_user, post_login, sign_in
from tests.console_views_support import post_form
from tests.support import make_settings

ADMIN = "ops@example.com"
OTHER = "member@example.com"
NEW_PASSWORD = "a brand new passphrase 42"


class _OldSigner(itsdangerous.TimestampSigner):
    """Signs with a timestamp ``age`` seconds in the past, as an old browser tab holds."""

    age = SESSION_MAX_AGE + 60

    def get_timestamp(self) -> int:
        return int(time.time()) - self.age


def session_cookie(secret: str, content: dict[str, Any], *, expired: bool = False) -> str:
    """A session cookie as Starlette's SessionMiddleware writes it."""
    signer = (_OldSigner if expired else itsdangerous.TimestampSigner)(secret)
    payload = b64encode(json.dumps(content).encode("utf-8"))
    return signer.sign(payload).decode("utf-8")


def with_cookie(client: TestClient, value: str) -> None:
    """Replace the client's session cookie with ``value``."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)


def assert_signed_out(client: TestClient) -> None:
    """A console page sends the browser to the sign-in page, without an error."""
    response = client.get("/admin/band/list", follow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    assert "/admin/login" in response.headers["location"]
    login = client.get(response.headers["location"])
    assert login.status_code == 200
    assert 'name="password"' in login.text


def open_session_row(engine: Engine, user_id: int) -> dict[str, str]:
    """A new session of ``user_id`` on the server; the content its cookie carries."""
    with Session(engine) as session, session.begin():
        return open_session(session, user_id, remote_addr=None)


def secret_of(settings: Settings) -> str:
    """The SECRET_KEY value."""
    return str(settings.secret_key)


def test_a_valid_cookie_signs_in_and_a_tampered_one_signs_out(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    user_id = add_user(engine, ADMIN, superuser=True)
    other_id = add_user(engine, OTHER, superuser=True)
    content = open_session_row(engine, user_id)
    with_cookie(client, session_cookie(secret_of(settings), content))
    assert client.get("/admin/band/list", follow_redirects=False).status_code == 200

    good = session_cookie(secret_of(settings), content)
    payload, timestamp, signature = good.rsplit(".", 2)
    # Change the signature's first character: all six of its bits are signature bits. (The
    # last one also carries padding bits, so "A" -> "B" there decodes to the same bytes.)
    other_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    tampered = [
        f"{payload}.{timestamp}.{other_signature}",  # signature changed
        b64encode(json.dumps(open_session_row(engine, other_id)).encode()).decode()
        + good[len(payload) :],  # content changed (another user's session), old signature kept
        payload,  # no signature at all
        "",
        "not-a-cookie",
        signature,
    ]
    for value in tampered:
        with_cookie(client, value)
        assert_signed_out(client)


def test_an_expired_cookie_signs_out(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    user_id = add_user(engine, ADMIN, superuser=True)
    content = open_session_row(engine, user_id)

    with_cookie(client, session_cookie(secret_of(settings), content, expired=True))

    assert_signed_out(client)


def test_a_cookie_signed_with_another_secret_signs_out(client: TestClient, engine: Engine) -> None:
    user_id = add_user(engine, ADMIN, superuser=True)
    content = open_session_row(engine, user_id)

    with_cookie(client, session_cookie("someone-elses-secret-" + "k" * 32, content))

    assert_signed_out(client)


def test_rotating_secret_key_signs_everyone_out(engine: Engine, db_url: str) -> None:
    add_user(engine, ADMIN, superuser=True)
    old_app = create_app(make_settings(db_url))
    with TestClient(old_app, base_url="http://testserver") as old:
        sign_in(old, ADMIN)
        assert old.get("/admin/band/list", follow_redirects=False).status_code == 200
        cookie = old.cookies[SESSION_COOKIE]

    rotated = create_app(make_settings(db_url, secret_key="rotated-secret-" + "r" * 40))
    with TestClient(rotated, base_url="http://testserver") as new:
        with_cookie(new, cookie)
        assert_signed_out(new)
        new.cookies.clear()
        sign_in(new, ADMIN)  # signing in again works at once
        assert new.get("/admin/band/list", follow_redirects=False).status_code == 200


def forbidden_strings(settings: Settings, engine: Engine, user_ids: list[int]) -> list[str]:
    """What must never be shown or logged: the key, hashes, passwords, session contents."""
    hashes = [load_user(engine, user_id).password_hash or "" for user_id in user_ids]
    return [
        secret_of(settings),
        *[value for value in hashes if value],
        *[value.split("$")[-1] for value in hashes if value],  # the hash's digest alone
        "$argon2",
        PASSWORD,
        NEW_PASSWORD,
    ]


def session_content(cookie: str) -> list[str]:
    """The cookie itself and the JSON it carries (``{"sid": …}``)."""
    payload = cookie.split(".", 1)[0]
    return [cookie, b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")]


def test_no_secret_hash_or_session_content_in_pages_exports_or_errors(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    admin_id = add_user(engine, ADMIN, superuser=True)
    other_id = add_user(engine, OTHER)
    sign_in(client, ADMIN)
    cookie = client.cookies[SESSION_COOKIE]

    pages = {
        "user list": client.get("/admin/user/list"),
        "user details": client.get(f"/admin/user/details/{other_id}"),
        "own details": client.get(f"/admin/user/details/{admin_id}"),
        "user edit": client.get(f"/admin/user/edit/{other_id}"),
        "user export": client.get("/admin/user/export/csv"),
        "audit list": client.get("/admin/audit-entry/list"),
        "audit export": client.get("/admin/audit-entry/export/csv"),
        "not found": client.get("/admin/user/details/999999"),
        "bad page": client.get("/admin/user/list?page=abc&pageSize=-1"),
        "refused edit": post_form(
            client,
            f"/admin/user/edit/{other_id}",
            {
                "email": ADMIN,
                "full_name": "Clash",
                "new_password": NEW_PASSWORD,
                "new_password_confirm": NEW_PASSWORD,
            },
        ),
        "weak password": post_form(
            client,
            f"/admin/user/edit/{other_id}",
            {
                "email": OTHER,
                "full_name": "x",
                "new_password": "short",
                "new_password_confirm": "short",
            },
        ),
        "change password refused": client.post(
            "/admin/account/password",
            data={"current": "wrong", "new": NEW_PASSWORD, "repeated": NEW_PASSWORD},
            headers=SAME_ORIGIN,
        ),
    }
    assert pages["user export"].status_code == 200
    assert pages["refused edit"].status_code == 400
    forbidden = [
        *forbidden_strings(settings, engine, [admin_id, other_id]),
        *session_content(cookie),
    ]
    for name, response in pages.items():
        assert response.status_code < 500, name
        for secret in forbidden:
            assert secret not in response.text, f"{name} shows {secret[:12]}…"
            assert secret not in str(response.headers.get("location", "")), name


def test_no_secret_hash_or_password_in_log_lines(
    client: TestClient, engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    admin_id = add_user(engine, ADMIN, superuser=True)
    other_id = add_user(engine, OTHER)
    caplog.set_level(logging.DEBUG)

    assert post_login(client, ADMIN, "a wrong password").status_code == 400
    sign_in(client, ADMIN)
    cookie = client.cookies[SESSION_COOKIE]
    edited = post_form(
        client,
        f"/admin/user/edit/{other_id}",
        {
            "email": OTHER,
            "full_name": "Renamed",
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert edited.status_code == 302, edited.text
    # A refused edit (duplicate email) carrying a new password: SQLAdmin logs the error.
    clash = post_form(
        client,
        f"/admin/user/edit/{other_id}",
        {
            "email": ADMIN,
            "full_name": "Clash",
            "new_password": NEW_PASSWORD + "!",
            "new_password_confirm": NEW_PASSWORD + "!",
        },
    )
    assert clash.status_code == 400

    logged = caplog.text + "\n".join(
        record.getMessage() + str(record.exc_text or "") for record in caplog.records
    )
    assert caplog.records  # the capture did see the app's log lines
    for secret in [
        *forbidden_strings(settings, engine, [admin_id, other_id]),
        *session_content(cookie),
    ]:
        assert secret not in logged, f"a log line shows {secret[:12]}…"
