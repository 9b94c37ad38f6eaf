"""The database's own guarantees (unique, check, foreign keys, no double booking) on both DBs.

Every rejection is paired with an accepted row next to it, so a test cannot pass because the
row was broken in some other way; and the error must name the constraint that was meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from models import (
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Base,
    Event,
    EventApplication,
    User,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)
from models.events import EVENT_NO_OVERLAP_CONSTRAINT

START = datetime(2027, 6, 4, 19, 0, tzinfo=UTC)


# -- helpers -----------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _accept(session: Session, *rows: Base) -> None:
    """The rows must be stored."""
    session.add_all(rows)
    session.flush()


@contextmanager
def _rejected(session: Session, postgresql: str, sqlite: str) -> Iterator[None]:
    """The block must fail with an IntegrityError whose message matches the dialect's text."""
    pattern = postgresql if _dialect(session) == "postgresql" else sqlite
    # The caller's block is what must fail, and only the flush sends it to the database.
    with pytest.raises(IntegrityError) as excinfo, session.begin_nested():  # noqa: PT012
        yield
        session.flush()
    # The refused rows are gone, but may still sit in a parent's loaded collection.
    session.expire_all()
    assert re.search(pattern, str(excinfo.value.orig)), str(excinfo.value.orig)


@contextmanager
def _check_fails(session: Session, name: str) -> Iterator[None]:
    with _rejected(session, rf'check constraint "{name}"', rf"CHECK constraint failed: {name}"):
        yield


@contextmanager
def _unique_fails(session: Session, table: str, *columns: str) -> Iterator[None]:
    postgresql = rf'unique constraint "uq_{table}_{"_".join(columns)}"'
    sqlite = "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
    with _rejected(session, postgresql, re.escape(sqlite)):
        yield


@contextmanager
def _fk_fails(session: Session, name: str) -> Iterator[None]:
    # SQLite does not say which foreign key; PostgreSQL does.
    with _rejected(session, rf'foreign key constraint "{name}"', "FOREIGN KEY constraint failed"):
        yield


def _user(email: str = "ana@example.com") -> User:
    return User(email=email, full_name=email.split("@")[0])


def _venue(name: str = "Hall", capacity: int | None = 100) -> Venue:
    return Venue(name=name, city="Berlin", timezone="Europe/Berlin", capacity=capacity)


def _event(venue: Venue, **values: Any) -> Event:
    values.setdefault("title", "Show")
    values.setdefault("starts_at", START)
    values.setdefault("ends_at", values["starts_at"] + timedelta(hours=3))
    values.setdefault("status", "draft")
    return Event(venue=venue, **values)


