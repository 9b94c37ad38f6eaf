"""What the Today page shows: the decisions waiting, the coming nights, the conflicts.

Plain functions over a session and a :class:`~admin_app.scoping.Scope` (no HTTP), in a
fixed number of statements whatever the rows: the venue picker, the pending
applications, the shows in sight (one statement feeds the nights and the calendar
conflicts), their venues' hours and marks, the bands of the coming nights, and the band
conflicts. Every statement is narrowed by :mod:`admin_app.scoping`; the conflict rules
are :mod:`admin_app.conflicts`'.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_app import conflicts
from admin_app.calendars.grid import Month, today_in
from admin_app.calendars.venue import time_label
from admin_app.localtime import format_local_range, night_of, to_local
from admin_app.pages._calendar_data import PageError, VenuePicker, parse_id, visible_venues
from admin_app.scoping import Scope, scope_statement
from models import Band, Event, EventApplication, Venue

NIGHTS = 14
# Conflicts are looked for in the shows of the coming weeks, at most SHOWS_CAP of them
# (a superuser over thousands of venues picks one to see the rest).
HORIZON = timedelta(days=60)
SHOWS_CAP = 1000
PENDING_SHOWN = 50
CONFLICTS_SHOWN = 100
# The menu's count stops here ("99+ to decide"): it never counts a big table through.
COUNT_CAP = 99
# Venues whose coming nights are shown even when nothing is booked (a picked one, or a
# user's own few); beyond that only venues with shows, at most AGENDA_VENUES.
FEW_VENUES = 5
AGENDA_VENUES = 20


def count_to_decide(session: Session, scope: Scope, *, now: datetime | None = None) -> int:
    """Applications waiting for ``scope``'s decision (events not over, not cancelled),
    counted up to ``COUNT_CAP + 1``: one COUNT over at most that many rows."""
    now = now or datetime.now(UTC)
    pending = (
        scope_statement(
            EventApplication,
            select(EventApplication.id)
            .join(Event, Event.id == EventApplication.event_id)
            .where(
                EventApplication.status == "pending",
                Event.status != "cancelled",
                Event.ends_at > now,
                Event.starts_at > now - conflicts.LONGEST_SHOW,
            ),
            scope,
        )
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(pending)) or 0)


def count_label(count: int | None) -> str | None:
    """ "3 to decide", "99+ to decide"; None for nothing to decide."""
    if not count:
        return None
    return f"{COUNT_CAP}+ to decide" if count > COUNT_CAP else f"{count} to decide"


def age_text(delta: timedelta) -> str:
    """How long something has waited, in words: "just now", "5 minutes", "3 days"."""
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = seconds // size
            return f"{amount} {unit}{'s' if amount != 1 else ''}"
    return "just now"


@dataclass(frozen=True)
class Pending:
    """One application waiting for a decision, as Today lists it."""

    id: int
    version: int
    band: str
    event_id: int
    event: str
    venue: str
    when: str
    age: str


@dataclass(frozen=True)
class AgendaShow:
    """One hold or confirmed show on a coming night."""

    event_id: int
    title: str
    status_label: str
    time_label: str
    expired: bool
    bands: tuple[str, ...]


@dataclass(frozen=True)
class Night:
    """One coming night at one venue, with its link to the calendar day."""

    date: date
    month: str
    shows: tuple[AgendaShow, ...]


@dataclass(frozen=True)
class VenueNights:
    """A venue's coming nights, on its own clock."""

    venue_id: int
    venue_name: str
    timezone: str
    nights: tuple[Night, ...]


@dataclass(frozen=True)
class TodayPage:
    """Everything the Today page shows."""

    picker: VenuePicker
    venue_id: int | None
    pending: list[Pending]
    more_pending: bool
    agenda: list[VenueNights]
    conflicts: list[conflicts.Conflict]
    shows_capped: bool
    kinds: dict[str, str] = field(
        default_factory=lambda: {
            conflicts.CLOSED_DAY: "closed day",
            conflicts.OUTSIDE_HOURS: "outside hours",
            conflicts.BAND_OVERLAP: "band booked twice",
            conflicts.EXPIRED_HOLD: "hold expired",
        }
    )


def _pending(
    session: Session, scope: Scope, venue_id: int | None, now: datetime
) -> tuple[list[Pending], bool]:
    stmt = (
        select(
            EventApplication.id,
            EventApplication.version,
            EventApplication.created_at,
            Band.name.label("band"),
            Event.id.label("event_id"),
            Event.title,
            Event.starts_at,
            Event.ends_at,
            Venue.name.label("venue"),
            Venue.timezone,
        )
        .join(Event, Event.id == EventApplication.event_id)
        .join(Venue, Venue.id == Event.venue_id)
        .join(Band, Band.id == EventApplication.band_id)
        .where(
            EventApplication.status == "pending",
            Event.status != "cancelled",
            Event.ends_at > now,
            Event.starts_at > now - conflicts.LONGEST_SHOW,
        )
        .order_by(Event.starts_at, EventApplication.id)
        .limit(PENDING_SHOWN + 1)
    )
    if venue_id is not None:
        stmt = stmt.where(Event.venue_id == venue_id)
    rows = session.execute(scope_statement(EventApplication, stmt, scope)).all()
    pending = [
        Pending(
            id=row.id,
            version=row.version,
            band=row.band,
            event_id=row.event_id,
            event=row.title,
            venue=row.venue,
            when=format_local_range(row.starts_at, row.ends_at, row.timezone),
            age=age_text(now - row.created_at),
        )
        for row in rows[:PENDING_SHOWN]
    ]
    return pending, len(rows) > PENDING_SHOWN


