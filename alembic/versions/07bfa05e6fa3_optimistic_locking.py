"""optimistic locking: a version counter and the last writer on events and applications

PostgreSQL, without blocking writes for longer than a catalogue change:
- ``version`` is NOT NULL with the constant default 1, recorded in the catalogue (PG >= 11)
  instead of rewriting the table; ``updated_by_id`` is nullable with no default.
- The foreign key is added NOT VALID (no scan under the lock) and validated after the
  transaction commits, which needs only a lock that lets reads and writes go on.
- The index is built CONCURRENTLY, outside the transaction; ``IF NOT EXISTS`` (and the
  DROP ... IF EXISTS before each ADD CONSTRAINT) make a failed run a plain re-run.

SQLite cannot add a foreign key in place, so batch mode copies each table. That copy
drops the old table, which with ``PRAGMA foreign_keys=ON`` would first cascade-delete
every application of every event: the migration refuses to run on such a connection
(Alembic's own batch-mode advice; ``env.py`` connections leave the pragma off).

Revision ID: 07bfa05e6fa3
Revises: 9c2f4e6a8d31
Create Date: 2026-11-21 07:30:00
"""

# squawk-ignore-file: prefer-bigint-over-int -- version counts the edits of one row
# squawk-ignore-file: ban-drop-constraint -- drops only this migration's own foreign key, half-added by a failed run, right before adding it again

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "07bfa05e6fa3"
down_revision: str | Sequence[str] | None = "9c2f4e6a8d31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("events", "event_applications")


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer(), server_default="1", nullable=False)


def _fk(table: str) -> str:
    return op.f(f"fk_{table}_updated_by_id_users")


def _ix(table: str) -> str:
    return op.f(f"ix_{table}_updated_by_id")


def _is_postgresql() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "postgresql"


def _refuse_sqlite_foreign_key_enforcement() -> None:
    if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "This migration copies tables on SQLite; run it on a connection without "
            "PRAGMA foreign_keys=ON, or dropping the old events table cascades."
        )


def upgrade() -> None:
    if _is_postgresql():
        _upgrade_postgresql()
        return
    _refuse_sqlite_foreign_key_enforcement()
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(_version())
            batch_op.add_column(
                sa.Column(
                    "updated_by_id",
                    BIGINT,
                    sa.ForeignKey("users.id", name=_fk(table), ondelete="SET NULL"),
                    nullable=True,
                )
            )
            batch_op.create_index(_ix(table), ["updated_by_id"])


def _upgrade_postgresql() -> None:
    for table in TABLES:
        op.add_column(table, _version(), if_not_exists=True)
        op.add_column(table, sa.Column("updated_by_id", BIGINT, nullable=True), if_not_exists=True)
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {_fk(table)}")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {_fk(table)} FOREIGN KEY (updated_by_id) "
            "REFERENCES users (id) ON DELETE SET NULL NOT VALID"
        )
    with op.get_context().autocommit_block():
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {_fk(table)}")
            op.create_index(
                _ix(table),
                table,
                ["updated_by_id"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    if _is_postgresql():
        with op.get_context().autocommit_block():
            for table in TABLES:
                op.drop_index(
                    _ix(table), table_name=table, postgresql_concurrently=True, if_exists=True
                )
        for table in TABLES:
            # Dropping the column drops its foreign key with it.
            op.drop_column(table, "updated_by_id")
            op.drop_column(table, "version")
        return
    _refuse_sqlite_foreign_key_enforcement()
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(_ix(table))
            batch_op.drop_constraint(_fk(table), type_="foreignkey")
            batch_op.drop_column("updated_by_id")
            batch_op.drop_column("version")
