"""Conflicts that need someone: every rule of them, for Today and the points of decision.

A show (confirmed, or a hold) conflicts with its venue's calendar when its night is
marked closed, or when it runs outside the venue's opening hours that night (the span
:meth:`admin_app.calendars.venue.OpeningHours.utc_span` computes, past midnight and clock
changes included). A venue with no opening hours at all is not checked against hours
(nobody entered them), and a night marked "open" on a weekday without hours is open by
that mark. A band accepted for two overlapping events that are not both confirmed (both
confirmed is refused outright by :mod:`admin_app.booking`) is a conflict, and so is a
hold past its expiry.

Pure functions over a session, no HTTP: :mod:`admin_app.booking` (confirming, accepting),
:mod:`admin_app.calendars.marks` (closing a day) and the Today page
(:mod:`admin_app.pages.today`) all ask here, so a rule is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, not_, or_, select, true
from sqlalchemy.orm import Session, aliased

from admin_app import holds
from admin_app.calendars.grid import span_utc
from admin_app.calendars.venue import OpeningHours, time_label
from admin_app.localtime import format_local_range, night_of, to_local
from admin_app.scoping import Scope, scope_statement
from models import (
    WEEKDAYS,
    Band,
    Event,
    EventApplication,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
)

# Statuses a venue's calendar conflict is about: a draft commits nobody yet.
SCHEDULED = ("hold", "confirmed")
# Shows still running started at most this long ago: a bound on starts_at lets the
# database read "not over yet" from the (venue, starts_at) and (starts_at) indexes.
LONGEST_SHOW = timedelta(days=2)
# Kinds of conflict, as Today groups them.
CLOSED_DAY = "closed_day"
OUTSIDE_HOURS = "outside_hours"
BAND_OVERLAP = "band_overlap"
EXPIRED_HOLD = "expired_hold"


@dataclass(frozen=True)
class DayRules:
    """What a venue's calendar says about one night: its mark and its usual hours."""

    night: date
    zone_name: str
    mark: str | None = None
    note: str | None = None
    hours: OpeningHours | None = None
    has_any_hours: bool = False


def day_conflicts(rules: DayRules, starts_at: datetime, ends_at: datetime) -> list[tuple[str, str]]:
    """``(kind, reason)`` for each way a show at ``starts_at``-``ends_at`` on ``rules``'
    night conflicts with the venue's calendar; each reason a plain sentence naming the mark
    (with its note) or the hours."""
    found = []
    day = f"{rules.night:%a %d %b %Y}"
    if rules.mark == "closed":
        note = f" ({rules.note})" if rules.note else ""
        found.append((CLOSED_DAY, f"{day} is marked closed{note}."))
    if not rules.has_any_hours or rules.mark == "open":
        return found
    if rules.hours is None:
        weekday = WEEKDAYS[rules.night.weekday()]
        found.append((OUTSIDE_HOURS, f"The venue has no opening hours on {weekday}s ({day})."))
        return found
    span = rules.hours.utc_span(rules.night, rules.zone_name)
    if span is None or starts_at < span[0] or ends_at > span[1]:
        shown = time_label(to_local(starts_at, rules.zone_name), to_local(ends_at, rules.zone_name))
        found.append(
            (
                OUTSIDE_HOURS,
                f"{shown} on {day} is outside the opening hours {rules.hours.label} "
                f"({rules.zone_name}).",
            )
        )
    return found


def day_reasons(rules: DayRules, starts_at: datetime, ends_at: datetime) -> list[str]:
    """The reasons of :func:`day_conflicts` alone; [] when the show fits the calendar."""
    return [reason for _kind, reason in day_conflicts(rules, starts_at, ends_at)]


def _scoped(model: Any, stmt: Any, scope: Scope | None) -> Any:
    """``stmt`` narrowed to what ``scope`` sees (None: a decision already authorised)."""
    return stmt if scope is None else scope_statement(model, stmt, scope)


def _hours_of(
    session: Session, venue_ids: Iterable[int], scope: Scope | None = None
) -> dict[int, dict[int, OpeningHours]]:
    stmt = select(
        VenueOperatingHours.venue_id,
        VenueOperatingHours.weekday,
        VenueOperatingHours.opens_at,
        VenueOperatingHours.closes_at,
    ).where(VenueOperatingHours.venue_id.in_(sorted(set(venue_ids))))
    rows = session.execute(_scoped(VenueOperatingHours, stmt, scope))
    hours: dict[int, dict[int, OpeningHours]] = {}
    for row in rows:
        hours.setdefault(row.venue_id, {})[row.weekday] = OpeningHours(row.opens_at, row.closes_at)
    return hours


def _marks_of(
    session: Session, venue_ids: Iterable[int], first: date, last: date, scope: Scope | None = None
) -> dict[tuple[int, date], tuple[str, str | None]]:
    stmt = select(
        VenueAvailability.venue_id,
        VenueAvailability.date,
        VenueAvailability.status,
        VenueAvailability.note,
    ).where(
        VenueAvailability.venue_id.in_(sorted(set(venue_ids))),
        VenueAvailability.date >= first,
        VenueAvailability.date <= last,
    )
    rows = session.execute(_scoped(VenueAvailability, stmt, scope))
    return {(row.venue_id, row.date): (row.status, row.note) for row in rows}


