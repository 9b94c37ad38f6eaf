"""A database that is away answers 503 "try again in a moment", never a traceback or a 500.

"Away" means the server cannot be reached or dropped the connection (restart, failover,
``pg_terminate_backend``), the pool had no connection to give within its timeout, or a
statement was cancelled by a timeout or a lock wait. The pool recovers by itself
(``pool_pre_ping`` in :mod:`admin_app.db`), so the page only says to try again.

Errors that retrying cannot fix (a value PostgreSQL refuses, a broken query) are *not*
unavailability: they keep their own handling (form errors, or a 500 for a bug).

:func:`install` registers the handler on the host app (shell pages) and on SQLAdmin's
sub-app, whose own ``ExceptionMiddleware`` is where exceptions of console routes surface.
SQLAdmin's create and edit routes catch every exception of a save themselves and show its
text as a 400; :func:`unavailable_response` lets the save hook answer the 503 instead.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from sqladmin import Admin
from sqlalchemy import exc as sa_exc
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from admin_app.access_log import redact_path

logger = logging.getLogger("admin_app.errors")

UNAVAILABLE_MESSAGE = "The database is unavailable right now. Try again in a moment."
TEMPLATE = "console/unavailable.html"
RETRY_AFTER_SECONDS = 5

# The classes a handler is registered for; :func:`is_database_unavailable` then decides.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # the pool had no free connection within pool_timeout
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# SQLSTATE classes and codes that mean "not now" rather than "never": connection
# exceptions (08), operator intervention (57: admin/crash shutdown, cannot connect now,
# query cancelled by statement_timeout), insufficient resources (53: too many
# connections), lock not available (55P03), serialization failure and deadlock (40001,
# 40P01). ProgramLimitExceeded (54) is an OperationalError too, but retrying never helps.
_RETRYABLE_SQLSTATE_CLASSES = ("08", "57", "53")
_RETRYABLE_SQLSTATES = frozenset({"55P03", "40001", "40P01"})
# SQLite's own "not now": another writer holds the file, or it cannot be opened or read.
_RETRYABLE_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")


def _retryable_driver_error(error: BaseException) -> bool:
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(error, psycopg.Error):
        # No SQLSTATE: the failure happened on the client side (refused, reset, timeout).
        return sqlstate is None or (
            sqlstate[:2] in _RETRYABLE_SQLSTATE_CLASSES or sqlstate in _RETRYABLE_SQLSTATES
        )
    name = getattr(error, "sqlite_errorname", None)
    if isinstance(name, str):
        return name.startswith(_RETRYABLE_SQLITE)
    return False


def is_database_unavailable(error: BaseException) -> bool:
    """True when ``error`` means the database is away for now (retrying later may work)."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
            return error.orig is not None and _retryable_driver_error(error.orig)
        return False
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return _retryable_driver_error(error)
    return False


def log_unavailable(request: Request, error: BaseException) -> None:
    """One warning line per outage answer, without the error's text."""
    # Class names only: the text of a DBAPI error can carry SQL and, unless the engine
    # hides them, its parameters (password hashes among them).
    cause = getattr(error, "orig", None)
    logger.warning(
        "database unavailable: %s %s -> 503 (%s%s)",
        request.method,
        redact_path(request.url.path),  # a feed's path holds its secret token
        type(error).__name__,
        f" from {type(cause).__module__}.{type(cause).__name__}" if cause is not None else "",
    )


async def unavailable_response(request: Request, templates: Any) -> Response:
    """The 503 page: inside the console's layout for a signed-in user, minimal otherwise.

    ``templates`` is SQLAdmin's template engine (``admin.templates``). Rendering needs no
    database: the menu only reads ``request.state.user``, which sign-in already set (and
    leaves out its "N to decide" count).
    """
    signed_in = getattr(request.state, "user", None) is not None and "session" in request.scope
    response: Response = await templates.TemplateResponse(
        request,
        TEMPLATE,
        {
            "title": "Database unavailable",
            "message": UNAVAILABLE_MESSAGE,
            # The layout shows the menu and flashed messages (from the session); without a
            # signed-in user there is no menu to show, and outside the console no session.
            "layout": "sqladmin/layout.html" if signed_in else "sqladmin/base.html",
            # The menu's "N to decide" count is not read: it would ask the database.
            "database_unavailable": True,
        },
        status_code=503,
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handler(templates: Any, *, always_html: bool) -> Any:
    async def handle(request: Request, error: Exception) -> Response:
        if not is_database_unavailable(error):
            raise error  # not an outage: a bug, left to the 500 handler and its log
        log_unavailable(request, error)
        if always_html or "text/html" in request.headers.get("accept", ""):
            return await unavailable_response(request, templates)
        return PlainTextResponse(
            UNAVAILABLE_MESSAGE,
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    return handle


def install(app: Starlette, admin: Admin) -> None:
    """Answer database outages with the 503 page on ``app`` and on the console ``admin``."""
    console = _handler(admin.templates, always_html=True)
    shell = _handler(admin.templates, always_html=False)
    for error_class in UNAVAILABLE_ERRORS:
        # SQLAdmin's sub-app has its own ExceptionMiddleware: console routes' exceptions
        # stop there and never reach the host app's handlers.
        admin.admin.add_exception_handler(error_class, console)
        app.add_exception_handler(error_class, shell)
