"""Today: the console's first page (``/admin/``, SQLAdmin's index route) and the menu's
"N to decide" count.

The page reads in the request's one session, in a worker thread, a fixed number of
statements (:mod:`._today_data`); its accept/reject buttons post to the booking decision
route with ``next`` pointing back here, so a decision made on Today comes back to Today
with its message. The count is one capped COUNT, run only by pages that draw the menu.
"""

from __future__ import annotations

from typing import Any

from sqladmin.application import BaseAdmin
from sqladmin.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from admin_app.errors import UNAVAILABLE_ERRORS, is_database_unavailable, log_unavailable
from admin_app.pages import _today_data as data
from admin_app.pages._calendar_data import PageError
from admin_app.request_scope import current_scope
from admin_app.request_session import SessionSource, source_of

TODAY_TEMPLATE = "console/today.html"
NOTICE_TEMPLATE = "console/calendar_notice.html"
# Where the count of one request is kept once read (the menu may be drawn more than once).
_COUNT_ATTR = "console_to_decide"


async def today_response(admin: BaseAdmin, request: Request) -> Response:
    """The Today page of the signed-in user (``?venue=`` narrows it to one venue)."""
    scope = current_scope(request)
    sessions = source_of(admin.session_maker)
    venue_text = request.query_params.get("venue")
    venue_query = request.query_params.get("venue_q")

    def read() -> data.TodayPage:
        with sessions() as session:
            if scope is None:
                raise PageError(403, "Your account cannot use the console.")
            return data.today_page(session, scope, venue_text, venue_query)

    try:
        page = await run_in_threadpool(read)
    except PageError as error:
        context: dict[str, Any] = {
            "title": "Today",
            "status_code": error.status_code,
            "message": error.message,
        }
        response: Response = await admin.templates.TemplateResponse(
            request, NOTICE_TEMPLATE, context, status_code=error.status_code
        )
        return response
    back = request.url.path + (f"?venue={page.venue_id}" if page.venue_id is not None else "")
    context = {"title": "Today", "today": page, "back": back}
    response = await admin.templates.TemplateResponse(request, TODAY_TEMPLATE, context)
    return response


def install_count(templates: Jinja2Templates, admin: BaseAdmin) -> None:
    """Give the templates ``to_decide(request)``: "3 to decide" for the signed-in user
    (None when nothing waits or nobody is signed in), read once per request."""

    async def to_decide(request: Request) -> str | None:
        scope = current_scope(request)
        if scope is None:
            return None
        if not hasattr(request.state, _COUNT_ATTR):
            sessions: SessionSource = source_of(admin.session_maker)

            def count() -> int:
                with sessions() as session:
                    return data.count_to_decide(session, scope)

            try:
                counted: int | None = await run_in_threadpool(count)
            except UNAVAILABLE_ERRORS as error:
                if not is_database_unavailable(error):
                    raise
                # A menu without its count beats an error page about a count.
                log_unavailable(request, error)
                counted = None
            setattr(request.state, _COUNT_ATTR, counted)
        return data.count_label(getattr(request.state, _COUNT_ATTR))

    templates.env.globals["to_decide"] = to_decide
