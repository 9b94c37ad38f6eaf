"""The signed-in user's :class:`~admin_app.scoping.Scope` for the request being answered.

Loaded once per console request by :class:`ScopeLoader` and read here by everything that
asks "may they?" (views, calendar pages, booking buttons), so no check touches the
database again.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqladmin.authorization import AllowAllAuthorizationBackend
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from admin_app import scoping
from admin_app.scoping import Scope

_SCOPE_ATTR = "console_scope"
# The same scope, for code SQLAdmin calls without the request (a picker naming its
# current value); set together with request.state's.
_request_scope: ContextVar[Scope | None] = ContextVar("console_request_scope", default=None)


def remember(request: Request, scope: Scope | None) -> None:
    """Make ``scope`` this request's (None: signed out, may do nothing)."""
    setattr(request.state, _SCOPE_ATTR, scope)
    _request_scope.set(scope)


def current_scope(request: Request) -> Scope | None:
    """The scope loaded for ``request``; None means "may do nothing"."""
    scope = getattr(request.state, _SCOPE_ATTR, None)
    return scope if isinstance(scope, Scope) else None


def scope_of_this_request() -> Scope | None:
    """The scope of the request being answered, where the request is not at hand."""
    return _request_scope.get()


class ScopeLoader(AllowAllAuthorizationBackend):
    """Loads the signed-in user's :class:`Scope` once per request, before any check.

    SQLAdmin calls :meth:`load` right after authentication on every console route, which
    is where its authorization hooks expect I/O; every later check (menu, buttons, rows)
    reads the result through :func:`current_scope` without touching the database. It
    allows everything itself: :class:`~admin_app.views.base.ConsoleModelView` decides from
    the scope, and custom pages (``BaseView``) keep deciding for themselves.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    async def load(self, request: Request) -> None:
        """Put the scope of ``request.state.user`` (None when signed out) on the request."""
        user = getattr(request.state, "user", None)
        scope = None if user is None else await run_in_threadpool(self._load, user.id)
        remember(request, scope)

    def _load(self, user_id: int) -> Scope | None:
        with self.sessions() as session:
            return scoping.load_scope(session, user_id)
