"""What a details page shows, worked out before the template (``sqladmin/details.html``).

SQLAdmin's page heads its card "Id: 3", puts a "Column / Value" header over the table and
packs related rows inline as "(A (x)) (B (y))", each a link whether or not the viewer may
open it. Here every shown property is a :class:`Field`, a label and its value: a related
row is its name, a to-many relation (or any formatter's list) one item per line, and a
related row is a link only when :func:`~admin_app.views._related.may_open` says the viewer
may open its page (else text, never a link to "403 Forbidden").

Only already loaded rows are read (the view's ``details_options`` load what its page
shows): deciding a link asks the request's scope, never the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqladmin import ModelView
from sqladmin.helpers import slugify_class_name
from sqlalchemy import inspect
from starlette.requests import Request

from admin_app import sqladmin_internals as internals
from admin_app.views._list_page import Link
from admin_app.views._related import details_url, may_open

if TYPE_CHECKING:
    from admin_app.sqladmin_internals import DetailAction


@dataclass(frozen=True)
class Field:
    """One line of the page: a label and its value(s); ``many``: shown as a list."""

    label: str
    links: Sequence[Link]
    many: bool = False


class DetailsPage:
    """The details page of one row of ``view``; the template calls its methods."""

    def __init__(self, view: ModelView, request: Request) -> None:
        self.view = view
        self.request = request
        self.relations: set[str] = set(inspect(view.model).relationships.keys())
        self.non_links = {
            attr if isinstance(attr, str) else str(attr.key)
            for attr in view.non_link_related_fields
        }
        # Only rows of a registered view have a page to link to.
        self.identities = {
            found.identity
            for found in internals.admin_of(view).views
            if isinstance(found, ModelView)
        }

    async def fields(self, obj: Any) -> list[Field]:
        """Every property the view shows, labelled, in its order."""
        labels = internals.column_labels(self.view)
        return [
            await self._field(obj, name, labels.get(name, name))
            for name in internals.details_prop_names(self.view)
        ]

    def actions(self) -> list[DetailAction]:
        """The custom ``@action`` buttons SQLAdmin's page would show (none in the console
        today: ``ConsoleModelView.has_permission`` refuses every GET action)."""
        return internals.detail_actions(self.view, self.request)

    async def _field(self, obj: Any, name: str, label: str) -> Field:
        value, formatted = await self.view.get_detail_value(obj, name, self.request)
        linked = name in self.relations and name not in self.non_links
        if isinstance(formatted, list | set | tuple):
            items = value if isinstance(value, list | set | tuple) else ()
            targets = list(items) if len(items) == len(formatted) else [None] * len(formatted)
            pairs = zip(targets, formatted, strict=True)
            links = [Link(text, self._href(item, linked)) for item, text in pairs]
            return Field(label, links, many=True)
        return Field(label, [Link(formatted, self._href(value, linked))])

    def _href(self, obj: Any, linked: bool) -> str | None:
        if not linked or obj is None:
            return None
        if slugify_class_name(type(obj).__name__) not in self.identities:
            return None
        return details_url(self.request, obj) if may_open(self.request, obj) else None
