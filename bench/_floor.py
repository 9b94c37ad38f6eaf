"""The floor of a page: its own SQL statements run straight through psycopg.

The web process logs one request's statements with their parameters
(:mod:`admin_app.instrumentation`, ``X-SQL-Log: 1``); replaying them on one connection, in
one transaction that is rolled back, times what the database alone needs for that page.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from admin_app.instrumentation import decode_value


@dataclass(frozen=True)
class Statement:
    """One logged statement, as the driver received it."""

    sql: str
    parameters: Any


def statements_of(log: Path, request_number: int) -> list[Statement]:
    """The statements the web process ran for request ``request_number``, in order."""
    found = []
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            if entry["request"] == request_number:
                found.append(Statement(entry["statement"], decode_value(entry["parameters"])))
    return found


def replay_seconds(connection: psycopg.Connection[Any], statements: list[Statement]) -> float:
    """Run ``statements`` once (fetching every row) and roll back; return the seconds taken."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in statements:
            try:
                # SQLAlchemy's psycopg dialect passes dicts (named) or sequences (positional).
                cursor.execute(statement.sql.encode(), statement.parameters or None)
            except psycopg.errors.QueryCanceled:
                # A count that ran out of its time (views/_counting.py): the page rolled
                # back and went on with an estimate; so does the replay.
                connection.rollback()
                continue
            except psycopg.errors.InvalidSavepointSpecification:
                # The page's count ran in a savepoint; when its replay was cancelled above
                # (a loaded machine), the rollback took the savepoint with it, so the
                # page's "ROLLBACK TO SAVEPOINT" has nothing to return to: go on.
                connection.rollback()
                continue
            except psycopg.errors.UniqueViolation:
                # A replayed INSERT of a row the request itself committed (a sign-in's
                # session record) meets that row's unique key: the work up to the check
                # is done and timed; go on as the count case does.
                connection.rollback()
                continue
            if cursor.description is not None:
                cursor.fetchall()
    connection.rollback()
    return time.perf_counter() - started
