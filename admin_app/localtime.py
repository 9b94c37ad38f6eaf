"""Venue-local time: pure functions between UTC instants and a venue's wall clock.

Events are stored as UTC instants; people enter and read them on the venue's clock, in
the venue's IANA zone. Everything that converts between the two goes through here, and so
do the rules for the nights the clocks change:

- a time the clocks skip (going forward) is refused where a person typed it
  (:func:`to_utc`), and is the moment they change where nobody did, such as a venue's
  usual hours on the match page (:func:`to_utc_past_gap`, :data:`SKIPPED_HOUR_RULE`);
- a time that happens twice (going back) is the first one, except that a saved time sent
  back unchanged keeps its instant (:func:`to_utc_keeping`, :data:`REPEATED_HOUR_RULE`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# "Fri 12 Dec 2026 20:00": weekday, day, month and year leave no doubt about the night.
DISPLAY_FORMAT = "%a %d %b %Y %H:%M"
DAY_FORMAT = "%a %d %b %Y"
CLOCK_FORMAT = "%H:%M"
# What an HTML datetime-local input sends and expects.
INPUT_FORMAT = "%Y-%m-%dT%H:%M"

# The rules for the wall-clock times a daylight-saving change makes ambiguous, in the
# words the pages show: the code below and what people read say the same thing.
REPEATED_HOUR_RULE = (
    "When the clocks go back, a time in the hour that happens twice means the first one; "
    "a saved time you leave unchanged keeps its place."
)
SKIPPED_HOUR_RULE = (
    "On the night the clocks go forward, a usual opening or closing time they skip counts "
    "as the moment they change (for example, 02:00 becomes 03:00 on the new clock)."
)


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


def _exists(local: datetime, tz: ZoneInfo) -> bool:
    # A skipped wall time does not survive the round trip through UTC.
    return local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local


def _first_existing(local: datetime, tz: ZoneInfo) -> datetime:
    """``local`` itself, or the first wall-clock minute after it that the clocks show."""
    for _ in range(24 * 60):  # no zone has skipped a whole day in decades
        if _exists(local, tz):
            return local
        local += timedelta(minutes=1)
    raise LocalTimeError(f"{local:%d %b %Y} has no such time")  # pragma: no cover


def to_utc(local: datetime, zone_name: str) -> datetime:
    """The UTC instant of the naive wall-clock time ``local`` in ``zone_name``.

    A time skipped when clocks go forward does not exist and is refused. A time that
    happens twice when clocks go back is read as the first one (fold=0), the usual choice
    for a show announced before the change (:data:`REPEATED_HOUR_RULE`).
    """
    if local.tzinfo is not None:
        raise LocalTimeError("expected a wall-clock (naive) time")
    tz = zone(zone_name)
    if not _exists(local, tz):
        raise LocalTimeError(
            f"{local:%d %b %Y %H:%M} does not exist in {zone_name}: the clocks skip that "
            "hour. Choose a time after the change."
        )
    return local.replace(tzinfo=tz).astimezone(UTC)


def to_utc_past_gap(local: datetime, zone_name: str) -> datetime:
    """:func:`to_utc`, but a time the clocks skip is the moment they change.

    For times nobody typed for that date, such as a venue's usual hours on the night the
    clocks go forward: the night is still held, from or until the first instant after
    the gap (:data:`SKIPPED_HOUR_RULE`).
    """
    if local.tzinfo is not None:
        raise LocalTimeError("expected a wall-clock (naive) time")
    return to_utc(_first_existing(local, zone(zone_name)), zone_name)


def to_utc_keeping(local: datetime, zone_name: str, stored: datetime | None) -> datetime:
    """:func:`to_utc`, except that the time ``stored`` shows (to the minute) keeps ``stored``.

    A form shows a stored instant as wall-clock text, which cannot say which of a repeated
    hour's two times it was; read again as the first one, a show stored at the second
    would move an hour earlier on a save that changed nothing (:data:`REPEATED_HOUR_RULE`).
    """
    if stored is not None:
        shown = to_local(stored, zone_name).replace(second=0, microsecond=0)
        if shown == local:
            return stored
    return to_utc(local, zone_name)


def to_local(instant: datetime, zone_name: str) -> datetime:
    """The naive wall-clock time of the aware ``instant`` in ``zone_name``."""
    return instant.astimezone(zone(zone_name)).replace(tzinfo=None)


def format_local(instant: datetime | None, zone_name: str) -> str:
    """``"Fri 12 Dec 2026 20:00 (Europe/Berlin)"``; empty for a missing instant."""
    if instant is None:
        return ""
    return f"{to_local(instant, zone_name):{DISPLAY_FORMAT}} ({zone_name})"


def format_utc(instant: datetime | None) -> str:
    """``"Sun 29 Nov 2026 12:08 (UTC)"``: an instant that belongs to no venue (a message
    queued, a row created), named as UTC; a naive value is taken as UTC."""
    if instant is not None and instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return format_local(instant, "UTC")


def iso_local(instant: datetime | None, zone_name: str) -> str:
    """``"2026-12-12T20:00:00+01:00"``: the venue's clock with its UTC offset, a text that
    spreadsheets sort (and parse) correctly; empty for a missing instant."""
    if instant is None:
        return ""
    return instant.astimezone(zone(zone_name)).isoformat(timespec="seconds")


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
    return _first_existing(datetime.combine(day, time.min), tz).replace(tzinfo=tz).astimezone(UTC)


def format_day(day: date | None) -> str:
    """``"Fri 12 Dec 2026"``: a calendar date as every page shows it; empty for none."""
    return "" if day is None else f"{day:{DAY_FORMAT}}"


def format_clock(clock: time | None) -> str:
    """``"19:00"``: a wall-clock time (opening hours) without seconds; empty for none."""
    return "" if clock is None else f"{clock:{CLOCK_FORMAT}}"
