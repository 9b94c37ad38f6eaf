"""Booking decisions as POST routes, with their buttons on the details pages.

``POST /admin/event-application/decide/{pk}`` (``decision=accept|reject|withdraw|reopen``) and
``POST /admin/event/decide/{pk}`` (``decision=confirm|cancel``) each carry the ``version``
of the row the page showed, and call :mod:`admin_app.booking`, which checks the rules and
the user's scope, locks, records who and when, and audits. They are POSTs so that the
Origin check (:mod:`admin_app.security`) guards them: no link or image on another site
can fire one, which SQLAdmin's GET ``@action`` routes could not promise.

Answers: success → 303 to the details page with a flashed message; a refused decision
(stale page, clash, final status, unknown decision) → the details page again with the
reason, status 400; a row that does not exist or is not the user's → 404. A form may send
``next`` (a path inside the console, see :func:`return_to`): the answer then goes back to
that page instead (an event's page, for the buttons of its applications), refusals too
when it is a details page.
A warning that may be overridden (:class:`admin_app.booking.NeedsOverride`: a closed
day or outside the opening hours on confirm, a band accepted elsewhere on accept) is
refused the same way, with an "... anyway" button that posts the decision again with
``override=1`` (booking audits it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sqladmin import BaseView, expose
from sqladmin.flash import Flash
from starlette import status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import booking
from admin_app import sqladmin_internals as internals
from admin_app.localtime import format_local_range
from admin_app.redirects import back_to_row
from admin_app.request_scope import current_scope
from admin_app.request_session import source_of
from admin_app.scoping import Scope, can
from admin_app.signin import safe_next
from admin_app.views._routes import RoutesOnlyView
from models import Event, EventApplication

DETAILS_TEMPLATE = "sqladmin/console/details_with_actions.html"
UNKNOWN_DECISION = "Unknown decision: use one of the buttons on the page."
NO_VERSION = "This page is out of date (it carries no version). Reload it and try again."

# booking.accept_application and friends: (session, id, actor, expected_version, *, remote_addr)
Decide = Callable[..., Any]


@dataclass(frozen=True)
class Decision:
    """One button: the ``decision`` value it posts, its label, and its Bootstrap class."""

    value: str
    label: str
    done: str  # the flash message's verb: "Accepted"
    css: str
    decide: Decide
    # The label of the "... anyway" button when a warning (NeedsOverride) may be overridden.
    anyway: str | None = None


ACCEPT = Decision(
    "accept", "Accept", "Accepted", "btn-success", booking.accept_application, "Accept anyway"
)
REJECT = Decision("reject", "Reject", "Rejected", "btn-danger", booking.reject_application)
# Staff record it when a band tells them it pulls out (by mail or phone).
WITHDRAW = Decision(
    "withdraw", "Mark withdrawn by band", "Withdrawn", "btn-outline-secondary",
    booking.withdraw_application,
)  # fmt: skip
CONFIRM = Decision(
    "confirm", "Confirm event", "Confirmed", "btn-success", booking.confirm_event, "Confirm anyway"
)
CANCEL = Decision("cancel", "Cancel event", "Cancelled", "btn-outline-danger", booking.cancel_event)
# Back to pending: a decision taken by mistake, or a band that is back in the running.
REOPEN = Decision(
    "reopen", "Reopen (back to pending)", "Reopened", "btn-outline-warning",
    booking.reopen_application,
)  # fmt: skip
APPLICATION_DECISIONS = {
    decision.value: decision for decision in (ACCEPT, REJECT, WITHDRAW, REOPEN)
}
EVENT_DECISIONS = {decision.value: decision for decision in (CONFIRM, CANCEL)}


def application_decisions(scope: Scope | None, application: EventApplication) -> list[Decision]:
    """The decisions ``scope`` may take on ``application`` now: decide a pending one,
    reopen a decided one. A cancelled event's bands cannot be accepted nor reopened
    (booking refuses both), only turned down."""
    if scope is None or not can(scope, "edit", EventApplication, application):
        return []
    cancelled = application.event.status == "cancelled"
    if application.status == "pending":
        return [REJECT, WITHDRAW] if cancelled else [ACCEPT, REJECT, WITHDRAW]
    return [] if cancelled else [REOPEN]


def return_to(request: Request, form: FormData) -> str | None:
    """The page a decision's answer goes back to: the form's ``next`` when it is a path
    inside the console (:func:`admin_app.signin.safe_next`: no other site, no
    ``//host``), else None (the decided row's own page)."""
    prefix = request.url_for("admin:index").path.rstrip("/")
    return safe_next(form.get("next"), prefix)


def _details_page(request: Request, path: str) -> tuple[str, str] | None:
    """``(identity, pk)`` when ``path`` is a console details page, else None."""
    prefix = re.escape(request.url_for("admin:index").path.rstrip("/"))
    match = re.fullmatch(rf"{prefix}/([\w-]+)/details/(\d+)", urlsplit(path).path)
    return (match.group(1), match.group(2)) if match else None


class _ConfirmFirst(Exception):
    """A confirmed show is about to be cancelled without the confirmation: ask first."""

    def __init__(self, event: Event) -> None:
        super().__init__(event.title)
        self.title = event.title
        self.venue = event.venue.name
        self.when = format_local_range(event.starts_at, event.ends_at, event.venue.timezone)


def event_decisions(scope: Scope | None, event: Event) -> list[Decision]:
    """The decisions ``scope`` may take on ``event`` now, by its status."""
    if scope is None or not can(scope, "edit", Event, event):
        return []
    allowed = [CONFIRM] if event.status in ("draft", "hold") else []
    return [*allowed, CANCEL] if event.status != "cancelled" else allowed


def _shows_decisions(admin: Any, identity: str) -> bool:
    """Does the view registered as ``identity`` show decisions (and their refusals)?"""
    views = [view for view in admin.views if getattr(view, "identity", None) == identity]
    return bool(views) and getattr(views[0], "details_template", None) == DETAILS_TEMPLATE


class ApplicationDecisions:
    """Mixin for the applications view: its details page shows accept/reject."""

    details_template = DETAILS_TEMPLATE
    decide_route: ClassVar[str] = "admin:view-decide-application"

    def decisions(self, request: Request, obj: EventApplication) -> list[Decision]:
        """The buttons to show on ``obj``'s details page."""
        return application_decisions(current_scope(request), obj)

    def decide_url(self, request: Request, obj: Any) -> str:
        """Where the buttons post."""
        return str(request.url_for(self.decide_route, pk=obj.id))


class EventDecisions(ApplicationDecisions):
    """Mixin for the events view: its details page shows confirm/cancel."""

    decide_route = "admin:view-decide-event"

    def decisions(self, request: Request, obj: Any) -> list[Decision]:
        """The buttons to show on ``obj``'s details page."""
        return event_decisions(current_scope(request), obj)


class BookingDecisionsView(RoutesOnlyView):
    """The decision routes; never in the menu (the buttons live on the details pages)."""

    name = "Booking decisions"

    @expose("/event-application/decide/{pk}", methods=["POST"], identity="decide-application")
    async def decide_application(self, request: Request) -> Response:
        """Accept or reject one application."""
        return await self._decide(request, "event-application", APPLICATION_DECISIONS)

    @expose("/event/decide/{pk}", methods=["POST"], identity="decide-event")
    async def decide_event(self, request: Request) -> Response:
        """Confirm or cancel one event."""
        return await self._decide(request, "event", EVENT_DECISIONS)

    @expose("/event-application/decide/{pk}", methods=["GET"], identity="decide-application-get")
    async def decide_application_page(self, request: Request) -> Response:
        """Opened directly (not from the form): back to the application's page."""
        return back_to_row(request, "event-application")

    @expose("/event/decide/{pk}", methods=["GET"], identity="decide-event-get")
    async def decide_event_page(self, request: Request) -> Response:
        """Opened directly (not from the form): back to the event's page."""
        return back_to_row(request, "event")

    async def _decide(
        self, request: Request, identity: str, decisions: dict[str, Decision]
    ) -> Response:
        scope = current_scope(request)
        try:
            object_id = int(request.path_params["pk"])
        except ValueError:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND) from None
        form = await request.form()
        back = return_to(request, form)
        decision = decisions.get(str(form.get("decision", "")))
        version = str(form.get("version", ""))
        if scope is None or decision is None or not version.isdigit():
            reason = UNKNOWN_DECISION if decision is None else NO_VERSION
            return await self._refused(request, identity, reason, back)
        remote_addr = request.client.host if request.client else None
        # "... anyway": the explicit second click over a warning (booking audits it).
        override = decision.anyway is not None and form.get("override") == "1"
        # Cancelling a confirmed show cannot be undone: it needs a second, confirmed POST.
        confirmed = decision is not CANCEL or form.get("confirm") == "1"
        try:
            done = await run_in_threadpool(
                self._run,
                decision,
                object_id,
                scope,
                int(version),
                remote_addr,
                override,
                confirmed,
            )
        except _ConfirmFirst as ask:
            return await self._confirm_cancel(request, ask, version, back, identity, object_id)
        except booking.NotFound:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND) from None
        except booking.NeedsOverride as error:
            return await self._refused(
                request, identity, str(error), back, anyway=decision, version=version
            )
        except booking.BookingError as error:
            return await self._refused(request, identity, str(error), back)
        Flash.success(request, done)
        url = back or request.url_for("admin:details", identity=identity, pk=object_id)
        return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)

    def _run(
        self,
        decision: Decision,
        object_id: int,
        scope: Scope,
        version: int,
        remote_addr: str | None,
        override: bool = False,
        confirmed: bool = True,
    ) -> str:
        """Take the decision and commit it (or nothing); the success message.

        Not ``confirmed``, a cancel of a confirmed show raises :class:`_ConfirmFirst`. The
        status is read at the version the form carries, and booking refuses any other
        version, so a show confirmed meanwhile is never cancelled without the question.
        """
        extra = {"override": True} if override else {}
        with source_of(internals.admin_of(self).session_maker).begin() as session:
            if not confirmed:
                event = session.get(Event, object_id)
                if (
                    event is not None
                    and event.status == "confirmed"
                    and event.version == version
                    and can(scope, "edit", Event, event)
                ):
                    raise _ConfirmFirst(event)
            obj = decision.decide(
                session, object_id, scope, version, remote_addr=remote_addr, **extra
            )
            anyway = f" ({decision.anyway.lower()})" if override and decision.anyway else ""
            return f"{decision.done}{anyway}: {obj}."

    async def _confirm_cancel(
        self,
        request: Request,
        ask: _ConfirmFirst,
        version: str,
        back: str | None,
        identity: str,
        object_id: int,
    ) -> Response:
        """The question before a confirmed show is cancelled: a page with the same form
        and ``confirm=1`` (no JavaScript needed)."""
        fields = {"decision": CANCEL.value, "version": version, "confirm": "1"}
        if back:
            fields["next"] = back
        cancel_url = back or str(request.url_for("admin:details", identity=identity, pk=object_id))
        context = {
            "heading": f"Cancel the confirmed show “{ask.title}”?",
            "consequences": [
                f"{ask.title} ({ask.when}) at {ask.venue} is cancelled; this cannot be undone.",
                "The bands booked for it and the venue's staff are told it is cancelled.",
                "Its applications stay as they are.",
            ],
            "action": request.url.path,
            "fields": fields,
            "confirm_label": "Cancel the show",
            "cancel_url": cancel_url,
            "title": "Cancel a confirmed show",
        }
        response: Response = await self.templates.TemplateResponse(
            request, "console/confirm.html", context
        )
        return response

    async def _refused(
        self,
        request: Request,
        identity: str,
        reason: str,
        back: str | None = None,
        *,
        anyway: Decision | None = None,
        version: str = "",
    ) -> Response:
        """The details page again, with why the decision was refused (400): the ``back``
        page's when it is a details page (an event's, for its applications' buttons). A
        warning that may be overridden gets its "... anyway" button, posting this same
        decision (``version``: the one submitted) again with ``override=1``."""
        anyway_url = request.url.path  # this decision's own route, before any page swap
        admin = internals.admin_of(self)
        page = _details_page(request, back) if back else None
        # Only a page that shows the reason (one with decisions) replaces the row's own.
        if page is not None and _shows_decisions(admin, page[0]):
            identity = page[0]
            # The same request, as if it had asked for that page (the state, the session
            # and the signed-in user are the scope's, shared).
            params = {"identity": identity, "pk": page[1]}
            request = Request({**request.scope, "path_params": params}, request.receive)
        return await details_again(
            self,
            request,
            identity,
            status.HTTP_400_BAD_REQUEST,
            decision_error=reason,
            decision_anyway=anyway,
            decision_anyway_url=anyway_url,
            decision_version=version,
            decision_next=back,
        )


async def details_again(
    view: BaseView, request: Request, identity: str, code: int, **extra: Any
) -> Response:
    """The details page of the row ``request`` names, in ``identity``'s view, answered with
    ``code`` and ``extra`` in its context (why a POST from it was refused); 404 when the
    row is gone or not the user's. Every refused decision on a details page answers so."""
    model_view = internals.find_model_view(internals.admin_of(view), identity)
    model = await model_view.get_object_for_details(request)
    if model is None or not await model_view.check_can_view_details(request, model):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    context = {
        **await model_view.details_context(request),
        "model_view": model_view,
        "model": model,
        "title": model_view.name,
        **extra,
    }
    response: Response = await view.templates.TemplateResponse(
        request, model_view.details_template, context, status_code=code
    )
    return response
