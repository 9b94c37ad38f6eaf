"""login failures per client address: a remote_addr column and its index

The sign-in throttle also limits failures per client address (one address trying many
emails), so each row of ``login_failures`` now says where the attempt came from.

PostgreSQL, without blocking sign-ins for longer than a catalogue change: the column is
nullable with no default (no rewrite; rows from before it count for no address), and the
index is built CONCURRENTLY outside the transaction, ``IF NOT EXISTS`` so a release retried
after a failed build picks up where it stopped. The table holds only the last fifteen
minutes of failures, so the build is short anyway.

SQLite: batch mode, as the other migrations; nothing references this table.

Revision ID: 49611357c221
Revises: 9a3a1e85b614
Create Date: 2026-11-29 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "49611357c221"
down_revision: str | Sequence[str] | None = "9a3a1e85b614"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "login_failures"
INDEX = "ix_login_failures_remote_addr_failed_at"


def _remote_addr() -> sa.Column[str]:
    return sa.Column("remote_addr", sa.String(length=45), nullable=True)


def _is_postgresql() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgresql():
        op.add_column(TABLE, _remote_addr(), if_not_exists=True)
        with op.get_context().autocommit_block():
            op.create_index(
                INDEX,
                TABLE,
                ["remote_addr", "failed_at"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
        return
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.add_column(_remote_addr())
        batch_op.create_index(INDEX, ["remote_addr", "failed_at"])


def downgrade() -> None:
    if _is_postgresql():
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True, if_exists=True)
        op.drop_column(TABLE, "remote_addr")
        return
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("remote_addr")
