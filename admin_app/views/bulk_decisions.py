"""Bulk accept / reject / withdraw on the applications list, as one POST route.

The list's checkboxes belong to the form ``console/_bulk_decisions.html`` draws above the
rows (HTML's ``form`` attribute, so no script is needed); each sends ``ID:VERSION``.
``POST /admin/event-application/decide-selected`` (``decision=accept|reject|withdraw``,
``selected`` repeated, ``next``) is a POST, so the Origin check
(:mod:`admin_app.security`) guards it, unlike SQLAdmin's GET ``@action``s.
:func:`admin_app.booking_bulk.decide_each` decides every row with the same booking
function as the single decision, each row in its own transaction.

Answers: 303 back to the list (``next``, the list with its filters) with a summary of what
was done and what was refused and why, shown above the rows (Post/Redirect/Get); a
request refused as a whole (nothing selected, too many rows, an unknown decision) → a page
saying why, 400.
"""

from __future__ import annotations

from typing import Any

from sqladmin import expose
from starlette import status
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import booking_bulk
from admin_app import sqladmin_internals as internals
from admin_app.redirects import back_to_page
from admin_app.request_scope import current_scope
from admin_app.request_session import source_of
from admin_app.scoping import can_any
from admin_app.views._routes import RoutesOnlyView
from admin_app.views.booking_actions import (
    ACCEPT,
    REJECT,
    UNKNOWN_DECISION,
    WITHDRAW,
    Decision,
    return_to,
)
from models import EventApplication

BULK_DECISIONS = {decision.value: decision for decision in (ACCEPT, REJECT, WITHDRAW)}
BULK_LABELS = {"accept": "Accept selected", "reject": "Reject selected"}
BULK_LABELS["withdraw"] = "Mark selected withdrawn"
FORM_ID = "bulk-decisions"
SUMMARY_KEY = "console_bulk_summary"  # in the session cookie, until the list shows it
REFUSED_TEMPLATE = "console/bulk_refused.html"


class BulkApplicationDecisions:
    """Mixin for the applications view: its list offers the bulk buttons."""

    bulk_template = "console/_bulk_decisions.html"
    bulk_form_id = FORM_ID

    def bulk_decisions(self, request: Request) -> list[tuple[Decision, str]]:
        """The bulk buttons (decision, label) for the signed-in user: none for someone who
        may decide no application; each row is checked again when decided."""
        scope = current_scope(request)
        if scope is None or not can_any(scope, "edit", EventApplication):
            return []
        return [(decision, BULK_LABELS[value]) for value, decision in BULK_DECISIONS.items()]

    def bulk_url(self, request: Request) -> str:
        """Where the bulk form posts."""
        return request.url_for("admin:view-decide-selected-applications").path

    def bulk_summary(self, request: Request) -> dict[str, Any] | None:
        """The last bulk decision's summary, once (it is taken out of the session)."""
        summary = request.session.pop(SUMMARY_KEY, None)
        return summary if isinstance(summary, dict) else None


class BulkDecisionsView(RoutesOnlyView):
    """The bulk decision route; never in the menu (its buttons live on the list)."""

    name = "Bulk decisions"

    @expose(
        "/event-application/decide-selected",
        methods=["GET"],
        identity="decide-selected-applications-get",
    )
    async def decide_selected_page(self, request: Request) -> Response:
        """Opened directly (not from the list's form): back to the applications list."""
        return back_to_page(request, "admin:list", identity="event-application")

    @expose(
        "/event-application/decide-selected",
        methods=["POST"],
        identity="decide-selected-applications",
    )
    async def decide_selected(self, request: Request) -> Response:
        """Accept, reject or mark withdrawn every selected application."""
        scope = current_scope(request)
        form = await request.form()
        back = (
            return_to(request, form)
            or request.url_for("admin:list", identity="event-application").path
        )
        decision = BULK_DECISIONS.get(str(form.get("decision", "")))
        if scope is None or decision is None:
            return await self._refused(request, UNKNOWN_DECISION, back)
        try:
            selection = booking_bulk.parse_selection(form.getlist("selected"))
        except booking_bulk.SelectionError as error:
            return await self._refused(request, str(error), back)
        remote_addr = request.client.host if request.client else None
        sessions = source_of(internals.admin_of(self).session_maker)
        outcome = await run_in_threadpool(
            booking_bulk.decide_each,
            sessions,
            decision.decide,
            selection,
            scope,
            remote_addr=remote_addr,
        )
        request.session[SUMMARY_KEY] = {
            "text": outcome.summary(decision.done),
            "level": "warning" if outcome.refused else "success",
        }
        return RedirectResponse(back, status_code=status.HTTP_303_SEE_OTHER)

    async def _refused(self, request: Request, reason: str, back: str) -> Response:
        """A page saying why nothing was done, with the way back to the list (400)."""
        context = {"title": "Applications", "reason": reason, "back": back}
        response: Response = await self.templates.TemplateResponse(
            request, REFUSED_TEMPLATE, context, status_code=status.HTTP_400_BAD_REQUEST
        )
        return response
