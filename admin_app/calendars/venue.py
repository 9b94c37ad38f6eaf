"""A venue's month: hours, open/closed marks and the shows of each night, on its own clock.

Five SQL statements whatever the month holds (the venue, its weekly hours, its day marks,
the events, their applications); each goes through :func:`admin_app.scoping.scope_statement`
so a page never shows a row its user may not see.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.booking import NotFound
from admin_app.calendars.grid import Month, grid_span, month_grid, span_utc, today_in
from admin_app.localtime import night_of, to_local
from admin_app.scoping import Scope, scope_statement
from models import Band, Event, EventApplication, Venue, VenueAvailability, VenueOperatingHours

# CSS class per event status: the page colours tiles by it (holds and drafts pale,
# confirmed solid, cancelled struck through).
STATUS_CLASSES = {
    "draft": "event-draft",
    "hold": "event-hold",
    "confirmed": "event-confirmed",
    "cancelled": "event-cancelled",
}


def status_word(status: str, hold_rank: int | None, *, expired: bool = False) -> str:
    """What a tile says: "hold 1", "hold 2", "hold 2, expired", or the status itself."""
    if status == "hold" and hold_rank is not None:
        return f"hold {hold_rank}" + (", expired" if expired else "")
    return status


def time_label(local_start: datetime, local_end: datetime) -> str:
    """``"22:00-02:00 (+1 day)"``: wall-clock times, saying when the end is on a later day."""
    label = f"{local_start:%H:%M}-{local_end:%H:%M}"
    days_later = (local_end.date() - local_start.date()).days
    if days_later == 1:
        return f"{label} (+1 day)"
    if days_later > 1:
        return f"{label} (+{days_later} days)"
    return label


@dataclass(frozen=True)
class OpeningHours:
    """A venue's usual hours on one weekday; closing at or before opening is past midnight."""

    opens_at: time
    closes_at: time

    @property
    def past_midnight(self) -> bool:
        """True when the venue closes on the next calendar day."""
        return self.closes_at <= self.opens_at

    @property
    def label(self) -> str:
        """``"20:00-02:00"``."""
        return f"{self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


@dataclass(frozen=True)
class NightEvent:
    """One show as a calendar tile, with its times on the venue's clock."""

    id: int
    title: str
    status: str
    hold_rank: int | None
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime
    bands: tuple[str, ...]
    pending_applications: int
    # A hold past its expiry, not yet released (python -m admin_app release-expired-holds).
    expired: bool = False

    @property
    def status_label(self) -> str:
        """The word on the tile: "hold 1", "hold 2, expired", "confirmed"..."""
        return status_word(self.status, self.hold_rank, expired=self.expired)

    @property
    def css_class(self) -> str:
        """The colour class of the tile."""
        css = STATUS_CLASSES.get(self.status, "event-other")
        return f"{css} event-expired" if self.expired else css

    @property
    def time_label(self) -> str:
        """Local start-end, e.g. ``"22:00-02:00 (+1 day)"``."""
        return time_label(self.local_start, self.local_end)


@dataclass(frozen=True)
class VenueDay:
    """One cell of a venue's month: the date's hours, the venue's mark and its shows."""

    date: date
    in_month: bool
    is_today: bool
    hours: OpeningHours | None
    mark: str | None
    note: str | None
    events: tuple[NightEvent, ...]

    @property
    def has_confirmed_event(self) -> bool:
        """True when a confirmed show is on this night."""
        return any(event.status == "confirmed" for event in self.events)

    @property
    def next_hold_rank(self) -> int:
        """The rank a new hold on this night gets: one after the lowest-placed hold."""
        ranks = [e.hold_rank for e in self.events if e.status == "hold" and e.hold_rank]
        return max(ranks, default=0) + 1


@dataclass(frozen=True)
class VenueMonth:
    """A venue's month page: week rows (Monday first) of :class:`VenueDay`."""

    venue_id: int
    venue_name: str
    timezone: str
    month: Month
    today: date
    weeks: tuple[tuple[VenueDay, ...], ...]

    def days(self) -> Iterator[VenueDay]:
        """Every cell, adjacent months' days included, in date order."""
        for week in self.weeks:
            yield from week

    def day(self, day: date) -> VenueDay:
        """The cell of ``day`` (KeyError when the page does not show it)."""
        for cell in self.days():
            if cell.date == day:
                return cell
        raise KeyError(day)


