"""Sign-in throttling: failed attempts per email and per client address, counted in the
``login_failures`` table.

The count lives in the database, not in process memory, so every web process behind the
router sees the same number and a guesser gains nothing by landing on another dyno.

Each attempt claims its slot before its password is checked, atomically: under a lock
per client address and per email, :func:`claim_attempt` counts the window's failures,
attempts still in flight included, and when there is room adds the attempt's own row at
once. With four failures recorded, ten guesses sent together get one slot between them:
one password check, nine refusals. A failed check leaves the row (it is the failure); a
successful one deletes the email's rows (:func:`reset`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Executable, delete, func, select
from sqlalchemy.orm import Session

from admin_app.accounts import normalize_email
from admin_app.db import lock_writes_on_sqlite
from models import LoginFailure

MAX_FAILURES = 5  # per email: a guesser of one account's password gets five tries
# Per client address: a guesser trying many emails from one address. Generous, because a
# venue's office or a whole team behind one router shares an address.
MAX_ADDRESS_FAILURES = 50
WINDOW = timedelta(minutes=15)

# PostgreSQL advisory lock classes, the first key of pg_advisory_xact_lock(int, int): the
# second is hashtext() of the email or the address. Two values sharing a hash only wait
# for each other a moment longer; nothing else in the app takes advisory locks.
_ADDRESS_LOCK = 1
_EMAIL_LOCK = 2


@dataclass(frozen=True)
class Lockout:
    """A refused attempt: which limit it met and how long until that limit lifts."""

    wait: timedelta
    limit: Literal["email", "address"]

    @property
    def message(self) -> str:
        """The plain sentence a throttled sign-in gets, rounded up to whole minutes."""
        minutes = max(1, math.ceil(self.wait.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        source = "for this email" if self.limit == "email" else "from your network address"
        return f"Too many failed sign-ins {source}. Try again in {minutes} {unit}."


def throttle_key(email: str) -> str:
    """The form an email is counted under: ``" Ann@X.org "`` and ``"ann@x.org"`` are one."""
    return normalize_email(email)


def claim_attempt(
    session: Session, email: str, remote_addr: str | None, now: datetime
) -> Lockout | None:
    """Take a slot for one sign-in attempt, or say why it must wait (the caller commits).

    A slot is a ``login_failures`` row added now, before the password is checked, so a
    parallel attempt already counts it. A refused attempt adds nothing: the refusal does
    not extend the lock. An unknown address (None) is counted per email only.
    """
    key = throttle_key(email)
    _lock(session, remote_addr, key)
    lockouts = [_lockout(session, LoginFailure.email == key, MAX_FAILURES, now, "email")]
    if remote_addr is not None:
        by_address = LoginFailure.remote_addr == remote_addr
        lockouts.append(_lockout(session, by_address, MAX_ADDRESS_FAILURES, now, "address"))
    refusals = [lockout for lockout in lockouts if lockout is not None]
    if refusals:
        return max(refusals, key=lambda lockout: lockout.wait)
    _prune(session, now)
    session.add(LoginFailure(email=key, remote_addr=remote_addr, failed_at=now))
    session.flush()
    return None


def reset(session: Session, email: str) -> None:
    """Forget ``email``'s failures after a successful sign-in (the caller commits)."""
    session.execute(delete(LoginFailure).where(LoginFailure.email == throttle_key(email)))


def _lock(session: Session, remote_addr: str | None, key: str) -> None:
    """Serialise the count-check-claim of attempts on one email and one address.

    Held to the end of the transaction (a transaction pooler keeps that). Always the
    address before the email, so two attempts never wait for each other in a circle.
    SQLite has one writer at a time: taking its write lock first serialises everything.
    """
    if session.get_bind().dialect.name != "postgresql":
        lock_writes_on_sqlite(session)
        return
    if remote_addr is not None:
        session.execute(_advisory_lock(_ADDRESS_LOCK, remote_addr))
    session.execute(_advisory_lock(_EMAIL_LOCK, key))


def _advisory_lock(lock_class: int, value: str) -> Executable:
    return select(func.pg_advisory_xact_lock(lock_class, func.hashtext(value)))


def _lockout(
    session: Session,
    counted: ColumnElement[bool],
    limit: int,
    now: datetime,
    kind: Literal["email", "address"],
) -> Lockout | None:
    """The lockout when ``limit`` failures matching ``counted`` fall in the window."""
    recent = session.scalars(
        select(LoginFailure.failed_at)
        .where(counted, LoginFailure.failed_at > now - WINDOW)
        .order_by(LoginFailure.failed_at.desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    # The lock lifts when the oldest of the last ``limit`` failures leaves the window.
    return Lockout(wait=recent[-1] + WINDOW - now, limit=kind)


def _prune(session: Session, now: datetime) -> None:
    # Rows older than the window no longer count for anyone: pruning them here keeps the
    # table as small as fifteen minutes of failures, with no separate clean-up job. SKIP
    # LOCKED (PostgreSQL): rows another attempt is pruning right now are left to it, so
    # two attempts on different emails never wait for, or deadlock on, each other here.
    stale = (
        select(LoginFailure.id)
        .where(LoginFailure.failed_at <= now - WINDOW)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(LoginFailure).where(LoginFailure.id.in_(stale)),
        execution_options={"synchronize_session": False},
    )
