"""Demo data over the whole model graph. Idempotent: every row is found by its natural key
before it is created, so running it twice leaves the same rows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app import invites
from admin_app.passwords import hash_new_password
from admin_app.scoping import load_scope
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

# Each meets the console's own password rule (admin_app.passwords): someone who changes
# one and types it back in is not refused.
DEMO_SUPERUSER = ("admin@example.com", "backstage-ops-2026")
DEMO_MANAGER = ("manager@example.com", "lantern-hall-keys")
DEMO_STAFF = ("staff@example.com", "door-list-stamps")
DAYS_AHEAD = 90
DEMO_INVITEE = ("new.hire@example.com", "Nico New")
DEMO_BASE_URL = "http://127.0.0.1:8000"

M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class DemoLogins:
    """The credentials printed after seeding."""

    superuser: tuple[str, str] = DEMO_SUPERUSER
    manager: tuple[str, str] = DEMO_MANAGER
    staff: tuple[str, str] = DEMO_STAFF
    # The open invite's set-password link, when this run issued it (shown this once).
    invite_link: str | None = None


def _get_or_create(session: Session, model: type[M], key: dict[str, Any], **values: Any) -> M:
    row = session.scalar(select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        session.add(row)
        session.flush()
    return row


def _login_user(session: Session, email: str, password: str, name: str, **flags: Any) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        # Through the rule every password goes through: a weak demo login fails the seed.
        hashed = hash_new_password(password, email=email)
        user = User(email=email, full_name=name, password_hash=hashed, **flags)
        session.add(user)
        session.flush()
    return user


VENUES = [
    # name, city, address, zone, capacity, {weekday: (opens, closes)}
    (
        "The Blue Lantern",
        "Berlin",
        "Oranienstraße 12",
        "Europe/Berlin",
        350,
        {d: (time(19), time(2)) for d in (1, 2, 3, 4, 5, 6)},
    ),
    (
        "Harbor Hall",
        "New York",
        "75 Pier Street",
        "America/New_York",
        800,
        {d: (time(18), time(23, 30)) for d in (2, 3, 4, 5)},
    ),
    (
        "Tram Depot",
        "Leipzig",
        "Depotweg 3",
        "Europe/Berlin",
        120,
        {d: (time(20), time(1)) for d in (3, 4, 5)},
    ),
]

BANDS = [
    ("The Night Owls", "indie rock", "Berlin", ["Mara Vogel", "Jonas Held", "Ayla Demir"]),
    (
        "Brass Attack",
        "brass / funk",
        "Leipzig",
        ["Tom Becker", "Lina Wolf", "Sami Haddad", "Eva Roth"],
    ),
    ("Static Bloom", "shoegaze", "New York", ["Riley Chen", "Dana Brooks", "Omar Reyes"]),
    ("Velvet Ruin", "post-punk", "Hamburg", ["Kai Berg", "Nele Sommer"]),
    ("Sunday Tapes", "folk", "Brooklyn", ["June Park", "Eli Moss", "Ana Silva"]),
]


def _at(zone: str, day: date, clock: time, *, next_day: bool = False) -> datetime:
    local_day = day + timedelta(days=1) if next_day else day
    return datetime.combine(local_day, clock, tzinfo=ZoneInfo(zone))


def seed_demo(session: Session, today: date | None = None) -> DemoLogins:
    """Create (or complete) the demo data in ``session``; the caller commits."""
    today = today or date.today()  # noqa: DTZ011  # the demo's "today" is the server's
    rng = random.Random(20261121)  # noqa: S311  # a repeatable demo pattern, not a secret

    admin = _login_user(session, *DEMO_SUPERUSER, "Ops Admin", is_superuser=True)
    manager = _login_user(session, *DEMO_MANAGER, "Greta Manager")
    staff_user = _login_user(session, *DEMO_STAFF, "Sam Staff")

    venues = []
    for name, city, address, zone, capacity, hours in VENUES:
        venue = _get_or_create(
            session,
            Venue,
            {"name": name},
            city=city,
            address=address,
            timezone=zone,
            capacity=capacity,
        )
        for weekday, (opens, closes) in hours.items():
            _get_or_create(
                session,
                VenueOperatingHours,
                {"venue_id": venue.id, "weekday": weekday},
                opens_at=opens,
                closes_at=closes,
            )
        venues.append(venue)
    lantern, harbor, depot = venues
    _get_or_create(
        session, VenueStaff, {"venue_id": lantern.id, "user_id": manager.id}, role="manager"
    )
    _get_or_create(
        session, VenueStaff, {"venue_id": lantern.id, "user_id": staff_user.id}, role="staff"
    )
    _get_or_create(
        session, VenueStaff, {"venue_id": depot.id, "user_id": staff_user.id}, role="staff"
    )

    bands = []
    for band_name, genre, city, members in BANDS:
        band = _get_or_create(session, Band, {"name": band_name}, genre=genre, city=city)
        for index, person in enumerate(members):
            email = person.lower().replace(" ", ".") + "@bands.example.com"
            user = _get_or_create(session, User, {"email": email}, full_name=person)
            instrument = ("vocals", "guitar", "bass", "drums")[index % 4]
            _get_or_create(
                session,
                BandMember,
                {"band_id": band.id, "user_id": user.id},
                instrument=instrument,
            )
        bands.append(band)

    for offset in range(DAYS_AHEAD):
        day = today + timedelta(days=offset)
        roll = rng.random()
        if roll < 0.08:
            _get_or_create(
                session,
                VenueAvailability,
                {"venue_id": lantern.id, "date": day},
                status="closed",
                note="Private hire",
            )
        elif roll < 0.12:
            _get_or_create(
                session,
                VenueAvailability,
                {"venue_id": harbor.id, "date": day},
                status="hold",
                note="Festival option",
            )
        band = bands[offset % len(bands)]
        if rng.random() < 0.15:
            status = "unavailable" if rng.random() < 0.6 else "tentative"
            _get_or_create(
                session,
                BandAvailability,
                {"band_id": band.id, "date": day},
                status=status,
                note="Touring" if status == "unavailable" else None,
            )
        if rng.random() < 0.1:
            member = session.scalars(
                select(BandMember).where(BandMember.band_id == band.id).order_by(BandMember.id)
            ).first()
            if member is not None:
                _get_or_create(
                    session,
                    BandMemberAvailability,
                    {"band_member_id": member.id, "date": day},
                    status="unavailable",
                    note="Family visit",
                )

    def event(
        venue: Venue,
        title: str,
        days: int,
        start: time,
        end: time,
        status: str,
        rank: int | None = None,
    ) -> Event:
        day = today + timedelta(days=days)
        return _get_or_create(
            session,
            Event,
            {"venue_id": venue.id, "title": title},
            starts_at=_at(venue.timezone, day, start),
            ends_at=_at(venue.timezone, day, end, next_day=end <= start),
            status=status,
            hold_rank=rank,
        )

    night_owls_live = event(lantern, "Night Owls Live", 5, time(20), time(23), "confirmed")
    late_session = event(lantern, "Late Session (overnight)", 12, time(22), time(2), "confirmed")
    hold_one = event(lantern, "Friday Showcase", 19, time(20), time(23), "hold", 1)
    hold_two = event(
        lantern, "Friday Showcase (second hold)", 19, time(20, 30), time(23, 30), "hold", 2
    )
    draft = event(lantern, "Open Mic Night", 26, time(19, 30), time(22), "draft")
    cancelled = event(harbor, "Harbor Summer Bash", 8, time(18, 30), time(23), "cancelled")
    harbor_show = event(harbor, "Static Bloom Album Release", 15, time(19), time(23), "confirmed")
    depot_show = event(depot, "Brass Night", 10, time(20), time(23, 30), "confirmed")
    past_show = event(lantern, "Last Month's Jam", -20, time(20), time(23), "confirmed")

    now = datetime.now(ZoneInfo("UTC"))
    owls, brass, static, velvet, sunday = bands
    decided: dict[str, Any] = {"decided_at": now, "decided_by_id": admin.id}
    applications: list[tuple[Event, Band, str, dict[str, Any]]] = [
        (night_owls_live, owls, "accepted", decided),
        (night_owls_live, velvet, "rejected", decided),
        (late_session, velvet, "accepted", decided),
        (hold_one, sunday, "pending", {}),
        (hold_one, static, "pending", {}),
        (hold_two, brass, "withdrawn", {"decided_at": now}),
        (draft, owls, "pending", {}),
        (cancelled, sunday, "rejected", decided),
        (harbor_show, static, "accepted", decided),
        (depot_show, brass, "accepted", decided),
        (past_show, owls, "accepted", decided),
    ]
    for ev, band, status, extra in applications:
        _get_or_create(
            session,
            EventApplication,
            {"event_id": ev.id, "band_id": band.id},
            status=status,
            message=f"{band.name} would love to play {ev.title}.",
            **extra,
        )
    return DemoLogins(invite_link=seed_open_invite(session, lantern, manager))


def seed_open_invite(session: Session, venue: Venue, manager: User) -> str | None:
    """One open staff invite at ``venue``, made by ``manager`` through the console's own
    rule (audited like theirs); its link when made now, None when the invitee exists."""
    if session.scalar(select(User.id).where(User.email == DEMO_INVITEE[0])) is not None:
        return None
    scope = load_scope(session, manager.id)
    assert scope is not None  # the demo manager is active and manages the venue
    done = invites.invite(
        session,
        scope,
        venue_id=venue.id,
        email=DEMO_INVITEE[0],
        full_name=DEMO_INVITEE[1],
        link_for=lambda token: f"{DEMO_BASE_URL}/invite/{token}",
    )
    return f"{DEMO_BASE_URL}/invite/{done.token}"
