"""hold expiry and staff invites

Expand only: a nullable column and a new table, which the release still serving ignores.

- ``events.hold_expires_at``: a hold may lapse; expired holds are shown as such and
  cancelled by ``python -m admin_app release-expired-holds``. Indexed (that job looks the
  due ones up by it); on PostgreSQL the index is built ``CONCURRENTLY`` so writes to
  events go on, ``IF NOT EXISTS`` so a retried release picks up where it stopped.
- ``staff_invites``: a manager's single-use set-password link for a new hire (digest of
  the token only), open until used, revoked or expired.

Revision ID: 3b7d9e2f4a61
Revises: c4e8a2f61d57
Create Date: 2026-11-29 09:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b7d9e2f4a61"
down_revision: str | Sequence[str] | None = "c4e8a2f61d57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EXPIRY_INDEX = "ix_events_hold_expires_at"
INVITE_INDEXES = (
    ("ix_staff_invites_user_id", ["user_id"]),
    ("ix_staff_invites_invited_by_id", ["invited_by_id"]),
    ("ix_staff_invites_venue_id_created_at", ["venue_id", "created_at"]),
)


def _is_postgresql() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    # SQLite has no ADD COLUMN IF NOT EXISTS; its DDL is transactional anyway.
    op.add_column(
        "events",
        sa.Column("hold_expires_at", sa.DateTime(timezone=True)),
        if_not_exists=_is_postgresql(),
    )
    op.create_table(
        "staff_invites",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("venue_id", BIGINT, nullable=False),
        sa.Column("user_id", BIGINT, nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_by_id", BIGINT, nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('manager', 'staff')", name=op.f("ck_staff_invites_role")),
        sa.CheckConstraint(
            "accepted_at IS NULL OR revoked_at IS NULL",
            name=op.f("ck_staff_invites_used_or_revoked"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"],
            name=op.f("fk_staff_invites_venue_id_venues"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_staff_invites_user_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"],
            name=op.f("fk_staff_invites_invited_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_staff_invites_token_digest")),
        if_not_exists=True,
    )  # fmt: skip
    # The table is new and empty in this transaction: nothing to build concurrently.
    for name, columns in INVITE_INDEXES:
        op.create_index(name, "staff_invites", columns, if_not_exists=True)
    if not _is_postgresql():
        op.create_index(EXPIRY_INDEX, "events", ["hold_expires_at"])
        return
    with op.get_context().autocommit_block():
        op.create_index(
            EXPIRY_INDEX, "events", ["hold_expires_at"],
            postgresql_concurrently=True, if_not_exists=True,
        )  # fmt: skip


def downgrade() -> None:
    if _is_postgresql():
        with op.get_context().autocommit_block():
            op.drop_index(
                EXPIRY_INDEX, table_name="events", postgresql_concurrently=True, if_exists=True
            )
    else:
        op.drop_index(EXPIRY_INDEX, table_name="events")
    op.drop_table("staff_invites")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("hold_expires_at")
