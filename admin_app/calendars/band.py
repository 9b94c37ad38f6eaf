"""A band's month: its own marks, its members' conflicts, and its gigs on each venue's clock.

Four SQL statements whatever the month holds (the band, its day marks, its members' marks,
its applications with their events and venues).

Privacy: a staff user sees the details (title, venue, time) of gigs and applications at
the venues they work for. A confirmed gig elsewhere still makes the band busy that day,
so it is counted in :attr:`BandDay.booked_elsewhere`, without saying where or what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.booking import NotFound
from admin_app.calendars.grid import Month, grid_span, month_grid
from admin_app.calendars.venue import time_label
from admin_app.localtime import night_of, to_local
from admin_app.scoping import Scope, scope_statement, visible_clause
from models import (
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Event,
    EventApplication,
    User,
    Venue,
)

# Every UTC offset in use lies within -12:00..+14:00; widening the UTC query by these
# margins catches every show whose local night (in its own venue's zone) is on the page.
_EARLIEST_OFFSET, _LATEST_OFFSET = timedelta(hours=-12), timedelta(hours=14)


def effective_status(band_status: str | None, member_statuses: Iterable[str]) -> str | None:
    """The band's answer for a day, members included.

    Unavailable when the band says so or any member is; otherwise tentative when the band
    or any member is; otherwise what the band said ("available" or no mark: None).
    """
    statuses = {band_status, *member_statuses}
    if "unavailable" in statuses:
        return "unavailable"
    if "tentative" in statuses:
        return "tentative"
    return band_status


@dataclass(frozen=True)
class MemberMark:
    """One member's unavailable or tentative mark on a day."""

    name: str
    status: str
    note: str | None


@dataclass(frozen=True)
class Gig:
    """A show the band is accepted for or has applied to, on its venue's clock."""

    event_id: int
    title: str
    event_status: str
    application_status: str
    venue_id: int
    venue_name: str
    timezone: str
    starts_at: datetime
    ends_at: datetime

    @property
    def local_start(self) -> datetime:
        """The start on the venue's wall clock."""
        return to_local(self.starts_at, self.timezone)

    @property
    def local_end(self) -> datetime:
        """The end on the venue's wall clock."""
        return to_local(self.ends_at, self.timezone)

    @property
    def time_label(self) -> str:
        """``"22:00-02:00 (+1 day) Europe/Berlin"``: times are labelled with their zone."""
        return f"{time_label(self.local_start, self.local_end)} {self.timezone}"


@dataclass(frozen=True)
class BandDay:
    """One cell of a band's month."""

    date: date
    in_month: bool
    band_status: str | None
    band_note: str | None
    members: tuple[MemberMark, ...]
    gigs: tuple[Gig, ...]
    pending: tuple[Gig, ...]
    booked_elsewhere: int = 0
    # Holds and drafts the band is accepted for, and applications the page does not show
    # (at venues the user cannot see): counted, never described.
    other_engagements: int = 0
    status: str | None = field(init=False)

    def __post_init__(self) -> None:
        member_statuses = (mark.status for mark in self.members)
        object.__setattr__(self, "status", effective_status(self.band_status, member_statuses))

    @property
    def unavailable_members(self) -> tuple[MemberMark, ...]:
        """Members who cannot play this day."""
        return tuple(mark for mark in self.members if mark.status == "unavailable")

    @property
    def tentative_members(self) -> tuple[MemberMark, ...]:
        """Members who might not be able to play this day."""
        return tuple(mark for mark in self.members if mark.status == "tentative")

    @property
    def is_booked(self) -> bool:
        """True when the band plays a confirmed show this day, anywhere."""
        return bool(self.gigs) or self.booked_elsewhere > 0

    @property
    def is_spoken_for(self) -> bool:
        """True when the band has any show this night, anywhere: a confirmed gig, a hold
        or draft it is accepted for, or a pending application."""
        return self.is_booked or bool(self.pending) or self.other_engagements > 0


@dataclass(frozen=True)
class BandMonth:
    """A band's month page: week rows (Monday first) of :class:`BandDay`."""

    band_id: int
    band_name: str
    month: Month
    weeks: tuple[tuple[BandDay, ...], ...]

    def days(self) -> Iterator[BandDay]:
        """Every cell, adjacent months' days included, in date order."""
        for week in self.weeks:
            yield from week

    def day(self, day: date) -> BandDay:
        """The cell of ``day`` (KeyError when the page does not show it)."""
        for cell in self.days():
            if cell.date == day:
                return cell
        raise KeyError(day)


