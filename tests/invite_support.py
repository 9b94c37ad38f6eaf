"""Helpers for the staff-invite tests: sending an invite as a manager's browser does,
reading the link off the answer page, and the invite rows as stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import StaffInvite, User, VenueStaff
from tests.auth_support import SAME_ORIGIN

GOOD_PASSWORD = "tambourine-velvet-42"


def send_invite(client: TestClient, venue_id: int, email: str, **fields: str) -> Any:
    """POST the invite form as the manager's browser does (same origin, no redirects)."""
    data = {"venue": str(venue_id), "email": email, "role": "staff", **fields}
    return client.post(
        "/admin/invites/send", data=data, headers=SAME_ORIGIN, follow_redirects=False
    )


def link_on(page: str) -> str:
    """The set-password link shown on the answer page (asserting there is exactly one)."""
    links = re.findall(r'value="(http://testserver/invite/[A-Za-z0-9_-]{43})"', page)
    assert len(links) == 1, page
    return str(links[0])


def path_of(link: str) -> str:
    """``/invite/<token>`` of a link."""
    return link.removeprefix("http://testserver")


def set_password(client: TestClient, link: str, password: str, repeated: str | None = None) -> Any:
    """POST the set-password form of ``link`` (same origin, no redirects)."""
    data = {"password": password, "repeated": password if repeated is None else repeated}
    return client.post(path_of(link), data=data, headers=SAME_ORIGIN, follow_redirects=False)


def invites_of(engine: Engine, email: str) -> list[StaffInvite]:
    """Every invite of the person with ``email``, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(StaffInvite)
                .join(User, User.id == StaffInvite.user_id)
                .where(User.email == email)
                .order_by(StaffInvite.id)
            )
        )


def user_by_email(engine: Engine, email: str) -> User | None:
    """The user row of ``email``, if any."""
    with Session(engine, expire_on_commit=False) as session:
        return session.scalar(select(User).where(User.email == email))


def role_at(engine: Engine, venue_id: int, email: str) -> str | None:
    """The role of ``email`` at the venue, None when they do not work there."""
    with Session(engine) as session:
        return session.scalar(
            select(VenueStaff.role)
            .join(User, User.id == VenueStaff.user_id)
            .where(VenueStaff.venue_id == venue_id, User.email == email)
        )


def expire(engine: Engine, invite_id: int) -> None:
    """Put an invite's expiry in the past."""
    with Session(engine) as session, session.begin():
        row = session.get(StaffInvite, invite_id)
        assert row is not None
        row.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
