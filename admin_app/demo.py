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
from admin_app.audit import Actor, record_change, snapshot
from admin_app.passwords import hash_new_password
from admin_app.scoping import load_scope
from models import (
    AuditEntry,
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Base,
    Event,
    EventApplication,
    OutboxMessage,
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
    _seed_today(session, today, lantern, depot, bands)
    _demo_outbox(session, night_owls_live, now)
    _seed_history(session, night_owls_live, harbor, admin, now)
    _seed_hold_ladder(session, lantern, bands, today)
    _seed_decisions(session, today, lantern, bands)
    return DemoLogins(invite_link=seed_open_invite(session, lantern, manager))


def _seed_today(
    session: Session, today: date, lantern: Venue, depot: Venue, bands: list[Band]
) -> None:
    """What the Today page shows after ``make run``: applications waiting in the coming
    nights, and a confirmed show on a day marked closed (a conflict that needs someone)."""
    owls, _brass, static, velvet, sunday = bands

    def event(venue: Venue, title: str, days: int, status: str) -> Event:
        day = today + timedelta(days=days)
        return _get_or_create(
            session,
            Event,
            {"venue_id": venue.id, "title": title},
            starts_at=_at(venue.timezone, day, time(20)),
            ends_at=_at(venue.timezone, day, time(23)),
            status=status,
        )

    # Closed after the show was confirmed: Today lists it until someone moves or cancels it.
    closed_show = event(lantern, "Closed-Door Session", 3, "confirmed")
    _get_or_create(
        session,
        VenueAvailability,
        {
            "venue_id": lantern.id,
            "date": closed_show.starts_at.astimezone(ZoneInfo(lantern.timezone)).date(),
        },
        status="closed",
        note="Staff training",
    )
    acoustic = event(lantern, "Acoustic Evening", 2, "draft")
    depot_jam = event(depot, "Depot Jam", 4, "draft")
    for ev, band in (
        (acoustic, velvet),
        (acoustic, static),
        (depot_jam, sunday),
        (depot_jam, owls),
    ):
        _get_or_create(
            session,
            EventApplication,
            {"event_id": ev.id, "band_id": band.id},
            status="pending",
            message=f"{band.name} would love to play {ev.title}.",
        )


def _seed_history(
    session: Session, show: Event, first_venue: Venue, admin: User, now: datetime
) -> None:
    """A readable history for the show: created as a draft at another venue an hour
    earlier, then moved, renamed and confirmed (the audit entries say so; once only)."""
    session.flush()
    seen = select(AuditEntry.id).where(
        AuditEntry.object_type == "Event", AuditEntry.object_id == str(show.id)
    )
    if session.scalar(seen.limit(1)) is not None:
        return
    now_state = snapshot(show)
    first = {
        **now_state,
        "title": "Night Owls (tbc)",
        "venue_id": first_venue.id,
        "status": "draft",
        "starts_at": (show.starts_at - timedelta(hours=1)).isoformat(),
    }
    actor = Actor(admin.id, admin.email)
    for action, before, after, days_ago in (
        ("create", {}, first, 3),
        ("update", first, now_state, 1),
    ):
        entry = record_change(session, actor, action, show, before, after)
        entry.occurred_at = now - timedelta(days=days_ago)


def _demo_outbox(session: Session, show: Event, now: datetime) -> None:
    """Two notifications in the outbox view: one delivered, one the mail server refused."""
    when = f"{show.title}, {show.starts_at:%a %d %b %Y}"
    _get_or_create(
        session,
        OutboxMessage,
        {"idempotency_key": "demo:confirmed"},
        kind="event_confirmed",
        recipients=["owls@example.com"],
        subject=f"Confirmed: {when}",
        text_body=f"Your show is confirmed: {when}.",
        attachments=[],
        status="sent",
        attempts=1,
        sent_at=now,
    )
    _get_or_create(
        session,
        OutboxMessage,
        {"idempotency_key": "demo:refused"},
        kind="application_accepted",
        recipients=["nobody@invalid.example"],
        subject=f"Accepted: {when}",
        text_body=f"Your application was accepted: {when}.",
        attachments=[],
        status="failed",
        attempts=8,
        last_error="mail.invalid.example answered 550 No such user here",
    )


def _seed_hold_ladder(session: Session, venue: Venue, bands: list[Band], today: date) -> None:
    """A ladder of three holds on one night, each band's application pending, and a hold
    whose expiry has passed (``release-expired-holds`` releases it)."""
    now = datetime.now(ZoneInfo("UTC"))
    ladder_night = _open_night(session, venue, today + timedelta(days=33))
    owls, brass, static, _velvet, sunday = bands
    for rank, band in enumerate((static, brass, sunday), start=1):
        hold = _get_or_create(
            session,
            Event,
            {"venue_id": venue.id, "title": f"Headliner: {band.name}"},
            starts_at=_at(venue.timezone, ladder_night, time(20)),
            ends_at=_at(venue.timezone, ladder_night, time(23, 30)),
            status="hold",
            hold_rank=rank,
            # The lower holds lapse unless the first one falls through first.
            hold_expires_at=now + timedelta(days=14) if rank > 1 else None,
        )
        _get_or_create(
            session,
            EventApplication,
            {"event_id": hold.id, "band_id": band.id},
            status="pending",
            message=f"{band.name} would love to headline.",
        )
    lapsed_night = _open_night(session, venue, today + timedelta(days=40))
    lapsed = _get_or_create(
        session,
        Event,
        {"venue_id": venue.id, "title": "Afternoon Matinee (lapsed hold)"},
        starts_at=_at(venue.timezone, lapsed_night, time(16)),
        ends_at=_at(venue.timezone, lapsed_night, time(19)),
        status="hold",
        hold_rank=1,
        hold_expires_at=now - timedelta(days=1),
    )
    _get_or_create(
        session,
        EventApplication,
        {"event_id": lapsed.id, "band_id": owls.id},
        status="pending",
        message="Owls for an afternoon set?",
    )


def _open_night(session: Session, venue: Venue, day: date) -> date:
    """``day`` or the first later one the venue is open (usual hours, not marked closed):
    a demo hold on a closed night would only show up as a conflict."""
    weekdays = set(
        session.scalars(
            select(VenueOperatingHours.weekday).where(VenueOperatingHours.venue_id == venue.id)
        )
    )
    closed = set(
        session.scalars(
            select(VenueAvailability.date).where(
                VenueAvailability.venue_id == venue.id, VenueAvailability.status == "closed"
            )
        )
    )
    while day.weekday() not in weekdays or day in closed:
        day += timedelta(days=1)
    return day


NEWCOMERS_NIGHT = "Newcomers Night"


def _seed_decisions(session: Session, today: date, lantern: Venue, bands: list[Band]) -> None:
    """An event with several pending applications, for its page's buttons and the
    applications list's bulk decisions. It is confirmed on the night Brass Attack plays
    "Brass Night" at the Tram Depot, so accepting Brass Attack here is refused by name."""
    day = today + timedelta(days=10)
    show = _get_or_create(
        session,
        Event,
        {"venue_id": lantern.id, "title": NEWCOMERS_NIGHT},
        starts_at=_at(lantern.timezone, day, time(21)),
        ends_at=_at(lantern.timezone, day, time(23, 30)),
        status="confirmed",
    )
    _, brass, static, velvet, sunday = bands
    pitches = {
        velvet: "Two new songs, short set, we bring our own backline.",
        brass: "We can do a 40-minute opener.",
        sunday: "Acoustic, quiet, perfect for a first slot.",
        static: "Happy to close the night.",
    }
    for band, pitch in pitches.items():
        _get_or_create(
            session,
            EventApplication,
            {"event_id": show.id, "band_id": band.id},
            status="pending",
            message=pitch,
        )


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
