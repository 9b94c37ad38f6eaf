"""The offer, on a confirmed event's page, to release the other holds on its night.

``POST /admin/event/release-holds/{pk}`` with the ``hold`` ids the page listed calls
:func:`admin_app.holds.release_other_holds` (scoped, locked, audited with the reason).
Answers like the booking decisions (:mod:`admin_app.views.booking_actions`): success →
303 to the event's page with a flashed message; a refusal → the page again with the
reason, status 400 (409 when the page is out of date); not the user's event → 404.
"""

from __future__ import annotations

from typing import Any

from sqladmin import expose
from sqladmin.flash import Flash
from starlette import status
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import booking, holds
from admin_app import sqladmin_internals as internals
from admin_app.redirects import back_to_row
from admin_app.request_scope import current_scope
from admin_app.request_session import source_of
from admin_app.scoping import Scope
from admin_app.views._routes import RoutesOnlyView
from admin_app.views.booking_actions import details_again

NOTHING_CHOSEN = "No hold was listed to release: reload the page and try again."


class ReleaseOffer:
    """Mixin for the events view: a confirmed event's page lists the holds to release."""

    async def details_context(self, request: Request) -> dict[str, Any]:
        """Adds ``release_offer`` (None when there is nothing to offer)."""
        context: dict[str, Any] = await super().details_context(request)  # type: ignore[misc]
        scope = current_scope(request)
        pk = str(request.path_params.get("pk", ""))
        offer = None
        if scope is not None and pk.isdigit():
            offer = await run_in_threadpool(self._offer, scope, int(pk))
        return {**context, "release_offer": offer}

    def _offer(self, scope: Scope, event_id: int) -> holds.ReleaseOffer | None:
        with source_of(internals.admin_of(self).session_maker)() as session:  # type: ignore[arg-type]
            return holds.release_offer(session, scope, event_id)


class HoldReleaseView(RoutesOnlyView):
    """The release route; never in the menu (its button is on the event's page)."""

    name = "Hold release"

    @expose("/event/release-holds/{pk}", methods=["GET"], identity="release-holds-get")
    async def release_page(self, request: Request) -> Response:
        """Opened directly (not from the form): back to the event's page."""
        return back_to_row(request, "event")

    @expose("/event/release-holds/{pk}", methods=["POST"], identity="release-holds")
    async def release(self, request: Request) -> Response:
        """Release the listed holds overlapping the confirmed event."""
        scope = current_scope(request)
        try:
            event_id = int(request.path_params["pk"])
        except ValueError:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND) from None
        form = await request.form()
        raw = [str(value) for value in form.getlist("hold")]
        if scope is None or not raw or not all(value.isdigit() for value in raw):
            return await self._refused(request, NOTHING_CHOSEN, status.HTTP_400_BAD_REQUEST)
        remote_addr = request.client.host if request.client else None
        try:
            message = await run_in_threadpool(
                self._run, event_id, scope, [int(value) for value in raw], remote_addr
            )
        except booking.NotFound:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND) from None
        except booking.StaleObject as error:
            return await self._refused(request, str(error), status.HTTP_409_CONFLICT)
        except booking.BookingError as error:
            return await self._refused(request, str(error), status.HTTP_400_BAD_REQUEST)
        Flash.success(request, message)
        url = request.url_for("admin:details", identity="event", pk=event_id)
        return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)

    def _run(
        self, event_id: int, scope: Scope, hold_ids: list[int], remote_addr: str | None
    ) -> str:
        """Release and commit (or nothing); the success message."""
        with source_of(internals.admin_of(self).session_maker).begin() as session:
            released = holds.release_other_holds(
                session, event_id, scope, hold_ids, remote_addr=remote_addr
            )
            if not released:
                return "Nothing to release: those holds were already gone."
            names = ", ".join(f'"{hold.title}"' for hold in released)
            count = len(released)
            return f"Released {count} hold{'s' if count != 1 else ''}: {names}."

    async def _refused(self, request: Request, reason: str, code: int) -> Response:
        """The event's page again, with why nothing was released."""
        return await details_again(self, request, "event", code, decision_error=reason)
