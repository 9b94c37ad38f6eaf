"""The base of views that are only POST routes: their buttons live on other pages."""

from __future__ import annotations

from sqladmin import BaseView
from starlette.requests import Request

from admin_app.request_scope import current_scope


class RoutesOnlyView(BaseView):
    """Never in the menu; open to anyone signed in with a scope, because each route
    decides about its own rows (through the booking rules and scoping)."""

    def is_visible(self, request: Request) -> bool:
        """Routes only: nothing to show in the menu."""
        return False

    def is_accessible(self, request: Request) -> bool:
        """Signed in with a scope; each route checks the rows it changes."""
        return current_scope(request) is not None
