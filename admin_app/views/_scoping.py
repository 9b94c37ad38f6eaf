"""SQLAdmin wired to :mod:`admin_app.scoping`: the side doors to rows, each closed.

The view's own queries (list, count, export, details, edit, delete) are narrowed by
:meth:`~admin_app.views.base.ConsoleModelView.scope_statement`. SQLAdmin also reaches
rows without them, and each of those places is closed here:

* relation pickers (``/admin/<view>/ajax/lookup``) offer only :func:`scoping.lookup_filter`
  rows (:class:`ScopedPickers`);
* sidebar filters list their choices (every venue, every city) with a query of their own
  (:class:`ScopedFilter`);
* a form submits related ids that no picker offered (:func:`check_submitted_relations`);
* a form sent back (refused, or invalid) shows the picked row's name: only a row the
  picker would offer is named (:class:`ScopedPickers`), any other is shown as unpicked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, cast

from sqladmin import ModelView
from sqladmin.ajax import QueryAjaxModelLoader
from sqlalchemy import ColumnElement, FromClause, Select, exists, false, inspect, select
from sqlalchemy.orm import RelationshipDirection, Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from admin_app import request_scope, scoping
from admin_app.request_scope import current_scope
from admin_app.request_session import SessionSource
from admin_app.scoping import Scope
from admin_app.views import _reading
from admin_app.views._errors import ConsoleFormError
from models import Base

NOT_OFFERED = "Not a valid choice: pick one from the list."

RunQuery = Callable[[Select[Any]], Awaitable[Any]]


def _model_of(table: FromClause) -> type[Base] | None:
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def scope_choices(stmt: Select[Any], scope: Scope) -> Select[Any]:
    """A filter's choice query limited to rows the user may see, table by table.

    A FROM that is not one of our models (a join, a subquery) is refused outright, so a
    new filter fails closed until its query is written in a shape this understands.
    """
    if scope.is_superuser:
        return stmt
    for table in stmt.get_final_froms():
        model = _model_of(table)
        stmt = stmt.where(false() if model is None else scoping.visible_clause(model, scope))
    # And in its subqueries: "bands that applied" means applied at the user's venues.
    return stmt.options(*scoping.hide_other_venues(scope))


class ScopedFilter:
    """A sidebar filter whose choices (``lookups``) are limited to what the user may see.

    Everything else (title, template, how it narrows the list) is the wrapped filter's.
    """

    def __init__(self, inner: Any, view: ModelView) -> None:
        self.inner = inner
        self.view = view

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def lookups(self, request: Request, model: Any, run_query: RunQuery) -> Any:
        """The wrapped filter's choices, read through :func:`scope_choices`.

        Read in the request's session, in a worker thread: SQLAdmin's ``run_query`` runs
        a sync session's query on the event loop itself, stalling every other request.
        """
        scope = current_scope(request)

        async def run_scoped(stmt: Select[Any]) -> Any:
            if scope is None:
                return []
            return await _reading.rows(self.view, scope_choices(stmt, scope))

        return await self.inner.lookups(request, model, run_scoped)


class ScopedPickers(dict[str, QueryAjaxModelLoader]):
    """A view's relation pickers by field name; each one stored here offers only the rows
    :func:`scoping.lookup_filter` allows, for the view's model."""

    def __init__(self, for_model: type[Base], loaders: Mapping[str, QueryAjaxModelLoader]):
        super().__init__()
        self.for_model = for_model
        for name, loader in loaders.items():
            self[name] = loader

    def __setitem__(self, name: str, loader: QueryAjaxModelLoader) -> None:
        if loader.where is not None:
            # One rule for what a picker offers: add a condition to lookup_filter instead.
            raise ValueError(f"{self.for_model.__name__}.{name}: 'where' would bypass scoping")
        loader.where = _picker_where(loader.model, self.for_model)
        loader.format_by_pk = _scoped_format_by_pk(loader, self.for_model)  # type: ignore[method-assign,assignment]
        super().__setitem__(name, loader)


def _scoped_format_by_pk(
    loader: QueryAjaxModelLoader, for_model: type[Base]
) -> Callable[[Any], Coroutine[Any, Any, dict[str, Any]]]:
    """``loader.format_by_pk`` that names only rows the picker offers the current user.

    SQLAdmin calls it to show a form's picked value; for a form sent back after a refused
    or invalid save, that value is whatever id was posted, and unscoped it would print
    the name (and a user's email) of any row.
    """
    unscoped = loader.format_by_pk

    async def format_by_pk(pk: Any) -> dict[str, Any]:
        scope = request_scope.scope_of_this_request()
        if scope is None:
            return {}
        if not scope.is_superuser:
            sessions = cast(SessionSource, loader.model_admin.session_maker)
            ident = _submitted_id(pk)
            if ident is None or not await run_in_threadpool(
                _is_offered, sessions, scope, loader.model, for_model, ident
            ):
                return {}
        return await unscoped(pk)

    return format_by_pk


def _is_offered(
    sessions: SessionSource,
    scope: Scope,
    target: type[Base],
    for_model: type[Base],
    ident: int,
) -> bool:
    with sessions() as session:
        return is_offered(session, scope, target, for_model, ident)


def is_offered(
    session: Session, scope: Scope, target: type[Base], for_model: type[Base], ident: int
) -> bool:
    """Would a picker for ``for_model`` offer row ``ident`` of ``target`` to ``scope``?"""
    return bool(
        session.scalar(
            select(
                exists().where(
                    inspect(target).primary_key[0] == ident,
                    scoping.lookup_filter(scope, target, for_model),
                )
            )
        )
    )


def _picker_where(
    target: type[Base], for_model: type[Base]
) -> Callable[[Request, str], ColumnElement[bool]]:
    def where(request: Request, _term: str) -> ColumnElement[bool]:
        scope = current_scope(request)
        return false() if scope is None else scoping.lookup_filter(scope, target, for_model)

    return where


def _submitted_id(value: Any) -> int | None:
    if isinstance(value, Base):
        identity = inspect(value).identity
        return int(identity[0]) if identity else None
    try:
        return int(str(value))
    except ValueError:
        return None


def check_submitted_relations(
    session: Session, scope: Scope, model: type[Base], data: Mapping[str, Any]
) -> None:
    """Refuse a submitted related id (a venue, an event, a person) no picker would offer.

    The pickers only narrow what is shown; a hand-made POST can name any id. Raises
    :class:`ConsoleFormError` under the field.
    """
    if scope.is_superuser:
        return
    for name, relation in inspect(model).relationships.items():
        value = data.get(name)
        if not value or relation.direction is not RelationshipDirection.MANYTOONE:
            continue
        target = relation.mapper.class_
        ident = _submitted_id(value)
        offered = ident is not None and is_offered(session, scope, target, model, ident)
        if not offered:
            raise ConsoleFormError(NOT_OFFERED, name)
