"""The notification outbox for ops (superusers only): what was sent, what waits, what
failed and why, and "retry now" for a failed message once its cause is fixed."""

from __future__ import annotations

from typing import Any

from sqladmin import BaseView, ModelView, expose
from sqladmin.filters import StaticValuesFilter
from sqladmin.flash import Flash
from starlette import status
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app import outbox
from admin_app import sqladmin_internals as internals
from admin_app.audit import record
from admin_app.redirects import back_to_row
from admin_app.request_scope import request_actor
from admin_app.request_session import source_of
from admin_app.views._routes import RoutesOnlyView
from admin_app.views.base import ConsoleModelView
from models import OUTBOX_STATUSES, OutboxMessage

IDENTITY = "outbox-message"


def _is_superuser(request: Request) -> bool:
    user = getattr(request.state, "user", None)
    return bool(user is not None and user.is_superuser)


def _recipients(message: Any, _name: str = "recipients") -> str:
    return ", ".join(message.recipients or [])


def _kind_words(message: Any, _name: str = "kind") -> str:
    """``application_accepted`` -> "Application accepted"."""
    return str(message.kind).replace("_", " ").capitalize()


class OutboxView(ConsoleModelView, model=OutboxMessage):
    """Read-only: messages are written by decisions and settled by the worker."""

    name = "Outbox message"
    name_plural = "Outbox"
    icon = "fa-solid fa-envelope"
    category = "Audit"
    identity = IDENTITY
    details_template = "console/outbox_details.html"

    can_create = False
    can_edit = False
    can_delete = False
    can_export = False

    column_list = [
        OutboxMessage.created_at,
        OutboxMessage.subject,
        "recipients",
        OutboxMessage.status,
        OutboxMessage.attempts,
        OutboxMessage.next_attempt_at,
        OutboxMessage.last_error,
    ]
    name_column = "subject"
    column_details_list = [
        OutboxMessage.id,
        OutboxMessage.kind,
        OutboxMessage.subject,
        "recipients",
        OutboxMessage.status,
        OutboxMessage.attempts,
        OutboxMessage.last_error,
        OutboxMessage.created_at,
        OutboxMessage.next_attempt_at,
        OutboxMessage.sent_at,
        OutboxMessage.text_body,
        OutboxMessage.idempotency_key,
    ]
    column_labels = {
        # The values name their zone ("… 12:08 (UTC)", localtime.format_utc).
        OutboxMessage.created_at: "Queued",
        OutboxMessage.next_attempt_at: "Next attempt",
        OutboxMessage.sent_at: "Sent",
        OutboxMessage.last_error: "Last error",
        OutboxMessage.text_body: "Text",
        OutboxMessage.idempotency_key: "Idempotency key",
        "recipients": "To",
    }
    column_formatters = {"recipients": _recipients}
    column_formatters_detail = {"recipients": _recipients, OutboxMessage.kind: _kind_words}
    column_default_sort = [(OutboxMessage.created_at, True), (OutboxMessage.id, True)]
    column_sortable_list = [OutboxMessage.created_at, OutboxMessage.next_attempt_at]
    column_searchable_list = [OutboxMessage.subject, OutboxMessage.idempotency_key]
    column_filters = [
        StaticValuesFilter(OutboxMessage.status, [(s, s) for s in OUTBOX_STATUSES], title="Status")
    ]

    def is_accessible(self, request: Request) -> bool:
        """Only superusers read the outbox (it names every recipient)."""
        return _is_superuser(request)

    def is_visible(self, request: Request) -> bool:
        """Hidden from the menu of everyone who may not open it."""
        return _is_superuser(request)


class OutboxActionsView(RoutesOnlyView):
    """The "retry now" route; never in the menu (the button is on the details page)."""

    name = "Outbox actions"

    def is_accessible(self, request: Request) -> bool:
        """Superusers only, like the outbox itself."""
        return _is_superuser(request)

    @expose("/outbox-message/retry/{pk}", methods=["GET"], identity="retry-outbox-message-get")
    async def retry_page(self, request: Request) -> Response:
        """Opened directly (not from the button): back to the message's page."""
        return back_to_row(request, "outbox-message")

    @expose("/outbox-message/retry/{pk}", methods=["POST"], identity="retry-outbox-message")
    async def retry(self, request: Request) -> Response:
        """Send a failed (or waiting) message at the worker's next pass; audited."""
        try:
            message_id = int(request.path_params["pk"])
        except ValueError:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND) from None
        actor = request_actor(request)

        def retry() -> str | None:
            with source_of(internals.admin_of(self).session_maker).begin() as session:
                message = outbox.retry_now(session, message_id)
                if message is None:
                    return None
                record(session, actor, "retry_message", message)
                return message.subject

        subject = await run_in_threadpool(retry)
        if subject is None:
            Flash.error(request, "Only a failed or waiting message can be retried.")
        else:
            Flash.success(
                request, f"Queued again: {subject}. The worker sends it at its next pass."
            )
        url = request.url_for("admin:details", identity=IDENTITY, pk=message_id)
        return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


VIEWS: list[type[ModelView] | type[BaseView]] = [OutboxView, OutboxActionsView]
