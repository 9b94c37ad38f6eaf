"""Dates a band and a venue are both free, best first, and placing a hold on one of them.

A date matches when, on the venue's clock, the venue is open (usual hours that weekday,
not marked closed, no confirmed show that night) and the band is free (not unavailable,
members included, and nothing that night anywhere: no gig, no hold or draft it is
accepted for, no pending application, each on its own venue's date). Past dates never
match. Other bands' holds do not block a date: holds stack, and a new one takes the next
rank.

A hold covers the venue's usual hours that night, exactly as the page offers them; on the
night the clocks go forward, an opening or closing time they skip counts as the moment
they change (:data:`admin_app.localtime.SKIPPED_HOUR_RULE`), so every offered night can
be held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from admin_app.audit import Actor, record_change
from admin_app.booking import NotFound, lock_venue
from admin_app.calendars.band import BandDay, BandMonth, band_month
from admin_app.calendars.grid import Month
from admin_app.calendars.venue import OpeningHours, VenueDay, VenueMonth, venue_month
from admin_app.ladder import next_free_rank
from admin_app.localtime import SKIPPED_HOUR_RULE, to_local, to_utc_past_gap
from admin_app.scoping import Scope, can
from models import Event, EventApplication

# Friday and Saturday nights sell best, so they are offered first within a tier.
WEEKEND_NIGHTS = frozenset({4, 5})
# Tiers, best first: both sides said yes; one side did; nobody marked the day; a "maybe".
TIER_LABELS = (
    "Band available and venue open",
    "Marked free by one side",
    "No marks",
    "Tentative",
)
# Spelled out here: inside Match, "date" names the field, not the type.
SortKey = tuple[int, bool, date]
# Under the list of dates: what a hold covers, and the rule for a clock-change night.
HOLD_TIMES_NOTE = f"A hold covers the venue's usual hours that night. {SKIPPED_HOUR_RULE}"


class HoldRefused(ValueError):
    """The date is not (or no longer) a match; ``str(error)`` says why in plain words."""


@dataclass(frozen=True)
class Match:
    """One date both can do, with what the ranking was based on."""

    date: date
    hours: OpeningHours
    tier: int
    next_hold_rank: int
    # The hold's times (UTC): the usual hours, unless the clocks skip one of them.
    starts_at: datetime
    ends_at: datetime
    # Said beside the usual hours when the clocks change them that night, else None.
    clock_note: str | None = None

    @property
    def weekend(self) -> bool:
        """True for a Friday or Saturday night."""
        return self.date.weekday() in WEEKEND_NIGHTS

    @property
    def reason(self) -> str:
        """Why it ranks where it does, for the page."""
        return TIER_LABELS[self.tier]

    def sort_key(self) -> SortKey:
        """Best first: tier, then Friday/Saturday nights, then the earlier date."""
        return (self.tier, not self.weekend, self.date)


@dataclass(frozen=True)
class MatchList:
    """The matching dates of one venue and band in one month, best first."""

    venue_id: int
    venue_name: str
    timezone: str
    band_id: int
    band_name: str
    month: Month
    matches: tuple[Match, ...]

    def get(self, day: date) -> Match | None:
        """The match on ``day``, if it is one."""
        return next((match for match in self.matches if match.date == day), None)

    @property
    def hold_times_note(self) -> str:
        """What a hold covers, for the page."""
        return HOLD_TIMES_NOTE


def _hold_times(day: date, hours: OpeningHours, zone_name: str) -> tuple[datetime, datetime] | None:
    """The night's usual hours as UTC instants, or None if the clocks skip all of them.

    Closing past midnight is the next day. A time the clocks skip counts as the moment
    they change (SKIPPED_HOUR_RULE), so hours inside the skipped hour come to nothing.
    """
    closing_day = day + timedelta(days=1) if hours.past_midnight else day
    starts_at = to_utc_past_gap(datetime.combine(day, hours.opens_at), zone_name)
    ends_at = to_utc_past_gap(datetime.combine(closing_day, hours.closes_at), zone_name)
    return (starts_at, ends_at) if ends_at > starts_at else None


def _clock_note(
    hours: OpeningHours, times: tuple[datetime, datetime], zone_name: str
) -> str | None:
    start, end = (to_local(instant, zone_name) for instant in times)
    if (start.time(), end.time()) == (hours.opens_at, hours.closes_at):
        return None
    return f"The clocks go forward that night: held {start:%H:%M}-{end:%H:%M}."


def why_not(venue_day: VenueDay, band_day: BandDay, today: date, zone_name: str) -> str | None:
    """Why this date is not a match (a plain sentence), or None when it is one."""
    if venue_day.date < today:
        return "The date has passed."
    if venue_day.mark == "closed":
        return "The venue is marked closed that day."
    if venue_day.hours is None:
        return "The venue has no opening hours on that weekday."
    if _hold_times(venue_day.date, venue_day.hours, zone_name) is None:
        return "The venue's usual hours fall in the hour the clocks skip that night."
    if venue_day.has_confirmed_event:
        return "The venue already has a confirmed show that night."
    if band_day.status == "unavailable":
        return "The band (or one of its members) is unavailable that day."
    if band_day.is_booked:
        return "The band already plays a confirmed show that day."
    if band_day.is_spoken_for:
        # A second hold for the same band on one night helps nobody.
        return "The band already has a hold or a pending application that night."
    return None


def _tier(venue_day: VenueDay, band_day: BandDay) -> int:
    if band_day.status == "tentative" or venue_day.mark == "hold":
        return 3
    said_yes = (band_day.status == "available") + (venue_day.mark == "open")
    return 2 - said_yes


def _match(venue_day: VenueDay, band_day: BandDay, today: date, zone_name: str) -> Match | None:
    if why_not(venue_day, band_day, today, zone_name) is not None:
        return None
    # (Both re-checked only so the type checker knows they are set below.)
    hours = venue_day.hours
    if hours is None or (times := _hold_times(venue_day.date, hours, zone_name)) is None:
        return None
    return Match(
        date=venue_day.date,
        hours=hours,
        tier=_tier(venue_day, band_day),
        next_hold_rank=venue_day.next_hold_rank,
        starts_at=times[0],
        ends_at=times[1],
        clock_note=_clock_note(hours, times, zone_name),
    )


def _months(
    session: Session,
    scope: Scope,
    venue_id: int,
    band_id: int,
    month: Month,
    now: datetime | None,
) -> tuple[VenueMonth, BandMonth]:
    return (
        venue_month(session, scope, venue_id, month, now=now),
        band_month(session, scope, band_id, month),
    )


def find_matches(
    session: Session,
    scope: Scope,
    venue_id: int,
    band_id: int,
    month: Month,
    *,
    now: datetime | None = None,
) -> MatchList:
    """The dates of ``month`` the venue and the band can both do, best first.

    Raises NotFound for a venue or band ``scope`` may not see.
    """
    venue, band = _months(session, scope, venue_id, band_id, month, now)
    found = [
        match
        for venue_day, band_day in zip(venue.days(), band.days(), strict=True)
        if venue_day.in_month
        and (match := _match(venue_day, band_day, venue.today, venue.timezone))
    ]
    return MatchList(
        venue_id=venue.venue_id,
        venue_name=venue.venue_name,
        timezone=venue.timezone,
        band_id=band.band_id,
        band_name=band.band_name,
        month=month,
        matches=tuple(sorted(found, key=Match.sort_key)),
    )


def place_hold(
    session: Session,
    actor: Scope,
    venue_id: int,
    band_id: int,
    day: date,
    *,
    title: str | None = None,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> Event:
    """Hold ``day`` at the venue for the band: a hold event at the times the match page
    offers (the usual hours, see HOLD_TIMES_NOTE; next free rank that night) and the
    band's pending application, both audited.

    Flushes, never commits. Raises :class:`HoldRefused` when the date is no longer a
    match, NotFound for a venue or band the actor may not see or book.
    """
    # Two staff picking the same night at once must not both get "hold 1".
    lock_venue(session, venue_id)
    venue, band = _months(session, actor, venue_id, band_id, Month.of(day), now)
    venue_day, band_day = venue.day(day), band.day(day)
    match = _match(venue_day, band_day, venue.today, venue.timezone)
    if match is None:
        raise HoldRefused(
            f"{day:%a %d %b %Y} is not free for {band.band_name} at {venue.venue_name}: "
            f"{why_not(venue_day, band_day, venue.today, venue.timezone)}"
        )
    event = Event(
        venue_id=venue_id,
        title=title or f"Hold: {band.band_name}",
        starts_at=match.starts_at,
        ends_at=match.ends_at,
        status="hold",
        # From the database, not the page: holds the user cannot see count too.
        hold_rank=next_free_rank(session, venue_id, venue.timezone, day),
        updated_by_id=actor.user_id,
    )
    application = EventApplication(
        event=event, band_id=band_id, status="pending", updated_by_id=actor.user_id
    )
    if not (
        can(actor, "create", Event, event) and can(actor, "create", EventApplication, application)
    ):
        raise NotFound(f"Venue {venue_id} was not found.")
    session.add_all([event, application])
    session.flush()
    for action, obj in (("hold", event), ("create", application)):
        record_change(session, Actor.of(actor, remote_addr), action, obj, {})
    session.flush()
    return event
