"""Staff invites for managers: invite someone to a venue, see who has not come on board
yet, withdraw an invite.

A console page (SQLAdmin ``BaseView``) for managers and superusers; staff never see it.
The rules live in :mod:`admin_app.invites`. Inviting answers with the page itself, not a
redirect, when it issued a set-password link: the link is shown this once and is stored
nowhere (only its digest is), so it must not travel through the session cookie to a
later GET. Everything else is Post/Redirect/Get with a flashed message; a refusal is the
page again with the reason (400 bad input, 403 not their venue, 404 no such invite, 409
already used or withdrawn).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqladmin import BaseView, ModelView, expose
from sqladmin.flash import Flash
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import invites
from admin_app import sqladmin_internals as internals
from admin_app.localtime import format_local
from admin_app.redirects import back_to_page
from admin_app.request_scope import current_scope
from admin_app.request_session import SessionSource, source_of
from admin_app.scoping import Scope, ScopeError, may_invite
from admin_app.settings import Settings
from models import STAFF_ROLES, Venue

T = TypeVar("T")
TEMPLATE = "console/invites.html"
VENUES_OFFERED = 200  # a superuser's picker: the first ones by name (plus the one asked for)
FORM_FIELDS = ("venue", "email", "full_name", "role")


@dataclass(frozen=True)
class VenueOption:
    """One venue in the invite form's picker."""

    id: int
    name: str
    city: str


def _venue_options(session: Session, scope: Scope, picked: int | None) -> list[VenueOption]:
    stmt = select(Venue.id, Venue.name, Venue.city).order_by(Venue.name, Venue.id)
    if scope.is_superuser:
        rows = list(session.execute(stmt.limit(VENUES_OFFERED)).all())
        if picked is not None and picked not in {row.id for row in rows}:
            rows += session.execute(stmt.where(Venue.id == picked)).all()
    else:
        rows = list(session.execute(stmt.where(Venue.id.in_(sorted(scope.managed_venue_ids)))))
    return [VenueOption(row.id, row.name, row.city) for row in rows]


def _page_data(session: Session, scope: Scope, picked: int | None) -> dict[str, Any]:
    pending = invites.pending(session, scope)
    return {
        "venues": _venue_options(session, scope, picked),
        "pending": [
            {
                "invite": row,
                "created": format_local(row.created_at, row.timezone),
                "expires": format_local(row.expires_at, row.timezone),
            }
            for row in pending
        ],
    }


def _link_base(request: Request, public_base_url: str | None) -> str:
    """A link without its token: on ``PUBLIC_BASE_URL`` when set (the address people use,
    as in every email), else on the host this request came to."""
    placeholder = "-"
    path = request.url_for("invite", token=placeholder).path.removesuffix(placeholder)
    if public_base_url:
        return public_base_url + path
    return str(request.url_for("invite", token=placeholder)).removesuffix(placeholder)


