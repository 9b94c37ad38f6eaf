"""The signed-in user's :class:`~admin_app.scoping.Scope` for the request being answered.

Loaded once per console request by :class:`ScopeLoader` and read here by everything that
asks "may they?" (views, calendar pages, booking buttons), so no check touches the
database again.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqladmin.authorization import AllowAllAuthorizationBackend
from starlette.requests import Request

from admin_app.audit import Actor
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


def request_actor(request: Request) -> Actor:
    """Who is making this request's changes, for the audit log (ids None: signed out)."""
    user = getattr(request.state, "user", None)
    return Actor(
        getattr(user, "id", None),
        getattr(user, "email", None),
        request.client.host if request.client else None,
    )


def scope_of_this_request() -> Scope | None:
    """The scope of the request being answered, where the request is not at hand."""
    return _request_scope.get()


class ScopeLoader(AllowAllAuthorizationBackend):
    """Makes the signed-in user's :class:`Scope` the request's, before any check.

    SQLAdmin calls :meth:`load` right after authentication on every console route. The
    scope was read with the user in authentication's one statement
    (:func:`admin_app.auth.load_session_user`), so this touches no database; every later
    check (menu, buttons, rows) reads it through :func:`current_scope`. It allows
    everything itself: :class:`~admin_app.views.base.ConsoleModelView` decides from the
    scope, and custom pages (``BaseView``) keep deciding for themselves.
    """

    async def load(self, request: Request) -> None:
        """Remember the scope of ``request.state.user`` (None when signed out)."""
        user = getattr(request.state, "user", None)
        scope = getattr(user, "scope", None)
        remember(request, scope if isinstance(scope, Scope) else None)
