"""venue availability: a venue's open / closed / hold mark per date

Revision ID: e2c7d1f8a905
Revises: b6a9f0d4e231
Create Date: 2026-11-21 06:03:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e2c7d1f8a905"
down_revision: str | Sequence[str] | None = "b6a9f0d4e231"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "venue_availabilities",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("venue_id", BIGINT, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'hold')", name=op.f("ck_venue_availabilities_status")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_venue_availabilities_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_availabilities")),
        sa.UniqueConstraint("venue_id", "date", name=op.f("uq_venue_availabilities_venue_id_date")),
    )
    op.create_index(op.f("ix_venue_availabilities_date"), "venue_availabilities", ["date"])


def downgrade() -> None:
    op.drop_table("venue_availabilities")