def _as_id(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


class InvitesView(BaseView):
    """Managers invite people to their venues and withdraw invites."""

    name = "Staff invites"
    icon = "fa-solid fa-user-plus"
    category = "Venues"

    def is_accessible(self, request: Request) -> bool:
        """Managers (of some venue) and superusers."""
        scope = current_scope(request)
        return scope is not None and may_invite(scope)

    def is_visible(self, request: Request) -> bool:
        """In the menu for everyone who may open it."""
        return self.is_accessible(request)

    # SQLAdmin links the menu entry to the first route of the class: keep it first.
    @expose("/invites", methods=["GET"], identity="invites")
    async def page(self, request: Request) -> Response:
        """The invite form (``?venue=`` picks the venue) and the pending invites."""
        return await self._show(request, {"form": {"venue": request.query_params.get("venue")}})

    @expose("/invites/send", methods=["POST"], identity="invite-send")
    async def send(self, request: Request) -> Response:
        """Invite one person; answer with the link, shown once, when one was issued."""
        form = await request.form()
        typed = {key: str(form.get(key) or "") for key in FORM_FIELDS}
        scope = self._scope(request)
        venue_id = _as_id(typed["venue"])
        settings = self._settings()
        base = _link_base(request, settings.public_base_url)

        def work(session: Session) -> invites.Invited:
            if venue_id is None:
                raise invites.InviteError("Choose a venue.")
            return invites.invite(
                session,
                scope,
                venue_id=venue_id,
                email=typed["email"],
                role=typed["role"] or "staff",
                full_name=typed["full_name"],
                link_for=lambda token: base + token,
                email_link=settings.smtp_url is not None,
                remote_addr=self._remote(request),
            )

        try:
            done = await self._run(work, write=True)
        except ScopeError as error:
            return await self._show(request, {"form": typed, "error": str(error)}, 403)
        except invites.InviteError as error:
            return await self._show(request, {"form": typed, "error": str(error)}, 400)
        if done.token is None:
            Flash.success(
                request,
                f"{done.email} now works at {done.venue_name} as {done.role}. "
                "They sign in with the password they already have.",
            )
            return self._back(request)
        issued = {
            "done": done,
            "link": base + done.token,
            "expires": format_local(done.expires_at, done.timezone),
        }
        return await self._show(request, {"form": {"venue": typed["venue"]}, "issued": issued})

    @expose("/invites/send", methods=["GET"], identity="invite-send-get")
    async def send_page(self, request: Request) -> Response:
        """Opened directly (a reload of a refused invite): back to the invites page."""
        return back_to_page(request, "admin:view-invites")

    @expose("/invites/{invite_id}/revoke", methods=["GET"], identity="invite-revoke-get")
    async def revoke_page(self, request: Request) -> Response:
        """Opened directly (a reload of a refused withdrawal): back to the invites page."""
        return back_to_page(request, "admin:view-invites")

    @expose("/invites/{invite_id}/revoke", methods=["POST"], identity="invite-revoke")
    async def revoke(self, request: Request) -> Response:
        """Withdraw one invite (and the venue role it gave); back to the invites page, or
        to the venue's page when the button was there (``return_to=venue``)."""
        invite_id = _as_id(request.path_params["invite_id"])
        scope = self._scope(request)
        form = await request.form()

        def work(session: Session) -> tuple[str, int]:
            if invite_id is None:
                raise invites.InviteNotFound("There is no such invite.")
            row = invites.revoke(session, scope, invite_id, remote_addr=self._remote(request))
            return f"Invite of {row.user.email} to {row.venue.name} withdrawn.", row.venue_id

        try:
            message, venue_id = await self._run(work, write=True)
        except invites.InviteNotFound as error:
            return await self._show(request, {"form": {}, "error": str(error)}, 404)
        except ScopeError as error:
            return await self._show(request, {"form": {}, "error": str(error)}, 403)
        except invites.InviteError as error:
            return await self._show(request, {"form": {}, "error": str(error)}, 409)
        Flash.success(request, message)
        if form.get("return_to") == "venue":
            venue_page = request.url_for("admin:details", identity="venue", pk=venue_id)
            return RedirectResponse(venue_page, status_code=303)
        return self._back(request)

    # --- helpers ----------------------------------------------------------------------

    def _back(self, request: Request) -> Response:
        # 303: the browser follows with a GET, so reloading never re-posts.
        return RedirectResponse(request.url_for("admin:view-invites"), status_code=303)

    @staticmethod
    def _scope(request: Request) -> Scope:
        scope = current_scope(request)
        assert scope is not None  # is_accessible let the request in
        return scope

    @staticmethod
    def _remote(request: Request) -> str | None:
        return request.client.host if request.client else None

    def _settings(self) -> Settings:
        # The host app's (SQLAdmin keeps it as ``app``): whether mail is configured, and
        # the public address links are made on.
        settings: Settings = internals.admin_of(self).app.state.settings
        return settings

    def _sessions(self) -> SessionSource:
        # The app's one factory, as every view has it: the request's session.
        return source_of(internals.admin_of(self).session_maker)

    async def _run(self, work: Callable[[Session], T], *, write: bool = False) -> T:
        sessions = self._sessions()

        def call() -> T:
            with sessions.begin() if write else sessions() as session:
                return work(session)

        return await run_in_threadpool(call)

    async def _show(
        self, request: Request, extra: dict[str, Any], status_code: int = 200
    ) -> Response:
        scope = self._scope(request)
        picked = _as_id(extra.get("form", {}).get("venue"))
        data = await self._run(lambda session: _page_data(session, scope, picked))
        context = {"title": self.name, "roles": STAFF_ROLES, "picked": picked, **data, **extra}
        response: Response = await self.templates.TemplateResponse(
            request, TEMPLATE, context, status_code=status_code
        )
        return response


VIEWS: list[type[ModelView] | type[BaseView]] = [InvitesView]
