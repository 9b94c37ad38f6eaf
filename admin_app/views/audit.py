"""The read-only audit log (superusers only) and each object's history, grouped by change.

What an entry stores is :mod:`admin_app.audit`'s rule; how it reads (words, labels, venue
time, names) is :mod:`admin_app.views.audit_display`'s, used by both pages here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from markupsafe import Markup
from sqladmin import BaseView, ModelView, expose
from sqladmin.filters import AllUniqueStringValuesFilter
from sqladmin.pagination import Pagination
from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from admin_app import sqladmin_internals as internals
from admin_app.localtime import format_local
from admin_app.request_session import source_of
from admin_app.views import audit_display
from admin_app.views._audit_zones import UTC_ZONE, Clocks, is_key, model_named, zones_of
from admin_app.views._filters import InputFilter
from admin_app.views.base import ConsoleModelView
from models import AuditEntry

AUDIT_IDENTITY = "audit-entry"
HISTORY_ROUTE = "admin:view-object-history"
HISTORY_TEMPLATE = "console/object_history.html"
# One page of an object's history: enough for years of edits, bounded for the page's speed.
HISTORY_LIMIT = 200
# Where AuditLogView.list leaves the zone of each entry on the page, by entry id.
ZONES_STATE = "audit_zones"


def history_url(request: Request, object_type: str, object_id: object) -> str:
    """One object's history page: link to it from that object's detail page.

    ``object_type`` is the model class name (``"Event"``), ``object_id`` its primary key,
    as :func:`admin_app.audit.record` stores them.
    """
    url = request.url_for(HISTORY_ROUTE, object_type=object_type, object_id=str(object_id))
    return str(url)


def log_url(request: Request, object_type: str, object_id: object) -> str:
    """The audit log's list filtered to one object (sortable, exportable)."""
    url = request.url_for("admin:list", identity=AUDIT_IDENTITY)
    return str(url.include_query_params(object_type=object_type, object_id=str(object_id)))


def _labels_of(view: BaseView) -> dict[str, dict[str, str]]:
    """Each model's field labels as its console view shows them, by class name."""
    labels: dict[str, dict[str, str]] = {}
    for other in internals.admin_of(view).views:
        if isinstance(other, ModelView) and other.model is not AuditEntry:
            labels.setdefault(other.model.__name__, dict(internals.column_labels(other)))
    return labels


def _shown(
    view: BaseView,
    entries_of: Callable[[Any], list[AuditEntry]],
    earlier_of: Callable[[Any, list[AuditEntry]], list[AuditEntry]] | None = None,
) -> Any:
    """``entries_of(session)`` shown, with their action codes (a thread: it reads names
    and zones); ``earlier_of(session, entries)``: older entries that say at which venue
    they were made."""

    def read() -> tuple[list[audit_display.ShownEntry], list[str]]:
        with source_of(internals.admin_of(view).session_maker)() as session:
            entries = entries_of(session)
            earlier = earlier_of(session, entries) if earlier_of else []
            labels = _labels_of(view)
            shown = audit_display.shown_entries(session, entries, labels, earlier)
            return shown, [entry.action for entry in entries]

    return run_in_threadpool(read)


