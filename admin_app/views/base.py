"""The base every console model view shares: safe defaults, one scoping hook, clear errors.

Subclass :class:`ConsoleModelView` instead of SQLAdmin's ``ModelView`` and configure it
with the usual SQLAdmin class attributes. What it adds, and the hooks to use:

``scope_statement(request, stmt)``
    The ONE place rows are narrowed to what the signed-in user may see. The list, the
    count, the CSV export, the details page, the edit form and every save and delete go
    through it, narrowed by :func:`admin_app.scoping.scope_statement`.
Permissions
    Every "may they?" question SQLAdmin asks (menu, routes, buttons, each row) is answered
    by :func:`admin_app.scoping.can` from the request's scope (loaded once per request by
    :class:`~admin_app.request_scope.ScopeLoader`); a row that is missing or foreign is
    refused. Every save first runs :meth:`ConsoleModelView.check_save` (may they save
    this, for that venue, with these related rows, from an up-to-date form?). SQLAdmin's
    ``@action`` routes are GETs, so none is allowed: state changes are POST routes.
``list_options(request)`` / ``details_options(request)``
    Loader options (``selectinload``/``joinedload``) for the list (and export) and the
    details page. A dotted column such as ``"venue.name"`` or a formatter that touches a
    relationship MUST have its relationship loaded here, or the page runs one query per
    row. If you override ``list_query``/``details_query``/``form_edit_query`` instead,
    call ``super()`` so the scope still applies.
``after_flush(session, obj, before, is_created)``
    Runs in the save transaction after the flush and the audit entry: queue the
    notifications the change causes (they commit or roll back with it).
``before_save(session, obj, request, is_created)``
    Runs inside the save transaction after the form was applied and before the flush:
    check rules that need the database, adjust values. Raise
    :class:`~admin_app.views._errors.ConsoleFormError` (``message``, ``field``) to refuse;
    the form is shown again (400) with the message under that field and the input kept.
``constraint_messages``
    ``{constraint name: (form field, message)}`` for constraints of this view's model that
    are not already in ``_errors.CONSTRAINT_MESSAGES``. A message may be a callable
    ``(session, values) -> str``.
``export_cell(row, name, request)``
    The text of one CSV cell; defaults to what the list shows.

SQLAdmin offers no public seam for a few things this needs (running a statement through
the view's session maker, resolved labels, the after-change response): those go through
:mod:`admin_app.sqladmin_internals`, the one module allowed SQLAdmin's private names.

Every create, update and delete writes an audit entry (before/after of each changed
field) in the same transaction as the change. Exports are CSV only, capped at
``export_max_rows``, follow the list's current search, filters and sort, and neutralise
spreadsheet formulas.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Any, ClassVar, TypeAlias

import anyio.to_thread
from sqladmin import ModelView
from sqladmin.flash import Flash
from sqladmin.formatters import BASE_FORMATTERS
from sqladmin.pagination import Pagination
from sqlalchemy import Select, false, inspect, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import DetachedInstanceError
from sqlalchemy.orm.interfaces import LoaderOption
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import StreamingResponse
from wtforms import Form

from admin_app import localtime, scoping
from admin_app import sqladmin_internals as internals
from admin_app.errors import (
    UNAVAILABLE_ERRORS,
    UNAVAILABLE_MESSAGE,
    is_database_unavailable,
    log_unavailable,
    unavailable_response,
)
from admin_app.request_scope import current_scope
from admin_app.views import (
    _counting,
    _deleting,
    _details_page,
    _forms,
    _list_page,
    _reading,
    _saving,
    _scoping,
    _versions,
)
from admin_app.views._errors import ConsoleForm, ConsoleFormError, ConstraintMessage, show_on_form
from admin_app.views._export import csv_response
from models import AuditEntry

# A select of any shape (SQLAlchemy 2.1's Select is generic over its column types).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]

# SQLAdmin's permission names -> admin_app.scoping's actions. Anything else (import,
# "action:<slug>") is refused.
SQLADMIN_ACTIONS = {
    "list": "list",
    "details": "view",
    "create": "create",
    "edit": "edit",
    "delete": "delete",
    "export": "export",
}

DEFAULT_PAGE_SIZE = 25
EXPORT_MAX_ROWS = 10_000


class OutageDuringDelete(Exception):
    """The database went away during a delete (nothing was deleted).

    SQLAdmin's delete route catches every exception and shows its text on the list page
    (``?error=``); this one's text is the plain outage message, not the driver's.
    """


@contextmanager
def _outage_as_message() -> Iterator[None]:
    try:
        yield
    except UNAVAILABLE_ERRORS as error:
        if not is_database_unavailable(error):
            raise
        raise OutageDuringDelete(UNAVAILABLE_MESSAGE) from error


# From this many rows in, a page's rows are found by their keys first (see _page_of).
DEFERRED_PAGE_FROM_ROW = 1_000


def _page_of(stmt: AnySelect, model: Any, page: int, page_size: int) -> AnySelect:
    """The statement of one page of ``stmt`` (already filtered and ordered).

    Far from the start, OFFSET is what costs: the database builds and throws away every
    row before the page. There, the page's primary keys are found first by the same
    filters and order (an index-only scan when an index covers them), and only those
    rows are read whole: page 2,000 then costs about what page 1 costs.
    """
    offset = (page - 1) * page_size
    key = inspect(model).primary_key
    if offset < DEFERRED_PAGE_FROM_ROW or len(key) != 1:  # every console model has an id
        return stmt.limit(page_size).offset(offset)
    keys = stmt.with_only_columns(key[0]).limit(page_size).offset(offset)
    return stmt.where(key[0].in_(keys.scalar_subquery())).limit(page_size)


class ConsoleModelView(internals.ScopedPickersSeam, ModelView):
    """Defaults for every console list, form and export; see the module docstring."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_options = [10, 25, 50, 100]
    # Newest first unless a view knows better.
    column_default_sort: ClassVar[Any] = [("id", True)]
    export_types = ["csv"]
    export_max_rows = EXPORT_MAX_ROWS
    # Dates and opening hours as everywhere else ("Fri 12 Dec 2026", "19:00"), not ISO text
    # with seconds. A datetime is a date subclass, but SQLAdmin looks types up exactly.
    column_type_formatters: ClassVar[dict[type, Callable[[Any], Any]]] = {
        **BASE_FORMATTERS,
        date: localtime.format_day,
        # Its own entry: SQLAdmin looks a value's class up, then its bases, and a datetime
        # is a date (queued, sent and created times showed as a bare day).
        datetime: localtime.format_utc,
        time: localtime.format_clock,
    }
    column_type_formatters_detail = column_type_formatters
    form_base_class = ConsoleForm
    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {}
    # Cheap to render: each row's links from prefixes looked up once (see _list_page).
    list_template = "console/list.html"
    # The list column that names a row: its value links to the row's details page, in
    # place of a "View" button. None (rows named only by other rows, e.g. a band member):
    # each row keeps the button.
    name_column: ClassVar[str | None] = None

    def row_heading(self, obj: Any) -> str | None:
        """What heads ``obj``'s edit page: its name column's value, a column of the row
        itself (``str(obj)`` may read related rows the edit page did not load)."""
        if self.name_column is None or obj is None:
            return None
        return str(getattr(obj, self.name_column))

    def __init__(self) -> None:
        super().__init__()
        # Readable headers for columns without a label ("hold_rank" -> "Hold rank"), the
        # same on the list page and in the export.
        labels = internals.column_labels(self)
        for name in internals.shown_prop_names(self):
            labels.setdefault(name, name.replace("_", " ").capitalize())

    # --- who may use it -------------------------------------------------------------

    def make_pickers(self, loaders: dict[str, Any]) -> dict[str, Any]:
        """SQLAdmin's relation pickers, by field: each one offers only what the user may see.

        Kept as a mapping that scopes what is put in it, so a subclass that replaces a
        picker afterwards (bands' member picker) gets it scoped as well.
        """
        return _scoping.ScopedPickers(self.model, loaders)

    def is_accessible(self, request: Request) -> bool:
        """May the signed-in user list this model (staff: not users, not the audit log)?"""
        scope = current_scope(request)
        return scope is not None and scoping.can(scope, "list", self.model)

    def is_visible(self, request: Request) -> bool:
        """Shown in the menu exactly when accessible."""
        return self.is_accessible(request)

    def has_permission(self, request: Request, action: str, obj: Any | None = None) -> bool:
        """SQLAdmin's permission question, answered by :func:`admin_app.scoping.can`.

        Without ``obj`` the question is about the model (the bulk-delete menu, the picker
        of an edit form); rows are checked by the ``check_can_*`` hooks, which refuse a row
        that was not found.
        """
        scope = current_scope(request)
        verb = SQLADMIN_ACTIONS.get(str(action))
        if scope is None or verb is None:
            return False  # imports, and every GET @action, are off for everyone
        if obj is None:
            return scoping.can_any(scope, verb, self.model)
        return scoping.can(scope, verb, self.model, obj)

    async def check_can_view_details(self, request: Request, model: Any) -> bool:
        """Only a row the scoped query found, and one the user may see."""
        _not_found_for_superusers(request, model)
        return model is not None and await super().check_can_view_details(request, model)

    async def check_can_edit(self, request: Request, model: Any) -> bool:
        """Only a row the scoped query found, and one the user may change."""
        _not_found_for_superusers(request, model)
        return model is not None and await super().check_can_edit(request, model)

    def get_filters(self) -> builtins.list[Any]:
        """The sidebar filters, each listing only choices the user may see."""
        return [_scoping.ScopedFilter(filter_, self) for filter_ in super().get_filters()]

    async def delete_facts(self, obj: Any) -> dict[str, Any]:
        """What the delete modal of ``obj``'s details page names: the row and what goes with it.

        Async (the template awaits it): the counts run in a worker thread, never on the
        event loop.
        """

        def what_goes() -> builtins.list[str]:
            with self.session_maker() as session:
                return _deleting.what_goes_with(session, obj)

        goes = await anyio.to_thread.run_sync(what_goes)
        return {"label": f"{self.name.lower()} “{obj}”", "goes": goes}

    def history_url(self, request: Request, obj: Any) -> str | None:
        """The link to ``obj``'s audit history for its details page; None when not shown."""
        user = getattr(request.state, "user", None)
        # The audit log is superuser-only; audit entries have no history of their own.
        if user is None or not user.is_superuser or isinstance(obj, AuditEntry):
            return None
        # Imported here: the audit view is itself a ConsoleModelView (audit imports base).
        from admin_app.views.audit import history_url

        # The key as admin_app.audit.record stores it (composite keys joined by commas).
        object_id = ",".join(str(part) for part in inspect(obj).identity or ())
        return history_url(request, type(obj).__name__, object_id)

    def scope_statement(self, request: Request, stmt: AnySelect) -> AnySelect:
        """Narrow ``stmt`` (a select of this model) to rows the user may see or change."""
        scope = current_scope(request)
        if scope is None:
            return stmt.where(false())
        return scoping.scope_statement(self.model, stmt, scope)

    # --- queries (all through scope_statement) --------------------------------------

    def list_options(self, request: Request) -> Sequence[LoaderOption]:
        """Eager loads for the list page and the export."""
        return ()

    def details_options(self, request: Request) -> Sequence[LoaderOption]:
        """Eager loads for the details page."""
        return ()

    def list_query(self, request: Request) -> AnySelect:
        """The list's rows before filters, search and sort."""
        stmt: AnySelect = select(self.model).options(*self.list_options(request))
        return self.scope_statement(request, stmt)

    def details_query(self, request: Request) -> AnySelect:
        """One row for the details page (and the delete checks); its related-rows blocks
        (a band's applications) list only rows of venues the user may see."""
        stmt = super().details_query(request).options(*self.details_options(request))
        scope = current_scope(request)
        if scope is not None:
            stmt = stmt.options(*scoping.hide_other_venues(scope))
        return self.scope_statement(request, stmt)

    def form_edit_query(self, request: Request) -> AnySelect:
        """One row for the edit form."""
        return self.scope_statement(request, super().form_edit_query(request))

    async def filtered_query(self, request: Request) -> AnySelect:
        """The list query with the request's filters, sort and search: list and export share it."""
        stmt = self.list_query(request)
        for relation in internals.list_relations(self):
            stmt = stmt.options(selectinload(relation))
        for filter_ in self.get_filters():
            stmt = await self._apply_filter(request, stmt, filter_)
        stmt = self.sort_query(stmt, request)
        if search := request.query_params.get("search"):
            stmt = self.search_query(stmt=stmt, term=search)
        # Then by primary key: rows that share a sort value (two shows at 20:00) come in a
        # fixed order, so consecutive pages neither repeat nor skip one of them. (Where
        # the sort already is the key, PostgreSQL and SQLite drop the repeat.)
        return stmt.order_by(*inspect(self.model).primary_key)

    async def _apply_filter(self, request: Request, stmt: AnySelect, filter_: Any) -> AnySelect:
        name = filter_.parameter_name
        value = request.query_params.get(name)
        try:
            if hasattr(filter_, "apply"):  # our own filters want the view (see _filters)
                applied: AnySelect = await filter_.apply(self, stmt, value) if value else stmt
                return applied
            if getattr(filter_, "has_operator", False):
                operation = request.query_params.get(f"{name}_op")
                if value and operation:
                    filtered: AnySelect = await filter_.get_filtered_query(
                        stmt, operation, value, self.model
                    )
                    return filtered
                return stmt
            if value or getattr(filter_, "default_value", internals.UNSET) is not internals.UNSET:
                filtered = await filter_.get_filtered_query(stmt, value, self.model)
                return filtered
        except ValueError:  # e.g. a non-numeric id typed into the URL
            raise HTTPException(status_code=400, detail=f"Invalid value for {name}") from None
        return stmt

    async def list(self, request: Request) -> Pagination:
        """One page of the filtered list; the count ignores ORDER BY (it only costs time)."""
        page = self.validate_page_number(request.query_params.get("page"), 1)
        page_size = self.validate_page_number(request.query_params.get("pageSize"), self.page_size)
        page_size = min(page_size, max(self.page_size_options))
        if page_size < 1:
            raise HTTPException(status_code=400, detail="Invalid page or pageSize parameter")
        stmt = await self.filtered_query(request)
        # Exact when cheap, the planner's estimate ("about N") on big tables: see _counting.
        count = await anyio.to_thread.run_sync(
            _counting.count_rows, self.session_maker, stmt, self.model
        )
        page = min(max(page, 1), Pagination.max_page(count, page_size))
        rows = await _reading.entities(self, _page_of(stmt, self.model, page, page_size))
        return Pagination(rows=list(rows), page=page, page_size=page_size, count=count)

    async def list_context(self, request: Request) -> dict[str, Any]:
        """What console/list.html shows besides the rows' objects (see ``_list_page``)."""
        return {"console_list": _list_page.ListPage(self, request)}

    async def details_context(self, request: Request) -> dict[str, Any]:
        """What sqladmin/details.html shows besides the row (see ``_details_page``)."""
        return {"console_details": _details_page.DetailsPage(self, request)}

    # --- export ----------------------------------------------------------------------

    async def get_model_objects(
        self, request: Request, limit: int | None = 0
    ) -> builtins.list[Any]:
        """Rows for the export: what the list shows, at most ``export_max_rows``."""
        cap = self.export_max_rows if not limit else min(limit, self.export_max_rows)
        stmt = await self.filtered_query(request)
        return list(await _reading.entities(self, stmt.limit(cap)))

    async def export_cell(self, row: Any, name: str, request: Request | None) -> Any:
        """One CSV cell: the list's formatted value; booleans as yes/no."""
        value, formatted = await self.get_list_value(row, name, request)
        if isinstance(value, bool) and name not in internals.list_formatters(self):
            return "yes" if value else "no"
        if type(value) is date and name not in internals.list_formatters(self):
            # The list reads "Fri 12 Apr 2030"; a spreadsheet sorts the ISO date.
            return value.isoformat()
        return formatted

    async def export_data(
        self, data: builtins.list[Any], export_type: str = "csv", request: Request | None = None
    ) -> StreamingResponse:
        """CSV of ``data`` with the list's column labels (formulas neutralised)."""
        if export_type != "csv":
            raise HTTPException(status_code=404)
        columns = self.get_export_columns()

        async def read_cell(row: Any, name: str) -> Any:
            return await self.export_cell(row, name, request)

        return csv_response(
            name=self.name_plural,
            headers=[internals.column_labels(self).get(name, name) for name in columns],
            columns=columns,
            rows=data,
            read_cell=read_cell,
        )

    # --- saving ----------------------------------------------------------------------

    async def scaffold_form(self, rules: builtins.list[str] | None = None) -> type[Form]:
        """SQLAdmin's form, its required relations marked as such; with the hidden
        ``version`` for optimistically locked models."""
        form: type[Form] = await super().scaffold_form(rules)
        _forms.require_relations(form, self.model)
        return _versions.with_version_field(form) if _versions.is_versioned(self.model) else form

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        """The edit form's values, with the version of the row as it is opened."""
        data: dict[str, Any] = await super().get_form_data_for_edit(obj)
        if _versions.is_versioned(self.model):
            data[_versions.VERSION_FIELD] = obj.version
        return data

    def check_save(
        self, session: Session, obj: Any, request: Request, data: dict[str, Any], is_created: bool
    ) -> None:
        """May this save happen? Runs first in every save transaction, before any other hook.

        ``obj`` is the row as stored (scoped lookup) or a new one; ``data`` the submitted
        values. Refuses (ConsoleFormError) a user who may not create or change the row, a
        row created for or moved to a venue that is not theirs, a related row no picker
        offered them, and a form opened before someone else's change.
        """
        scope = current_scope(request)
        action = "create" if is_created else "edit"
        if scope is None or not scoping.can(scope, action, self.model, None if is_created else obj):
            raise ConsoleFormError(_saving.GONE)
        try:
            scoping.check_assignment(session, scope, self.model, data)
        except scoping.ScopeError as error:
            raise ConsoleFormError(str(error), self._parent_field()) from None
        _scoping.check_submitted_relations(session, scope, self.model, data)
        if _versions.is_versioned(self.model):
            noun = self.name.lower()
            _versions.check_version(session, obj, data, is_created=is_created, noun=noun)

    def _parent_field(self) -> str | None:
        relations: set[str] = set(inspect(self.model).relationships.keys())
        return next((name for name in ("venue", "event") if name in relations), None)

    def before_save(self, session: Any, obj: Any, request: Request, is_created: bool) -> None:
        """Rules checked in the save transaction; raise ConsoleFormError to refuse."""

    def audit_override(self, request: Request) -> builtins.list[str]:
        """Warnings this save was made over ("... anyway"), for its audit entry; none here."""
        return []

    def after_flush(
        self, session: Session, obj: Any, before: dict[str, Any], is_created: bool
    ) -> None:
        """In the save transaction, after the row and its audit entry are written: queue
        what the change causes (notifications). ``before`` is the row's snapshot as
        opened ({} for a new one)."""

    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        """Create a row (and its audit entry) in one transaction."""
        return await self._run_save(request, None, data)

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Update a row (and write its audit entry) in one transaction."""
        return await self._run_save(request, pk, data)

    async def _run_save(self, request: Request, pk: str | None, data: dict[str, Any]) -> Any:
        try:
            saved = await anyio.to_thread.run_sync(_saving.save, self, request, pk, data)
        except ConsoleFormError as error:
            if error.message == _saving.STALE and pk is not None:
                # Lost the race after check_save passed: still say who got there first.
                error = ConsoleFormError(await anyio.to_thread.run_sync(self._stale_message, pk))
            show_on_form(error)
            raise error from None
        except UNAVAILABLE_ERRORS as error:
            if not is_database_unavailable(error):
                raise
            # SQLAdmin shows the text of any exception a save raises as a 400 (SQL and
            # all); an outage answers the 503 page instead, as SQLAdmin's after-change
            # response, which it returns in place of its redirect.
            log_unavailable(request, error)
            page = await unavailable_response(request, self.templates)
            internals.store_after_change_response(request, page)
            return None
        # Said on the page the save redirects to, above its content (sqladmin/flash.html).
        verb = "Created" if pk is None else "Saved"
        Flash.success(request, f"{verb} {self.name.lower()} “{_label(saved)}”.")
        return saved

    async def get_object_for_delete(self, value: Any) -> Any:
        with _outage_as_message():
            return await super().get_object_for_delete(value)

    async def delete_model(self, request: Request, pk: Any) -> None:
        """Delete a row (and write its audit entry) in one transaction."""
        with _outage_as_message():
            label = await anyio.to_thread.run_sync(_saving.delete, self, request, str(pk))
        Flash.success(request, f"Deleted {self.name.lower()} “{label}”.")

    async def check_can_delete(self, request: Request, model: Any) -> bool:
        """Only rows the user can see; a delete that would be refused says why up front."""
        _not_found_for_superusers(request, model)
        if model is None or not await super().check_can_delete(request, model):
            return False
        # Only the DELETE route itself asks the database: the list and details pages call
        # this for every row they show, and must not run a query per row.
        if request.method == "DELETE":
            reason = await anyio.to_thread.run_sync(self.delete_blocker, model)
            if reason:
                raise HTTPException(status_code=400, detail=reason)
        return True

    def _stale_message(self, pk: str) -> str:
        with self.session_maker() as session:
            obj = session.scalars(_reading.by_identifier(self.model, pk)).first()
            return _versions.stale_message(session, obj, self.name.lower())

    def deletion_refusal(self, obj: Any) -> str | None:
        """Why a rule of the row itself forbids deleting it, or None. No statement: the
        details page asks it of the row it shows (to offer the page that explains
        instead of the modal), and every delete asks it in its transaction."""
        return None

    def delete_blocker(self, model: Any) -> str | None:
        """Why ``model`` cannot be deleted (its own rule, or rows that still refer to it),
        or None; runs statements, so call it in a worker thread."""
        refusal = self.deletion_refusal(model)
        if refusal:
            return refusal
        with self.session_maker() as session:
            return _saving.delete_blocker(session, model, self.name.lower())


def _not_found_for_superusers(request: Request, model: Any) -> None:
    """A row a superuser's (unscoped) query did not find is gone: 404 "not found", not 403.

    Others keep the 403: for them "not found" would tell a foreign row from a deleted one.
    """
    scope = current_scope(request)
    if model is None and scope is not None and scope.is_superuser:
        raise HTTPException(status_code=404, detail="Not found: the row may have been deleted.")


def _label(obj: Any) -> str:
    """How a saved row names itself; its id when naming it needs a relation not loaded."""
    try:
        return str(obj)
    except DetachedInstanceError:
        return f"#{getattr(obj, 'id', '?')}"
