"""Opt-in SQL statement counting for the benchmark (``BENCH_SQL_STATS=1``).

With ``BENCH_SQL_STATS=1`` in the environment, :func:`install` counts the SQL statements
each HTTP request runs and answers them in response headers: ``X-SQL-Statements`` (the
count), ``X-SQL-Transactions`` (the transactions the driver began: the BEGINs the server
logs), ``X-SQL-Checkouts`` (connections taken from the pool) and ``X-SQL-Request`` (a
per-process request number). With ``BENCH_SQL_LOG=<file>`` as well, the statements of
each request sent with an ``X-SQL-Log: 1`` header are appended to that file, one JSON
line each with its parameters and request number, so ``bench.run`` can replay a page's
exact SQL against the database (the "floor"). Only such sampled requests are logged: the
timed ones pay for a counter and nothing more. Parameters include password hashes and
people's data: the log is for benchmark databases only.

Without ``BENCH_SQL_STATS=1`` nothing is installed: no engine listener, no middleware.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from psycopg.pq import TransactionStatus
from psycopg.types.json import Json, Jsonb
from sqlalchemy import Engine, event
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENABLE_VAR = "BENCH_SQL_STATS"
LOG_VAR = "BENCH_SQL_LOG"
COUNT_HEADER = "X-SQL-Statements"
TRANSACTIONS_HEADER = "X-SQL-Transactions"
CHECKOUTS_HEADER = "X-SQL-Checkouts"
REQUEST_HEADER = "X-SQL-Request"
LOG_REQUEST_HEADER = b"x-sql-log"


@dataclass
class _Tally:
    """Statements run so far by one request (shared with the threads it runs queries in)."""

    request: int
    log: bool = False
    statements: int = 0
    transactions: int = 0
    checkouts: int = 0


# Starlette runs sync database work in anyio worker threads, which copy the context: the
# threads see the request's tally object and add to it.
_current: ContextVar[_Tally | None] = ContextVar("bench_sql_tally", default=None)


def enabled(environ: dict[str, str] | None = None) -> bool:
    """True when the environment asks for statement counting."""
    env = os.environ if environ is None else environ
    return env.get(ENABLE_VAR, "").strip() == "1"


def encode_value(value: Any) -> Any:
    """A statement parameter as JSON, tagged so :func:`decode_value` gets the type back."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$seconds": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$hex": value.hex()}
    if isinstance(value, list | tuple):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        return {"$dict": {str(key): encode_value(item) for key, item in value.items()}}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if type(value).__name__ in ("Json", "Jsonb"):  # psycopg's wrappers of JSON parameters
        return {"$" + type(value).__name__.lower(): encode_value(value.obj)}
    # Anything else (an IP address for an inet column...) goes as text, which PostgreSQL
    # casts to the parameter's type, as it would a literal.
    return str(value)


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    decoders: dict[str, Any] = {
        "$datetime": datetime.fromisoformat,
        "$date": date.fromisoformat,
        "$time": time.fromisoformat,
        "$seconds": lambda seconds: timedelta(seconds=seconds),
        "$decimal": Decimal,
        "$uuid": UUID,
        "$hex": bytes.fromhex,
        "$dict": lambda items: {key: decode_value(item) for key, item in items.items()},
        "$json": lambda obj: Json(decode_value(obj)),
        "$jsonb": lambda obj: Jsonb(decode_value(obj)),
    }
    return decoders[tag](raw)


class _StatementLog:
    """Appends each statement as a JSON line; one lock, since worker threads share it."""

    def __init__(self, path: Path) -> None:
        self._file: TextIO = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, request: int, statement: str, parameters: Any) -> None:
        line = json.dumps(
            {"request": request, "statement": statement, "parameters": encode_value(parameters)}
        )
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()


class StatementCounter:
    """Pure ASGI middleware: a fresh tally per HTTP request, reported in the headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._numbers = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the statements of one request; other ASGI traffic passes through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wants_log = (LOG_REQUEST_HEADER, b"1") in scope.get("headers", [])
        tally = _Tally(request=next(self._numbers), log=wants_log)
        token = _current.set(tally)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((COUNT_HEADER.lower().encode(), str(tally.statements).encode()))
                for name, value in (
                    (TRANSACTIONS_HEADER, tally.transactions),
                    (CHECKOUTS_HEADER, tally.checkouts),
                ):
                    headers.append((name.lower().encode(), str(value).encode()))
                headers.append((REQUEST_HEADER.lower().encode(), str(tally.request).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _current.reset(token)


def _idle(dbapi_connection: Any) -> bool:
    """True when the next statement on this DBAPI connection makes the driver send BEGIN."""
    if getattr(dbapi_connection, "autocommit", False) is True:
        return False
    info = getattr(dbapi_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    if status is not None:  # psycopg 3: BEGIN goes out before a statement on an idle link
        return bool(status == TransactionStatus.IDLE)
    # sqlite3: outside a transaction, SQLite runs the statement in one of its own.
    return not getattr(dbapi_connection, "in_transaction", True)


def install(app: Starlette, engine: Engine, environ: dict[str, str] | None = None) -> bool:
    """Count (and optionally log) ``engine``'s statements per request of ``app``.

    Does nothing and returns False unless ``BENCH_SQL_STATS=1``.
    """
    env = dict(os.environ if environ is None else environ)
    if not enabled(env):
        return False
    log_path = env.get(LOG_VAR, "").strip()
    log = _StatementLog(Path(log_path)) if log_path else None

    def before_cursor_execute(
        _conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        tally = _current.get()
        if tally is not None:
            tally.statements += 1
            if _idle(cursor.connection):
                tally.transactions += 1
        if tally is not None and tally.log and log is not None:
            log.write(tally.request, statement, parameters)

    def checkout(_dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # With pre-ping each checkout is one more round trip (an autocommit SELECT 1,
        # which PostgreSQL counts as a transaction but logs no BEGIN for).
        tally = _current.get()
        if tally is not None:
            tally.checkouts += 1

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "checkout", checkout)
    app.add_middleware(StatementCounter)
    return True
