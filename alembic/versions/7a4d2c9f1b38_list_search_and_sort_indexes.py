"""list indexes: trigram indexes for searches, and the applications list's sort order

The console's list search is ``CAST(column AS VARCHAR) ILIKE '%term%'``; a B-tree cannot
serve a leading wildcard, so every search read the whole table (1M events: ~400 ms). A
``pg_trgm`` GIN index on each searched column answers it with a bitmap scan. Built
``CONCURRENTLY`` (reads and writes go on while it builds), ``IF NOT EXISTS`` so a release
retried after a failed build picks up where it stopped (drop an INVALID leftover first).

The applications list shows the newest first (``ORDER BY created_at DESC, id DESC``):
without an index on that order every page sorted all 3M rows (~500 ms);
``ix_event_applications_created_at_id`` lets it read 25 rows off the index (both databases).

SQLite has no pg_trgm (and its tables stay small): no trigram indexes there.

Revision ID: 7a4d2c9f1b38
Revises: 3d8b1f6c2e70
Create Date: 2026-11-21 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "7a4d2c9f1b38"
down_revision: str | Sequence[str] | None = "3d8b1f6c2e70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column) of every column_searchable_list entry on a table that grows large.
SEARCHED = (
    ("events", "title"),
    ("bands", "name"),
    ("bands", "genre"),
    ("bands", "city"),
    ("venues", "name"),
    ("venues", "city"),
    ("users", "email"),
    ("users", "full_name"),
)


def index_name(table: str, column: str) -> str:
    """The name the models declare for the trigram index on ``table.column``."""
    return f"ix_{table}_{column}_trgm"


def _is_postgresql() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "postgresql"


SORT_INDEX = ("ix_event_applications_created_at_id", "event_applications", ["created_at", "id"])


def upgrade() -> None:
    if not _is_postgresql():
        op.create_index(*SORT_INDEX)
        return
    # Trusted since PostgreSQL 13: the database owner may create it without superuser.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.get_context().autocommit_block():
        for table, column in SEARCHED:
            op.create_index(
                index_name(table, column),
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
                postgresql_concurrently=True,
                if_not_exists=True,
            )
        op.create_index(*SORT_INDEX, postgresql_concurrently=True, if_not_exists=True)


def downgrade() -> None:
    if not _is_postgresql():
        op.drop_index(SORT_INDEX[0], table_name=SORT_INDEX[1])
        return
    with op.get_context().autocommit_block():
        op.drop_index(
            SORT_INDEX[0], table_name=SORT_INDEX[1], postgresql_concurrently=True, if_exists=True
        )
        for table, column in SEARCHED:
            op.drop_index(
                index_name(table, column),
                table_name=table,
                postgresql_concurrently=True,
                if_exists=True,
            )
    # pg_trgm stays: dropping an extension other objects may use is not this revision's call.