def _load_venue(session: Session, scope: Scope, venue_id: int) -> Venue:
    venue = session.scalar(scope_statement(Venue, select(Venue).where(Venue.id == venue_id), scope))
    if venue is None:
        raise NotFound(f"Venue {venue_id} was not found.")
    return venue


def _events(
    session: Session, scope: Scope, venue: Venue, first: date, last: date, now: datetime
) -> list[NightEvent]:
    """The venue's shows starting on the nights first..last (two statements)."""
    lower, upper = span_utc(first, last, venue.timezone)
    # The bounds are the exact local midnights, so "starts in range" is "belongs to one
    # of these nights"; no margin is needed, and none would be right across DST.
    in_range = (
        Event.venue_id == venue.id,
        Event.starts_at >= lower,
        Event.starts_at < upper,
    )
    rows = session.execute(
        scope_statement(
            Event,
            select(
                Event.id,
                Event.title,
                Event.status,
                Event.hold_rank,
                Event.starts_at,
                Event.ends_at,
                Event.hold_expires_at,
            )
            .where(*in_range)
            .order_by(Event.starts_at, Event.id),
            scope,
        )
    ).all()
    applications = session.execute(
        scope_statement(
            EventApplication,
            select(EventApplication.event_id, EventApplication.status, Band.name)
            .join(Band, Band.id == EventApplication.band_id)
            .where(
                EventApplication.event_id.in_(select(Event.id).where(*in_range)),
                EventApplication.status.in_(("accepted", "pending")),
            )
            .order_by(Band.name),
            scope,
        )
    ).all()
    accepted: dict[int, list[str]] = defaultdict(list)
    pending: Counter[int] = Counter()
    for event_id, status, band_name in applications:
        if status == "accepted":
            accepted[event_id].append(band_name)
        else:
            pending[event_id] += 1
    return [
        NightEvent(
            id=row.id,
            title=row.title,
            status=row.status,
            hold_rank=row.hold_rank,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            local_start=to_local(row.starts_at, venue.timezone),
            local_end=to_local(row.ends_at, venue.timezone),
            bands=tuple(accepted[row.id]),
            pending_applications=pending[row.id],
            expired=row.status == "hold"
            and row.hold_expires_at is not None
            and row.hold_expires_at <= now,
        )
        for row in rows
    ]


def venue_month(
    session: Session, scope: Scope, venue_id: int, month: Month, *, now: datetime | None = None
) -> VenueMonth:
    """The month page of a venue ``scope`` may see; raises NotFound otherwise.

    Every cell the grid shows is filled, adjacent months' days included. A show belongs
    to the local date its start falls on, so a 22:00-02:00 show stays on its first night.
    """
    venue = _load_venue(session, scope, venue_id)
    first, last = grid_span(month)
    hours_rows = session.execute(
        scope_statement(
            VenueOperatingHours,
            select(
                VenueOperatingHours.weekday,
                VenueOperatingHours.opens_at,
                VenueOperatingHours.closes_at,
            ).where(VenueOperatingHours.venue_id == venue.id),
            scope,
        )
    ).all()
    hours = {row.weekday: OpeningHours(row.opens_at, row.closes_at) for row in hours_rows}
    marks = {
        row.date: (row.status, row.note)
        for row in session.execute(
            scope_statement(
                VenueAvailability,
                select(
                    VenueAvailability.date, VenueAvailability.status, VenueAvailability.note
                ).where(
                    VenueAvailability.venue_id == venue.id,
                    VenueAvailability.date >= first,
                    VenueAvailability.date <= last,
                ),
                scope,
            )
        )
    }
    by_night: dict[date, list[NightEvent]] = defaultdict(list)
    for event in _events(session, scope, venue, first, last, now or datetime.now(UTC)):
        by_night[night_of(event.starts_at, venue.timezone)].append(event)
    today = today_in(venue.timezone, now)
    weeks = tuple(
        tuple(
            VenueDay(
                date=day,
                in_month=day in month,
                is_today=day == today,
                hours=hours.get(day.weekday()),
                mark=marks.get(day, (None, None))[0],
                note=marks.get(day, (None, None))[1],
                events=tuple(by_night[day]),
            )
            for day in week
        )
        for week in month_grid(month.year, month.month)
    )
    return VenueMonth(
        venue_id=venue.id,
        venue_name=venue.name,
        timezone=venue.timezone,
        month=month,
        today=today,
        weeks=weeks,
    )
