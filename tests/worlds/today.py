"""A world for the Today page: three venues, their people, pending applications and one
conflict of each kind, all in the coming nights (relative to the real clock).

Alpha Hall (Berlin, open 19:00-02:00 every day: a manager and a staff member), Beta Club
(Berlin, open 18:00-23:00: its own staff member) and Gamma Room (New York, no hours:
nobody's here but the superuser's). Nights are counted on Berlin's clock from today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from admin_app.calendars.grid import today_in
from admin_app.localtime import to_utc
from tests.worlds import rows

ROOT = "root@example.com"
MANAGER_A = "manager.a@example.com"
STAFF_A = "staff.a@example.com"
STAFF_B = "staff.b@example.com"
BERLIN = "Europe/Berlin"


@dataclass
class TodayWorld:
    """Ids of what was seeded, by name."""

    venues: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    bands: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    applications: dict[str, int] = field(default_factory=dict)
    nights: dict[str, date] = field(default_factory=dict)


def local(day: date, hour: int, minute: int = 0, zone: str = BERLIN) -> datetime:
    """The UTC instant of ``hour:minute`` on ``day`` on ``zone``'s clock."""
    return to_utc(datetime.combine(day, time(hour, minute)), zone)


def seed_today(engine: Engine) -> TodayWorld:
    """Commit the Today world; return its ids."""
    world = TodayWorld()
    now = datetime.now(UTC)
    today = today_in(BERLIN, now)
    world.nights = {
        name: today + timedelta(days=n) for name, n in (("d1", 2), ("d2", 3), ("d3", 5))
    }
    d1, d2, d3 = world.nights["d1"], world.nights["d2"], world.nights["d3"]
    with rows.committed(engine) as session:
        alpha = rows.venue(session, "Alpha Hall", timezone=BERLIN)
        beta = rows.venue(session, "Beta Club", timezone=BERLIN)
        gamma = rows.venue(session, "Gamma Room", timezone="America/New_York")
        world.venues = {"A": alpha.id, "B": beta.id, "C": gamma.id}
        for weekday in range(7):
            rows.opening_hours(session, alpha, weekday, opens=19, closes=2)
            rows.opening_hours(session, beta, weekday, opens=18, closes=23)
        world.users["root"] = rows.user(session, ROOT, superuser=True).id
        for key, email, venue, role in (
            ("manager_a", MANAGER_A, alpha, "manager"),
            ("staff_a", STAFF_A, alpha, "staff"),
            ("staff_b", STAFF_B, beta, "staff"),
        ):
            world.users[key] = rows.user(session, email, venue=venue, role=role).id
        for key, name in (
            ("testers", "The Testers"),
            ("spares", "The Spares"),
            ("double", "Double Band"),
        ):
            world.bands[key] = rows.band(session, name).id

        def event(key: str, venue: int, start: datetime, end: datetime, **columns: object) -> int:
            world.events[key] = rows.event(session, venue, start, end, title=key, **columns).id  # type: ignore[arg-type]
            return world.events[key]

        event("Alpha Draft", alpha.id, local(d1, 20), local(d1, 23), status="draft")
        event("Alpha Hold", alpha.id, local(d2, 20), local(d2, 23), status="hold", hold_rank=1)
        event("Closed Night Show", alpha.id, local(d3, 20), local(d3, 23), status="confirmed")
        rows.venue_day(session, alpha, d3, "closed", note="Private hire")
        event(
            "Lapsed Hold",
            alpha.id,
            local(d1, 21),
            local(d1, 23),
            status="hold",
            hold_rank=1,
            hold_expires_at=now - timedelta(hours=1),
        )
        event("Beta Gig", beta.id, local(d1, 19), local(d1, 22), status="draft")
        event("Beta Late", beta.id, local(d2, 22), local(d2 + timedelta(days=1), 1), status="hold")
        gamma_day = today_in("America/New_York", now) + timedelta(days=2)
        event(
            "Gamma Gig",
            gamma.id,
            local(gamma_day, 20, zone="America/New_York"),
            local(gamma_day, 23, zone="America/New_York"),
            status="draft",
        )
        for key, event_key, band in (
            ("alpha_testers", "Alpha Draft", "testers"),
            ("alpha_spares", "Alpha Hold", "spares"),
            ("beta_spares", "Beta Gig", "spares"),
            ("gamma_testers", "Gamma Gig", "testers"),
        ):
            world.applications[key] = rows.application(
                session, world.events[event_key], world.bands[band]
            ).id
        # Accepted for two overlapping events, neither confirmed: a conflict.
        for key, event_key in (("double_alpha", "Alpha Hold"), ("double_beta", "Beta Late")):
            world.applications[key] = rows.application(
                session, world.events[event_key], world.bands["double"], "accepted"
            ).id
    return world
