"""feed tokens: the digest of each venue's and band's secret calendar feed URL

Two nullable columns per table (no default, so PostgreSQL only touches the catalogue) and
a unique index on the digest, which is how a feed request finds its owner. The indexes
are built CONCURRENTLY on PostgreSQL, outside the migration's transaction, so venues and
bands stay writable while they build; ``IF NOT EXISTS`` makes a retry after a failed
build (which leaves an INVALID index behind: drop it first) a plain re-run.

Revision ID: 59e77b392577
Revises: 07bfa05e6fa3
Create Date: 2026-11-21 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "59e77b392577"
down_revision: str | Sequence[str] | None = "07bfa05e6fa3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("venues", "bands")


def _rerunnable() -> bool:
    # The concurrent index commits halfway through, so a failed run can leave the columns
    # behind: IF [NOT] EXISTS lets it simply run again. SQLite has no such clause for
    # columns (and runs the whole migration in one go anyway).
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
            if_not_exists=_rerunnable(),
        )
        op.add_column(
            table,
            sa.Column("feed_token_created_at", sa.DateTime(timezone=True), nullable=True),
            if_not_exists=_rerunnable(),
        )
    with op.get_context().autocommit_block():
        for table in TABLES:
            op.create_index(
                op.f(f"ix_{table}_feed_token_hash"),
                table,
                ["feed_token_hash"],
                unique=True,
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for table in TABLES:
            op.drop_index(
                op.f(f"ix_{table}_feed_token_hash"),
                table_name=table,
                postgresql_concurrently=True,
                if_exists=True,
            )
    for table in TABLES:
        # Plain DROP COLUMN, also on SQLite (>= 3.35 does it in place): a batch-mode copy
        # would drop and recreate tables that events and staff rows reference.
        op.drop_column(table, "feed_token_created_at", if_exists=_rerunnable())
        op.drop_column(table, "feed_token_hash", if_exists=_rerunnable())
