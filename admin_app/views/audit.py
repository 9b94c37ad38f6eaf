"""The read-only audit log (superusers only) and each object's history as a filtered list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from markupsafe import Markup
from sqladmin import BaseView, ModelView
from sqladmin.filters import AllUniqueStringValuesFilter
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute
from starlette.requests import Request

from admin_app.views._filters import InputFilter
from admin_app.views.base import ConsoleModelView
from models import AuditEntry

AUDIT_IDENTITY = "audit-entry"


def history_url(request: Request, object_type: str, object_id: object) -> str:
    """The audit log filtered to one object: link to it from that object's detail page.

    ``object_type`` is the model class name (``"Event"``), ``object_id`` its primary key,
    as :func:`admin_app.audit.record` stores them.
    """
    url = request.url_for("admin:list", identity=AUDIT_IDENTITY)
    return str(url.include_query_params(object_type=object_type, object_id=str(object_id)))


def _is_superuser(request: Request) -> bool:
    # request.state.user is set by ConsoleAuth.authenticate; pages rendered without a
    # signed-in user (the sign-in page, a 404) have none and must not show the log.
    user = getattr(request.state, "user", None)
    return bool(user is not None and user.is_superuser)


def _object_id_link(entry: Any, _attr: Any, request: Request) -> Markup | str:
    """The object id as a link to that object's whole history."""
    if not entry.object_type or not entry.object_id:
        return entry.object_id or ""
    # Markup.format escapes both arguments: ids and URLs never become markup.
    return Markup('<a href="{}">{}</a>').format(
        history_url(request, entry.object_type, entry.object_id), entry.object_id
    )


class _TextFilter(InputFilter):
    """A text box filtering one column, exactly or by substring (case-insensitive)."""

    def __init__(
        self,
        column: InstrumentedAttribute[Any],
        *,
        title: str,
        parameter_name: str | None = None,
        contains: bool = False,
    ) -> None:
        self.column = column
        self.title = title
        self.parameter_name = parameter_name or column.key
        self.contains = contains

    async def get_filtered_query(self, query: Select[Any], value: Any, model: Any) -> Select[Any]:
        """``query`` narrowed to rows matching ``value``; unchanged when it is blank."""
        text = str(value or "").strip()
        if not text:
            return query
        if self.contains:
            # autoescape: a typed % or _ is matched literally, not as a wildcard.
            return query.where(self.column.icontains(text, autoescape=True))
        return query.where(self.column == text)


class _UtcDayFilter(InputFilter):
    """A date box keeping rows on or after (``from``) or on or before (``to``) a UTC day."""

    input_type = "date"

    def __init__(
        self,
        column: InstrumentedAttribute[Any],
        *,
        bound: Literal["from", "to"],
        title: str,
        parameter_name: str,
    ) -> None:
        self.column = column
        self.bound = bound
        self.title = title
        self.parameter_name = parameter_name

    async def get_filtered_query(self, query: Select[Any], value: Any, model: Any) -> Select[Any]:
        """``query`` narrowed to the bound's side of ``value``; unchanged when not a date."""
        try:
            day = date.fromisoformat(str(value or "").strip())
        except ValueError:
            return query
        start = datetime.combine(day, time.min, tzinfo=UTC)
        if self.bound == "from":
            return query.where(self.column >= start)
        # "to" includes the whole day: everything before the next midnight.
        return query.where(self.column < start + timedelta(days=1))


class AuditLogView(ConsoleModelView, model=AuditEntry):
    """Who did what, newest first; nobody may add, change or delete an entry here."""

    name = "Audit entry"
    name_plural = "Audit log"
    icon = "fa-solid fa-clipboard-list"
    category = "Audit"
    category_icon = "fa-solid fa-shield-halved"

    can_create = False
    can_edit = False
    can_delete = False
    can_export = True
    # Export loads every row into memory; the cap keeps a year of log from exhausting a dyno.
    export_max_rows = 50_000

    column_list = [
        AuditEntry.occurred_at,
        AuditEntry.action,
        AuditEntry.actor_email,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.object_repr,
        AuditEntry.remote_addr,
    ]
    column_details_list = [*column_list, AuditEntry.changes]
    column_labels = {
        AuditEntry.occurred_at: "When (UTC)",
        AuditEntry.actor_email: "Actor",
        AuditEntry.object_type: "Object type",
        AuditEntry.object_id: "Object id",
        AuditEntry.object_repr: "Object",
        AuditEntry.remote_addr: "From address",
    }
    column_formatters = {AuditEntry.object_id: _object_id_link}
    column_default_sort = [(AuditEntry.occurred_at, True), (AuditEntry.id, True)]
    column_sortable_list = [
        AuditEntry.occurred_at,
        AuditEntry.action,
        AuditEntry.actor_email,
        AuditEntry.object_type,
    ]
    column_searchable_list = [AuditEntry.actor_email, AuditEntry.object_repr]
    column_filters = [
        AllUniqueStringValuesFilter(AuditEntry.action, title="Action"),
        AllUniqueStringValuesFilter(AuditEntry.object_type, title="Object type"),
        _TextFilter(AuditEntry.object_id, title="Object id"),
        _TextFilter(AuditEntry.actor_email, title="Actor email contains", contains=True),
        _UtcDayFilter(
            AuditEntry.occurred_at, bound="from", title="From (UTC)", parameter_name="occurred_from"
        ),
        _UtcDayFilter(
            AuditEntry.occurred_at, bound="to", title="To (UTC)", parameter_name="occurred_to"
        ),
    ]

    async def export_cell(self, row: Any, name: str, request: Request | None) -> Any:
        """Plain object ids in the CSV: the list's history links are for the browser."""
        if name == "object_id":
            return row.object_id or ""
        return await super().export_cell(row, name, request)

    def is_accessible(self, request: Request) -> bool:
        """Only superusers read the audit log."""
        return _is_superuser(request)

    def is_visible(self, request: Request) -> bool:
        """Hidden from the menu of everyone who may not open it."""
        return _is_superuser(request)


VIEWS: list[type[ModelView] | type[BaseView]] = [AuditLogView]
