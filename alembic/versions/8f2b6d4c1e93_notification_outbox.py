"""notification outbox, and each person's choice to receive notifications

Expand only: a new table, and a column with a constant default that the release still
serving ignores (PostgreSQL 11+ adds such a column without rewriting the table).

- ``outbox_messages``: messages written in the decision's transaction and delivered by
  the worker process; ``(status, next_attempt_at)`` is what a worker claims by.
- ``users.wants_notifications``: off = essential messages only (invites, password links).

Revision ID: 8f2b6d4c1e93
Revises: 3b7d9e2f4a61
Create Date: 2026-11-29 09:30:00
"""

# squawk-ignore-file: prefer-bigint-over-int -- attempts counts a handful of retries (capped)

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8f2b6d4c1e93"
down_revision: str | Sequence[str] | None = "3b7d9e2f4a61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The table is new and empty in this transaction: nothing to build concurrently.
INDEXES = (
    ("ix_outbox_messages_kind", ["kind"]),
    ("ix_outbox_messages_status_next_attempt_at", ["status", "next_attempt_at"]),
)


def _is_postgresql() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    now = sa.text("CURRENT_TIMESTAMP")
    op.create_table(
        "outbox_messages",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("essential", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=now, nullable=False
        ),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'logged', 'failed')",
            name=op.f("ck_outbox_messages_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_messages_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")),
        if_not_exists=True,
    )
    for name, columns in INDEXES:
        op.create_index(name, "outbox_messages", columns, if_not_exists=True)
    # SQLite has no ADD COLUMN IF NOT EXISTS; its DDL is transactional anyway.
    op.add_column(
        "users",
        sa.Column("wants_notifications", sa.Boolean(), server_default=sa.true(), nullable=False),
        if_not_exists=_is_postgresql(),
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("wants_notifications")
    op.drop_table("outbox_messages")
