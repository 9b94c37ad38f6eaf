"""Sessions live on the server: signing out ends a copied cookie too, the cookie carries
only a random id, expired rows are refused and purged, each request costs one lookup, and
the "credential change ends sessions" rule holds for code that imports only ``models``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from base64 import b64decode
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from admin_app.auth import SESSION_COOKIE, SESSION_MAX_AGE, load_session_user, open_session
from models import UserSession
from tests.auth_support import (
    BASE,
    SAME_ORIGIN,
    add_user,
    is_signed_in,
    load_user,
    post_login,
    sign_in,
    sign_in_through_form,
)
from tests.worlds import rows

EMAIL = "ops@example.com"


def session_rows(engine: Engine, user_id: int) -> int:
    """How many session rows ``user_id`` has on the server."""
    with Session(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
        )
    return count or 0


def cookie_payload(client: TestClient) -> dict[str, object]:
    """The JSON the client's (signed, not encrypted) session cookie carries."""
    payload = client.cookies[SESSION_COOKIE].split(".", 1)[0]
    decoded: dict[str, object] = json.loads(b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def copy_of(client: TestClient) -> TestClient:
    """Another browser holding the same session cookie (a stolen or copied one)."""
    thief = TestClient(client.app, base_url=BASE)
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


def test_sign_out_ends_a_copied_cookie_too(client: TestClient, engine: Engine) -> None:
    user_id = add_user(engine, EMAIL, superuser=True)
    sign_in_through_form(client, EMAIL)
    with copy_of(client) as thief:
        assert is_signed_in(thief)

        response = client.post("/admin/logout", headers=SAME_ORIGIN, follow_redirects=False)

        assert response.status_code == 302
        assert not is_signed_in(client)
        assert not is_signed_in(thief)
    assert session_rows(engine, user_id) == 0


def test_sign_out_leaves_the_users_other_browsers_signed_in(
    client: TestClient, engine: Engine
) -> None:
    user_id = add_user(engine, EMAIL, superuser=True)
    sign_in_through_form(client, EMAIL)
    with TestClient(client.app, base_url=BASE) as other:
        sign_in_through_form(other, EMAIL)
        assert session_rows(engine, user_id) == 2

        client.post("/admin/logout", headers=SAME_ORIGIN)

        assert not is_signed_in(client)
        assert is_signed_in(other)
    assert session_rows(engine, user_id) == 1


def test_the_cookie_carries_only_a_random_id_and_the_server_only_its_digest(
    client: TestClient, engine: Engine
) -> None:
    user_id = add_user(engine, EMAIL, superuser=True)
    sign_in_through_form(client, EMAIL)

    payload = cookie_payload(client)

    assert list(payload) == ["sid"]
    session_id = payload["sid"]
    assert isinstance(session_id, str)
    assert len(session_id) == 43
    with Session(engine) as session:
        row = session.scalars(select(UserSession).where(UserSession.user_id == user_id)).one()
    assert row.token_hash != session_id
    assert len(row.token_hash) == 64
    assert row.session_version == load_user(engine, user_id).session_version


def test_an_expired_session_is_refused_and_purged_at_the_next_sign_in(
    client: TestClient, engine: Engine
) -> None:
    user_id = add_user(engine, EMAIL, superuser=True)
    other_id = add_user(engine, "other@example.com", superuser=True)
    long_ago = datetime.now(UTC) - timedelta(seconds=SESSION_MAX_AGE + 60)
    with Session(engine) as session, session.begin():
        stale = open_session(session, user_id, remote_addr=None, now=long_ago)
        open_session(session, other_id, remote_addr=None, now=long_ago)

    assert load_session_user(sessionmaker(engine), stale["sid"]) is None
    assert post_login(client, EMAIL).status_code == 302

    # Every expired row went, the other user's too; the new session is the only one left.
    with Session(engine) as session:
        expires = session.scalars(select(UserSession.expires_at)).all()
    assert len(expires) == 1
    assert expires[0] > datetime.now(UTC)
    assert is_signed_in(client)


def test_a_console_request_checks_its_session_with_one_query(
    client: TestClient, engine: Engine
) -> None:
    """The session, the user and their venue roles (the request's scope): one statement."""
    user_id = add_user(engine, EMAIL, staff=True)
    with rows.committed(engine) as session:
        managed = rows.venue(session, "Second Hall")
        rows.staff(session, managed, user_id, "manager")
        managed_id = managed.id
    with Session(engine) as session, session.begin():
        session_id = open_session(session, user_id, remote_addr=None)["sid"]
    statements: list[str] = []

    def remember(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        user = load_session_user(sessionmaker(engine), session_id)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    assert user is not None
    assert user.email == EMAIL
    assert len(statements) == 1, statements
    assert "user_sessions" in statements[0]
    assert len(user.scope.venue_ids) == 2
    assert user.scope.managed_venue_ids == {managed_id}
    assert not user.scope.is_superuser


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_script_importing_only_models_ends_the_users_sessions(
    client: TestClient, engine: Engine, db_url: str, change: str
) -> None:
    user_id = add_user(engine, EMAIL, superuser=True)
    sign_in(client, EMAIL)
    before = load_user(engine, user_id).session_version
    # A fresh interpreter that imports sqlalchemy and models, nothing of admin_app.
    script = f"""
import sys
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from models import User
engine = create_engine({db_url!r})
with Session(engine) as session:
    user = session.scalars(select(User).where(User.email == {EMAIL!r})).one()
    if {change!r} == "password":
        user.password_hash = "set by a maintenance script"
    else:
        user.is_active = False
    session.commit()
engine.dispose()
print(sorted(name for name in sys.modules if name.split(".")[0] == "admin_app"))
"""

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"  # admin_app was never imported
    assert load_user(engine, user_id).session_version == before + 1
    assert session_rows(engine, user_id) == 0
    assert not is_signed_in(client)
