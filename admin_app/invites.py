"""Staff invites: a manager brings a person on board at one of their venues.

:func:`invite` adds the person to the venue's staff with a role. Someone without a
password (nobody has an account for that email yet, or a band member who never signed
in) also gets a single-use set-password link, valid for :data:`INVITE_LIFETIME`: a random
token (:func:`secrets.token_urlsafe`, 256 bits) whose SHA-256 digest is all that is
stored, so the table read by someone else opens no account. The link is shown once, on
the page that issues it, and, when mail is configured, queued in the outbox to the person
(:func:`admin_app.notifications.staff_invited`) in the same transaction; nowhere else. A
new account is created inactive and without a password; it cannot sign in until the link
is used.

:func:`admin_app.invite_links.accept` (the public ``/invite/<token>`` page) sets the
password the account page's rules allow, activates the account, closes the invite and
opens a signed-in session, in one transaction. :func:`revoke` withdraws an invite and
the venue role it gave.

Why the token is not also signed: it is 256 random bits looked up by its digest, so a
guessed or altered link finds no row; a signature would add a second secret to rotate
(changing ``SECRET_KEY`` would then void every open invite) and no protection.

Why a revoked invitee's account is left in place: it is inactive and has no password, so
it can never sign in; deleting it would cascade to its invites and erase the record that
the invite existed (the audit entries would name a row that is gone); a later invite of
the same email reuses it; and deleting accounts is for superusers, not managers.

Plain functions over a session, no HTTP: the console pages and the tests call them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from admin_app import notifications
from admin_app.accounts import AccountError, validate_email
from admin_app.audit import Actor, record_change, snapshot
from admin_app.db import lock_writes_on_sqlite
from admin_app.scoping import Scope, ScopeError, invites_clause, may_invite
from models import STAFF_ROLES, StaffInvite, User, Venue, VenueStaff

INVITE_LIFETIME = timedelta(hours=72)
_TOKEN_BYTES = 32
MAX_NAME_LENGTH = 200
PENDING_SHOWN = 200  # the managers' list; a venue rarely has more than a few open

NOT_MANAGER = "Only a manager of this venue can invite people or withdraw invites."


class InviteError(ValueError):
    """An invite or a withdrawal was refused; the message says why, in plain words."""


class InviteNotFound(InviteError):
    """No such invite among those the user may see."""


@dataclass(frozen=True)
class Invited:
    """What :func:`invite` did, for the page that answers the manager."""

    email: str
    venue_name: str
    timezone: str
    role: str
    created_account: bool
    # The set-password link's token, shown once; None when the person already has a
    # password and simply signs in.
    token: str | None = None
    expires_at: datetime | None = None
    replaced: int = 0  # earlier open invites of this person to this venue, now revoked
    emailed: bool = False  # the link was also queued in the outbox for the person


@dataclass(frozen=True)
class PendingInvite:
    """A row of the managers' list: not used and not withdrawn (possibly expired)."""

    id: int
    email: str
    full_name: str
    venue_id: int
    venue_name: str
    timezone: str
    role: str
    created_at: datetime
    expires_at: datetime
    invited_by: str | None
    expired: bool


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of a link's token: what the table keeps, and the lookup key."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def standing(user: User) -> str | None:
    """How a staff member's account stands, when it is not simply active: ``"invited,
    not yet active"`` (never set a password), ``"inactive"`` (deactivated), ``"no
    password yet"`` (an active account that cannot sign in yet); None otherwise."""
    if not user.is_active:
        return "invited, not yet active" if user.password_hash is None else "inactive"
    return "no password yet" if user.password_hash is None else None


def now_or(now: datetime | None) -> datetime:
    """``now``, or the current time when None."""
    return now or datetime.now(UTC)


