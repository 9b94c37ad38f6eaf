"""Opening an invite link: the set-password page's rules (see :mod:`admin_app.invites`).

:func:`accept` sets the password the account page's rules allow, activates the account,
closes the invite and opens a signed-in session, in one transaction. A link that cannot
be used raises :class:`InviteGone` with the reason the page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.audit import Actor, record, record_change, snapshot
from admin_app.auth import open_session
from admin_app.db import lock_writes_on_sqlite
from admin_app.invites import close_open, now_or, token_digest
from admin_app.passwords import WeakPasswordError, hash_new_password
from admin_app.request_session import SessionSource
from models import StaffInvite, User, Venue, VenueStaff

# token_urlsafe(32) is 43 characters of the URL-safe alphabet; anything else is refused
# without touching the database.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
ASK_FOR_NEW = "Ask the venue's manager to send you a new invite."
UNKNOWN_LINK = "This invite link is not valid."
USED_LINK = "This invite link has already been used."
REVOKED_LINK = "This invite was withdrawn by the venue."
EXPIRED_LINK = "This invite link has expired."
ALREADY_SET_UP = "Your account already has a password: sign in with it."


class InviteGone(Exception):
    """A link that cannot be used (unknown, used, withdrawn or expired); the page says so."""

    def __init__(self, message: str, status_code: int = 410) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class PasswordRefused(ValueError):
    """The chosen password was refused (too weak, or the two differ); nothing was saved."""


@dataclass(frozen=True)
class OpenInvite:
    """An invite whose link still works, as the set-password page shows it."""

    id: int
    user_id: int
    email: str
    full_name: str
    venue_name: str
    role: str
    expires_at: datetime
    timezone: str


def find_open(
    session: Session, token: str, *, now: datetime | None = None, lock: bool = False
) -> OpenInvite:
    """The invite ``token`` opens, if its link still works; else :class:`InviteGone`.

    Found by the token's digest through a unique index: no secret is compared, so the
    answer's timing says nothing about how close a guess was.
    """
    now = now_or(now)
    if not _TOKEN_SHAPE.fullmatch(token):
        raise InviteGone(UNKNOWN_LINK, 404)
    stmt = (
        select(StaffInvite, User, Venue)
        .join(User, User.id == StaffInvite.user_id)
        .join(Venue, Venue.id == StaffInvite.venue_id)
        .where(StaffInvite.token_digest == token_digest(token))
    )
    if lock:
        stmt = stmt.with_for_update(of=StaffInvite)
    found = session.execute(stmt).one_or_none()
    if found is None:
        raise InviteGone(UNKNOWN_LINK, 404)
    row, user, venue = found
    if row.accepted_at is not None:
        raise InviteGone(USED_LINK)
    if row.revoked_at is not None:
        raise InviteGone(REVOKED_LINK)
    if row.expires_at <= now:
        raise InviteGone(EXPIRED_LINK)
    if user.password_hash is not None:
        raise InviteGone(ALREADY_SET_UP)
    staff = session.scalar(
        select(VenueStaff.id).where(VenueStaff.venue_id == venue.id, VenueStaff.user_id == user.id)
    )
    if staff is None:
        # Removed from the venue's staff since: the link would open an account with no role.
        raise InviteGone(REVOKED_LINK)
    return OpenInvite(
        row.id, user.id, user.email, user.full_name, venue.name, row.role, row.expires_at,
        venue.timezone,
    )  # fmt: skip


def accept(
    sessions: SessionSource,
    token: str,
    *,
    password: str,
    repeated: str,
    remote_addr: str | None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Set the invited person's password, activate them, close the invite and sign them in,
    all in one transaction; the cookie payload of the new session.

    As sign-in does (:func:`admin_app.auth.attempt_sign_in`), argon2 runs with no database
    connection held, between two short transactions; and only for a link that works, so
    made-up links cost a digest lookup, never a hash. Raises :class:`InviteGone` (nothing
    changes) or :class:`PasswordRefused` (nothing is saved; the link still works).
    """
    now = now_or(now)
    with sessions.begin() as session:
        opened = find_open(session, token, now=now)
    if password != repeated:
        raise PasswordRefused("The two passwords do not match.")
    try:
        hashed = hash_new_password(password, email=opened.email)
    except WeakPasswordError as error:
        raise PasswordRefused(str(error)) from None

    with sessions.begin() as session:
        lock_writes_on_sqlite(session)
        # The person, then the invite: the order invite() locks them in, so a manager
        # re-inviting at this instant waits instead of deadlocking.
        user = session.get(User, opened.user_id, with_for_update=True, populate_existing=True)
        # Again, locked: a second tab or a revocation in between wins, and this one is
        # refused with the reason.
        again = find_open(session, token, now=now, lock=True)
        if user is None or again.user_id != user.id:
            raise InviteGone(UNKNOWN_LINK, 404)
        actor = Actor(user.id, user.email, remote_addr)
        before = snapshot(user)
        user.password_hash = hashed
        user.is_active = True
        session.flush()
        record_change(session, actor, "activate", user, before)
        # This invite and any other unused one of theirs: one password serves them all,
        # and a second live link would only be a way to reset it.
        close_open(session, actor, user.id, None, now, reason="accepted")
        record(session, actor, "sign_in", user)
        # Flushes first: the password change ends any session, then this one opens.
        return open_session(session, user.id, remote_addr=remote_addr, now=now)
