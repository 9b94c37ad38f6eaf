"""One database session per request, shared by every layer that answers it.

:class:`RequestSessionMiddleware` opens a unit for each HTTP request; the session itself
is made on first use (a request that reads nothing takes no pooled connection) and closed
when the response is done. Authentication, scoping, SQLAdmin's views, the calendar
pages, the feeds and the audit all reach that one session through the app's
:class:`RequestSessions` factory, so a page that only reads runs in one transaction.

How code uses the factory (a plain ``sessionmaker`` answers the same calls, which is
what the CLI and the tests hand to the same functions):

``with sessions() as session:``
    borrows the request's session; leaving the block does not end its transaction, but
    detaches what was loaded in it, as closing a session would (see below).
``with sessions.begin() as session:``
    borrows it and commits when the block ends (rolls back if it raises). Writes are
    committed here, explicitly, before the response is sent; never by the middleware.
:func:`release_connection`
    ends the transaction early, before slow CPU work (argon2), so no pooled connection
    waits on it. Only between writes: it discards anything uncommitted.

Whatever is left uncommitted when the response is done is rolled back: that is how a
read-only page's transaction ends.

Why leaving a block detaches its objects: SQLAdmin and the templates read attributes of
the rows on the event loop itself. An attached row would load a missing relationship
there, synchronously, and a database call on the event loop stalls every request of the
process; behind a transaction pooler whose connections are all lent to transactions of
those stalled requests it never returns (a deadlock, seen in the pooler load test).
Detached, the row refuses (``DetachedInstanceError``) and SQLAdmin loads the value in a
worker thread, as it did when every read had a session of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, cast

import anyio
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("admin_app")


class SessionSource(Protocol):
    """What functions that talk to the database are given: this module's factory in the
    web app, a plain ``sessionmaker`` in the CLI and in tests."""

    def __call__(self) -> AbstractContextManager[Session]: ...

    def begin(self) -> AbstractContextManager[Session]: ...


class _Unit:
    """The one session of one request, made on first use, and how many blocks borrow it."""

    __slots__ = ("borrowers", "maker", "session")

    def __init__(self, maker: sessionmaker[Session]) -> None:
        self.maker = maker
        self.session: Session | None = None
        self.borrowers = 0

    def get(self) -> Session:
        if self.session is None:
            self.session = self.maker()
        return self.session

    @contextmanager
    def borrowed(self) -> Iterator[Session]:
        """The session for one block; the outermost block detaches what it loaded."""
        session = self.get()
        self.borrowers += 1
        try:
            yield session
        finally:
            self.borrowers -= 1
            if self.borrowers == 0:
                session.expunge_all()  # in memory only: no database call


_unit: ContextVar[_Unit | None] = ContextVar("request_session_unit", default=None)


class RequestSessions:
    """The app's one session factory: the request's session inside a request, a fresh
    session (as ``sessionmaker`` gives) outside one."""

    # SQLAdmin asks the factory it is given whether it makes async sessions.
    class_ = Session

    def __init__(self, maker: sessionmaker[Session]) -> None:
        self.maker = maker

    def configure(self, **_settings: Any) -> None:
        """Ignored. SQLAdmin turns autoflush off on the factory it is given; the console's
        saves run SQLAdmin's attribute setter under ``no_autoflush`` themselves, and every
        other layer keeps SQLAlchemy's defaults."""

    @contextmanager
    def __call__(self, **_options: Any) -> Iterator[Session]:
        """Borrow the request's session (SQLAdmin passes ``expire_on_commit=False``, which
        the app's sessions have anyway)."""
        unit = _unit.get()
        if unit is None:
            with self.maker() as session:
                yield session
            return
        with unit.borrowed() as session:
            yield session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """Borrow the request's session and commit when the block ends (roll back on error)."""
        unit = _unit.get()
        if unit is None:
            with self.maker.begin() as session:
                yield session
            return
        with unit.borrowed() as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()


@contextmanager
def undone_on_error(session: Session) -> Iterator[Session]:
    """Roll ``session`` back if the block raises, then let the error go on.

    For writes that commit themselves (a form's save): the request's session outlives
    the block (a refused form is shown again, with queries of its own), and a half-applied
    change left in it would be flushed by the next query.
    """
    try:
        yield session
    except BaseException:
        session.rollback()
        raise


def release_connection() -> None:
    """End the request's transaction now, handing its connection back to the pool.

    For slow CPU work between reads and writes (argon2 runs ~250 ms): a connection held
    across it is one fewer for every other request. Discards anything uncommitted.
    """
    unit = _unit.get()
    if unit is not None and unit.session is not None:
        unit.session.rollback()


class RequestSessionMiddleware:
    """Gives each HTTP request its unit; closes the session once the response is done."""

    def __init__(self, app: ASGIApp, sessions: RequestSessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        unit = _Unit(self.sessions.maker)
        token = _unit.set(unit)
        try:
            await self.app(scope, receive, send)
        finally:
            _unit.reset(token)
            if unit.session is not None:
                # Shielded: a request cancelled on its way out (a client gone, a server
                # shutting down) must still hand its connection back. Unclosed, it would
                # stay "idle in transaction", holding a pooled connection and, behind a
                # transaction pooler, one of the pooler's few server connections.
                with anyio.CancelScope(shield=True):
                    await run_in_threadpool(_close, unit.session)


def _close(session: Session) -> None:
    # Rolls back what is left (a read-only page's transaction). After an outage the
    # connection may be gone; the response was already answered, so only log it.
    try:
        session.close()
    except SQLAlchemyError as error:
        logger.warning("closing a request's session failed: %s", type(error).__name__)


def source_of(session_maker: object) -> SessionSource:
    """SQLAdmin's ``session_maker`` attribute, typed as what the console gave it: the
    app's :class:`RequestSessions` (SQLAdmin's annotation says ``sessionmaker``)."""
    return cast(SessionSource, session_maker)
