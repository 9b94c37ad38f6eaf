"""sqlite no overlap triggers: the database refuses overlapping confirmed events on SQLite too

On PostgreSQL the exclusion constraint ``excl_events_venue_confirmed_no_overlap``
(migration b6a9f0d4e231) refuses a second confirmed event at a venue whose time overlaps
one already there, whoever writes it. SQLite has no exclusion constraints, so until now
only the booking rules guarded it there, and a writer that skipped them (a script, a new
code path that forgot the write lock and the check) could store the overlap.

Two triggers refuse exactly what the constraint refuses: a row that is confirmed, at the
same venue as another confirmed row, whose half-open range ``[starts_at, ends_at)``
overlaps it (back-to-back shows touch without overlapping). Holds, drafts and cancelled
events never count. They ``RAISE(ABORT, ...)``, which pysqlite reports as an
``IntegrityError`` whose text names the constraint as SQLite names its own ("EXCLUDE
constraint failed: <name>"), so the console maps it to the same message as PostgreSQL's.

The comparisons are on the stored text: ``UTCDateTime`` writes every instant in UTC in
one fixed format, so text order is time order, as in the booking rules' own check.

On PostgreSQL this migration does nothing.

A later migration that recreates ``events`` on SQLite (``batch_alter_table``) drops these
triggers with the old table: it must create them again.

Revision ID: 9a3a1e85b614
Revises: 10869f52de01
Create Date: 2026-11-29 02:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "9a3a1e85b614"
down_revision: str | Sequence[str] | None = "10869f52de01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The PostgreSQL constraint's name, in SQLite's own wording of a failed constraint.
MESSAGE = "EXCLUDE constraint failed: excl_events_venue_confirmed_no_overlap"
INSERT_TRIGGER = "trg_events_confirmed_no_overlap_insert"
UPDATE_TRIGGER = "trg_events_confirmed_no_overlap_update"


def _create_trigger(name: str, on: str, also: str = "") -> str:
    """A trigger refusing a confirmed row that overlaps another confirmed row of its venue."""
    # PostgreSQL tests a row's CHECKs before the exclusion constraint, but SQLite runs
    # BEFORE triggers before CHECKs. So a row that a CHECK refuses is left to it, to be
    # refused by that CHECK's name on both: hold_rank IS NULL (ck_events_hold_rank, for a
    # confirmed row) and starts_at < ends_at (ck_events_ends_after_start).
    return f"""
CREATE TRIGGER {name}
BEFORE {on} ON events
WHEN NEW.status = 'confirmed' AND NEW.hold_rank IS NULL AND NEW.starts_at < NEW.ends_at
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}')
    WHERE EXISTS (
        SELECT 1 FROM events AS other
        WHERE other.venue_id = NEW.venue_id
          AND other.status = 'confirmed'
          AND other.starts_at < NEW.ends_at
          AND other.ends_at > NEW.starts_at{also}
    );
END"""  # noqa: S608  # built from this module's constants only


EXISTING_OVERLAPS = """
SELECT earlier.id, earlier.title, later.id, later.title
FROM events AS earlier
JOIN events AS later ON later.venue_id = earlier.venue_id AND later.id > earlier.id
WHERE earlier.status = 'confirmed' AND later.status = 'confirmed'
  AND earlier.starts_at < later.ends_at AND later.starts_at < earlier.ends_at
ORDER BY earlier.id, later.id
LIMIT 10
"""


def _on_sqlite() -> bool:
    # The context knows the dialect offline too (``--sql``), where there is no connection.
    return op.get_context().dialect.name == "sqlite"


def _refuse_existing_overlaps() -> None:
    """Stop before installing a guarantee the stored rows already break.

    PostgreSQL never let such rows in; SQLite may hold some from a writer that skipped the
    booking rules. Which event should give way is a person's decision, not a migration's.
    """
    if op.get_context().as_sql:
        return  # offline: no rows to read
    pairs = op.get_bind().exec_driver_sql(EXISTING_OVERLAPS).all()
    if pairs:
        listed = "; ".join(
            f'#{a} "{title_a}" and #{b} "{title_b}"' for a, title_a, b, title_b in pairs
        )
        raise RuntimeError(
            "These confirmed events overlap at the same venue: "
            f"{listed}. Cancel or move one of each pair, then run `alembic upgrade head` again."
        )


def upgrade() -> None:
    if not _on_sqlite():
        return  # PostgreSQL has the exclusion constraint
    _refuse_existing_overlaps()
    op.execute(_create_trigger(INSERT_TRIGGER, "INSERT"))
    # Only the columns the rule reads: editing a title does not re-check the schedule.
    op.execute(
        _create_trigger(
            UPDATE_TRIGGER,
            "UPDATE OF venue_id, starts_at, ends_at, status, hold_rank",
            # The row being updated is not its own clash.
            also="\n          AND other.id <> OLD.id",
        )
    )


def downgrade() -> None:
    if not _on_sqlite():
        return
    op.execute(f"DROP TRIGGER IF EXISTS {UPDATE_TRIGGER}")
    op.execute(f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER}")
