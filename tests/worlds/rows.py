"""The one place test rows are made: a builder per model, with defaults that validate.

Every world in :mod:`tests.worlds` and every test that needs a row or two goes through
these, so a new required column or rule is taught to the tests here, once. Builders take
a :class:`~sqlalchemy.orm.Session`, add the row, flush (so it has its id) and return it;
the caller decides whether the session is rolled back (``db_session``) or committed
(:func:`committed`, for tests whose app reads through its own connections). Parents may
be given as rows or ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from admin_app.accounts import create_user
from models import (
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Event,
    EventApplication,
    User,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)

PASSWORD = "correct horse battery"


@contextmanager
def committed(engine: Engine) -> Iterator[Session]:
    """A session whose rows are committed when the block ends without an error."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()


def _id(session: Session, row_or_id: Any) -> int:
    """The id of a parent given as an id or a row (a new row is added and flushed first)."""
    if isinstance(row_or_id, int):
        return row_or_id
    if row_or_id.id is None:
        _added(session, row_or_id)
    return int(row_or_id.id)


def _added(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def venue(
    session: Session,
    name: str = "Lido",
    *,
    city: str | None = None,
    timezone: str = "Europe/Berlin",
    capacity: int | None = None,
) -> Venue:
    """A venue (its city defaults to "<name> City")."""
    row = Venue(name=name, city=city or f"{name} City", timezone=timezone, capacity=capacity)
    return _added(session, row)  # type: ignore[no-any-return]


def band(session: Session, name: str = "The Testers", **columns: Any) -> Band:
    """A band."""
    return _added(session, Band(name=name, **columns))  # type: ignore[no-any-return]


def user(
    session: Session,
    email: str,
    *,
    password: str | None = PASSWORD,
    superuser: bool = False,
    full_name: str = "",
    active: bool = True,
    venue: Venue | int | None = None,
    role: str | None = None,
) -> User:
    """A user; with a password, made by the console's own ``create_user`` (rules and all,
    including a venue role when ``venue`` and ``role`` are given).

    ``password=None`` is a person who never signs in (a band member).
    """
    if password is None:
        row = User(email=email, full_name=full_name or email.split("@")[0], is_superuser=superuser)
        session.add(row)
        if venue is not None and role is not None:
            staff(session, venue, row, role)
    else:
        row = create_user(
            session,
            email=email,
            password=password,
            full_name=full_name,
            is_superuser=superuser,
            venue_id=None if venue is None else _id(session, venue),
            role=role,
        )
    row.is_active = active
    session.flush()
    return row


def staff(
    session: Session, venue_row: Venue | int, user_row: User | int, role: str = "staff"
) -> VenueStaff:
    """``user_row`` working at ``venue_row`` as ``role`` (staff or manager)."""
    row = VenueStaff(venue_id=_id(session, venue_row), user_id=_id(session, user_row), role=role)
    return _added(session, row)  # type: ignore[no-any-return]


def member(
    session: Session, band_row: Band | int, user_row: User | int, instrument: str | None = None
) -> BandMember:
    """``user_row`` playing in ``band_row``."""
    row = BandMember(
        band_id=_id(session, band_row), user_id=_id(session, user_row), instrument=instrument
    )
    return _added(session, row)  # type: ignore[no-any-return]


def opening_hours(
    session: Session, venue_row: Venue | int, weekday: int, opens: int = 20, closes: int = 23
) -> VenueOperatingHours:
    """The venue's regular hours on ``weekday`` (0 = Monday), whole hours."""
    row = VenueOperatingHours(
        venue_id=_id(session, venue_row),
        weekday=weekday,
        opens_at=time(opens),
        closes_at=time(closes),
    )
    return _added(session, row)  # type: ignore[no-any-return]


def venue_day(
    session: Session, venue_row: Venue | int, day: date, status: str = "open", **columns: Any
) -> VenueAvailability:
    """A day marked open or closed on the venue's calendar."""
    row = VenueAvailability(venue_id=_id(session, venue_row), date=day, status=status, **columns)
    return _added(session, row)  # type: ignore[no-any-return]


def band_day(
    session: Session, band_row: Band | int, day: date, status: str = "available", **columns: Any
) -> BandAvailability:
    """A day on the band's calendar."""
    row = BandAvailability(band_id=_id(session, band_row), date=day, status=status, **columns)
    return _added(session, row)  # type: ignore[no-any-return]


def member_day(
    session: Session,
    member_row: BandMember | int,
    day: date,
    status: str = "unavailable",
    **columns: Any,
) -> BandMemberAvailability:
    """A day on one band member's calendar."""
    row = BandMemberAvailability(
        band_member_id=_id(session, member_row), date=day, status=status, **columns
    )
    return _added(session, row)  # type: ignore[no-any-return]


def event(
    session: Session,
    venue_row: Venue | int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    title: str = "Show",
    status: str = "confirmed",
    hold_rank: int | None = None,
    **columns: Any,
) -> Event:
    """An event between two aware instants; a hold gets rank 1 unless told otherwise."""
    if status == "hold" and hold_rank is None:
        hold_rank = 1
    row = Event(
        venue_id=_id(session, venue_row),
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        hold_rank=hold_rank if status == "hold" else None,
        **columns,
    )
    return _added(session, row)  # type: ignore[no-any-return]


def application(
    session: Session,
    event_row: Event | int,
    band_row: Band | int,
    status: str = "pending",
    *,
    decided_at: datetime | None = None,
    **columns: Any,
) -> EventApplication:
    """A band's application; a decided one is decided ``decided_at`` (default: now)."""
    if status != "pending" and decided_at is None:
        decided_at = datetime.now(UTC)
    row = EventApplication(
        event_id=_id(session, event_row),
        band_id=_id(session, band_row),
        status=status,
        decided_at=decided_at,
        **columns,
    )
    return _added(session, row)  # type: ignore[no-any-return]
