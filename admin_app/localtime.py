"""Venue-local time: pure functions between UTC instants and a venue's wall clock.

Events are stored as UTC instants; people enter and read them on the venue's clock, in
the venue's IANA zone. Everything that converts between the two goes through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# "Fri 12 Dec 2026 20:00": weekday, day, month and year leave no doubt about the night.
DISPLAY_FORMAT = "%a %d %b %Y %H:%M"
# What an HTML datetime-local input sends and expects.
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class LocalTimeError(ValueError):
    """A wall-clock time that cannot be turned into one instant; the message says why."""


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this system knows, sorted (for pickers)."""
    return tuple(sorted(available_timezones()))


@cache
def _known_zones() -> frozenset[str]:
    # available_timezones() walks the tzdata folders on every call (~15 ms); lists and
    # feeds format a time per row, so read the folders once per process.
    return frozenset(available_timezones())


def is_known_zone(name: str) -> bool:
    """True when ``name`` is an IANA zone name (e.g. ``Europe/Berlin``)."""
    return name in _known_zones()


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``, or :class:`LocalTimeError` in plain words."""
    if not is_known_zone(name):
        raise LocalTimeError(f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin.")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # listed but its data file is missing
        raise LocalTimeError(f"Unknown time zone {name!r}.") from None


def to_utc(local: datetime, zone_name: str) -> datetime:
    """The UTC instant of the naive wall-clock time ``local`` in ``zone_name``.

    A time skipped when clocks go forward does not exist and is refused. A time that
    happens twice when clocks go back is read as the first one (fold=0), the usual choice
    for a show announced before the change.
    """
    if local.tzinfo is not None:
        raise LocalTimeError("expected a wall-clock (naive) time")
    tz = zone(zone_name)
    aware = local.replace(tzinfo=tz)
    instant = aware.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local:
        raise LocalTimeError(
            f"{local:%d %b %Y %H:%M} does not exist in {zone_name}: the clocks skip that "
            "hour. Choose a time after the change."
        )
    return instant


def to_local(instant: datetime, zone_name: str) -> datetime:
    """The naive wall-clock time of the aware ``instant`` in ``zone_name``."""
    return instant.astimezone(zone(zone_name)).replace(tzinfo=None)


def format_local(instant: datetime | None, zone_name: str) -> str:
    """``"Fri 12 Dec 2026 20:00 (Europe/Berlin)"``; empty for a missing instant."""
    if instant is None:
        return ""
    return f"{to_local(instant, zone_name):{DISPLAY_FORMAT}} ({zone_name})"


def format_local_range(starts_at: datetime, ends_at: datetime, zone_name: str) -> str:
    """A show's times on the venue's clock, naming the end date only when it differs."""
    start, end = to_local(starts_at, zone_name), to_local(ends_at, zone_name)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:{DISPLAY_FORMAT}}"
    return f"{start:{DISPLAY_FORMAT}}-{end_text} ({zone_name})"


def night_of(starts_at: datetime, zone_name: str) -> date:
    """The date a show belongs to: the local date it starts, even if it ends after midnight."""
    return to_local(starts_at, zone_name).date()


def local_midnight_utc(day: date, zone_name: str) -> datetime:
    """The UTC instant at which ``day`` begins on the clock of ``zone_name``."""
    # Midnight itself may be skipped by a DST change in a few zones; the first existing
    # minute of the day is then the start of the day.
    tz = zone(zone_name)
    local = datetime.combine(day, time.min)
    for _ in range(24 * 4):
        instant = local.replace(tzinfo=tz).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == local:
            return instant
        local += timedelta(minutes=15)
    raise LocalTimeError(f"{day} has no midnight in {zone_name}")  # pragma: no cover
