"""Sign-in, sessions, sign-out and "change my password", on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.app import create_app
from admin_app.auth import SESSION_COOKIE, SIGN_IN_REFUSED, change_password, deactivate
from admin_app.passwords import verify_password
from admin_app.settings import Settings, load_settings
from admin_app.signin import safe_next
from models import AuditEntry, User
from tests.auth_support import (
    BASE,
    PASSWORD,
    SAME_ORIGIN,
    add_user,
    is_signed_in,
    load_user,
    post_login,
    sign_in,
)

NEW_PASSWORD = "a much better passphrase"


# --- who may sign in -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("ops@example.com", "not the password", id="wrong-password"),
        pytest.param("nobody@example.com", PASSWORD, id="unknown-email"),
        pytest.param("gone@example.com", PASSWORD, id="inactive"),
        pytest.param("fan@example.com", PASSWORD, id="not-staff"),
        pytest.param("nopass@example.com", PASSWORD, id="no-password"),
    ],
)
def test_every_refusal_looks_the_same(
    client: TestClient, engine: Engine, email: str, password: str
) -> None:
    add_user(engine, "ops@example.com", superuser=True)
    add_user(engine, "gone@example.com", superuser=True, active=False)
    add_user(engine, "fan@example.com")
    add_user(engine, "nopass@example.com", superuser=True, password=None)

    response = post_login(client, email, password)

    assert response.status_code == 400
    assert SIGN_IN_REFUSED in response.text
    assert "Invalid credentials" not in response.text
    assert SESSION_COOKIE not in client.cookies
    assert not is_signed_in(client)


@pytest.mark.parametrize("kind", ["superuser", "staff"])
def test_superusers_and_venue_staff_sign_in(client: TestClient, engine: Engine, kind: str) -> None:
    add_user(engine, "in@example.com", superuser=kind == "superuser", staff=kind == "staff")

    response = post_login(client, "  In@Example.com ", PASSWORD)

    assert response.status_code == 302
    assert response.headers["location"] == f"{BASE}/admin/"
    assert is_signed_in(client)


def test_session_cookie_flags_in_development(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops@example.com", superuser=True)

    cookie = post_login(client, "ops@example.com").headers["set-cookie"].lower()

    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_session_cookie_is_secure_in_production(db_url: str, engine: Engine) -> None:
    add_user(engine, "ops@example.com", superuser=True)
    settings = load_settings(
        {"APP_ENV": "production", "SECRET_KEY": "p" * 40, "DATABASE_URL": db_url}
    )
    assert settings.is_production

    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = client.post(
            "/admin/login",
            data={"username": "ops@example.com", "password": PASSWORD},
            headers={"Origin": "https://testserver"},
            follow_redirects=False,
        )

    assert response.status_code == 302
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


# --- sessions end when credentials change --------------------------------------------------


def test_password_change_ends_other_sessions(client: TestClient, engine: Engine) -> None:
    user_id = add_user(engine, "ops@example.com", superuser=True)
    sign_in(client, "ops@example.com")
    before = load_user(engine, user_id).session_version

    with Session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        change_password(session, user, NEW_PASSWORD)
        session.commit()

    changed = load_user(engine, user_id)
    assert changed.session_version == before + 1
    assert verify_password(changed.password_hash, NEW_PASSWORD)
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"{BASE}/admin/login")


def test_deactivation_ends_sessions(client: TestClient, engine: Engine) -> None:
    user_id = add_user(engine, "ops@example.com", superuser=True)
    sign_in(client, "ops@example.com")
    before = load_user(engine, user_id).session_version

    with Session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        deactivate(session, user)
        session.commit()

    assert load_user(engine, user_id).session_version == before + 1
    assert not is_signed_in(client)


def test_any_write_of_the_password_hash_moves_the_session_version(engine: Engine) -> None:
    # A console form or the CLI that sets password_hash directly cannot forget the bump.
    user_id = add_user(engine, "ops@example.com", superuser=True)
    with Session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        version = user.session_version
        user.full_name = "Renamed"
        session.commit()
        assert user.session_version == version  # other edits leave sessions alone
        user.password_hash = "x"
        session.commit()
        assert user.session_version == version + 1


# --- sign-out ---------------------------------------------------------------------------------


def test_sign_out_by_get_is_refused(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops@example.com", superuser=True)
    sign_in(client, "ops@example.com")

    response = client.get("/admin/logout", follow_redirects=False)

    # Not signed out (a link elsewhere cannot do it), and no bare 405 either.
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/admin/"
    assert is_signed_in(client)


def test_sign_out_by_post(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops@example.com", superuser=True)
    sign_in(client, "ops@example.com")
    page = client.get("/admin/")
    assert 'method="post" action="http://testserver/admin/logout"' in page.text

    response = client.post("/admin/logout", headers=SAME_ORIGIN, follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"] == f"{BASE}/admin/login"
    assert not is_signed_in(client)


# --- where sign-in leads -------------------------------------------------------------------


def test_sign_in_page_remembers_where_the_user_was_going(client: TestClient) -> None:
    response = client.get("/admin/audit-entry/list?page=2", follow_redirects=False)

    assert response.status_code == 302
    login_url = response.headers["location"]
    assert login_url.startswith(f"{BASE}/admin/login?next=")
    form = client.get(login_url)
    assert 'name="next" value="/admin/audit-entry/list?page=2"' in form.text


def test_next_within_the_console_is_followed(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops@example.com", superuser=True)

    response = post_login(client, "ops@example.com", next_path="/admin/audit-entry/list")

    assert response.status_code == 302
    assert response.headers["location"] == "/admin/audit-entry/list"


@pytest.mark.parametrize(
    "target",
    ["https://elsewhere.example/admin/", "//elsewhere.example/admin", "/\\elsewhere.example"],
)
def test_next_elsewhere_is_ignored(client: TestClient, engine: Engine, target: str) -> None:
    add_user(engine, "ops@example.com", superuser=True)

    response = post_login(client, "ops@example.com", next_path=target)

    assert response.status_code == 302
    assert response.headers["location"] == f"{BASE}/admin/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/admin", "/admin"),
        ("/admin/event/list?search=x", "/admin/event/list?search=x"),
        ("https://elsewhere/admin/", None),
        ("//elsewhere/admin", None),
        ("/\\elsewhere", None),
        ("/admin\\..\\", None),
        ("/healthz", None),
        ("/administrator", None),
        ("/admin/\r\nSet-Cookie:x", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(value: object, expected: str | None) -> None:
    assert safe_next(value, "/admin") == expected


# --- change my password ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "repeated", "message"),
    [
        pytest.param("wrong password!", NEW_PASSWORD, NEW_PASSWORD, "not correct", id="wrong"),
        pytest.param(PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "do not match", id="mismatch"),
        pytest.param(PASSWORD, "short", "short", "at least 10", id="weak"),
        pytest.param(PASSWORD, PASSWORD, PASSWORD, "must differ", id="same"),
    ],
)
def test_change_password_refusals_change_nothing(
    client: TestClient, engine: Engine, current: str, new: str, repeated: str, message: str
) -> None:
    user_id = add_user(engine, "ops@example.com", staff=True)
    sign_in(client, "ops@example.com")
    before = load_user(engine, user_id)

    response = client.post(
        "/admin/account/password",
        data={"current": current, "new": new, "repeated": repeated},
        headers=SAME_ORIGIN,
    )

    assert response.status_code == 400
    assert message in response.text
    after = load_user(engine, user_id)
    assert after.password_hash == before.password_hash
    assert after.session_version == before.session_version
    assert is_signed_in(client)


def test_change_password_ends_other_sessions_and_keeps_this_one(
    client: TestClient, settings: Settings, engine: Engine
) -> None:
    user_id = add_user(engine, "ops@example.com", staff=True)
    sign_in(client, "ops@example.com")
    assert client.get("/admin/account/password").status_code == 200

    with TestClient(create_app(settings), base_url=BASE) as other_browser:
        sign_in(other_browser, "ops@example.com")
        response = client.post(
            "/admin/account/password",
            data={"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD},
            headers=SAME_ORIGIN,
        )
        assert response.status_code == 200
        assert "Your password has been changed" in response.text
        assert not is_signed_in(other_browser)

    assert is_signed_in(client)
    user = load_user(engine, user_id)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "change_password")
        ).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (user_id, "User", str(user_id))
