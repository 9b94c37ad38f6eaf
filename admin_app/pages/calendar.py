"""The calendar pages: a venue's month, a band's month, matching dates, and their forms.

Console pages (a SQLAdmin ``BaseView``), so they share the layout, the menu and the signed
session. Every change is a plain HTML form POST answered by a redirect back to the month
(Post/Redirect/Get) with a message; a bad request is a 400/403/404/409 page inside the
layout, never a traceback. What the pages show and do lives in :mod:`._calendar_data`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqladmin import BaseView, ModelView, expose
from sqladmin.flash import Flash
from starlette import status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import sqladmin_internals as internals
from admin_app.auth import CurrentUser
from admin_app.calendars import Month, MonthError
from admin_app.pages import _calendar_data as data
from admin_app.pages._calendar_data import PageError, parse_day, parse_id
from admin_app.redirects import back_to_page
from admin_app.request_scope import current_scope
from admin_app.request_session import SessionSource, source_of
from models import Band, Venue

T = TypeVar("T")

VENUE_TEMPLATE = "console/calendar_venue.html"
BAND_TEMPLATE = "console/calendar_band.html"
MATCH_TEMPLATE = "console/calendar_match.html"
NOTICE_TEMPLATE = "console/calendar_notice.html"
CONFIRM_TEMPLATE = "console/confirm.html"
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# ``?view=``: the month as a grid or as a list of days. Absent (or anything else): the
# stylesheet picks by width (a list below 768 px), so a shared link looks right on both.
VIEWS_OF_A_MONTH = ("month", "list")


def _form_texts(form: Any) -> dict[str, str]:
    """The submitted fields that are text (an uploaded file is ignored)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def chosen_view(request: Request) -> str | None:
    """The layout the user picked (``?view=month|list``), or None for the responsive default."""
    view = request.query_params.get("view")
    return view if view in VIEWS_OF_A_MONTH else None


def view_context(request: Request) -> dict[str, Any]:
    """The chosen view, and the query parameters that keep it in a page's links."""
    view = chosen_view(request)
    return {"view": view, "keep_view": {"view": view} if view else {}}


def layout_context(request: Request, month: Month) -> dict[str, Any]:
    """What every month page needs besides its data: :func:`view_context`, and the day of
    ``month`` whose change the messages are about.

    A day-marking or hold redirect names that day (``?day=``) so the message is shown in the
    day's own cell, where the fragment scrolls the eye, not at the top of a long page.
    """
    try:
        message_day: date | None = date.fromisoformat(request.query_params.get("day", ""))
        if message_day is not None and Month.of(message_day) != month:
            message_day = None
    except (ValueError, MonthError):
        message_day = None
    return {**view_context(request), "message_day": message_day}


def feed_urls(request: Request, route: str, token: str) -> dict[str, str]:
    """The feed's address as calendar apps want it: https:// (Google) and webcal://."""
    url = str(request.url_for(route, token=token))
    return {"https": url, "webcal": "webcal://" + url.split("://", 1)[1]}


