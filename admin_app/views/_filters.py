"""List filters SQLAdmin lacks: "from date" / "to date" with a date picker.

A filter here follows SQLAdmin's simple-filter shape (``title``, ``parameter_name``,
``template``, ``lookups``) and adds ``apply(view, stmt, value)``, which
:class:`~admin_app.views.base.ConsoleModelView` calls with the view, so a filter can run
a small query of its own (e.g. which time zones the venues use).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from admin_app import sqladmin_internals as internals
from admin_app.localtime import local_midnight_utc
from admin_app.views import _reading

if TYPE_CHECKING:
    from admin_app.views.base import AnySelect, ConsoleModelView

Bound = Literal["from", "to"]
# zone name -> "this row's venue is in that zone".
InZone = Callable[[str], ColumnElement[bool]]


def parse_day(value: str) -> date | None:
    """The ISO date typed into the filter, or None when it is not one (filter ignored)."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


class InputFilter:
    """Base of the filters shown as one input box instead of a list of links.

    Subclasses set ``title``, ``parameter_name`` and ``input_type`` ("text" or "date") and
    implement ``get_filtered_query``; the shared template keeps every other query
    parameter (search, sort, other filters) when the box is submitted.
    """

    has_operator = False
    default_value: Any = internals.UNSET
    template = "console/filters/input_filter.html"
    input_type = "text"
    title: str
    parameter_name: str

    async def lookups(self, request: Any, model: Any, run_query: Any) -> list[tuple[str, str]]:
        """No fixed choices: the user types (or picks) the value."""
        return []


class DateBoundFilter(InputFilter):
    """Rows on or after (``from``) or on or before (``to``) a date, with a date picker."""

    input_type = "date"

    def __init__(self, column: InstrumentedAttribute[Any], bound: Bound, title: str) -> None:
        self.column = column
        self.bound = bound
        self.title = title
        self.parameter_name = f"{column.key}_{bound}"

    async def get_filtered_query(self, query: AnySelect, value: Any, model: Any) -> AnySelect:
        """``query`` narrowed to the bound; an unreadable date leaves it unchanged."""
        day = parse_day(str(value or ""))
        if day is None:
            return query
        return query.where(self.column >= day if self.bound == "from" else self.column <= day)

    async def apply(self, view: ConsoleModelView, stmt: AnySelect, value: str) -> AnySelect:
        """What ConsoleModelView calls: the same as :meth:`get_filtered_query`."""
        return await self.get_filtered_query(stmt, value, view.model)


class LocalDateBoundFilter(DateBoundFilter):
    """Like :class:`DateBoundFilter` for UTC instants, judged on each venue's own clock.

    A show on "12 Dec" means 12 Dec where the venue is. Every time zone in use by a venue
    gets its own UTC bound, so the comparison stays an indexable range in SQL on both
    databases (neither needs time zone data of its own).
    """

    def __init__(
        self,
        column: InstrumentedAttribute[Any],
        bound: Bound,
        title: str,
        *,
        zones: Callable[[ConsoleModelView], Awaitable[list[str]]],
        in_zone: InZone,
        wrap: Callable[[ColumnElement[bool]], ColumnElement[bool]] | None = None,
    ) -> None:
        super().__init__(column, bound, title)
        self.zones = zones
        self.in_zone = in_zone
        # Turns a condition on the column's own table into one on the listed rows
        # (e.g. ``EventApplication.event.has``), so no join is needed.
        self.wrap = wrap or (lambda condition: condition)

    async def get_filtered_query(self, query: AnySelect, value: Any, model: Any) -> AnySelect:
        """Not usable without the view (it must look up the venues' zones)."""
        raise TypeError("LocalDateBoundFilter needs a ConsoleModelView, which calls apply()")

    async def apply(self, view: ConsoleModelView, stmt: AnySelect, value: str) -> AnySelect:
        """``stmt`` narrowed to shows that start on/after (or on/before) the local date."""
        day = parse_day(value)
        if day is None:
            return stmt
        # "to 12 Dec" includes all of 12 Dec: compare with the start of 13 Dec.
        edge = day if self.bound == "from" else date.fromordinal(day.toordinal() + 1)
        conditions = []
        for zone_name in await self.zones(view):
            instant = local_midnight_utc(edge, zone_name)
            in_range = self.column >= instant if self.bound == "from" else self.column < instant
            conditions.append(and_(self.in_zone(zone_name), in_range))
        return stmt.where(self.wrap(or_(false(), *conditions)))


class ChoiceFilter:
    """Pick one of a few values read from the database; narrow the rows with a condition.

    Unlike SQLAdmin's ``ForeignKeyFilter`` the condition is free (``has()``/``any()``
    across a relationship), so filtering by a related row's parent needs no join.
    """

    has_operator = False
    default_value: Any = internals.UNSET
    template = "sqladmin/filters/lookup_filter.html"

    def __init__(
        self,
        title: str,
        parameter_name: str,
        *,
        choices: Select[*tuple[Any, ...]],
        condition: Callable[[str], ColumnElement[bool]],
    ) -> None:
        self.title = title
        self.parameter_name = parameter_name
        self.choices = choices
        self.condition = condition

    async def lookups(self, request: Any, model: Any, run_query: Any) -> list[tuple[str, str]]:
        """``(value, label)`` pairs from the ``choices`` query (value, label columns)."""
        rows = await run_query(self.choices)
        return [("__all", "All"), *((str(value), str(label)) for value, label in rows)]

    async def get_filtered_query(self, query: AnySelect, value: Any, model: Any) -> AnySelect:
        """``query`` narrowed to the chosen value; "All" leaves it unchanged."""
        if not value or value == "__all":
            return query
        return query.where(self.condition(str(value)))

    async def apply(self, view: ConsoleModelView, stmt: AnySelect, value: str) -> AnySelect:
        """What ConsoleModelView calls: the same as :meth:`get_filtered_query`."""
        return await self.get_filtered_query(stmt, value, view.model)


async def venue_zones(view: ConsoleModelView) -> list[str]:
    """The time zones the venues use (a handful, whatever the number of venues)."""
    from models import Venue

    rows = await _reading.rows(view, select(Venue.timezone).distinct())
    return [str(row[0]) for row in rows]
