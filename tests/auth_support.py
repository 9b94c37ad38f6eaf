"""Helpers for the sign-in, security and audit-view tests: users, sign-in, same-origin POSTs.

The console refuses every POST/PUT/PATCH/DELETE without a same-origin ``Origin`` (or
``Referer``) header (see :mod:`admin_app.security`); TestClient sends neither by default,
so these helpers add ``Origin: http://testserver``.
"""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any, cast

from itsdangerous import TimestampSigner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.auth import SESSION_COOKIE, open_session
from models import AuditEntry, LoginFailure, User
from tests.worlds import rows
from tests.worlds.rows import PASSWORD as PASSWORD  # the one test password

BASE = "http://testserver"
SAME_ORIGIN = {"Origin": BASE}


def add_user(
    engine: Engine,
    email: str,
    *,
    superuser: bool = False,
    staff: bool = False,
    password: str | None = PASSWORD,
    active: bool = True,
) -> int:
    """Commit a user (a superuser, venue staff of a venue of their own, or neither) and
    return their id; ``password=None`` makes one who cannot sign in."""
    with rows.committed(engine) as session:
        own = None
        if staff:
            own = rows.venue(session, f"Venue of {email}", city="Leeds", timezone="Europe/London")
        person = rows.user(
            session,
            email,
            superuser=superuser,
            active=active,
            venue=own,
            role="staff" if staff else None,
        )
        if password is None:
            person.password_hash = None
        return person.id


def post_login(
    client: TestClient, email: str, password: str = PASSWORD, *, next_path: str | None = None
) -> Any:
    """POST the sign-in form the way a browser on this site does; no redirect following."""
    data = {"username": email, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/admin/login", data=data, headers=SAME_ORIGIN, follow_redirects=False)


def sign_in_through_form(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in with the real form (argon2 and all), asserting it worked."""
    response = post_login(client, email, password)
    assert response.status_code == 302, response.text
    assert SESSION_COOKIE in client.cookies


def mint_session(client: TestClient, user_id: int) -> None:
    """Give ``client`` the session cookie a sign-in of ``user_id`` would, without the form.

    For tests where signing in is not the point: no password check, no throttle, no audit
    entry. The session row comes from the app's own :func:`admin_app.auth.open_session`,
    and the cookie is signed exactly as the console's session middleware signs it
    (Starlette's ``SessionMiddleware``: itsdangerous ``TimestampSigner`` over base64 JSON)
    with the app's own secret key, so the app cannot tell it from a real one.
    """
    app = cast(Starlette, client.app)
    with Session(app.state.engine) as session, session.begin():
        payload = open_session(session, user_id, remote_addr=None)
    client.cookies.set(SESSION_COOKIE, _signed_cookie(app, payload), domain=_cookie_domain(client))


def _signed_cookie(app: Starlette, payload: dict[str, Any]) -> str:
    """``payload`` as a session cookie value signed with ``app``'s secret key."""
    signer = TimestampSigner(str(app.state.settings.secret_key))
    return signer.sign(b64encode(json.dumps(payload).encode("utf-8"))).decode("utf-8")


def _cookie_domain(client: TestClient) -> str:
    # The domain the server's own Set-Cookie gets (the cookie jar files a dotless host such
    # as "testserver" as "testserver.local"), so a later Set-Cookie from the app (sign-out,
    # a re-issue) replaces a minted cookie instead of sitting beside it.
    host = client.base_url.host
    return host if "." in host else f"{host}.local"


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in as ``email`` (minted: see :func:`mint_session`)."""
    app = cast(Starlette, client.app)
    with Session(app.state.engine) as session:
        user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    assert user_id is not None, f"no user {email}"
    mint_session(client, user_id)


def is_signed_in(client: TestClient) -> bool:
    """True when the console index opens instead of redirecting to the sign-in page."""
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def audit_actions(engine: Engine) -> list[tuple[str, str | None]]:
    """``(action, actor_email)`` of every audit entry, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor_email).order_by(AuditEntry.id)
        ).all()
    return [(action, email) for action, email in rows]


def failure_count(engine: Engine, email: str) -> int:
    """Rows in ``login_failures`` for ``email``."""
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email)
            )
            or 0
        )


def load_user(engine: Engine, user_id: int) -> User:
    """A fresh copy of the user row."""
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user
