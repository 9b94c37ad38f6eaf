"""Creating users: the rules every path (CLI, console forms) goes through."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.passwords import check_password_strength, hash_password
from models import STAFF_ROLES, User, Venue, VenueStaff

# Deliberately loose: one @, something on each side, a dot in the domain. Real validation
# of an address is sending it mail; this only catches typing mistakes.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 320


class AccountError(ValueError):
    """A user cannot be created as asked; the message says why, in plain words."""


def normalize_email(email: str) -> str:
    """Lower-case and trim: emails are unique regardless of case."""
    return email.strip().lower()


def validate_email(email: str) -> str:
    """Return the normalised email, or raise :class:`AccountError`."""
    normalized = normalize_email(email)
    if not normalized:
        raise AccountError("An email address is required.")
    if len(normalized) > MAX_EMAIL_LENGTH or not _EMAIL_RE.match(normalized):
        raise AccountError(f"{email!r} is not a valid email address.")
    return normalized


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str = "",
    is_superuser: bool = False,
    venue_id: int | None = None,
    role: str | None = None,
) -> User:
    """Add a user (and optionally their venue role) to ``session``; the caller commits."""
    email = validate_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"A user with the email {email} already exists.")
    if (venue_id is None) != (role is None):
        raise AccountError("A venue role needs both a venue and a role (manager or staff).")
    if role is not None and role not in STAFF_ROLES:
        raise AccountError(f"The role must be one of: {', '.join(STAFF_ROLES)}.")
    venue = session.get(Venue, venue_id) if venue_id is not None else None
    if venue_id is not None and venue is None:
        raise AccountError(f"There is no venue with id {venue_id}.")
    try:
        check_password_strength(password, email=email)
    except ValueError as exc:
        raise AccountError(str(exc)) from None

    user = User(
        email=email,
        full_name=full_name.strip() or email.split("@", 1)[0],
        password_hash=hash_password(password),
        is_superuser=is_superuser,
    )
    session.add(user)
    if venue is not None and role is not None:
        session.add(VenueStaff(venue=venue, user=user, role=role))
    session.flush()
    return user
