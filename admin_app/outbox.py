"""The notification outbox: queue a message in the decision's transaction; claim, and
record the outcome of, each delivery attempt (the worker's side).

Delivery is at least once, and in practice once: a worker claims one message at a time
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers share the queue; on
SQLite the single writer lock, so a second worker simply waits its turn), marks it
"sending" with a lease, sends it with no transaction open, then records the outcome — only
if its claim still stands. A worker that dies mid-send leaves the claim to lapse; the
message is then claimed and sent again, at most once more than the mail server saw it.
The idempotency key makes the Message-ID stable, so mail clients drop such a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from admin_app.db import lock_writes_on_sqlite
from models import OutboxMessage

# Attempts before a message is marked failed (≈ 2 h of retries with the backoff below).
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# Errors are kept for people to read in the outbox view, not as a transcript.
MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message, e.g. the show as ``text/calendar; method=PUBLISH``."""

    filename: str
    content_type: str
    content: str


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    recipients: Iterable[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    essential: bool = False,
) -> bool:
    """Queue one message in ``session``'s transaction; False if there was nothing to queue.

    Nothing is queued for no recipients, nor a second time for the same ``key`` (the first
    message queued for a cause stands), so callers may queue without checking first.
    """
    addresses = list(dict.fromkeys(address.strip().lower() for address in recipients))
    addresses = [address for address in addresses if address]
    if not addresses:
        return False
    values = {
        "idempotency_key": key,
        "kind": kind,
        "essential": essential,
        "recipients": addresses,
        "subject": subject,
        "text_body": text,
        "html_body": html,
        "attachments": [vars(attachment) for attachment in attachments],
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(OutboxMessage).values(**values).on_conflict_do_nothing()
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        # A claim that lapsed: its worker died (or hung past the lease) mid-send.
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def claim_next(
    session: Session, worker_id: str, lease: timedelta, now: datetime | None = None
) -> OutboxMessage | None:
    """Claim the message due longest (counting the attempt), or None if nothing is due.

    The caller commits at once, so the claim is seen by every other worker.
    """
    now = now or datetime.now(UTC)
    lock_writes_on_sqlite(session)
    message = session.scalars(
        select(OutboxMessage)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if message is None:
        return None
    message.status = "sending"
    message.claimed_by = worker_id
    message.claimed_until = now + lease
    message.attempts += 1
    session.flush()
    return message


def _settle(session: Session, message_id: int, worker_id: str, **values: object) -> bool:
    """Write an attempt's outcome if ``worker_id``'s claim still stands."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_by == worker_id,
        )
        .values(claimed_by=None, claimed_until=None, **values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_delivered(
    session: Session, message_id: int, worker_id: str, *, logged: bool = False
) -> bool:
    """The mail server took it (or, with no server configured, the log did)."""
    return _settle(
        session,
        message_id,
        worker_id,
        status="logged" if logged else "sent",
        sent_at=datetime.now(UTC),
        last_error=None,
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s after the first failure, doubling, at most an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


def mark_attempt_failed(
    session: Session,
    message: OutboxMessage,
    worker_id: str,
    error: str,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    now: datetime | None = None,
) -> str:
    """Schedule the next attempt, or give up after ``max_attempts``: the new status."""
    now = now or datetime.now(UTC)
    status = "failed" if message.attempts >= max_attempts else "pending"
    _settle(
        session,
        message.id,
        worker_id,
        status=status,
        next_attempt_at=now + retry_delay(message.attempts),
        last_error=error[:MAX_ERROR_LENGTH],
    )
    return status


def retry_now(session: Session, message_id: int) -> OutboxMessage | None:
    """Send a pending or failed message at the next chance, with a fresh set of attempts."""
    lock_writes_on_sqlite(session)
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status not in ("pending", "failed"):
        return None
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = datetime.now(UTC)
    session.flush()
    return message


def oldest_due_age(session: Session, now: datetime | None = None) -> float:
    """Seconds the longest-waiting due message has waited (0 when none is due)."""
    now = now or datetime.now(UTC)
    oldest = session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(_due(now)))
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
