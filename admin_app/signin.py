"""The console's sign-in and sign-out pages on top of SQLAdmin's.

SQLAdmin's own pages say "Invalid credentials.", always land on the index and sign out on
a GET, which any link or image on another site could fire. :class:`ConsoleAdmin` keeps
SQLAdmin's routes and names but answers with the console's rules: one refusal message,
HTTP 429 while an email or a client address is throttled, ``next`` followed only within
the console, and sign-out by POST only (a GET changes nothing: it goes back to the console
with a note, as every form-only address does, see admin_app/redirects.py). Its index route
(``/admin/``) is the Today page.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from sqladmin import Admin
from sqladmin.authentication import login_required
from sqladmin.flash import Flash
from sqladmin.templating import Jinja2Templates
from starlette import status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from admin_app.auth import SIGN_IN_REFUSED, ConsoleAuth
from admin_app.pages import today
from admin_app.redirects import back_to_page

LOGIN_TEMPLATE = "sqladmin/login.html"
MAX_NEXT_LENGTH = 2000
SIGNED_OUT = "You are signed out."


def safe_next(value: object, console_prefix: str) -> str | None:
    """``value`` if it is a same-site path under ``console_prefix``; otherwise None.

    Refuses absolute URLs (``https://elsewhere``), scheme-relative ones (``//elsewhere``),
    backslashes (browsers read ``/\\elsewhere`` as ``//elsewhere``) and control characters.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_LENGTH:
        return None
    if "\\" in value or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in value):
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    if parts.path != console_prefix and not parts.path.startswith(console_prefix + "/"):
        return None
    return value


class ConsoleAdmin(Admin):
    """SQLAdmin's ``Admin`` with the console's sign-in and sign-out rules."""

    def __init__(
        self, app: Starlette, *, authentication_backend: ConsoleAuth, **kwargs: Any
    ) -> None:
        super().__init__(app, authentication_backend=authentication_backend, **kwargs)
        self.console_auth = authentication_backend
        self.admin.router.routes = [
            *(self._post_only_logout(route) for route in self.admin.routes),
            *self._get_twins(),
        ]

    def _post_only_logout(self, route: BaseRoute) -> BaseRoute:
        if isinstance(route, Route) and route.name == "logout":
            return Route("/logout", endpoint=self.logout, name="logout", methods=["POST"])
        return route

    def _get_twins(self) -> list[BaseRoute]:
        """GET twins of SQLAdmin's own form-only addresses (sign-out, and the import a
        page's script calls): a 303 back with a note, never a 405. The delete address's
        GET is its confirmation page (admin_app/views/delete_page.py)."""
        return [
            Route("/logout", self._logout_page, name="logout-get", methods=["GET"]),
            Route("/{identity}/import", self._list_page, name="import-get", methods=["GET"]),
        ]

    @staticmethod
    async def _logout_page(request: Request) -> Response:
        # Signing out stays a POST (a link or image elsewhere cannot fire it).
        return back_to_page(request, "admin:index")

    @staticmethod
    async def _list_page(request: Request) -> Response:
        return back_to_page(request, "admin:list", identity=str(request.path_params["identity"]))

    def init_templating_engine(self) -> Jinja2Templates:
        """SQLAdmin's templates, plus the menu's "N to decide" count (pages/today.py)."""
        templates = super().init_templating_engine()
        today.install_count(templates, self)
        return templates

    @login_required
    async def index(self, request: Request) -> Response:
        """Today: what needs the signed-in person (admin_app/pages/today.py)."""
        return await today.today_response(self, request)

    def _console_prefix(self, request: Request) -> str:
        return request.url_for("admin:index").path.rstrip("/")

    async def login(self, request: Request) -> Response:
        """GET: the sign-in form. POST: one (throttled, audited) sign-in attempt."""
        prefix = self._console_prefix(request)
        if request.method == "GET":
            next_path = safe_next(request.query_params.get("next"), prefix)
            return await self.templates.TemplateResponse(
                request, LOGIN_TEMPLATE, {"next": next_path}
            )

        form = await request.form()
        next_path = safe_next(form.get("next") or request.query_params.get("next"), prefix)
        outcome = await self.console_auth.sign_in(request)
        if outcome.lockout is not None:
            return PlainTextResponse(
                outcome.lockout.message,
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(math.ceil(outcome.lockout.wait.total_seconds()))},
            )
        if outcome.user_id is None:
            typed = form.get("username")
            return await self.templates.TemplateResponse(
                request,
                LOGIN_TEMPLATE,
                {
                    "error": SIGN_IN_REFUSED,
                    "email": typed if isinstance(typed, str) else "",
                    "next": next_path,
                },
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        target = next_path or str(request.url_for("admin:index"))
        return RedirectResponse(target, status_code=status.HTTP_302_FOUND)

    async def logout(self, request: Request) -> Response:
        """End this browser's session and go back to the sign-in page (POST only)."""
        await self.console_auth.logout(request)
        # Said on the sign-in page (the session is empty now; the message is all it holds).
        Flash.success(request, SIGNED_OUT)
        return RedirectResponse(request.url_for("admin:login"), status_code=status.HTTP_302_FOUND)