def _of_object(
    session: Any, object_type: str, object_id: str, up_to: int | None = None
) -> list[AuditEntry]:
    """The object's newest entries (at most HISTORY_LIMIT; only up to entry ``up_to``)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(HISTORY_LIMIT)
    )
    if up_to is not None:
        stmt = stmt.where(AuditEntry.id <= up_to)
    return list(session.scalars(stmt))


def _is_superuser(request: Request) -> bool:
    # request.state.user is set by ConsoleAuth.authenticate; pages rendered without a
    # signed-in user (the sign-in page, a 404) have none and must not show the log.
    user = getattr(request.state, "user", None)
    return bool(user is not None and user.is_superuser)


def _object_link(entry: Any, _attr: Any, request: Request) -> Markup | str:
    """The object's name as a link to that object's whole history."""
    name = entry.object_repr or entry.object_id or ""
    if not entry.object_type or not entry.object_id:
        return name
    # Markup.format escapes both arguments: names and URLs never become markup.
    return Markup('<a href="{}">{}</a>').format(
        history_url(request, entry.object_type, entry.object_id), name
    )


def _action_words(entry: Any, _attr: Any) -> str:
    return audit_display.action_words(entry.action)


def _type_words(entry: Any, _attr: Any) -> str:
    return audit_display.type_words(entry.object_type)


def _when(entry: Any, _attr: Any, request: Request) -> str:
    # Each entry on its venue's clock (UTC when it has none), zone named: the page's zones
    # were read for all its rows at once (AuditLogView.list).
    clocks: dict[int, Clocks] = getattr(request.state, ZONES_STATE, {})
    shown = clocks.get(entry.id)
    return format_local(entry.occurred_at, shown.after if shown else UTC_ZONE)


class _WordsFilter(AllUniqueStringValuesFilter):
    """A choice of the stored codes, each shown in words; entries without a value (a
    failed sign-in names no object) are not a choice."""

    def __init__(self, column: Any, *, title: str, words: Callable[[str], str]) -> None:
        super().__init__(column, title=title)
        self.words = words

    async def lookups(
        self, request: Request, model: Any, run_query: Callable[[Select[Any]], Any]
    ) -> list[tuple[str, str]]:
        """ "All", then each stored value (none missing) by its words."""
        found = await super().lookups(request, model, run_query)
        values = sorted({value for value, _ in found[1:] if value}, key=self.words)
        return [found[0], *((value, self.words(value)) for value in values)]


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

    # The list fits a 1400 px desk: the object's name links to its history (its id and the
    # client address are on the entry's page and in the export).
    column_list = [
        AuditEntry.occurred_at,
        AuditEntry.action,
        AuditEntry.actor_email,
        AuditEntry.object_type,
        AuditEntry.object_repr,
    ]
    # An entry has no name: its time, the first column, opens it.
    name_column = "occurred_at"
    column_details_list = [
        AuditEntry.occurred_at,
        AuditEntry.action,
        AuditEntry.actor_email,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.object_repr,
        AuditEntry.remote_addr,
        AuditEntry.changes,
    ]
    column_export_list = column_details_list[:-1]
    details_template = "console/audit_entry.html"
    column_labels = {
        AuditEntry.occurred_at: "When",
        AuditEntry.actor_email: "Actor",
        AuditEntry.object_type: "Object type",
        AuditEntry.object_id: "Object id",
        AuditEntry.object_repr: "Object",
        AuditEntry.remote_addr: "From address",
    }
    column_formatters = {
        AuditEntry.object_repr: _object_link,
        AuditEntry.action: _action_words,
        AuditEntry.object_type: _type_words,
        AuditEntry.occurred_at: _when,
    }
    column_default_sort = [(AuditEntry.occurred_at, True), (AuditEntry.id, True)]
    column_sortable_list = [
        AuditEntry.occurred_at,
        AuditEntry.action,
        AuditEntry.actor_email,
        AuditEntry.object_type,
    ]
    column_searchable_list = [AuditEntry.actor_email, AuditEntry.object_repr]
    column_filters = [
        _WordsFilter(AuditEntry.action, title="Action", words=audit_display.action_words),
        _WordsFilter(AuditEntry.object_type, title="Object type", words=audit_display.type_words),
        _TextFilter(AuditEntry.object_id, title="Object id"),
        _TextFilter(AuditEntry.actor_email, title="Actor email contains", contains=True),
        _UtcDayFilter(
            AuditEntry.occurred_at, bound="from", title="From (UTC)", parameter_name="occurred_from"
        ),
        _UtcDayFilter(
            AuditEntry.occurred_at, bound="to", title="To (UTC)", parameter_name="occurred_to"
        ),
    ]

    async def list(self, request: Request) -> Pagination:
        """One page of entries, and the zone each one's time reads in (see ``_when``): a
        fixed number of statements for the whole page, in a worker thread."""
        pagination = await super().list(request)
        sessions = source_of(internals.admin_of(self).session_maker)

        def read() -> dict[int, Clocks]:
            with sessions() as session:
                return zones_of(session, pagination.rows)

        setattr(request.state, ZONES_STATE, await run_in_threadpool(read))
        return pagination

    async def export_cell(self, row: Any, name: str, request: Request | None) -> Any:
        """Plain object ids in the CSV (the list's history links are for the browser) and
        sortable ISO 8601 UTC times (the list's are for reading)."""
        if name == "object_id":
            return row.object_id or ""
        if name == "occurred_at":
            return row.occurred_at.astimezone(UTC).isoformat(timespec="seconds")
        return await super().export_cell(row, name, request)

    def is_accessible(self, request: Request) -> bool:
        """Only superusers read the audit log."""
        return _is_superuser(request)

    def is_visible(self, request: Request) -> bool:
        """Hidden from the menu of everyone who may not open it."""
        return _is_superuser(request)

    async def details_context(self, request: Request) -> dict[str, Any]:
        """Adds ``entry``: the entry in words, its changes as a before → after table."""
        context: dict[str, Any] = await super().details_context(request)
        pk = str(request.path_params.get("pk", ""))
        if not is_key(pk):
            return {**context, "entry": None}

        def one(session: Any) -> list[AuditEntry]:
            return list(session.scalars(select(AuditEntry).where(AuditEntry.id == int(pk))))

        def before_it(session: Any, found: list[AuditEntry]) -> list[AuditEntry]:
            # Which venue the object was at then: what the object's older entries recorded.
            object_type = found[0].object_type if found else None
            if not object_type:
                return []
            return _of_object(session, object_type, found[0].object_id or "", found[0].id)

        shown, _actions = await _shown(self, one, before_it)
        return {**context, "entry": shown[0] if shown else None}


class ObjectHistoryView(BaseView):
    """One object's audit history: each change with its before → after table, newest first."""

    name = "History"

    def is_visible(self, request: Request) -> bool:
        """Reached from an object's page, never from the menu."""
        return False

    def is_accessible(self, request: Request) -> bool:
        """The history is the audit log's: superusers only."""
        return _is_superuser(request)

    @expose("/history/{object_type}/{object_id}", identity="object-history")
    async def history(self, request: Request) -> Response:
        """The page of ``object_type`` ``object_id``'s entries (the object may be gone)."""
        object_type = str(request.path_params["object_type"])
        object_id = str(request.path_params["object_id"])
        if model_named(object_type) is None:
            raise HTTPException(status_code=404)

        def of_object(session: Any) -> list[AuditEntry]:
            return _of_object(session, object_type, object_id)

        entries, actions = await _shown(self, of_object)
        # Headed by the object's latest name; its kind and key below (it may be gone).
        newest_repr = next((entry.object_repr for entry in entries if entry.object_repr), "")
        kind = f"{audit_display.type_words(object_type)} {object_id}"
        context = {
            "title": f"History of {newest_repr or kind}",
            "subtitle": kind,
            "entries": entries,
            "rows": audit_display.rows_of_one_id(entries, actions),
            "limit": HISTORY_LIMIT,
            "log_href": log_url(request, object_type, object_id),
        }
        return await self.templates.TemplateResponse(request, HISTORY_TEMPLATE, context)


VIEWS: list[type[ModelView] | type[BaseView]] = [AuditLogView, ObjectHistoryView]
