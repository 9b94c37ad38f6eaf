"""hold rank check rejects NULL: a hold must carry a rank

The first version of ``ck_events_hold_rank`` read ``status = 'hold' AND hold_rank >= 1``.
For a hold with a NULL rank that is NULL, not FALSE, and a CHECK only refuses FALSE, so
such holds got in. This replaces it with ``hold_rank IS NOT NULL AND hold_rank >= 1``.

PostgreSQL, without holding a write-blocking lock while rows are checked:
1. give the holds that slipped through rank 1 (an indexed, normally empty UPDATE);
2. swap the constraint, the new one ``NOT VALID`` (new rows are checked at once);
3. after that commits, ``VALIDATE CONSTRAINT`` scans the table under a lock that lets
   reads and writes go on.

Revision ID: 3d8b1f6c2e70
Revises: 59e77b392577
Create Date: 2026-11-21 06:30:00
"""

# squawk-ignore-file: ban-drop-constraint -- the faulty check is replaced in the same transaction by a stricter one; nothing relies on its absence

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "3d8b1f6c2e70"
down_revision: str | Sequence[str] | None = "59e77b392577"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_events_hold_rank"
FIXED = (
    "(status = 'hold' AND hold_rank IS NOT NULL AND hold_rank >= 1) "
    "OR (status <> 'hold' AND hold_rank IS NULL)"
)
ORIGINAL = "(status = 'hold' AND hold_rank >= 1) OR (status <> 'hold' AND hold_rank IS NULL)"
REPAIR = "UPDATE events SET hold_rank = 1 WHERE status = 'hold' AND hold_rank IS NULL"


def _is_postgresql() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "postgresql"


def _refuse_sqlite_foreign_key_enforcement() -> None:
    # Batch mode copies the events table and drops the old one; with foreign keys
    # enforced that drop would cascade-delete every application.
    if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "This migration copies the events table on SQLite; run it on a connection "
            "without PRAGMA foreign_keys=ON."
        )


def _swap(check: str) -> None:
    if _is_postgresql():
        op.execute(f"ALTER TABLE events DROP CONSTRAINT IF EXISTS {NAME}")
        op.execute(f"ALTER TABLE events ADD CONSTRAINT {NAME} CHECK ({check}) NOT VALID")
        with op.get_context().autocommit_block():
            op.execute(f"ALTER TABLE events VALIDATE CONSTRAINT {NAME}")
        return
    _refuse_sqlite_foreign_key_enforcement()
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
        batch_op.create_check_constraint(op.f(NAME), check)


def upgrade() -> None:
    op.execute(REPAIR)
    _swap(FIXED)


def downgrade() -> None:
    _swap(ORIGINAL)
