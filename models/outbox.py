"""The notification outbox: messages written in the same transaction as the decision
that causes them, and delivered afterwards by the worker (``python -m admin_app worker``).

If the decision rolls back, its messages never existed; once it commits, they wait here
until a worker has handed them to the mail server, however often processes die meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, Integer, String, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin
from models.types import UTCDateTime

# pending: waiting for its next attempt; sending: claimed by a worker until claimed_until
# (a worker that died leaves it to be claimed again once that has passed); sent: the mail
# server took it; logged: no mail server configured, written to the log instead;
# failed: every attempt refused, left for a person (the outbox view's "retry now").
OUTBOX_STATUSES = ("pending", "sending", "sent", "logged", "failed")


class OutboxMessage(IdMixin, Base):
    """One email to send, with everything needed to send it again exactly alike."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'logged', 'failed')", name="status"
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # What a worker claims next: the due ones, oldest due first.
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    # Stable per cause ("application:12:accepted:v3"): the same decision never queues a
    # message twice, and the Message-ID derived from it lets mail clients drop duplicates.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # Essential messages (invites, password links) go even to people who turned
    # notifications off.
    essential: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # [{"filename": ..., "content_type": "text/calendar; method=PUBLISH", "content": ...}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), server_default="pending", default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    # While "sending": the worker's claim, and when it lapses.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.recipients)}"
