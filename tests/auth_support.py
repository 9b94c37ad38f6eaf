"""Helpers for the sign-in, security and audit-view tests: users, sign-in, same-origin POSTs.

The console refuses every POST/PUT/PATCH/DELETE without a same-origin ``Origin`` (or
``Referer``) header (see :mod:`admin_app.security`); TestClient sends neither by default,
so these helpers add ``Origin: http://testserver``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.accounts import create_user
from admin_app.auth import SESSION_COOKIE
from models import AuditEntry, LoginFailure, User, Venue

BASE = "http://testserver"
SAME_ORIGIN = {"Origin": BASE}
PASSWORD = "correct horse battery"


def add_user(
    engine: Engine,
    email: str,
    *,
    superuser: bool = False,
    staff: bool = False,
    password: str | None = PASSWORD,
    active: bool = True,
) -> int:
    """Commit a user (a superuser, venue staff, or neither) and return their id."""
    with Session(engine) as session:
        venue_id = None
        if staff:
            venue = Venue(name=f"Venue of {email}", city="Leeds", timezone="Europe/London")
            session.add(venue)
            session.flush()
            venue_id = venue.id
        user = create_user(
            session,
            email=email,
            password=PASSWORD,
            is_superuser=superuser,
            venue_id=venue_id,
            role="staff" if staff else None,
        )
        if password is None:
            user.password_hash = None
        user.is_active = active
        session.commit()
        return user.id


def post_login(
    client: TestClient, email: str, password: str = PASSWORD, *, next_path: str | None = None
) -> Any:
    """POST the sign-in form the way a browser on this site does; no redirect following."""
    data = {"username": email, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/admin/login", data=data, headers=SAME_ORIGIN, follow_redirects=False)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in, asserting it worked."""
    response = post_login(client, email, password)
    assert response.status_code == 302, response.text
    assert SESSION_COOKIE in client.cookies


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
