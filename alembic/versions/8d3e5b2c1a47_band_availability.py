"""band availability: per-date answers of bands and of their members

Revision ID: 8d3e5b2c1a47
Revises: 4f1c2a9e7b10
Create Date: 2026-11-21 06:01:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d3e5b2c1a47"
down_revision: str | Sequence[str] | None = "4f1c2a9e7b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUS_CHECK = "status IN ('available', 'unavailable', 'tentative')"


def upgrade() -> None:
    op.create_table(
        "band_availabilities",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("band_id", BIGINT, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_band_availabilities_status")),
        sa.ForeignKeyConstraint(
            ["band_id"],
            ["bands.id"],
            name=op.f("fk_band_availabilities_band_id_bands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_band_availabilities")),
        sa.UniqueConstraint("band_id", "date", name=op.f("uq_band_availabilities_band_id_date")),
    )
    op.create_index(op.f("ix_band_availabilities_date"), "band_availabilities", ["date"])
    op.create_table(
        "band_member_availabilities",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("band_member_id", BIGINT, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_band_member_availabilities_status")),
        sa.ForeignKeyConstraint(
            ["band_member_id"],
            ["band_members.id"],
            name=op.f("fk_band_member_availabilities_band_member_id_band_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_band_member_availabilities")),
        sa.UniqueConstraint(
            "band_member_id", "date", name=op.f("uq_band_member_availabilities_band_member_id_date")
        ),
    )
    op.create_index(
        op.f("ix_band_member_availabilities_date"), "band_member_availabilities", ["date"]
    )


def downgrade() -> None:
    op.drop_table("band_member_availabilities")
    op.drop_table("band_availabilities")
