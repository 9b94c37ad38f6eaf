"""iCalendar (RFC 5545) feeds of a venue's shows and of a band's gigs.

Calendar apps poll these URLs and update what they already hold by UID: every event keeps
``event-<id>@band-admin`` for life, and its optimistic-locking ``version`` (bumped by every
update) is the SEQUENCE, so an edit always reads as newer. Times carry the venue's TZID,
with a VTIMEZONE generated from the zone database, so a show stays at its local hour
across DST. The feeds are bounded: a year of history onward, at most :data:`FEED_LIMIT`
events. Who may read a feed is decided by its token (:mod:`admin_app.feed_tokens`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, contains_eager

from admin_app.booking import NotFound
from admin_app.calendars.venue import status_word
from admin_app.localtime import zone
from models import Band, Event, EventApplication, Venue

PRODID = "-//Band Scheduling Admin//Calendar feeds//EN"
UID_DOMAIN = "band-admin"
FEED_HISTORY = timedelta(days=366)
# Enough for years of nightly shows; keeps one request's work and response size bounded.
FEED_LIMIT = 2000
# Subscribers may poll hourly (also said as X-PUBLISHED-TTL below); Google and Apple
# decide for themselves anyway.
REFRESH_INTERVAL = timedelta(hours=1)
# RFC 5545 STATUS of a VEVENT, by event status (drafts are never published).
ICAL_STATUS = {"hold": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}


def event_uid(event_id: int) -> str:
    """The UID an event keeps in every feed, for life."""
    return f"event-{event_id}@{UID_DOMAIN}"


def _location(venue: Venue) -> str:
    return ", ".join(part for part in (venue.name, venue.address, venue.city) if part)


def _accepted_bands(session: Session, event_ids: Sequence[int]) -> dict[int, list[str]]:
    """Accepted band names per event (one statement)."""
    bands: dict[int, list[str]] = defaultdict(list)
    if not event_ids:
        return bands
    rows = session.execute(
        select(EventApplication.event_id, Band.name)
        .join(Band, Band.id == EventApplication.band_id)
        .where(EventApplication.event_id.in_(event_ids), EventApplication.status == "accepted")
        .order_by(Band.name)
    )
    for event_id, name in rows:
        bands[event_id].append(name)
    return bands


def _ical_time(instant: datetime, tz: ZoneInfo) -> datetime:
    """The instant on the venue's clock (with TZID), or in UTC when that cannot be said.

    When clocks go back a wall-clock hour happens twice, and RFC 5545 (3.3.5) reads a
    local time as its first occurrence; an instant in the second one is written in UTC.
    """
    local = instant.astimezone(tz)
    return instant.astimezone(UTC) if local.fold else local


def _vevent(event: Event, venue: Venue, bands: list[str]) -> icalendar.Event:
    tz = zone(venue.timezone)
    description = "\n\n".join(
        part for part in (event.description, f"Bands: {', '.join(bands)}" if bands else "") if part
    )
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event.id))
    # Without METHOD, DTSTAMP is when the event was last revised (RFC 5545 3.8.7.2), which
    # also keeps an unchanged feed byte-identical between polls.
    vevent.add("dtstamp", event.updated_at.astimezone(UTC))
    vevent.add("created", event.created_at.astimezone(UTC))
    vevent.add("last-modified", event.updated_at.astimezone(UTC))
    vevent.add("sequence", event.version)
    vevent.add("status", ICAL_STATUS[event.status])
    summary = event.title
    if event.status == "hold":
        summary = f"{event.title} ({status_word(event.status, event.hold_rank)})"
    vevent.add("summary", summary)
    vevent.add("dtstart", _ical_time(event.starts_at, tz))
    vevent.add("dtend", _ical_time(event.ends_at, tz))
    vevent.add("location", _location(venue))
    if description:
        vevent.add("description", description)
    return vevent


def _calendar(
    name: str,
    timezone: str | None,
    events: list[Event],
    session: Session,
    *,
    method: str | None = None,
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method is not None:
        cal.add("method", method)
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if timezone is not None:
        cal.add("x-wr-timezone", timezone)
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    # An X- property would be plain text to icalendar: hand it a typed duration.
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    bands = _accepted_bands(session, [event.id for event in events])
    for event in events:
        cal.add_component(_vevent(event, event.venue, bands[event.id]))
    # VTIMEZONEs covering whole years of the feed's shows: each zone's full DST rules
    # for those years, without the decades a default range would add to every poll.
    first = min((event.starts_at.year for event in events), default=1970)
    last = max((event.ends_at.year for event in events), default=2037)
    cal.add_missing_timezones(date(first, 1, 1), date(last + 1, 1, 1))
    return bytes(cal.to_ical())


def _bounded(stmt: Select[Event], now: datetime | None) -> Select[Event]:
    since = (now or datetime.now(UTC)) - FEED_HISTORY
    return (
        stmt.where(Event.starts_at >= since).order_by(Event.starts_at, Event.id).limit(FEED_LIMIT)
    )


def venue_feed(session: Session, venue_id: int, *, now: datetime | None = None) -> bytes:
    """The venue's calendar: every show but drafts (holds as TENTATIVE), as iCalendar bytes."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(f"Venue {venue_id} was not found.")
    events = list(
        session.scalars(
            _bounded(select(Event).where(Event.venue_id == venue.id, Event.status != "draft"), now)
        )
    )
    return _calendar(f"{venue.name} ({venue.city})", venue.timezone, events, session)


def band_feed(session: Session, band_id: int, *, now: datetime | None = None) -> bytes:
    """The band's confirmed gigs (and the cancellation of any it was booked for)."""
    band = session.get(Band, band_id)
    if band is None:
        raise NotFound(f"Band {band_id} was not found.")
    stmt = (
        select(Event)
        .join(EventApplication, EventApplication.event_id == Event.id)
        .join(Event.venue)
        .options(contains_eager(Event.venue))
        .where(
            EventApplication.band_id == band.id,
            EventApplication.status == "accepted",
            Event.status.in_(("confirmed", "cancelled")),
        )
    )
    events = list(session.scalars(_bounded(stmt, now)))
    return _calendar(f"{band.name}: gigs", None, events, session)


def event_ics(session: Session, event: Event) -> str:
    """One show as an email attachment (METHOD:PUBLISH), with the UID and SEQUENCE it has
    in the feeds, so a calendar app that imports it updates the same entry later."""
    venue = event.venue
    return _calendar(
        f"{event.title} at {venue.name}", venue.timezone, [event], session, method="PUBLISH"
    ).decode()
