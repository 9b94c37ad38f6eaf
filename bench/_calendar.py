"""Precomputed dates and venue-local timestamps, so no row pays for a time zone conversion.

The generator works in "day indexes" (0 = ``START``) and looks every date and timestamp
up in tables built once per run: a zoneinfo conversion per row would cost more than
everything else the row needs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Ten years of nights, from the past into the future; fixed rather than relative to
# today, so a seed produces the same database on any day.
START = date(2019, 1, 1)
DAYS = (date(2029, 1, 1) - START).days
# Rows may point up to this many days before START (applications made before the show).
LEAD = 200
# Shows start at 19:00-21:00 local and last 2-4 hours: local hours 19..25 (01:00 next day).
FIRST_HOUR = 19
HOURS = 7


class Calendar:
    """Strings for every day index in [-LEAD, DAYS + 1) and venue-local show times."""

    def __init__(self, zones: list[str]) -> None:
        span = range(-LEAD, DAYS + 1)
        self.dates = [(START + timedelta(days=day)).isoformat() for day in span]
        self.noon = [f"{text} 12:00:00+00" for text in self.dates]
        self.show_times = [self._show_times(name) for name in zones]

    def date(self, day: int) -> str:
        """ISO date of a day index."""
        return self.dates[day + LEAD]

    def at_noon(self, day: int) -> str:
        """UTC timestamp at noon of a day index (creation and decision times)."""
        return self.noon[day + LEAD]

    @staticmethod
    def _show_times(zone_name: str) -> list[str]:
        # One UTC offset per local day, taken at the earliest show hour: DST switches
        # happen at 01:00-03:00 local, after the latest show has ended (01:00).
        zone = ZoneInfo(zone_name)
        times: list[str] = []
        for day in range(DAYS + 1):
            night = START + timedelta(days=day)
            first = datetime.combine(night, time(FIRST_HOUR), tzinfo=zone).astimezone(UTC)
            for hour in range(HOURS):
                moment = first + timedelta(hours=hour)
                times.append(moment.strftime("%Y-%m-%d %H:%M:%S+00"))
        return times

    def show_time(self, zone: int, day: int, hour: int) -> str:
        """UTC timestamp of local ``hour`` (19..25) on the night of ``day`` in ``zone``."""
        return self.show_times[zone][day * HOURS + hour - FIRST_HOUR]
