"""Month grids: which dates a month page shows, and what "today" is on a venue's clock."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from admin_app.localtime import local_midnight_utc, zone

# Years a calendar page may show. Bounded so a grid's leading and trailing days (and the
# next/previous links) always stay inside what ``datetime.date`` can represent.
MIN_YEAR, MAX_YEAR = 1900, 2999
_MONTH_TEXT = re.compile(r"(\d{4})-(\d{2})")
# Monday first (ISO 8601), as in most of the venues' countries.
_CALENDAR = calendar.Calendar(firstweekday=calendar.MONDAY)


class MonthError(ValueError):
    """A month that cannot be shown; the message says why in plain words."""


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month, e.g. ``Month(2026, 3)``; ``str()`` gives ``"2026-03"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise MonthError(f"Year {self.year} is out of range ({MIN_YEAR}-{MAX_YEAR}).")
        if not 1 <= self.month <= 12:
            raise MonthError(f"Month {self.month:02d} does not exist: use 01 to 12.")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def of(cls, day: date) -> Month:
        """The month ``day`` falls in."""
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        """The month's last day."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def next(self) -> Month:
        """The following month."""
        return Month.of(self.last + timedelta(days=1))

    @property
    def previous(self) -> Month:
        """The preceding month."""
        return Month.of(self.first - timedelta(days=1))

    def days(self) -> list[date]:
        """Every date of the month, in order."""
        return [self.first + timedelta(days=n) for n in range(self.last.day)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and (day.year, day.month) == (self.year, self.month)


def parse_month(text: str) -> Month:
    """``"2026-03"`` → ``Month(2026, 3)``; anything else raises :class:`MonthError`."""
    match = _MONTH_TEXT.fullmatch(text.strip())
    if match is None:
        raise MonthError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-03.")
    return Month(int(match.group(1)), int(match.group(2)))


def month_grid(year: int, month: int) -> list[list[date]]:
    """Week rows (Monday first) covering the month, padded with the adjacent months' days."""
    Month(year, month)  # the same plain refusal as parse_month for an impossible month
    return _CALENDAR.monthdatescalendar(year, month)


def grid_span(month: Month) -> tuple[date, date]:
    """The first and last date a month page shows (Monday of the first week to Sunday)."""
    weeks = month_grid(month.year, month.month)
    return weeks[0][0], weeks[-1][-1]


def today_in(zone_name: str, now: datetime | None = None) -> date:
    """Today's date on the clock of ``zone_name`` (``now``: an aware instant, for tests)."""
    instant = now if now is not None else datetime.now(UTC)
    if instant.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return instant.astimezone(zone(zone_name)).date()


def span_utc(first: date, last: date, zone_name: str) -> tuple[datetime, datetime]:
    """``[start of first, start of the day after last)`` on ``zone_name``'s clock, in UTC.

    Those local days are not always 24 hours long (DST), which is why the bounds come from
    the zone rather than from adding days to a UTC instant.
    """
    return (
        local_midnight_utc(first, zone_name),
        local_midnight_utc(last + timedelta(days=1), zone_name),
    )


def month_bounds_utc(month: Month, zone_name: str) -> tuple[datetime, datetime]:
    """The month as a UTC half-open range, its days counted on ``zone_name``'s clock."""
    return span_utc(month.first, month.last, zone_name)