def _agenda_bands(session: Session, scope: Scope, event_ids: list[int]) -> dict[int, list[str]]:
    """Band names per event: accepted ones, then pending ones marked "(pending)"."""
    rows = session.execute(
        scope_statement(
            EventApplication,
            select(EventApplication.event_id, EventApplication.status, Band.name)
            .join(Band, Band.id == EventApplication.band_id)
            .where(
                EventApplication.event_id.in_(event_ids),
                EventApplication.status.in_(("accepted", "pending")),
            )
            .order_by(EventApplication.status, Band.name),
            scope,
        )
    )
    bands: dict[int, list[str]] = defaultdict(list)
    for event_id, status, name in rows:
        bands[event_id].append(name if status == "accepted" else f"{name} (pending)")
    return bands


def _agenda(
    session: Session,
    scope: Scope,
    picker: VenuePicker,
    venue_id: int | None,
    shows: list[conflicts.Booked],
    now: datetime,
) -> list[VenueNights]:
    coming: dict[int, list[tuple[date, conflicts.Booked, bool]]] = defaultdict(list)
    zones: dict[int, tuple[str, str]] = {}
    for show in shows:
        first = today_in(show.timezone, now)
        night = night_of(show.starts_at, show.timezone)
        if first <= night < first + timedelta(days=NIGHTS):
            expired = conflicts.is_expired(show, now)
            coming[show.venue_id].append((night, show, expired))
            zones[show.venue_id] = (show.venue_name, show.timezone)
    # Always shown: the picked venue, or a user's own few venues, booked or not.
    always = [v for v in picker.options if venue_id is None or v.id == venue_id]
    if venue_id is None and (picker.more or len(always) > FEW_VENUES):
        always = []
    for choice in always:
        zones.setdefault(choice.id, (choice.name, choice.timezone or "UTC"))
    shown = [choice.id for choice in always]
    order = shown + [v for v in coming if v not in shown]
    order = order[: max(AGENDA_VENUES, len(shown))]
    bands = _agenda_bands(
        session, scope, [show.event_id for v in order for _n, show, _e in coming[v]]
    )
    agenda = []
    for venue in order:
        name, zone_name = zones[venue]
        first = today_in(zone_name, now)
        by_night: dict[date, list[AgendaShow]] = defaultdict(list)
        for night, show, expired in coming[venue]:
            by_night[night].append(
                AgendaShow(
                    event_id=show.event_id,
                    title=show.title,
                    status_label=show.status_label,
                    time_label=time_label(
                        to_local(show.starts_at, zone_name), to_local(show.ends_at, zone_name)
                    ),
                    expired=expired,
                    bands=tuple(bands.get(show.event_id, ())),
                )
            )
        nights = tuple(
            Night(day, str(Month.of(day)), tuple(by_night[day]))
            for day in (first + timedelta(days=n) for n in range(NIGHTS))
        )
        agenda.append(VenueNights(venue, name, zone_name, nights))
    return agenda


def today_page(
    session: Session,
    scope: Scope,
    venue_text: str | None,
    venue_query: str | None = None,
    *,
    now: datetime | None = None,
) -> TodayPage:
    """Today for ``scope``, narrowed to the venue ``venue_text`` names when given (a
    venue they may not see is a 404, as on the calendar); ``venue_query`` searches the
    venues the picker leaves out."""
    now = now or datetime.now(UTC)
    venue_id = parse_id(venue_text, "venue") if venue_text else None
    picker = visible_venues(session, scope, venue_id, venue_query)
    if venue_id is not None and picker.current is None:
        raise PageError(404, f"Venue {venue_id} was not found.")
    pending, more = _pending(session, scope, venue_id, now)
    shows = conflicts.upcoming_shows(session, scope, venue_id, now, now + HORIZON, SHOWS_CAP)
    found = [
        *conflicts.calendar_conflicts(session, scope, shows, now),
        *conflicts.expired_holds(shows, now),
        *conflicts.band_conflicts(session, scope, venue_id, now, CONFLICTS_SHOWN),
    ]
    found.sort(key=lambda conflict: (conflict.event.starts_at, conflict.event.event_id))
    return TodayPage(
        picker=picker,
        venue_id=venue_id,
        pending=pending,
        more_pending=more,
        agenda=_agenda(session, scope, picker, venue_id, shows, now),
        conflicts=found[:CONFLICTS_SHOWN],
        shows_capped=len(shows) >= SHOWS_CAP,
    )