def _rules(
    venue_id: int,
    night: date,
    zone_name: str,
    hours: dict[int, dict[int, OpeningHours]],
    marks: dict[tuple[int, date], tuple[str, str | None]],
) -> DayRules:
    week = hours.get(venue_id, {})
    mark, note = marks.get((venue_id, night), (None, None))
    return DayRules(night, zone_name, mark, note, week.get(night.weekday()), bool(week))


def schedule_reasons(
    session: Session, venue: Venue, starts_at: datetime, ends_at: datetime
) -> list[str]:
    """Why a show at ``venue`` at these times conflicts with the venue's calendar (its
    night marked closed, or outside its opening hours); [] when it does not. Two
    statements; for the point of decision (confirming, saving a confirmed event)."""
    night = night_of(starts_at, venue.timezone)
    hours = _hours_of(session, [venue.id])
    marks = _marks_of(session, [venue.id], night, night)
    return day_reasons(_rules(venue.id, night, venue.timezone, hours, marks), starts_at, ends_at)


@dataclass(frozen=True)
class Booked:
    """One show already on a night or at a time (what a new decision would collide with)."""

    event_id: int
    title: str
    status: str
    hold_rank: int | None
    venue_id: int
    venue_name: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    hold_expires_at: datetime | None = None

    @property
    def status_label(self) -> str:
        """ "hold 2", "confirmed"."""
        return f"hold {self.hold_rank}" if self.status == "hold" else self.status

    def describe(self) -> str:
        """'"Title" (hold 1) at Venue, Sat 05 Dec 2026 20:00-23:00 (Europe/Berlin)'."""
        when = format_local_range(self.starts_at, self.ends_at, self.timezone)
        return f'"{self.title}" ({self.status_label}) at {self.venue_name}, {when}'


_BOOKED_COLUMNS = (
    Event.id,
    Event.title,
    Event.status,
    Event.hold_rank,
    Event.venue_id,
    Venue.name,
    Venue.timezone,
    Event.starts_at,
    Event.ends_at,
)


def _booked(row: Sequence[object]) -> Booked:
    return Booked(*row)  # type: ignore[arg-type]


def shows_on_night(session: Session, venue: Venue, night: date) -> list[Booked]:
    """The holds and confirmed shows at ``venue`` on the night of ``night`` (venue clock):
    what closing that day would leave stranded. One statement."""
    lower, upper = span_utc(night, night, venue.timezone)
    rows = session.execute(
        select(*_BOOKED_COLUMNS)
        .join(Venue, Venue.id == Event.venue_id)
        .where(
            Event.venue_id == venue.id,
            Event.status.in_(SCHEDULED),
            Event.starts_at >= lower,
            Event.starts_at < upper,
        )
        .order_by(Event.starts_at, Event.hold_rank, Event.id)
    )
    return [_booked(tuple(row)) for row in rows]


def band_overlaps(session: Session, band_id: int, event: Event) -> list[Booked]:
    """Other events, not cancelled, overlapping ``event``'s times, that the band is
    already accepted for (what accepting it for ``event`` as well would double up).
    Both confirmed is :mod:`admin_app.booking`'s refusal; this is the warning. One
    statement."""
    rows = session.execute(
        select(*_BOOKED_COLUMNS)
        .join(Venue, Venue.id == Event.venue_id)
        .join(EventApplication, EventApplication.event_id == Event.id)
        .where(
            EventApplication.band_id == band_id,
            EventApplication.status == "accepted",
            Event.id != event.id,
            Event.status != "cancelled",
            Event.starts_at < event.ends_at,
            Event.ends_at > event.starts_at,
        )
        .order_by(Event.starts_at, Event.id)
    )
    return [_booked(tuple(row)) for row in rows]


# --- Today: every conflict of the venues in sight, in a fixed number of statements --------


@dataclass(frozen=True)
class Conflict:
    """One conflict that needs someone, about one event (linked from Today)."""

    kind: str
    event: Booked
    message: str


def upcoming_shows(
    session: Session, scope: Scope, venue_id: int | None, now: datetime, until: datetime, cap: int
) -> list[Booked]:
    """Holds and confirmed shows in sight that have not ended and start before ``until``,
    by start, at most ``cap``, each with its hold expiry. One statement."""
    stmt = (
        select(*_BOOKED_COLUMNS, Event.hold_expires_at)
        .join(Venue, Venue.id == Event.venue_id)
        .where(
            Event.status.in_(SCHEDULED),
            Event.ends_at > now,
            Event.starts_at > now - LONGEST_SHOW,
            Event.starts_at < until,
        )
        .order_by(Event.starts_at, Event.id)
        .limit(cap)
    )
    if venue_id is not None:
        stmt = stmt.where(Event.venue_id == venue_id)
    return [_booked(tuple(row)) for row in session.execute(scope_statement(Event, stmt, scope))]


