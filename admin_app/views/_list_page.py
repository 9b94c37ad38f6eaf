"""What the console's list page shows, worked out once per page (``console/list.html``).

SQLAdmin's own list.html asks the router for every link of every row (about 1,100
lookups and 150 KiB of HTML for 50 events). Here each kind of link is looked up once per
page and a row's link is that prefix plus the row's key; links that only change the
query (sort, filters) are relative (``?sort=asc&...``), so they stay short.

Only public SQLAdmin names: ``get_list_value`` (formatters and venue-local times),
``check_can_*``/``has_permission`` (per-row buttons, answered from the request's scope
without a query), ``column_sortable_list``, ``non_link_related_fields`` and the filters'
``lookups``. Custom ``@action``s are not offered: the console allows none
(``ConsoleModelView.has_permission``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqladmin.helpers import get_object_identifier, slugify_class_name
from sqlalchemy import Select, inspect
from starlette.datastructures import URL
from starlette.requests import Request

from admin_app import sqladmin_internals as internals
from admin_app.views import _reading
from admin_app.views._related import may_open

if TYPE_CHECKING:
    from sqladmin import ModelView

# The template SQLAdmin uses for filters shown as a list of links; those are rendered
# here from their choices (every other filter template is included as it is).
LOOKUP_TEMPLATE = "sqladmin/filters/lookup_filter.html"
# A stand-in key, cut out of a looked-up URL to leave the prefix every row shares.
_KEY = "__key__"
# A name longer than this may be cut to a few lines (console.css): it gets a tooltip.
LONG_NAME = 80
# The rows are rendered apart from the page, by a plain Jinja environment: SQLAdmin's is
# async, and its per-item awaits were most of a 50-row page's cost. Every value is
# worked out (awaited) before, so nothing in the rows needs async; autoescaped as usual.
_ROWS = Environment(
    loader=FileSystemLoader(Path(__file__).parents[1] / "templates"),
    autoescape=True,
    auto_reload=False,
).get_template("console/_list_rows.html")


@dataclass(frozen=True)
class Link:
    """One value of a cell; ``href`` None when it is not a link."""

    text: Any
    href: str | None = None
    # The whole text as a tooltip, where the list may cut it short (a long name).
    hint: str | None = None


@dataclass(frozen=True)
class Cell:
    """One cell: a value (``links[0]``) or, for a to-many relation, several (shown
    comma-separated, as plain links)."""

    links: Sequence[Link]


@dataclass(frozen=True)
class Row:
    """One row: its key, its buttons (None where not allowed or, for "View", where the
    row's name links to its details page) and its cells."""

    pk: str
    details: str | None
    edit: str | None
    delete: str | None
    cells: Sequence[Cell]
    # The version the row shows, sent with its checkbox to a bulk form (a stale row is
    # refused); None on lists without one.
    version: int | None = None


@dataclass(frozen=True)
class Column:
    """A header: its label and, when sortable, the link that sorts by it."""

    name: str
    label: str
    sort_href: str | None
    sorted: str | None  # "asc" / "desc" when the list is sorted by it


@dataclass(frozen=True)
class Choice:
    """One choice of a list-of-links filter."""

    label: Any
    href: str
    current: bool


@dataclass(frozen=True)
class SidebarFilter:
    """A sidebar filter: its choices, or None when its own template renders it."""

    filter: Any
    title: str
    choices: Sequence[Choice] | None
    clear_href: str


@dataclass(frozen=True)
class Toolbar:
    """The buttons above the list, each None (or empty) when not allowed."""

    exports: Sequence[tuple[str, str]]  # (export type, URL)
    create: str | None
    bulk_delete: str | None


def _prop_name(attr: Any) -> str:
    return attr if isinstance(attr, str) else str(attr.key)


def _searched_words(label: str) -> str:
    """A searched column in words: its label, or for a bare path like "venue.name" (no
    label given) the last two parts: "venue name"."""
    parts = label.split(".")[-2:]
    if len(parts) == 2 and parts[-1] in {"full_name", "name"}:
        parts[-1] = "name"
    return " ".join(part.replace("_", " ") for part in parts).lower()


# A row's cells: its checkbox, its buttons, then one per column.
_FIRST_VALUE_CELL = 3


def _css_string(text: object) -> str:
    """``text`` as the inside of a CSS string in a <style> element: every character that
    could end the string, the rule or the element is written as a CSS escape."""
    return "".join(
        char if char.isalnum() or char in " .,:()-_/" else f"\\{ord(char):x} " for char in str(text)
    )


def render_rows(
    rows: Sequence[Row], *, bulk_form: str | None, selectable: bool = True, **labels: str
) -> Markup:
    """``rows`` as the table's ``<tr>``s, escaped; ``labels`` the buttons' accessible names."""
    return Markup(  # noqa: S704
        _ROWS.render(rows=rows, bulk_form=bulk_form, selectable=selectable, **labels)
    )


def query_href(url: URL) -> str:
    """``url`` as a link relative to the page it is on: only its query changes."""
    return f"?{url.query}"


class ListPage:
    """The list page of ``view`` for ``request``; the template calls its methods."""

    def __init__(self, view: ModelView, request: Request) -> None:
        self.view = view
        self.request = request
        # The page's own URL without a one-off error message, for the links that keep
        # the rest of the query (sort, filters).
        self.url = request.url.remove_query_params("error")
        self.query = request.url.query
        self.names: list[str] = view.get_list_columns()
        self.relations: set[str] = set(inspect(view.model).relationships.keys())
        self.non_links = {_prop_name(attr) for attr in view.non_link_related_fields}
        # Where the row's name is (ConsoleModelView.name_column); a name that is not a
        # column of the list fails here, not silently.
        name = getattr(view, "name_column", None)
        self.name_index = None if name is None else self.names.index(name)
        self._details: dict[str, str] = {}
        self._edit = self._prefix("admin:edit", view.identity)
        self._delete = request.url_for("admin:delete", identity=view.identity).path
        # A view with bulk buttons (views/bulk_decisions.py) names the form its rows'
        # checkboxes belong to.
        self.bulk_form: str | None = getattr(view, "bulk_form_id", None)

    def _prefix(self, route: str, identity: str) -> str:
        """The path of ``route`` for ``identity`` up to the row's key (one router lookup)."""
        path = self.request.url_for(route, identity=identity, pk=_KEY).path
        prefix, found, rest = path.partition(_KEY)
        if not found or rest:
            raise RuntimeError(f"{route}: the row's key is not at the end of {path}")
        return prefix

    def details_href(self, obj: Any) -> str:
        """The details page of ``obj`` (a row of this list or a related row)."""
        identity = self.view.identity if isinstance(obj, self.view.model) else None
        identity = identity or slugify_class_name(type(obj).__name__)
        prefix = self._details.get(identity)
        if prefix is None:
            prefix = self._details[identity] = self._prefix("admin:details", identity)
        return prefix + str(get_object_identifier(obj))

    # --- the parts of the page ------------------------------------------------------

    def columns(self) -> list[Column]:
        """The headers, with sort links that keep the other query parameters."""
        sortable = {_prop_name(attr) for attr in self.view.column_sortable_list}
        params = self.request.query_params
        sorted_by = params.get("sortBy")
        order = params.get("sort")
        labels = internals.column_labels(self.view)
        columns = []
        for name in self.names:
            label = labels.get(name, name)
            direction = order if sorted_by == name and order in ("asc", "desc") else None
            href = None
            if name in sortable:
                if direction is None:
                    href = query_href(self.url.include_query_params(sortBy=name, sort="asc"))
                else:
                    flipped = "desc" if direction == "asc" else "asc"
                    href = query_href(self.url.include_query_params(sort=flipped))
            columns.append(Column(name, label, href, direction))
        return columns

    def phone_labels(self, columns: Sequence[Column]) -> Markup:
        """The style that names each cell of a row on a phone, where rows are cards.

        One rule per column (``td:nth-child``), not a label repeated in every cell: the
        50-row page stays within its size budget. The cards themselves are in console.css.
        """
        rules = "".join(
            f'#list-rows td:nth-child({number})::before{{content:"{_css_string(column.label)}"}}'
            for number, column in enumerate(columns, start=_FIRST_VALUE_CELL)
        )
        # Safe as markup: every label went through _css_string, which escapes "<".
        return Markup(f"<style>@media (max-width:767.98px){{{rules}}}</style>")  # noqa: S704

    def search_hint(self) -> str:
        """What the search box searches, in words a user knows (not "venue.name")."""
        labels = self.view.search_placeholder().split(", ")
        words = list(dict.fromkeys(_searched_words(label) for label in labels))
        listed = ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]
        return f"Search by {listed}"

    async def toolbar(self) -> Toolbar:
        """Export, create and bulk delete, where the user may use them."""
        view, request = self.view, self.request
        exports: list[tuple[str, str]] = []
        if view.can_export and await view.check_can_export(request):
            # The export follows the list's search, filters and sort (not its page).
            kept = self.url.remove_query_params(["page", "pageSize", "error"]).query
            for kind in view.export_types:
                url = request.url_for("admin:export", identity=view.identity, export_type=kind)
                exports.append((kind, url.path + (f"?{kept}" if kept else "")))
        create = None
        if view.can_create and await view.check_can_create(request):
            create = request.url_for("admin:create", identity=view.identity).path
        # Not tied to one row: the delete route checks every selected row again.
        can_delete_any = view.can_delete and view.has_permission(request, "delete")
        return Toolbar(exports, create, self._delete if can_delete_any else None)

    async def rows(self, rows: Sequence[Any]) -> list[Row]:
        """Each row's key, allowed buttons and formatted cells."""
        return [await self._row(row) for row in rows]

    def rows_html(self, rows: Sequence[Row], *, selectable: bool, **labels: str) -> Markup:
        """The table's rows (``<tr>``s) as HTML, escaped; tick boxes when ``selectable``
        (there is something to do with ticked rows); ``labels`` are the buttons' names."""
        return render_rows(rows, bulk_form=self.bulk_form, selectable=selectable, **labels)

    async def _row(self, row: Any) -> Row:
        view, request = self.view, self.request
        pk = str(get_object_identifier(row))
        details = edit = delete = None
        if await view.check_can_view_details(request, row):
            details = self.details_href(row)
        if await view.check_can_edit(request, row):
            edit = self._edit + pk + (f"?{self.query}" if self.query else "")
        if await view.check_can_delete(request, row):
            delete = f"{self._delete}?{urlencode({'pks': pk})}"
        cells = [await self._cell(row, name) for name in self.names]
        if details is not None and self.name_index is not None:
            # The row's name opens it: no "View" button beside it.
            text = cells[self.name_index].links[0].text
            hint = str(text) if len(str(text)) > LONG_NAME else None
            cells[self.name_index] = Cell([Link(text, details, hint)])
            details = None
        version = getattr(row, "version", None) if self.bulk_form else None
        return Row(pk, details, edit, delete, cells, version)

    async def _cell(self, row: Any, name: str) -> Cell:
        value, formatted = await self.view.get_list_value(row, name, self.request)
        if name not in self.relations:
            return Cell([Link(formatted)])
        linked = name not in self.non_links
        if isinstance(value, list | set | tuple):
            pairs = zip(value, formatted, strict=False)
            return Cell([Link(text, self._target(item, linked)) for item, text in pairs])
        return Cell([Link(formatted, self._target(value, linked))])

    def _target(self, obj: Any, linked: bool) -> str | None:
        """The link to a related row, or None: staff see "Decided by" as a name, not as a
        link to a user page they may not open."""
        if not linked or obj is None:
            return None
        # The details pages' rule too (views/_details_page.py); no statement.
        return self.details_href(obj) if may_open(self.request, obj) else None

    async def filters(self) -> list[SidebarFilter]:
        """The sidebar filters, each read once, with the current values marked."""
        view, request = self.view, self.request
        params = request.query_params

        async def run_query(stmt: Select[Any]) -> list[Any]:
            return await _reading.rows(view, stmt)

        shown = []
        for filter_ in view.get_filters():
            name = filter_.parameter_name
            # A new filter value starts again at the first page.
            others = self.url.remove_query_params([name, "page"])
            choices = None
            if getattr(filter_, "template", None) == LOOKUP_TEMPLATE:
                current = params.get(name)
                choices = [
                    Choice(
                        label,
                        query_href(others.include_query_params(**{name: value})),
                        current is not None and current == str(value),
                    )
                    for value, label in await filter_.lookups(request, view.model, run_query)
                ]
            shown.append(SidebarFilter(filter_, str(filter_.title), choices, query_href(others)))
        return shown
