"""The public set-password page of an invite: ``/invite/<token>``.

Outside /admin because the invited person cannot sign in yet: the token in the link is
their only credential (see :mod:`admin_app.invites`). GET shows the form; POST sets the
password and signs them in (303 to the console). A link that cannot be used answers a
page that says why and what to do (404 unknown, 410 used, withdrawn or expired).

Mounted as a router of its own so that it carries the console's session cookie
middleware (the same cookie name, key and flags as :class:`admin_app.auth.ConsoleAuth`):
signing in here is the same ``remember_session`` as signing in on the console. The app's
Origin check (:mod:`admin_app.security`) wraps the whole app, so the POST is covered.
"""

from __future__ import annotations

from typing import Any

from sqladmin.flash import Flash
from starlette import status
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from admin_app import invite_links
from admin_app.auth import remember_session
from admin_app.localtime import format_local
from admin_app.request_session import SessionSource

PREFIX = "/invite"
TEMPLATE = "console/invite_accept.html"
# The page's URL is the credential: keep it out of caches, search indexes and history
# stores that honour no-store (Referrer-Policy: same-origin is set app-wide).
WELCOME = "Welcome! Your password is set and you are signed in."
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


class InvitePages:
    """The GET and POST of one link, on the app's sessions and the console's templates."""

    def __init__(self, sessions: SessionSource, templates: Any) -> None:
        self.sessions = sessions
        self.templates = templates

    async def page(self, request: Request) -> Response:
        """GET: the set-password form. POST: set it, sign in, go to the console."""
        token = str(request.path_params["token"])
        if request.method == "GET":
            try:
                opened = await run_in_threadpool(self._find, token)
            except invite_links.InviteGone as gone:
                return await self._gone(request, gone)
            return await self._render(request, {"invite": self._shown(opened)})
        form = await request.form()
        password, repeated = form.get("password"), form.get("repeated")
        try:
            cookie = await run_in_threadpool(
                invite_links.accept,
                self.sessions,
                token,
                password=password if isinstance(password, str) else "",
                repeated=repeated if isinstance(repeated, str) else "",
                remote_addr=request.client.host if request.client else None,
            )
        except invite_links.InviteGone as gone:
            return await self._gone(request, gone)
        except invite_links.PasswordRefused as refused:
            try:
                opened = await run_in_threadpool(self._find, token)
            except invite_links.InviteGone as gone:
                return await self._gone(request, gone)
            return await self._render(
                request,
                {"invite": self._shown(opened), "error": str(refused)},
                status.HTTP_400_BAD_REQUEST,
            )
        remember_session(request, cookie)
        Flash.success(request, WELCOME)
        target = request.url_for("admin:index")
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)

    def _find(self, token: str) -> invite_links.OpenInvite:
        with self.sessions() as session:
            return invite_links.find_open(session, token)

    @staticmethod
    def _shown(opened: invite_links.OpenInvite) -> dict[str, str]:
        return {
            "email": opened.email,
            "full_name": opened.full_name,
            "venue": opened.venue_name,
            "role": opened.role,
            "expires": format_local(opened.expires_at, opened.timezone),
        }

    async def _gone(self, request: Request, gone: invite_links.InviteGone) -> Response:
        context = {"gone": gone.message, "hint": invite_links.ASK_FOR_NEW}
        if gone.message == invite_links.ALREADY_SET_UP:
            context["hint"] = ""
        return await self._render(request, context, gone.status_code)

    async def _render(
        self, request: Request, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        response: Response = await self.templates.TemplateResponse(
            request, TEMPLATE, context, status_code=status_code
        )
        response.headers.update(PRIVATE_HEADERS)
        return response


def mount(
    app: Starlette, sessions: SessionSource, templates: Any, cookie: list[Middleware]
) -> None:
    """Add ``/invite/<token>`` to ``app``, with the console's session cookie (``cookie``:
    the middleware :class:`admin_app.auth.ConsoleAuth` gives SQLAdmin)."""
    pages = InvitePages(sessions, templates)
    # Routes and middleware, not an app: exceptions (a database outage) reach the host
    # app's handlers (admin_app.errors) instead of stopping at a sub-app's own 500.
    route = Route("/{token}", pages.page, methods=["GET", "POST"], name="invite")
    app.router.routes.append(Mount(PREFIX, routes=[route], middleware=cookie))