def _marks(
    session: Session, scope: Scope, band_id: int, first: date, last: date
) -> tuple[dict[date, tuple[str, str | None]], dict[date, list[MemberMark]]]:
    """The band's own marks and its members' conflicts, by date (two statements)."""
    band_marks = {
        row.date: (row.status, row.note)
        for row in session.execute(
            scope_statement(
                BandAvailability,
                select(BandAvailability.date, BandAvailability.status, BandAvailability.note).where(
                    BandAvailability.band_id == band_id,
                    BandAvailability.date >= first,
                    BandAvailability.date <= last,
                ),
                scope,
            )
        )
    }
    member_rows = session.execute(
        scope_statement(
            BandMemberAvailability,
            select(
                BandMemberAvailability.date,
                BandMemberAvailability.status,
                BandMemberAvailability.note,
                User.full_name,
            )
            .join(BandMember, BandMember.id == BandMemberAvailability.band_member_id)
            .join(User, User.id == BandMember.user_id)
            .where(
                BandMember.band_id == band_id,
                BandMemberAvailability.date >= first,
                BandMemberAvailability.date <= last,
                # "available" from a member adds nothing to the band's answer.
                BandMemberAvailability.status.in_(("unavailable", "tentative")),
            )
            .order_by(User.full_name),
            scope,
        )
    )
    members: dict[date, list[MemberMark]] = defaultdict(list)
    for row in member_rows:
        members[row.date].append(MemberMark(row.full_name, row.status, row.note))
    return band_marks, members


def _gigs(
    session: Session, scope: Scope, band_id: int, first: date, last: date
) -> tuple[dict[date, list[Gig]], dict[date, list[Gig]], dict[date, int], dict[date, int]]:
    """Gigs, pending applications, hidden gigs and other engagements by local night (one
    statement).

    Not filtered by scope in SQL: a gig at a venue the user cannot see still makes the
    band busy. The scoping rule decides, per row, whether its details may be shown.
    """
    lower = datetime.combine(first, time.min, UTC) - _LATEST_OFFSET
    upper = datetime.combine(last + timedelta(days=1), time.min, UTC) - _EARLIEST_OFFSET
    rows = session.execute(
        select(
            EventApplication.status.label("application_status"),
            Event.id,
            Event.title,
            Event.status,
            Event.starts_at,
            Event.ends_at,
            Venue.id.label("venue_id"),
            Venue.name,
            Venue.timezone,
            visible_clause(Event, scope).label("visible"),
        )
        .join(Event, Event.id == EventApplication.event_id)
        .join(Venue, Venue.id == Event.venue_id)
        .where(
            EventApplication.band_id == band_id,
            EventApplication.status.in_(("accepted", "pending")),
            Event.status.in_(("draft", "hold", "confirmed")),
            Event.starts_at >= lower,
            Event.starts_at < upper,
        )
        .order_by(Event.starts_at, Event.id)
    ).all()
    gigs: dict[date, list[Gig]] = defaultdict(list)
    pending: dict[date, list[Gig]] = defaultdict(list)
    hidden: dict[date, int] = defaultdict(int)
    others: dict[date, int] = defaultdict(int)
    for row in rows:
        # The night of a show is its local date at its own venue.
        night = night_of(row.starts_at, row.timezone)
        is_gig = row.application_status == "accepted" and row.status == "confirmed"
        if not row.visible:
            if is_gig:
                hidden[night] += 1
            else:
                others[night] += 1
            continue
        gig = Gig(
            event_id=row.id,
            title=row.title,
            event_status=row.status,
            application_status=row.application_status,
            venue_id=row.venue_id,
            venue_name=row.name,
            timezone=row.timezone,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )
        if is_gig:
            gigs[night].append(gig)
        elif row.application_status == "pending":
            pending[night].append(gig)
        else:
            others[night] += 1  # accepted for a hold or a draft
    return gigs, pending, hidden, others


def band_month(session: Session, scope: Scope, band_id: int, month: Month) -> BandMonth:
    """The month page of a band ``scope`` may see; raises NotFound otherwise."""
    band = session.scalar(scope_statement(Band, select(Band).where(Band.id == band_id), scope))
    if band is None:
        raise NotFound(f"Band {band_id} was not found.")
    first, last = grid_span(month)
    band_marks, members = _marks(session, scope, band.id, first, last)
    gigs, pending, hidden, others = _gigs(session, scope, band.id, first, last)
    weeks = tuple(
        tuple(
            BandDay(
                date=day,
                in_month=day in month,
                band_status=band_marks.get(day, (None, None))[0],
                band_note=band_marks.get(day, (None, None))[1],
                members=tuple(members[day]),
                gigs=tuple(gigs[day]),
                pending=tuple(pending[day]),
                booked_elsewhere=hidden[day],
                other_engagements=others[day],
            )
            for day in week
        )
        for week in month_grid(month.year, month.month)
    )
    return BandMonth(band_id=band.id, band_name=band.name, month=month, weeks=weeks)
