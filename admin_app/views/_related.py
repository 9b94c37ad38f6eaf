"""Working with related rows in a list or form without loading whole tables.

* :class:`NameFilter`: a text box that filters rows by a name, their own or a related
  row's (SQLAdmin's ForeignKeyFilter would list every row of the related table instead).
* :class:`EagerAjaxLoader`: a relation picker (``form_ajax_refs``) whose options are
  loaded with the relationships their ``str()`` reads.
* :func:`may_open`: may the viewer open a row's details page? :func:`details_link`: a
  link to it when they may, else its name as text (never a link to a "403 Forbidden").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup
from sqladmin import ModelView
from sqladmin.ajax import QueryAjaxModelLoader
from sqladmin.helpers import get_object_identifier, slugify_class_name
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.interfaces import LoaderOption
from starlette.requests import Request

from admin_app import scoping
from admin_app.request_scope import current_scope
from admin_app.views import _reading
from admin_app.views._filters import InputFilter

# ids of the matching related rows (a subquery) -> "this view's row is linked to one".
Link = Callable[[Select[Any]], ColumnElement[bool]]


class NameFilter(InputFilter):
    """Rows whose name (or a related row's name, through ``link``) contains the text typed."""

    def __init__(
        self,
        column: InstrumentedAttribute[Any],
        *,
        title: str,
        parameter_name: str,
        link: Link | None = None,
    ) -> None:
        self.column = column
        self.title = title
        self.parameter_name = parameter_name
        self.link = link

    async def get_filtered_query(self, query: Select[Any], value: Any, model: Any) -> Select[Any]:
        """``query`` narrowed to matching rows; unchanged when the box is blank."""
        text = str(value or "").strip()
        if not text:
            return query
        # autoescape: a typed % or _ is matched literally, not as a wildcard.
        condition = self.column.icontains(text, autoescape=True)
        if self.link is None:
            return query.where(condition)
        return query.where(self.link(select(self.column.class_.id).where(condition)))


class EagerAjaxLoader(QueryAjaxModelLoader):
    """A relation picker whose options come with the relationships their ``str()`` reads.

    SQLAdmin reads picker rows in a session it closes at once; a ``__str__`` that follows
    a relationship (``BandMember`` names its user and band) then fails on the detached
    row, and the picker shows nothing.
    """

    def __init__(
        self, name: str, model_admin: ModelView, load: Sequence[LoaderOption], **options: Any
    ) -> None:
        target = getattr(model_admin.model, name).property.mapper.class_
        super().__init__(name, target, model_admin, **options)
        if self.pk is None:
            raise ValueError(f"{target.__name__} has a composite primary key")
        self._pk = self.pk
        self._load = load

    async def _by_ids(self, ids: list[Any]) -> list[Any]:
        stmt: Select[Any] = select(self.model).where(self._pk.in_(ids)).options(*self._load)
        rows = {
            get_object_identifier(row): row
            for row in await _reading.entities(self.model_admin, stmt)
        }
        return [rows[key] for key in ids if key in rows]

    async def get_list(self, request: Request, term: str) -> list[Any]:
        """The rows SQLAdmin's search finds, reloaded (one more statement) with names."""
        found = await super().get_list(request, term)
        return await self._by_ids([get_object_identifier(row) for row in found])

    async def format_by_pk(self, pk: Any) -> dict[str, Any]:
        """The picker's current value; the edit form passes a detached row, not an id."""
        if isinstance(pk, self.model):
            pk = get_object_identifier(pk)
        try:
            key = int(pk)
        except (TypeError, ValueError):
            return {}
        rows = await self._by_ids([key])
        return self.format(rows[0]) if rows else {}


def may_open(request: Request, obj: Any) -> bool:
    """May the signed-in user open ``obj``'s details page? The question the page itself
    asks (``ConsoleModelView.has_permission``: scoping's "view"), answered from the
    request's scope without a statement."""
    scope = current_scope(request)
    return scope is not None and scoping.can(scope, "view", type(obj), obj)


def details_url(request: Request, obj: Any) -> str:
    """The path of ``obj``'s details page (its view named after its class, as SQLAdmin's)."""
    identity = slugify_class_name(type(obj).__name__)
    return request.url_for("admin:details", identity=identity, pk=get_object_identifier(obj)).path


def details_link(request: Request, obj: Any, text: Any) -> Markup:
    """``<a>`` to ``obj``'s details page when the user may open it, else ``text`` alone;
    escaped."""
    if not may_open(request, obj):
        return Markup("{}").format(text)
    return Markup('<a href="{}">{}</a>').format(details_url(request, obj), text)
