"""Sign-in throttling: failed attempts per email, counted in the ``login_failures`` table.

The count lives in the database, not in process memory, so every web process behind the
router sees the same number and a guesser gains nothing by landing on another dyno.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from admin_app.accounts import normalize_email
from models import LoginFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def throttle_key(email: str) -> str:
    """The form an email is counted under: ``" Ann@X.org "`` and ``"ann@x.org"`` are one."""
    return normalize_email(email)


def locked_for(session: Session, email: str, now: datetime) -> timedelta | None:
    """How long ``email`` must wait before trying again, or None when it may try now."""
    recent = session.scalars(
        select(LoginFailure.failed_at)
        .where(LoginFailure.email == throttle_key(email), LoginFailure.failed_at > now - WINDOW)
        .order_by(LoginFailure.failed_at.desc())
        .limit(MAX_FAILURES)
    ).all()
    if len(recent) < MAX_FAILURES:
        return None
    # The lock lifts when the oldest of the last MAX_FAILURES failures leaves the window.
    return recent[-1] + WINDOW - now


def record_failure(session: Session, email: str, now: datetime) -> None:
    """Count one failed attempt for ``email`` (the caller commits)."""
    # Rows older than the window no longer count for anyone: pruning them here keeps the
    # table as small as fifteen minutes of failures, with no separate clean-up job.
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - WINDOW))
    session.add(LoginFailure(email=throttle_key(email), failed_at=now))


def reset(session: Session, email: str) -> None:
    """Forget ``email``'s failures after a successful sign-in (the caller commits)."""
    session.execute(delete(LoginFailure).where(LoginFailure.email == throttle_key(email)))


def lockout_message(wait: timedelta) -> str:
    """The plain sentence a throttled sign-in gets, rounded up to whole minutes."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins for this email. Try again in {minutes} {unit}."
