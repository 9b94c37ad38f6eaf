"""An event's applications on the event's own page, each with the buttons the user may press.

The buttons post to the single decision route (``booking_actions``) with the
application's version and ``next`` set to the event's page, so the answer (the flashed
message, or the refusal with its reason) comes back here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request

from admin_app.localtime import format_local
from admin_app.request_scope import current_scope
from admin_app.scoping import Scope
from admin_app.views.booking_actions import Decision, application_decisions
from models import Event, EventApplication

# Pending first (what needs someone), then what was decided.
STATUS_ORDER = {"pending": 0, "accepted": 1, "rejected": 2, "withdrawn": 3}


@dataclass(frozen=True)
class ApplicationRow:
    """One application as the event's page lists it."""

    id: int
    band: str
    status: str
    message: str
    decided_by: str
    decided_at: str  # on the venue's clock, zone named; "" while pending
    details: str
    decide_url: str
    version: int
    decisions: Sequence[Decision]


class EventApplicationsSection:
    """Mixin for the events view: ``details_with_actions.html`` lists the applications."""

    def application_rows(self, request: Request, event: Event) -> list[ApplicationRow]:
        """The event's applications (band, status, decision), pending first."""
        scope = current_scope(request)
        zone = event.venue.timezone
        ordered = sorted(
            event.applications, key=lambda a: (STATUS_ORDER.get(a.status, 9), a.band.name, a.id)
        )
        return [_row(request, scope, application, zone) for application in ordered]


def _row(
    request: Request, scope: Scope | None, application: EventApplication, zone: str
) -> ApplicationRow:
    decider = application.decided_by
    return ApplicationRow(
        id=application.id,
        band=application.band.name,
        status=application.status,
        message=application.message or "",
        decided_by=(decider.full_name or decider.email) if decider is not None else "",
        decided_at=format_local(application.decided_at, zone),
        details=request.url_for(
            "admin:details", identity="event-application", pk=application.id
        ).path,
        decide_url=request.url_for("admin:view-decide-application", pk=application.id).path,
        version=application.version,
        decisions=application_decisions(scope, application),
    )
