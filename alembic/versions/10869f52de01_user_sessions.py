"""user sessions: one row per signed-in browser, so signing out ends it on the server

Before this, the session cookie alone said who was signed in: signing out only cleared the
cookie in that browser, and a copy of it kept working until it expired. Now the cookie
carries a random id and this table holds its SHA-256; signing out deletes the row.

A new, empty table: created with its indexes in the release's transaction, no lock on any
busy table beyond the brief one the foreign key takes on ``users``.

Revision ID: 10869f52de01
Revises: 7a4d2c9f1b38
Create Date: 2026-11-28 16:00:00
"""

# squawk-ignore-file: prefer-bigint-over-int -- copies users.session_version (int), as small

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "10869f52de01"
down_revision: str | Sequence[str] | None = "7a4d2c9f1b38"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", BIGINT, nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remote_addr", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_index(op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("user_sessions")
