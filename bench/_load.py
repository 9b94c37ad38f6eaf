"""Streaming generated rows into PostgreSQL with COPY, and reporting progress.

The load runs in three transactions: the parent tables first (users, venues, bands...),
then two independent lanes at once on two connections (events and their applications;
the three availability tables). The server does nearly all the work (parsing, five or
six indexes per table, foreign-key checks, the exclusion constraint), so two lanes keep
both cores busy where one would leave one idle.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, Queue
from typing import Any, TextIO, TypeVar

import psycopg
from psycopg import sql

from bench._tables import TABLES, Table, World, batched
from models import Base

PROGRESS_EVERY = 5.0  # seconds between progress lines within one table
_BY_NAME = {table.name: table for table in TABLES}
PARENTS = tuple(_BY_NAME[name] for name in (
    "users", "venues", "venue_operating_hours", "venue_staff", "bands", "band_members",
))  # fmt: skip
# Nothing outside a lane references its tables, so each lane can TRUNCATE (which COPY
# FREEZE requires) without touching the other lane or the committed parents.
LANES = (
    tuple(_BY_NAME[name] for name in ("events", "event_applications")),
    tuple(
        _BY_NAME[name]
        for name in (
            "venue_availabilities",
            "band_availabilities",
            "band_member_availabilities",
        )
    ),
)

PREFETCH_CHUNKS = 4  # chunks generated ahead of the one being sent
T = TypeVar("T")
Timings = dict[str, tuple[int, float]]
Cursor = psycopg.Cursor[Any]
Connection = psycopg.Connection[Any]


class Progress:
    """Prints one line per table now and then, from either lane, whole lines at a time."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def line(self, table: str, rows: int, seconds: float, mark: str) -> None:
        """Print ``table``'s rows, rate and elapsed seconds."""
        rate = f"{rows / seconds:>11,.0f} rows/s" if rows and seconds > 0 else " " * 18
        count = f"{rows:>11,} rows" if rows else " " * 16
        with self._lock:
            print(f"{table:<28} {count} {rate} {seconds:>8.1f} s  {mark}", file=self.out,
                  flush=True)  # fmt: skip


def prefetch(items: Iterator[T], depth: int = PREFETCH_CHUNKS) -> Generator[T, None, None]:
    """Iterate ``items`` in a thread, at most ``depth`` ahead of the consumer.

    Generating the next chunk (Python) then overlaps with sending the current one (libpq
    releases the GIL while it waits for the server). The queue is small on purpose: rows
    counted as written are rows the server has been handed, so progress is honest, and
    memory stays flat. (psycopg's QueuedLibpqWriter buffers up to ~128 MB, which made the
    progress lines run far ahead of the server.)
    """
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put((True, item))
            queue.put((False, None))
        except BaseException as error:  # handed to the consumer, re-raised there
            queue.put((False, error))

    worker = threading.Thread(target=produce, name="bench-rows", daemon=True)
    worker.start()
    try:
        while True:
            more, value = queue.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        # If the consumer stopped early (a failed COPY), unblock the producer and let it end.
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)


def copy_table(cursor: Cursor, table: Table, world: World, progress: Progress) -> tuple[int, float]:
    """COPY one table's generated rows in; return (rows, seconds)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FREEZE)").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    started = last_report = time.perf_counter()
    rows = 0
    chunks: Iterator[tuple[int, str]] = prefetch(batched(table.rows(world)))
    with cursor.copy(statement) as copy:
        for count, text in chunks:
            copy.write(text)
            rows += count
            now = time.perf_counter()
            if now - last_report >= PROGRESS_EVERY:
                last_report = now
                progress.line(table.name, rows, now - started, "...")
    seconds = time.perf_counter() - started
    progress.line(table.name, rows, seconds, "done")
    return rows, seconds


def _fill(connection: Connection, truncate: list[str], tables: tuple[Table, ...],
          world: World, progress: Progress) -> Timings:  # fmt: skip
    """TRUNCATE, then COPY FREEZE each table, in one transaction on ``connection``."""
    timings: Timings = {}
    with connection.transaction(), connection.cursor() as cursor:
        # Nothing here needs to survive a crash until the commit.
        cursor.execute("SET LOCAL synchronous_commit = off")
        # COPY FREEZE needs the table truncated in the same transaction. The caller checked
        # the tables are empty, so this only unlocks FREEZE: rows land frozen and
        # all-visible, with no hint-bit writes or vacuum to come, and index-only scans
        # work at once.
        names = sql.SQL(", ").join(map(sql.Identifier, truncate))
        cursor.execute(sql.SQL("TRUNCATE {}").format(names))
        for table in tables:
            timings[table.name] = copy_table(cursor, table, world, progress)
    return timings


def reset_sequences(cursor: Cursor) -> None:
    """Point every loaded table's identity past the ids COPY wrote explicitly."""
    for table in TABLES:
        cursor.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                "coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            ).format(name=sql.Literal(table.name), table=sql.Identifier(table.name))
        )


def load(connect: Callable[[], Connection], world: World, progress: Progress,
         jobs: int = 2) -> Timings:  # fmt: skip
    """Fill every table, reset the identities and ANALYZE; return rows and seconds per step."""
    every_table = [table.name for table in Base.metadata.sorted_tables]
    with connect() as connection:
        timings = _fill(connection, every_table, PARENTS, world, progress)

    def lane(tables: tuple[Table, ...]) -> Timings:
        with connect() as lane_connection:
            return _fill(lane_connection, [t.name for t in tables], tables, world, progress)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for lane_timings in pool.map(lane, LANES):
            timings.update(lane_timings)

    started = time.perf_counter()
    with connect() as connection, connection.cursor() as cursor:
        reset_sequences(cursor)
        # Fresh statistics, or the planner would guess at the new tables' sizes.
        cursor.execute("ANALYZE")
    timings["ANALYZE"] = (0, time.perf_counter() - started)
    progress.line("sequences + ANALYZE", 0, timings["ANALYZE"][1], "done")
    return timings