class CalendarView(BaseView):
    """Month calendars of venues and bands, date matching, day marks and feed URLs."""

    name = "Calendar"
    icon = "fa-solid fa-calendar-days"

    def is_accessible(self, request: Request) -> bool:
        """Every signed-in user: what each one sees is narrowed by the scoping rules."""
        return getattr(request.state, "user", None) is not None

    def is_visible(self, request: Request) -> bool:
        """In the menu for everyone who may open it."""
        return self.is_accessible(request)

    # SQLAdmin links the menu entry to the first route of the class: keep it first.
    @expose("/calendar", methods=["GET"], identity="calendar")
    async def entry(self, request: Request) -> Response:
        """The calendar of the venue picked (``?venue=``), else of the user's first venue
        by name, or a note when there is none."""
        picker = await self._run(request, data.visible_venues)
        if isinstance(picker, Response):
            return picker
        picked = request.query_params.get("venue")
        if picked:
            try:
                venue_id = parse_id(picked, "venue")
            except PageError as error:
                return await self._error(request, error)
        elif picker.options:
            venue_id = picker.options[0].id
        else:
            return await self._notice(
                request,
                200,
                "There are no venues to show yet.",
                "Add a venue first, or open a band's calendar.",
            )
        target = request.url_for("admin:view-calendar-venue", venue_id=str(venue_id))
        month = request.query_params.get("month")
        if month:
            target = target.include_query_params(month=month)
        view = chosen_view(request)
        if view:
            target = target.include_query_params(view=view)
        return RedirectResponse(target, status_code=status.HTTP_302_FOUND)

    @expose("/calendar/venue/{venue_id}", methods=["GET"], identity="calendar-venue")
    async def venue(self, request: Request) -> Response:
        """A venue's month: hours, marks and shows of each night on the venue's clock
        (``?venue_q=`` searches the venues to switch to)."""
        return await self._venue_response(request)

    @expose("/calendar/venue/{venue_id}/day", methods=["POST"], identity="calendar-venue-day")
    async def venue_day(self, request: Request) -> Response:
        """Set or clear the venue's mark on one day, then show that month again."""
        return await self._mark_day(request, Venue, "venue_id", "admin:view-calendar-venue")

    @expose("/calendar/venue/{venue_id}/feed", methods=["POST"], identity="calendar-venue-feed")
    async def venue_feed(self, request: Request) -> Response:
        """Issue a new feed URL (the old one stops working) and show it, once."""
        return await self._regenerate(request, Venue, "venue_id", self._venue_response)

    @expose("/calendar/venue/{venue_id}/day", methods=["GET"], identity="calendar-venue-day-get")
    async def venue_day_page(self, request: Request) -> Response:
        """Opened directly (not from the form): back to the venue's month."""
        venue_id = str(request.path_params["venue_id"])
        return back_to_page(request, "admin:view-calendar-venue", venue_id=venue_id)

    @expose("/calendar/venue/{venue_id}/feed", methods=["GET"], identity="calendar-venue-feed-get")
    async def venue_feed_page(self, request: Request) -> Response:
        """Opened directly (a reload after the redirect): back to the venue's month."""
        venue_id = str(request.path_params["venue_id"])
        return back_to_page(request, "admin:view-calendar-venue", venue_id=venue_id)

    @expose("/calendar/band", methods=["GET"], identity="calendar-bands")
    async def band_picker(self, request: Request) -> Response:
        """Search bands by name (``?q=``) to open one's calendar."""
        query = request.query_params.get("q")
        found = await self._run(request, data.search_bands, query)
        if isinstance(found, Response):
            return found
        context = {"cal": None, "query": query or "", "found": found, **view_context(request)}
        return await self._render(request, BAND_TEMPLATE, context)

    @expose("/calendar/band/{band_id}", methods=["GET"], identity="calendar-band")
    async def band(self, request: Request) -> Response:
        """A band's month: its marks, its members' conflicts, gigs and pending applications."""
        return await self._band_response(request)

    @expose("/calendar/band/{band_id}/day", methods=["POST"], identity="calendar-band-day")
    async def band_day(self, request: Request) -> Response:
        """Set or clear the band's own mark on one day (superusers), then show the month."""
        return await self._mark_day(request, Band, "band_id", "admin:view-calendar-band")

    @expose("/calendar/band/{band_id}/feed", methods=["POST"], identity="calendar-band-feed")
    async def band_feed(self, request: Request) -> Response:
        """Issue a new band feed URL (superusers) and show it, once."""
        return await self._regenerate(request, Band, "band_id", self._band_response)

    @expose("/calendar/band/{band_id}/day", methods=["GET"], identity="calendar-band-day-get")
    async def band_day_page(self, request: Request) -> Response:
        """Opened directly (not from the form): back to the band's month."""
        band_id = str(request.path_params["band_id"])
        return back_to_page(request, "admin:view-calendar-band", band_id=band_id)

    @expose("/calendar/band/{band_id}/feed", methods=["GET"], identity="calendar-band-feed-get")
    async def band_feed_page(self, request: Request) -> Response:
        """Opened directly (a reload after the redirect): back to the band's month."""
        band_id = str(request.path_params["band_id"])
        return back_to_page(request, "admin:view-calendar-band", band_id=band_id)

    @expose("/calendar/match/hold", methods=["GET"], identity="calendar-hold-get")
    async def hold_page(self, request: Request) -> Response:
        """Opened directly (not from the form): back to date matching."""
        return back_to_page(request, "admin:view-calendar-match")

    @expose("/calendar/match", methods=["GET"], identity="calendar-match")
    async def match(self, request: Request) -> Response:
        """Dates the venue is open and the band is free, best first, each one click to hold."""
        params = request.query_params
        context = await self._run(
            request,
            data.match_page,
            params.get("venue"),
            params.get("band"),
            params.get("month"),
            params.get("q"),
            params.get("venue_q"),
        )
        if isinstance(context, Response):
            return context
        return await self._render(request, MATCH_TEMPLATE, context)

    @expose("/calendar/match/hold", methods=["POST"], identity="calendar-hold")
    async def hold(self, request: Request) -> Response:
        """Place a hold for the band on the date, then show it on the venue's calendar."""
        form = _form_texts(await request.form())
        try:
            venue_id = parse_id(form.get("venue"), "venue")
            band_id = parse_id(form.get("band"), "band")
            day = parse_day(form.get("date"))
        except PageError as error:
            return await self._error(request, error)
        message = await self._run(
            request, data.place_hold, venue_id, band_id, day, self._remote(request), write=True
        )
        if isinstance(message, Response):
            return message
        Flash.success(request, message)
        return self._back_to_month(
            request, "admin:view-calendar-venue", "venue_id", venue_id, day, form.get("view")
        )

    # --- helpers ----------------------------------------------------------------------

    async def _venue_response(self, request: Request, **extra: Any) -> Response:
        try:
            venue_id = parse_id(request.path_params["venue_id"], "venue")
        except PageError as error:
            return await self._error(request, error)
        params = request.query_params
        context = await self._run(
            request, data.venue_page, venue_id, params.get("month"), params.get("venue_q")
        )
        if isinstance(context, Response):
            return context
        layout = layout_context(request, context["cal"].month)
        return await self._render(request, VENUE_TEMPLATE, {**context, **layout, **extra})

    async def _band_response(self, request: Request, **extra: Any) -> Response:
        try:
            band_id = parse_id(request.path_params["band_id"], "band")
        except PageError as error:
            return await self._error(request, error)
        params = request.query_params
        context = await self._run(
            request,
            data.band_page,
            band_id,
            params.get("month"),
            params.get("q"),
            params.get("venue_q"),
        )
        if isinstance(context, Response):
            return context
        layout = layout_context(request, context["cal"].month)
        return await self._render(request, BAND_TEMPLATE, {**context, **layout, **extra})

    async def _mark_day(
        self, request: Request, owner: type[Venue] | type[Band], key: str, route: str
    ) -> Response:
        form = _form_texts(await request.form())
        try:
            owner_id = parse_id(request.path_params[key], owner.__name__.lower())
            day = parse_day(form.get("date"))
        except PageError as error:
            return await self._error(request, error)
        message = await self._run(
            request, data.mark_day, owner, owner_id, day, form, self._remote(request), write=True
        )
        if isinstance(message, Response):
            return message
        Flash.success(request, message)
        return self._back_to_month(request, route, key, owner_id, day, form.get("view"))

    async def _regenerate(
        self,
        request: Request,
        owner: type[Venue] | type[Band],
        key: str,
        page: Callable[..., Any],
    ) -> Response:
        try:
            owner_id = parse_id(request.path_params[key], owner.__name__.lower())
        except PageError as error:
            return await self._error(request, error)
        form = _form_texts(await request.form())
        outcome = await self._run(
            request,
            data.regenerate_feed,
            owner,
            owner_id,
            self._remote(request),
            form.get("mark"),
            form.get("confirm") == "1",
            write=True,
        )
        if isinstance(outcome, Response):
            return outcome
        month_route = "admin:view-calendar-venue" if owner is Venue else "admin:view-calendar-band"
        # The month and view the form was sent from (its action carries the page's query).
        shown = {
            name: value for name, value in request.query_params.items() if name in ("month", "view")
        }
        back = str(
            request.url_for(month_route, **{key: str(owner_id)}).include_query_params(**shown)
        )
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if outcome.stale:
            # A resubmit (reload, back): the URL it would replace is gone already.
            Flash.info(
                request,
                "Nothing changed: this form was sent again (a reload?) and the feed URL it "
                "would replace had already been regenerated. Use the button to issue another.",
            )
            return RedirectResponse(f"{back}#feed", status_code=status.HTTP_303_SEE_OTHER)
        if outcome.needs_confirmation:
            return await self._render(
                request,
                CONFIRM_TEMPLATE,
                {
                    "heading": f"Regenerate the feed URL of {outcome.owner_name}?",
                    "consequences": [
                        "The current feed URL stops working at once: every calendar app "
                        "subscribed to it stops updating.",
                        "The new URL is shown once; share it again with everyone who used the "
                        "old one.",
                    ],
                    "action": here,
                    "fields": {"mark": form.get("mark", ""), "confirm": "1"},
                    "confirm_label": "Regenerate feed URL",
                    "cancel_url": back,
                },
            )
        # Answered with the page itself, not a redirect: the token is shown this once and
        # never stored, so it must not travel through the session cookie to a later GET. A
        # reload re-sends the old mark and is answered above, so it issues nothing.
        route = "venue-feed" if owner is Venue else "band-feed"
        assert outcome.token is not None
        response: Response = await page(request, new_feed=feed_urls(request, route, outcome.token))
        response.headers["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _back_to_month(
        request: Request, route: str, key: str, owner_id: int, day: date, view: str | None
    ) -> Response:
        """The month of ``day`` in the view the form was sent from, scrolled to that day,
        with the message in the day's cell (``?day=``, see :func:`layout_context`)."""
        url: URL = request.url_for(route, **{key: str(owner_id)})
        target = url.include_query_params(month=str(Month.of(day)), day=day.isoformat())
        if view in VIEWS_OF_A_MONTH:
            target = target.include_query_params(view=view)
        # 303: the browser follows with a GET, so reloading the page never re-posts.
        return RedirectResponse(f"{target}#day-{day.isoformat()}", status_code=303)

    @staticmethod
    def _remote(request: Request) -> str | None:
        return request.client.host if request.client else None

    def _sessions(self) -> SessionSource:
        # The app's one factory, as every view has it: the request's session.
        return source_of(internals.admin_of(self).session_maker)

    async def _run(
        self,
        request: Request,
        work: Callable[..., T],
        *args: Any,
        write: bool = False,
    ) -> T | Response:
        """Run ``work(session, scope, *args)`` in a worker thread; a PageError becomes its page.

        With ``write`` the work runs in one transaction that commits when it returns.
        """
        user: CurrentUser = request.state.user
        sessions = self._sessions()
        # Read with the user at authentication (admin_app.auth.load_session_user).
        scope = current_scope(request) or user.scope

        def call() -> T:
            with sessions.begin() if write else sessions() as session:
                if scope is None:
                    raise PageError(403, "Your account cannot use the calendar.")
                return work(session, scope, *args)

        try:
            return await run_in_threadpool(call)
        except PageError as error:
            return await self._error(request, error)

    async def _render(
        self, request: Request, template: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        response: Response = await self.templates.TemplateResponse(
            request,
            template,
            {"title": self.name, "weekday_names": WEEKDAY_NAMES, **context},
            status_code=status_code,
        )
        return response

    async def _error(self, request: Request, error: PageError) -> Response:
        return await self._notice(request, error.status_code, error.message, anyway=error.anyway)

    async def _notice(
        self,
        request: Request,
        status_code: int,
        message: str,
        hint: str | None = None,
        *,
        anyway: tuple[str, dict[str, str]] | None = None,
    ) -> Response:
        context = {"status_code": status_code, "message": message, "hint": hint, "anyway": anyway}
        return await self._render(request, NOTICE_TEMPLATE, context, status_code=status_code)


VIEWS: list[type[ModelView] | type[BaseView]] = [CalendarView]