def is_expired(show: Booked, now: datetime) -> bool:
    """A hold past its expiry: :func:`admin_app.holds.is_expired`'s rule, for a show read
    as columns."""
    return holds.is_expired(cast(Event, show), now)


def calendar_conflicts(
    session: Session, scope: Scope, shows: Sequence[Booked], now: datetime
) -> list[Conflict]:
    """Closed-day and outside-hours conflicts of ``shows`` (two statements, whatever
    their number: the venues' hours and marks, read together)."""
    venue_ids = {show.venue_id for show in shows}
    nights = [night_of(show.starts_at, show.timezone) for show in shows]
    first, last = (min(nights), max(nights)) if nights else (now.date(), now.date())
    hours = _hours_of(session, venue_ids, scope)
    marks = _marks_of(session, venue_ids, first, last, scope)
    found = []
    for show, night in zip(shows, nights, strict=True):
        rules = _rules(show.venue_id, night, show.timezone, hours, marks)
        for kind, reason in day_conflicts(rules, show.starts_at, show.ends_at):
            found.append(Conflict(kind, show, reason))
    return found


def expired_holds(shows: Sequence[Booked], now: datetime) -> list[Conflict]:
    """Holds of ``shows`` past their expiry (no statement: the expiry came with them)."""
    return [
        Conflict(
            EXPIRED_HOLD, show, f"The hold expired on {_local_text(show.hold_expires_at, show)}."
        )
        for show in shows
        if show.hold_expires_at is not None and is_expired(show, now)
    ]


def _local_text(instant: datetime, show: Booked) -> str:
    return f"{to_local(instant, show.timezone):%a %d %b %Y %H:%M} ({show.timezone})"


def band_conflicts(
    session: Session, scope: Scope, venue_id: int | None, now: datetime, cap: int
) -> list[Conflict]:
    """Bands accepted for two overlapping events, not both confirmed, where at least one
    of the two is in sight (at ``venue_id`` when given) and has not ended. One statement;
    the other event is named only when ``scope`` may see it."""
    mine, other = aliased(Event), aliased(Event)
    mine_app, other_app = aliased(EventApplication), aliased(EventApplication)
    mine_venue, other_venue = aliased(Venue), aliased(Venue)
    stmt = (
        select(
            mine.id,
            mine.title,
            mine.status,
            mine.hold_rank,
            mine.venue_id,
            mine_venue.name,
            mine_venue.timezone,
            mine.starts_at,
            mine.ends_at,
            Band.name.label("band_name"),
            other.id.label("other_id"),
            other.title.label("other_title"),
            other.status.label("other_status"),
            other.hold_rank.label("other_rank"),
            other.venue_id.label("other_venue_id"),
            other_venue.name.label("other_venue_name"),
            other_venue.timezone.label("other_timezone"),
            other.starts_at.label("other_starts_at"),
            other.ends_at.label("other_ends_at"),
        )
        .select_from(mine_app)
        .join(mine, mine.id == mine_app.event_id)
        .join(mine_venue, mine_venue.id == mine.venue_id)
        .join(Band, Band.id == mine_app.band_id)
        .join(
            other_app,
            and_(other_app.band_id == mine_app.band_id, other_app.status == "accepted"),
        )
        .join(other, other.id == other_app.event_id)
        .join(other_venue, other_venue.id == other.venue_id)
        .where(
            mine_app.status == "accepted",
            mine.status != "cancelled",
            other.status != "cancelled",
            mine.ends_at > now,
            mine.starts_at > now - LONGEST_SHOW,
            other.id != mine.id,
            mine.starts_at < other.ends_at,
            mine.ends_at > other.starts_at,
            or_(mine.status != "confirmed", other.status != "confirmed"),
            # Each pair once: from the side in sight when only one is, else the lower id.
            _in_sight(mine, scope, venue_id),
            or_(not_(_in_sight(other, scope, venue_id)), mine.id < other.id),
        )
        .order_by(mine.starts_at, mine.id, other.id)
        .limit(cap)
    )
    found = []
    for row in session.execute(stmt):
        show = _booked(tuple(row)[:9])
        other_show = Booked(
            row.other_id,
            row.other_title,
            row.other_status,
            row.other_rank,
            row.other_venue_id,
            row.other_venue_name,
            row.other_timezone,
            row.other_starts_at,
            row.other_ends_at,
        )
        if scope.is_superuser or other_show.venue_id in scope.venue_ids:
            where = other_show.describe()
        else:
            where = "another venue's event at an overlapping time"
        found.append(Conflict(BAND_OVERLAP, show, f"{row.band_name} is also accepted for {where}."))
    return found


def _in_sight(entity: Any, scope: Scope, venue_id: int | None) -> ColumnElement[bool]:
    """Is ``entity`` (an alias of Event) at the picked venue, or else one ``scope`` sees?"""
    if venue_id is not None:
        return entity.venue_id == venue_id  # type: ignore[no-any-return]
    if scope.is_superuser:
        return true()
    return entity.venue_id.in_(scope_statement(Venue, select(Venue.id), scope))  # type: ignore[no-any-return]