def invite(
    session: Session,
    scope: Scope,
    *,
    venue_id: int,
    email: str,
    role: str = "staff",
    full_name: str = "",
    link_for: Callable[[str], str],
    email_link: bool = False,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> Invited:
    """Invite ``email`` to ``venue_id`` as ``role`` (the caller commits).

    Raises :class:`~admin_app.scoping.ScopeError` when ``scope`` may not invite there and
    :class:`InviteError` for bad input, a deactivated account, or someone who already
    works there with a password of their own. Inviting again someone whose link is still
    unused issues a fresh link and revokes the old one (their role follows the new
    invite). ``link_for(token)`` makes the link's URL. With ``email_link`` (mail is
    configured: ``SMTP_URL``) the link is also queued in the outbox to the person, in
    this transaction; without, nothing is queued, so the link never reaches a log.
    """
    now = now_or(now)
    if not may_invite(scope, venue_id):
        raise ScopeError("You can only invite people to a venue you manage.")
    if role not in STAFF_ROLES:
        raise InviteError(f"The role must be one of: {', '.join(STAFF_ROLES)}.")
    try:
        address = validate_email(email)
    except AccountError as error:
        raise InviteError(str(error)) from None
    name = full_name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InviteError(f"The name may be at most {MAX_NAME_LENGTH} characters long.")
    lock_writes_on_sqlite(session)
    # Lock order: the venue first, as every schedule write does (admin_app.booking).
    venue = session.get(Venue, venue_id, with_for_update=True)
    if venue is None:
        raise InviteError("There is no such venue.")
    actor = Actor.of(scope, remote_addr)
    user = session.scalar(select(User).where(User.email == address).with_for_update())
    created = False
    if user is None:
        user, created = _new_account(session, address, name)
        if created:
            record_change(session, actor, "create", user, {})
    if not user.is_active and user.password_hash is not None:
        raise InviteError(
            f"The account of {address} is deactivated; only an administrator can restore it."
        )
    needs_link = user.password_hash is None
    if needs_link and user.is_superuser:
        # The link sets the account's password, and the manager sees the link: it must
        # never open an administrator's account.
        raise InviteError(
            f"{address} is an administrator account without a password; "
            "an administrator must set it."
        )
    staff = session.scalar(
        select(VenueStaff).where(VenueStaff.venue_id == venue.id, VenueStaff.user_id == user.id)
    )
    if staff is not None and not needs_link:
        raise InviteError(f"{address} already works at {venue.name} (as {staff.role}).")
    if staff is None:
        staff = VenueStaff(venue_id=venue.id, user_id=user.id, role=role)
        session.add(staff)
        session.flush()
        record_change(session, actor, "create", staff, {})
    elif staff.role != role:
        before = snapshot(staff)
        staff.role = role
        session.flush()
        record_change(session, actor, "update", staff, before)
    replaced = close_open(session, actor, user.id, venue.id, now, reason="replaced")
    outcome = Invited(address, venue.name, venue.timezone, role, created, replaced=replaced)
    if not needs_link:
        return outcome
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    row = StaffInvite(
        venue_id=venue.id,
        user_id=user.id,
        role=role,
        token_digest=token_digest(token),
        created_at=now,
        expires_at=now + INVITE_LIFETIME,
        invited_by_id=scope.user_id,
    )
    session.add(row)
    session.flush()
    record_change(session, actor, "invite", row, {})
    if email_link:
        notifications.staff_invited(
            session,
            email=address,
            venue_name=venue.name,
            role=role,
            link=link_for(token),
            invite_id=row.id,
        )
    return Invited(
        address,
        venue.name,
        venue.timezone,
        role,
        created,
        token=token,
        expires_at=row.expires_at,
        replaced=replaced,
        emailed=email_link,
    )


def _new_account(session: Session, address: str, name: str) -> tuple[User, bool]:
    """A new inactive account without a password for ``address``, flushed, and True; or,
    when another transaction created one for that address a moment ago (two managers
    inviting one person to two venues at once), that one, locked, and False."""
    user = User(
        email=address,
        full_name=name or address.split("@", 1)[0],
        password_hash=None,
        is_active=False,
    )
    try:
        # A savepoint: the unique email refusing this insert must not end the transaction.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(User).where(User.email == address).with_for_update())
        if existing is None:
            raise
        return existing, False
    return user, True


def close_open(
    session: Session,
    actor: Actor,
    user_id: int,
    venue_id: int | None,
    now: datetime,
    *,
    reason: str,
) -> int:
    """Revoke (``reason="replaced"``) or mark used (``"accepted"``) the user's unused,
    unwithdrawn invites (to ``venue_id`` only, when given), audited; how many."""
    stmt = (
        select(StaffInvite)
        .where(
            StaffInvite.user_id == user_id,
            StaffInvite.accepted_at.is_(None),
            StaffInvite.revoked_at.is_(None),
        )
        .order_by(StaffInvite.id)
        .with_for_update()
    )
    if venue_id is not None:
        stmt = stmt.where(StaffInvite.venue_id == venue_id)
    rows = list(session.scalars(stmt))
    for row in rows:
        before = snapshot(row)
        if reason == "accepted":
            row.accepted_at = now
            action = "accept_invite"
        else:
            row.revoked_at = now
            action = "revoke_invite"
        session.flush()
        entry = record_change(session, actor, action, row, before)
        entry.changes = {**(entry.changes or {}), "reason": [None, reason]}
    return len(rows)


def revoke(
    session: Session,
    scope: Scope,
    invite_id: int,
    *,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> StaffInvite:
    """Withdraw an unused invite and remove the venue role it gave (the caller commits).

    The account stays (see the module docstring). Raises :class:`InviteNotFound` for an
    invite the user may not see, :class:`~admin_app.scoping.ScopeError` for staff of its
    venue who are not managers, :class:`InviteError` for one already used or withdrawn.
    """
    now = now_or(now)
    lock_writes_on_sqlite(session)
    venue_id = session.scalar(select(StaffInvite.venue_id).where(StaffInvite.id == invite_id))
    if venue_id is None or not (scope.is_superuser or venue_id in scope.venue_ids):
        raise InviteNotFound("There is no such invite.")
    if not may_invite(scope, venue_id):
        raise ScopeError(NOT_MANAGER)
    session.get(Venue, venue_id, with_for_update=True)  # the venue first, as invite() does
    row = session.get(StaffInvite, invite_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise InviteNotFound("There is no such invite.")
    if row.accepted_at is not None:
        raise InviteError(f"{row.user.email} has already accepted this invite.")
    if row.revoked_at is not None:
        raise InviteError("This invite was already withdrawn.")
    actor = Actor.of(scope, remote_addr)
    before = snapshot(row)
    row.revoked_at = now
    session.flush()
    record_change(session, actor, "revoke_invite", row, before)
    staff = session.scalar(
        select(VenueStaff).where(
            VenueStaff.venue_id == row.venue_id, VenueStaff.user_id == row.user_id
        )
    )
    if staff is not None:
        gone = snapshot(staff)
        record_change(session, actor, "delete", staff, gone, {})
        session.delete(staff)
        session.flush()
    return row


def pending(session: Session, scope: Scope, *, now: datetime | None = None) -> list[PendingInvite]:
    """Invites ``scope`` may revoke that are neither used nor withdrawn, soonest expiry
    first (expired ones included, marked: the manager re-invites or withdraws them); at
    most :data:`PENDING_SHOWN`."""
    now = now_or(now)
    by = aliased(User)  # the inviter, apart from the invited person the query joins
    inviter = select(by.full_name).where(by.id == StaffInvite.invited_by_id)
    rows = session.execute(
        select(StaffInvite, User.email, User.full_name, Venue.name, Venue.timezone)
        .add_columns(inviter.scalar_subquery())
        .join(User, User.id == StaffInvite.user_id)
        .join(Venue, Venue.id == StaffInvite.venue_id)
        .where(
            invites_clause(scope),
            StaffInvite.accepted_at.is_(None),
            StaffInvite.revoked_at.is_(None),
            # Removed from the venue's staff since (the staff list's delete): the link
            # opens nothing any more (invite_links.find_open), so it is not pending.
            exists().where(
                VenueStaff.venue_id == StaffInvite.venue_id,
                VenueStaff.user_id == StaffInvite.user_id,
            ),
        )
        .order_by(StaffInvite.expires_at, StaffInvite.id)
        .limit(PENDING_SHOWN)
    ).all()
    return [
        PendingInvite(
            id=row.id,
            email=email,
            full_name=full_name,
            venue_id=row.venue_id,
            venue_name=venue_name,
            timezone=zone_name,
            role=row.role,
            created_at=row.created_at,
            expires_at=row.expires_at,
            invited_by=invited_by,
            expired=row.expires_at <= now,
        )
        for row, email, full_name, venue_name, zone_name, invited_by in rows
    ]
