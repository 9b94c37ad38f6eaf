"""Tables the console itself needs: the audit log and sign-in throttling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigIntId, IdMixin
from models.people import User
from models.types import UTCDateTime


class AuditEntry(IdMixin, Base):
    """Who did what to which object, when, with each changed field's before and after.

    ``action`` is an open vocabulary (create, update, delete, sign_in, sign_in_failed,
    accept, reject, confirm, cancel...): new console actions must not need a migration.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object_type_object_id", "object_type", "object_id"),)

    occurred_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A copy of the actor's email: the entry must still say who it was after the user goes.
    actor_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str | None] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(100))
    object_repr: Mapped[str | None] = mapped_column(String(300))
    # {"field": [before, after], ...}; JSONB on PostgreSQL.
    changes: Mapped[dict[str, Any] | None] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql")
    )
    remote_addr: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.action} {self.object_type or ''} {self.object_id or ''}".strip()


class LoginFailure(IdMixin, Base):
    """One failed sign-in, or one in flight (see :mod:`admin_app.throttle`). Counted per
    email and per client address over a window; kept in the database so every web process
    sees the same count."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_failed_at", "email", "failed_at"),
        Index("ix_login_failures_remote_addr_failed_at", "remote_addr", "failed_at"),
    )

    email: Mapped[str] = mapped_column(String(320))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    # The client address the attempt came from (None when unknown, e.g. the CLI or tests
    # calling the sign-in directly); as long as audit_log.remote_addr.
    remote_addr: Mapped[str | None] = mapped_column(String(45))
