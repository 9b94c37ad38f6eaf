"""events sort index: (starts_at, id), the events list's whole order

The events list shows the newest first (``ORDER BY starts_at DESC, id DESC``, the id
keeping rows of one start time in a fixed order across pages). ``ix_events_starts_at``
covered the first key only: every page sorted its rows again by id, and a page far from
the start (page 2,000 of 1M events: 50,000 rows in) fetched every skipped row from the
table to do it (~58 ms). ``ix_events_starts_at_id`` holds the whole order and the key the
list's deep pages look up first, so those pages are an index-only scan. It serves every
range query on ``starts_at`` the old index served, which is dropped (one index less to
write on every insert).

Built and dropped ``CONCURRENTLY`` (reads and writes go on), ``IF [NOT] EXISTS`` so a
release retried after a failed build picks up where it stopped (drop an INVALID leftover
first).

Revision ID: c4e8a2f61d57
Revises: 49611357c221
Create Date: 2026-11-29 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c4e8a2f61d57"
down_revision: str | Sequence[str] | None = "49611357c221"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = ("ix_events_starts_at_id", "events", ["starts_at", "id"])
OLD = ("ix_events_starts_at", "events", ["starts_at"])


def _is_postgresql() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "postgresql"


def _replace(add: tuple[str, str, list[str]], drop: tuple[str, str, list[str]]) -> None:
    if not _is_postgresql():
        op.create_index(*add)
        op.drop_index(drop[0], table_name=drop[1])
        return
    with op.get_context().autocommit_block():
        op.create_index(*add, postgresql_concurrently=True, if_not_exists=True)
        op.drop_index(drop[0], table_name=drop[1], postgresql_concurrently=True, if_exists=True)


def upgrade() -> None:
    _replace(NEW, OLD)


def downgrade() -> None:
    _replace(OLD, NEW)