def _count(session: Session, model: type[Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def venue(db_session: Session) -> Venue:
    venue = _venue()
    _accept(db_session, venue)
    return venue


@pytest.fixture
def band(db_session: Session) -> Band:
    band = Band(name="The Testers")
    _accept(db_session, band)
    return band


@pytest.fixture
def user(db_session: Session) -> User:
    user = _user()
    _accept(db_session, user)
    return user


# -- users -------------------------------------------------------------------------------


def test_email_is_unique(db_session: Session, user: User) -> None:
    with _unique_fails(db_session, "users", "email"):
        db_session.add(_user(user.email))
    _accept(db_session, _user("bob@example.com"))


@pytest.mark.parametrize("email", ["Ana@example.com", "ANA@EXAMPLE.COM", "new@Example.com"])
def test_email_must_be_stored_lower_case(db_session: Session, user: User, email: str) -> None:
    # With the UNIQUE above, this makes uniqueness case-insensitive: no mixed-case twin of
    # ana@example.com can ever be stored.
    with _check_fails(db_session, "ck_users_email_lowercase"):
        db_session.add(_user(email))
    assert db_session.scalars(select(User.email)).all() == [user.email]


# -- unique pairs ------------------------------------------------------------------------


def test_user_plays_in_a_band_once(db_session: Session, band: Band, user: User) -> None:
    _accept(db_session, BandMember(band=band, user=user))
    with _unique_fails(db_session, "band_members", "band_id", "user_id"):
        db_session.add(BandMember(band=band, user=user, instrument="bass"))
    _accept(db_session, BandMember(band=Band(name="Side Project"), user=user))


def test_user_has_one_role_per_venue(db_session: Session, venue: Venue, user: User) -> None:
    _accept(db_session, VenueStaff(venue=venue, user=user, role="staff"))
    with _unique_fails(db_session, "venue_staff", "venue_id", "user_id"):
        db_session.add(VenueStaff(venue=venue, user=user, role="manager"))
    _accept(db_session, VenueStaff(venue=_venue("Other"), user=user, role="manager"))


def test_band_availability_once_per_date(db_session: Session, band: Band) -> None:
    day = date(2027, 6, 4)
    _accept(db_session, BandAvailability(band=band, date=day, status="unavailable"))
    with _unique_fails(db_session, "band_availabilities", "band_id", "date"):
        db_session.add(BandAvailability(band=band, date=day, status="available"))
    _accept(db_session, BandAvailability(band=band, date=day + timedelta(1), status="available"))


def test_member_availability_once_per_date(db_session: Session, band: Band, user: User) -> None:
    member = BandMember(band=band, user=user)
    day = date(2027, 6, 4)
    _accept(db_session, BandMemberAvailability(band_member=member, date=day, status="tentative"))
    with _unique_fails(db_session, "band_member_availabilities", "band_member_id", "date"):
        db_session.add(BandMemberAvailability(band_member=member, date=day, status="available"))
    other_day = day + timedelta(1)
    _accept(
        db_session, BandMemberAvailability(band_member=member, date=other_day, status="available")
    )


def test_venue_availability_once_per_date(db_session: Session, venue: Venue) -> None:
    day = date(2027, 6, 4)
    _accept(db_session, VenueAvailability(venue=venue, date=day, status="closed"))
    with _unique_fails(db_session, "venue_availabilities", "venue_id", "date"):
        db_session.add(VenueAvailability(venue=venue, date=day, status="open"))
    _accept(db_session, VenueAvailability(venue=_venue("Other"), date=day, status="open"))


def test_operating_hours_once_per_weekday(db_session: Session, venue: Venue) -> None:
    _accept(
        db_session,
        VenueOperatingHours(venue=venue, weekday=4, opens_at=time(19), closes_at=time(2)),
    )
    with _unique_fails(db_session, "venue_operating_hours", "venue_id", "weekday"):
        db_session.add(
            VenueOperatingHours(venue=venue, weekday=4, opens_at=time(18), closes_at=time(23))
        )
    _accept(
        db_session,
        VenueOperatingHours(venue=venue, weekday=5, opens_at=time(18), closes_at=time(23)),
    )


def test_band_applies_to_an_event_once(db_session: Session, venue: Venue, band: Band) -> None:
    event = _event(venue)
    _accept(db_session, EventApplication(event=event, band=band, status="pending"))
    with _unique_fails(db_session, "event_applications", "event_id", "band_id"):
        db_session.add(EventApplication(event=event, band=band, status="pending"))
    _accept(db_session, EventApplication(event=event, band=Band(name="Other"), status="pending"))


# -- checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column", "good", "bad"),
    [
        ("band_availabilities", "status", ["available", "unavailable", "tentative"], "maybe"),
        ("band_member_availabilities", "status", ["available", "unavailable", "tentative"], "busy"),
        ("venue_availabilities", "status", ["open", "closed", "hold"], "Open"),
        ("events", "status", ["draft", "confirmed", "cancelled"], "booked"),
        ("event_applications", "status", ["pending", "accepted", "withdrawn"], "approved"),
        ("venue_staff", "role", ["manager", "staff"], "owner"),
    ],
)
def test_status_columns_accept_only_their_vocabulary(
    db_session: Session,
    venue: Venue,
    band: Band,
    table: str,
    column: str,
    good: list[str],
    bad: str,
) -> None:
    counter = iter(range(100))

    def row(value: str) -> Base:
        n = next(counter)
        day = date(2027, 1, 1) + timedelta(days=n)
        if table == "band_availabilities":
            return BandAvailability(band=band, date=day, status=value)
        if table == "band_member_availabilities":
            member = BandMember(band=band, user=_user(f"m{n}@example.com"))
            return BandMemberAvailability(band_member=member, date=day, status=value)
        if table == "venue_availabilities":
            return VenueAvailability(venue=venue, date=day, status=value)
        if table == "events":
            return _event(venue, status=value, starts_at=START + timedelta(days=n))
        if table == "event_applications":
            # Decided rows carry decided_at, so only the status check can object.
            decided_at = None if value == "pending" else datetime.now(UTC)
            return EventApplication(
                event=_event(venue), band=band, status=value, decided_at=decided_at
            )
        return VenueStaff(venue=venue, user=_user(f"s{n}@example.com"), role=value)

    for value in good:
        _accept(db_session, row(value))
    with _check_fails(db_session, f"ck_{table}_{column}"):
        db_session.add(row(bad))


@pytest.mark.parametrize("weekday", [-1, 7, 12])
def test_weekday_is_0_to_6(db_session: Session, venue: Venue, weekday: int) -> None:
    def hours(day: int) -> VenueOperatingHours:
        return VenueOperatingHours(venue=venue, weekday=day, opens_at=time(18), closes_at=time(23))

    _accept(db_session, hours(0), hours(6))
    with _check_fails(db_session, "ck_venue_operating_hours_weekday_range"):
        db_session.add(hours(weekday))


@pytest.mark.parametrize("capacity", [0, -20])
def test_capacity_is_positive(db_session: Session, capacity: int) -> None:
    _accept(db_session, _venue("Tiny", capacity=1), _venue("Unknown", capacity=None))
    with _check_fails(db_session, "ck_venues_capacity_positive"):
        db_session.add(_venue("Broken", capacity=capacity))


@pytest.mark.parametrize("length", [timedelta(0), timedelta(hours=-1)])
def test_event_ends_after_it_starts(db_session: Session, venue: Venue, length: timedelta) -> None:
    _accept(db_session, _event(venue, ends_at=START + timedelta(minutes=1)))
    with _check_fails(db_session, "ck_events_ends_after_start"):
        db_session.add(_event(venue, ends_at=START + length))


@pytest.mark.parametrize(
    ("status", "rank"),
    [
        ("hold", None),  # NULL rank: fixed by migration 3d8b1f6c2e70
        ("hold", 0),
        ("hold", -1),
        ("confirmed", 1),
        ("draft", 2),
    ],
)
def test_only_holds_have_a_rank_of_at_least_1(
    db_session: Session, venue: Venue, status: str, rank: int | None
) -> None:
    _accept(
        db_session,
        _event(venue, status="hold", hold_rank=1),
        _event(venue, status="hold", hold_rank=2),
        _event(venue, status="confirmed", hold_rank=None),
    )
    with _check_fails(db_session, "ck_events_hold_rank"):
        db_session.add(_event(venue, status=status, hold_rank=rank))


@pytest.mark.parametrize(
    ("status", "decided"),
    [("pending", True), ("accepted", False), ("rejected", False), ("withdrawn", False)],
)
def test_decided_at_is_set_exactly_when_decided(
    db_session: Session, venue: Venue, band: Band, status: str, decided: bool
) -> None:
    now = datetime.now(UTC)
    event = _event(venue)
    _accept(
        db_session,
        EventApplication(event=event, band=band, status="pending"),
        EventApplication(event=event, band=Band(name="B"), status="accepted", decided_at=now),
        EventApplication(event=event, band=Band(name="C"), status="withdrawn", decided_at=now),
    )
    with _check_fails(db_session, "ck_event_applications_decided_at"):
        db_session.add(
            EventApplication(
                event=event,
                band=Band(name="D"),
                status=status,
                decided_at=now if decided else None,
            )
        )


# -- foreign keys ------------------------------------------------------------------------


def test_venue_with_events_cannot_be_deleted(db_session: Session, venue: Venue) -> None:
    _accept(db_session, _event(venue))
    with _fk_fails(db_session, "fk_events_venue_id_venues"):
        db_session.execute(delete(Venue).where(Venue.id == venue.id))
    assert _count(db_session, Venue) == 1
    empty = _venue("Empty")
    _accept(db_session, empty)
    with db_session.begin_nested():
        db_session.execute(delete(Venue).where(Venue.id == empty.id))
    assert _count(db_session, Venue) == 1


def test_band_with_applications_cannot_be_deleted(
    db_session: Session, venue: Venue, band: Band
) -> None:
    _accept(db_session, EventApplication(event=_event(venue), band=band, status="pending"))
    with _fk_fails(db_session, "fk_event_applications_band_id_bands"):
        db_session.execute(delete(Band).where(Band.id == band.id))
    assert db_session.scalar(select(Band.name)) == band.name


def test_deleting_a_band_removes_its_members_and_dates(
    db_session: Session, band: Band, user: User
) -> None:
    member = BandMember(band=band, user=user)
    _accept(
        db_session,
        member,
        BandAvailability(band=band, date=date(2027, 1, 1), status="unavailable"),
        BandMemberAvailability(band_member=member, date=date(2027, 1, 2), status="tentative"),
    )
    with db_session.begin_nested():
        db_session.execute(delete(Band).where(Band.id == band.id))
    db_session.expire_all()
    assert _count(db_session, BandMember) == 0
    assert _count(db_session, BandAvailability) == 0
    assert _count(db_session, BandMemberAvailability) == 0
    # The person stays: leaving a band does not delete the user.
    assert db_session.scalars(select(User.email)).all() == [user.email]


def test_rows_must_point_at_existing_parents(db_session: Session) -> None:
    with _fk_fails(db_session, "fk_band_members_band_id_bands"):
        db_session.add(BandMember(band_id=999_999, user_id=999_998))


# -- no double booking (PostgreSQL exclusion constraint, SQLite triggers) -----------------
#
# Written as a script would write them: plain ORM or Core statements, none of the booking
# rules' locks or checks. The database alone must refuse the overlap, on both databases.


def _confirmed(venue: Venue, starts: datetime, hours: float = 3, **values: Any) -> Event:
    values.setdefault("status", "confirmed")
    return _event(venue, starts_at=starts, ends_at=starts + timedelta(hours=hours), **values)


@contextmanager
def _double_booking_refused(session: Session) -> Iterator[None]:
    # SQLite's triggers name the constraint they stand in for, as SQLite names its own.
    name = EVENT_NO_OVERLAP_CONSTRAINT
    with _rejected(
        session, rf'exclusion constraint "{name}"', rf"EXCLUDE constraint failed: {name}$"
    ):
        yield


def _status(session: Session, event: Event) -> str | None:
    return session.scalar(select(Event.status).where(Event.id == event.id))


def test_overlapping_confirmed_events_at_one_venue_are_refused(
    db_session: Session, venue: Venue
) -> None:
    _accept(db_session, _confirmed(venue, START))
    with _double_booking_refused(db_session):
        db_session.add(_confirmed(venue, START + timedelta(hours=2)))
    with _double_booking_refused(db_session):
        # Entirely inside the first show.
        db_session.add(_confirmed(venue, START + timedelta(minutes=30), hours=1))
    with _double_booking_refused(db_session):
        # Around it, and as a Core INSERT.
        db_session.execute(
            insert(Event).values(
                venue_id=venue.id,
                title="Marathon",
                starts_at=START - timedelta(hours=1),
                ends_at=START + timedelta(hours=5),
                status="confirmed",
            )
        )
    assert _count(db_session, Event) == 1


def test_confirming_an_overlapping_hold_is_refused(db_session: Session, venue: Venue) -> None:
    hold = _confirmed(venue, START + timedelta(hours=1), status="hold", hold_rank=1)
    _accept(db_session, _confirmed(venue, START), hold)
    # The constraint also holds on UPDATE: a hold cannot be promoted over a confirmed show.
    with _double_booking_refused(db_session):
        db_session.execute(
            update(Event).where(Event.id == hold.id).values(status="confirmed", hold_rank=None)
        )
    assert _status(db_session, hold) == "hold"


def test_moving_a_confirmed_event_onto_another_is_refused(
    db_session: Session, venue: Venue
) -> None:
    other_venue = _venue("Across the Street")
    show, later, elsewhere = (
        _confirmed(venue, START),
        _confirmed(venue, START + timedelta(hours=4)),
        _confirmed(other_venue, START),
    )
    _accept(db_session, show, later, elsewhere)
    with _double_booking_refused(db_session):  # later in time, into the show
        db_session.execute(
            update(Event).where(Event.id == later.id).values(starts_at=START + timedelta(hours=2))
        )
    with _double_booking_refused(db_session):  # longer, into the next show
        db_session.execute(
            update(Event).where(Event.id == show.id).values(ends_at=START + timedelta(hours=5))
        )
    with _double_booking_refused(db_session):  # to the other venue, same time
        db_session.execute(update(Event).where(Event.id == elsewhere.id).values(venue_id=venue.id))
    db_session.expire_all()
    assert (show.ends_at, later.starts_at, elsewhere.venue_id) == (
        START + timedelta(hours=3),
        START + timedelta(hours=4),
        other_venue.id,
    )

    # A confirmed event may move over its own old slot, grow up to the next show, and
    # change anything the rule does not read.
    with db_session.begin_nested():
        db_session.execute(
            update(Event)
            .where(Event.id == show.id)
            .values(starts_at=START - timedelta(hours=1), ends_at=START + timedelta(hours=4))
        )
        db_session.execute(update(Event).where(Event.id == later.id).values(title="Encore"))


def test_what_may_overlap(db_session: Session, venue: Venue) -> None:
    other_venue = _venue("Across the Street")
    _accept(
        db_session,
        _confirmed(venue, START),
        # Holds stack on each other and on a confirmed show.
        _confirmed(venue, START, status="hold", hold_rank=1),
        _confirmed(venue, START + timedelta(hours=1), status="hold", hold_rank=2),
        # Drafts and cancelled shows do not block the slot either.
        _confirmed(venue, START, status="draft"),
        _confirmed(venue, START, status="cancelled"),
        # Back to back: [) ranges touch without overlapping.
        _confirmed(venue, START + timedelta(hours=3)),
        _confirmed(venue, START - timedelta(hours=2), hours=2),
        # Another venue, same time.
        _confirmed(other_venue, START),
    )
    assert _count(db_session, Event) == 8


def test_a_cancelled_show_frees_its_slot(db_session: Session, venue: Venue) -> None:
    show = _confirmed(venue, START)
    _accept(db_session, show)
    with db_session.begin_nested():
        db_session.execute(update(Event).where(Event.id == show.id).values(status="cancelled"))
    _accept(db_session, _confirmed(venue, START + timedelta(hours=1)))
    # The cancelled show cannot come back over the new one.
    with _double_booking_refused(db_session):
        db_session.execute(update(Event).where(Event.id == show.id).values(status="confirmed"))
    assert _status(db_session, show) == "cancelled"


@pytest.mark.parametrize("length", [timedelta(0), timedelta(hours=-1)])
def test_an_empty_confirmed_event_is_refused_by_its_check(
    db_session: Session, venue: Venue, length: timedelta
) -> None:
    # Inside a confirmed show, yet the CHECK names the real fault on both databases.
    _accept(db_session, _confirmed(venue, START))
    with _check_fails(db_session, "ck_events_ends_after_start"):
        starts = START + timedelta(hours=1)
        db_session.add(_event(venue, status="confirmed", starts_at=starts, ends_at=starts + length))


# -- UTCDateTime -------------------------------------------------------------------------


def test_naive_datetime_is_refused(db_session: Session, venue: Venue) -> None:
    naive = datetime(2027, 6, 4, 19, 0)  # noqa: DTZ001  # the point of the test
    savepoint = db_session.begin_nested()
    db_session.add(_event(venue, starts_at=naive, ends_at=naive.replace(hour=22)))
    with pytest.raises(StatementError, match="naive datetime"):
        db_session.flush()
    savepoint.rollback()
    assert _count(db_session, Event) == 0


def test_datetimes_read_back_aware_in_utc(db_session: Session, venue: Venue) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    starts = datetime(2027, 7, 1, 22, 30, tzinfo=berlin)  # 20:30 UTC, summer time
    ends = datetime(2027, 7, 2, 2, 0, tzinfo=berlin)
    event = _event(venue, starts_at=starts, ends_at=ends)
    _accept(db_session, event)
    db_session.expire_all()

    stored = db_session.execute(select(Event.starts_at, Event.ends_at, Event.created_at)).one()
    for value in stored:
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
    assert stored.starts_at == starts
    assert stored.starts_at.hour == 20
    assert stored.ends_at == ends
    assert abs(stored.created_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert db_session.get(Event, event.id) is not None
    assert event.starts_at.tzinfo is not None
    assert event.starts_at.utcoffset() == timedelta(0)
