"""venues and events: venues, staff, weekly hours, events and band applications

On PostgreSQL an exclusion constraint (btree_gist) makes overlapping *confirmed* events
at one venue impossible; holds may overlap. It is created together with the table, while
the table is empty: exclusion constraints cannot be added NOT VALID later without
checking every row under a lock that blocks reads and writes.

Revision ID: b6a9f0d4e231
Revises: 8d3e5b2c1a47
Create Date: 2026-11-21 06:02:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b6a9f0d4e231"
down_revision: str | Sequence[str] | None = "8d3e5b2c1a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_venues_capacity_positive")),
        sa.CheckConstraint("timezone <> ''", name=op.f("ck_venues_timezone_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    op.create_index(op.f("ix_venues_city"), "venues", ["city"])
    op.create_index(op.f("ix_venues_name"), "venues", ["name"])

    op.create_table(
        "venue_staff",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("venue_id", BIGINT, nullable=False),
        sa.Column("user_id", BIGINT, nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint("role IN ('manager', 'staff')", name=op.f("ck_venue_staff_role")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_venue_staff_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_venue_staff_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_staff")),
        sa.UniqueConstraint("venue_id", "user_id", name=op.f("uq_venue_staff_venue_id_user_id")),
    )
    op.create_index(op.f("ix_venue_staff_user_id"), "venue_staff", ["user_id"])

    op.create_table(
        "venue_operating_hours",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("venue_id", BIGINT, nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens_at", sa.Time(), nullable=False),
        sa.Column("closes_at", sa.Time(), nullable=False),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_venue_operating_hours_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_venue_operating_hours_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_operating_hours")),
        sa.UniqueConstraint(
            "venue_id", "weekday", name=op.f("uq_venue_operating_hours_venue_id_weekday")
        ),
    )

    op.create_table(
        "events",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("venue_id", BIGINT, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("hold_rank", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint(
            "status IN ('draft', 'hold', 'confirmed', 'cancelled')", name=op.f("ck_events_status")
        ),
        sa.CheckConstraint(
            "(status = 'hold' AND hold_rank >= 1) OR (status <> 'hold' AND hold_rank IS NULL)",
            name=op.f("ck_events_hold_rank"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_events_venue_id_venues"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_starts_at"), "events", ["starts_at"])
    op.create_index(op.f("ix_events_status"), "events", ["status"])
    op.create_index(op.f("ix_events_title"), "events", ["title"])
    op.create_index("ix_events_venue_id_starts_at", "events", ["venue_id", "starts_at"])

    if op.get_bind().dialect.name == "postgresql":
        # btree_gist lets "venue_id WITH =" share a GiST index with the time range.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE events ADD CONSTRAINT excl_events_venue_confirmed_no_overlap "
            "EXCLUDE USING gist (venue_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            "WHERE (status = 'confirmed')"
        )

    op.create_table(
        "event_applications",
        sa.Column("id", BIGINT, sa.Identity(always=False), nullable=False),
        sa.Column("event_id", BIGINT, nullable=False),
        sa.Column("band_id", BIGINT, nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", BIGINT, nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_event_applications_decided_at"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected', 'withdrawn')",
            name=op.f("ck_event_applications_status"),
        ),
        sa.ForeignKeyConstraint(
            ["band_id"],
            ["bands.id"],
            name=op.f("fk_event_applications_band_id_bands"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_event_applications_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_applications_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_applications")),
        sa.UniqueConstraint(
            "event_id", "band_id", name=op.f("uq_event_applications_event_id_band_id")
        ),
    )
    op.create_index(op.f("ix_event_applications_band_id"), "event_applications", ["band_id"])
    op.create_index(
        op.f("ix_event_applications_decided_by_id"), "event_applications", ["decided_by_id"]
    )
    op.create_index(op.f("ix_event_applications_status"), "event_applications", ["status"])


def downgrade() -> None:
    op.drop_table("event_applications")
    # Dropping the table drops its exclusion constraint. btree_gist stays installed: other
    # objects may use it, and leaving an extension behind is harmless.
    op.drop_table("events")
    op.drop_table("venue_operating_hours")
    op.drop_table("venue_staff")
    op.drop_table("venues")
