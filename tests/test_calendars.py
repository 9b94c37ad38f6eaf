"""Calendar data: month grids, venue and band months, matching dates, placing holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.booking import NotFound
from admin_app.calendars import (
    HoldRefused,
    Month,
    MonthError,
    band_month,
    find_matches,
    month_grid,
    parse_month,
    place_hold,
    today_in,
    venue_month,
)
from admin_app.calendars.band import effective_status
from admin_app.calendars.grid import month_bounds_utc
from admin_app.localtime import to_utc
from models import (
    AuditEntry,
    Band,
    BandAvailability,
    BandMemberAvailability,
    Event,
    EventApplication,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
)
from tests.worlds.two_zones import (
    APRIL,
    BERLIN,
    NEW_YORK,
    NOW,
    World,
    at,
    build_world,
    counting,
    mark_april,
)


@pytest.fixture
def world(db_session: Session) -> World:
    """Two venues, a band, a superuser and a Lido staff member (rolled back)."""
    return build_world(db_session)


# Month grids -------------------------------------------------------------------------


@pytest.mark.parametrize("month", range(1, 13))
def test_grid_weeks_start_on_monday_and_cover_the_month(month: int) -> None:
    weeks = month_grid(2026, month)
    days = [day for week in weeks for day in week]
    first = date(2026, month, 1)
    assert all(len(week) == 7 and week[0].weekday() == 0 for week in weeks)
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]
    assert days[0] == first - timedelta(days=first.weekday())
    assert first in weeks[0]
    assert Month(2026, month).last in weeks[-1]


def test_grid_months_starting_on_every_weekday() -> None:
    # 2026: Jun starts Mon, Sep Tue, Apr Wed, Jan Thu, May Fri, Aug Sat, Mar Sun.
    starts = {m: month_grid(2026, m)[0].index(date(2026, m, 1)) for m in (6, 9, 4, 1, 5, 8, 3)}
    assert list(starts.values()) == [0, 1, 2, 3, 4, 5, 6]
    assert len(month_grid(2026, 3)) == 6  # Sunday the 1st, 31 days: six rows
    assert len(month_grid(2027, 2)) == 4  # Monday the 1st, 28 days: exactly four


def test_leap_february_2028() -> None:
    weeks = month_grid(2028, 2)
    assert len(weeks) == 5
    assert (weeks[0][0], weeks[-1][-1]) == (date(2028, 1, 31), date(2028, 3, 5))
    assert date(2028, 2, 29) in weeks[-1]
    assert Month(2028, 2).last == date(2028, 2, 29)


def test_parse_month() -> None:
    assert parse_month(" 2026-03 ") == Month(2026, 3)
    assert str(parse_month("2026-12").next) == "2027-01"
    assert str(parse_month("2026-01").previous) == "2025-12"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "Month 13 does not exist: use 01 to 12."),
        ("2026-00", "Month 00 does not exist: use 01 to 12."),
        ("2026-3", "'2026-3' is not a month: write it as YYYY-MM, e.g. 2026-03."),
        ("March", "'March' is not a month: write it as YYYY-MM, e.g. 2026-03."),
        ("1066-10", "Year 1066 is out of range (1900-2999)."),
    ],
)
def test_parse_month_refuses_in_plain_words(text: str, message: str) -> None:
    with pytest.raises(MonthError) as caught:
        parse_month(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_today_and_month_bounds_follow_the_zone() -> None:
    late = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert today_in(BERLIN, late) == date(2026, 3, 29)
    assert today_in(NEW_YORK, late) == date(2026, 3, 28)
    # March in Berlin starts on CET (+1) and ends on CEST (+2).
    assert month_bounds_utc(Month(2026, 3), BERLIN) == (
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 31, 22, tzinfo=UTC),
    )


# Venue month -------------------------------------------------------------------------


def test_venue_month_days_hours_marks_and_events(world: World) -> None:
    world.add(
        VenueAvailability(
            venue=world.lido, date=date(2026, 4, 8), status="closed", note="Private party"
        )
    )
    first = world.event(
        world.lido,
        at(BERLIN, 2026, 4, 10, 20),
        at(BERLIN, 2026, 4, 10, 23),
        status="hold",
        title="Early, loud; late",
    )
    world.event(
        world.lido,
        at(BERLIN, 2026, 4, 10, 21),
        at(BERLIN, 2026, 4, 10, 23),
        status="hold",
        hold_rank=2,
    )
    world.apply(first, status="accepted")
    world.apply(first, Band(name="Zed"))
    world.apply(first, Band(name="Ypsilon"))

    page = venue_month(world.session, world.root, world.lido.id, APRIL, now=NOW)

    assert (page.venue_name, page.timezone, page.today) == ("Lido", BERLIN, date(2026, 4, 2))
    assert (page.weeks[0][0].date, page.weeks[0][0].in_month) == (date(2026, 3, 30), False)
    friday = page.day(date(2026, 4, 10))
    assert friday.hours is not None
    assert friday.hours.label == "20:00-23:00"
    assert [(e.title, e.status_label, e.css_class, e.time_label) for e in friday.events] == [
        ("Early, loud; late", "hold 1", "event-hold", "20:00-23:00"),
        ("Show", "hold 2", "event-hold", "21:00-23:00"),
    ]
    assert friday.events[0].bands == ("The Commas",)
    assert friday.events[0].pending_applications == 2
    assert friday.next_hold_rank == 3
    closed = page.day(date(2026, 4, 8))
    assert (closed.mark, closed.note) == ("closed", "Private party")
    assert page.day(date(2026, 4, 6)).hours is None  # Mondays: no hours
    assert page.day(date(2026, 4, 2)).is_today


def test_staff_see_only_their_venues_calendar(world: World) -> None:
    assert venue_month(world.session, world.staff, world.lido.id, APRIL).venue_name == "Lido"
    with pytest.raises(NotFound):
        venue_month(world.session, world.staff, world.bowery.id, APRIL)


@pytest.mark.parametrize(
    ("zone", "night", "start", "end", "label"),
    [
        # Clocks go forward at 02:00 that night: the show keeps 22:00, lasts 5 h, not 6.
        (BERLIN, date(2026, 3, 28), 22, 4, "22:00-04:00 (+1 day)"),
        # Clocks go back at 03:00: 02:00 happens twice; the first one is meant.
        (BERLIN, date(2026, 10, 24), 22, 2, "22:00-02:00 (+1 day)"),
        (BERLIN, date(2026, 10, 25), 22, 2, "22:00-02:00 (+1 day)"),
        (NEW_YORK, date(2026, 3, 7), 22, 4, "22:00-04:00 (+1 day)"),
        (NEW_YORK, date(2026, 3, 8), 20, 23, "20:00-23:00"),
        (NEW_YORK, date(2026, 10, 31), 22, 2, "22:00-02:00 (+1 day)"),
        (NEW_YORK, date(2026, 11, 1), 19, 23, "19:00-23:00"),
    ],
)
def test_shows_stay_on_their_start_night_across_dst(
    world: World, zone: str, night: date, start: int, end: int, label: str
) -> None:
    venue = world.lido if zone == BERLIN else world.bowery
    end_day = night + timedelta(days=1) if end < start else night
    starts_at = to_utc(datetime.combine(night, time(start)), zone)
    world.event(venue, starts_at, to_utc(datetime.combine(end_day, time(end)), zone))

    page = venue_month(world.session, world.root, venue.id, Month.of(night))

    (event,) = page.day(night).events
    assert event.time_label == label
    assert event.local_start == datetime.combine(night, time(start))
    assert not page.day(night + timedelta(days=1)).events


def test_local_night_differs_from_the_utc_date(world: World) -> None:
    # 00:30 on 1 April in Berlin is still 31 March in UTC: it is an April night, shown
    # in the trailing cells of March's page; 23:30 on 31 March stays in March.
    world.event(world.lido, at(BERLIN, 2026, 4, 1, 0, 30), at(BERLIN, 2026, 4, 1, 3))
    world.event(world.lido, at(BERLIN, 2026, 3, 31, 23, 30), at(BERLIN, 2026, 4, 1, 0, 15))

    page = venue_month(world.session, world.root, world.lido.id, Month(2026, 3))

    assert [e.time_label for e in page.day(date(2026, 4, 1)).events] == ["00:30-03:00"]
    assert [e.time_label for e in page.day(date(2026, 3, 31)).events] == ["23:30-00:15 (+1 day)"]
    assert not page.day(date(2026, 4, 1)).in_month


def _fill(world: World, venue: Venue, band: Band, shows: int) -> None:
    for n in range(shows):
        day = date(2026, 4, 1) + timedelta(days=n % 30)
        event = world.event(
            venue,
            # Three back-to-back shows a night: confirmed shows may not overlap.
            at(venue.timezone, day.year, day.month, day.day, 12 + 3 * (n // 30)),
            at(venue.timezone, day.year, day.month, day.day, 14 + 3 * (n // 30)),
        )
        world.apply(event, band, status="accepted")
        world.apply(event, Band(name=f"Pending {n}"))


def test_statement_counts_do_not_grow_with_the_month(world: World) -> None:
    busy_band = Band(name="Busy")
    world.add(busy_band)
    _fill(world, world.lido, world.band, 1)
    _fill(world, world.bowery, busy_band, 90)
    world.session.expire_all()
    counts = []
    for venue_id, band_id in ((world.lido.id, world.band.id), (world.bowery.id, busy_band.id)):
        with counting(world.session) as executed:
            venue_page = venue_month(world.session, world.root, venue_id, APRIL)
            band_page = band_month(world.session, world.root, band_id, APRIL)
            counts.append(executed())
        shows = sum(len(day.events) for day in venue_page.days())
        gigs = sum(len(day.gigs) for day in band_page.days())
        assert shows == gigs == (1 if venue_id == world.lido.id else 90)
    assert counts[0] == counts[1] == 9


# Band month --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "members", "expected"),
    [
        (None, [], None),
        ("available", [], "available"),
        ("unavailable", [], "unavailable"),
        ("available", ["unavailable"], "unavailable"),
        (None, ["tentative", "available"], "tentative"),
        ("available", ["tentative", "unavailable"], "unavailable"),
        ("tentative", [], "tentative"),
    ],
)
def test_effective_status(band: str | None, members: list[str], expected: str | None) -> None:
    assert effective_status(band, members) == expected


def test_band_month_members_gigs_and_privacy(world: World) -> None:
    ana, ben = world.member("Ana"), world.member("Ben")
    world.add(
        BandAvailability(band=world.band, date=date(2026, 4, 3), status="available"),
        BandMemberAvailability(
            band_member=ana, date=date(2026, 4, 3), status="unavailable", note="Wedding"
        ),
        BandMemberAvailability(band_member=ben, date=date(2026, 4, 4), status="tentative"),
        BandMemberAvailability(band_member=ben, date=date(2026, 4, 5), status="available"),
    )
    gig = world.event(world.bowery, at(NEW_YORK, 2026, 4, 15, 21), at(NEW_YORK, 2026, 4, 16, 1))
    world.apply(gig, status="accepted")
    world.apply(
        world.event(
            world.lido,
            at(BERLIN, 2026, 4, 17, 20),
            at(BERLIN, 2026, 4, 17, 23),
            status="hold",
            title="Maybe",
        )
    )

    page = band_month(world.session, world.root, world.band.id, APRIL)

    assert page.day(date(2026, 4, 3)).status == "unavailable"
    assert [m.name for m in page.day(date(2026, 4, 3)).unavailable_members] == ["Ana"]
    assert page.day(date(2026, 4, 4)).status == "tentative"
    assert [m.name for m in page.day(date(2026, 4, 4)).tentative_members] == ["Ben"]
    assert page.day(date(2026, 4, 5)).status is None
    (shown,) = page.day(date(2026, 4, 15)).gigs  # 01:00 UTC on the 16th: NY's 15th
    assert (shown.venue_name, shown.time_label) == (
        "Bowery",
        "21:00-01:00 (+1 day) America/New_York",
    )
    assert [p.title for p in page.day(date(2026, 4, 17)).pending] == ["Maybe"]

    staff_page = band_month(world.session, world.staff, world.band.id, APRIL)
    hidden = staff_page.day(date(2026, 4, 15))
    assert (hidden.gigs, hidden.booked_elsewhere, hidden.is_booked) == ((), 1, True)
    assert [p.title for p in staff_page.day(date(2026, 4, 17)).pending] == ["Maybe"]


# Matching and holds ------------------------------------------------------------------


def test_matches_best_first(world: World) -> None:
    mark_april(world)

    found = find_matches(world.session, world.root, world.lido.id, world.band.id, APRIL, now=NOW)

    order = (24, 25, 22, 3, 4, 10, 11, 17, 18, 2, 7, 16, 23, 28, 29, 30, 21)
    assert [m.date for m in found.matches] == [date(2026, 4, day) for day in order]
    best = found.matches[0]
    assert (best.reason, best.weekend, best.hours.label) == (
        "Band available and venue open",
        True,
        "20:00-23:00",
    )
    held = found.get(date(2026, 4, 10))  # a hold that night: still free, as hold 2
    assert held is not None
    assert held.next_hold_rank == 2
    assert found.matches[-1].reason == "Tentative"


def test_place_hold_creates_hold_application_and_audit(world: World) -> None:
    world.add(
        VenueOperatingHours(venue=world.lido, weekday=6, opens_at=time(22), closes_at=time(2))
    )
    other = Band(name="Other")
    world.add(other)
    sunday = date(2026, 3, 29)  # the night Berlin's clocks went forward that morning
    now = datetime(2026, 3, 1, tzinfo=UTC)

    first = place_hold(world.session, world.staff, world.lido.id, world.band.id, sunday, now=now)
    second = place_hold(world.session, world.root, world.lido.id, other.id, sunday, now=now)

    assert (first.status, first.hold_rank, second.hold_rank) == ("hold", 1, 2)
    assert first.title == "Hold: The Commas"
    assert (first.starts_at, first.ends_at) == (
        at(BERLIN, 2026, 3, 29, 22),
        at(BERLIN, 2026, 3, 30, 2),
    )
    (application,) = first.applications
    assert (application.band_id, application.status) == (world.band.id, "pending")
    entries = world.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.object_type, e.actor_email) for e in entries[:2]] == [
        ("hold", "Event", "clerk@example.com"),
        ("create", "EventApplication", "clerk@example.com"),
    ]
    assert entries[0].changes is not None
    assert entries[0].changes["hold_rank"] == [None, 1]
    page = venue_month(world.session, world.root, world.lido.id, Month(2026, 3), now=now)
    assert [e.status_label for e in page.day(sunday).events] == ["hold 1", "hold 2"]


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 4, 8), "The venue is marked closed that day."),
        (date(2026, 4, 9), "The venue already has a confirmed show that night."),
        (date(2026, 4, 14), "The band (or one of its members) is unavailable that day."),
        (date(2026, 4, 15), "The band already plays a confirmed show that day."),
        (date(2026, 4, 6), "The venue has no opening hours on that weekday."),
        (date(2026, 4, 1), "The date has passed."),
    ],
)
def test_place_hold_refuses_a_date_that_is_no_match(world: World, day: date, reason: str) -> None:
    mark_april(world)
    with pytest.raises(HoldRefused) as caught:
        place_hold(world.session, world.root, world.lido.id, world.band.id, day, now=NOW)
    assert str(caught.value) == f"{day:%a %d %b %Y} is not free for The Commas at Lido: {reason}"


def test_place_hold_at_someone_elses_venue_is_not_found(world: World) -> None:
    world.add(
        VenueOperatingHours(venue=world.bowery, weekday=4, opens_at=time(20), closes_at=time(23))
    )
    with pytest.raises(NotFound):
        place_hold(
            world.session, world.staff, world.bowery.id, world.band.id, date(2026, 4, 10), now=NOW
        )
    assert world.session.scalars(select(Event)).all() == []


def test_match_never_offers_a_night_the_band_already_has(world: World) -> None:
    mark_april(world)
    friday = date(2026, 4, 24)
    place_hold(world.session, world.root, world.lido.id, world.band.id, friday, now=NOW)
    # Pending at the Bowery on the 22nd, New York time: a venue the clerk cannot see.
    elsewhere = world.event(
        world.bowery, at(NEW_YORK, 2026, 4, 22, 20), at(NEW_YORK, 2026, 4, 22, 23), "hold"
    )
    world.apply(elsewhere, status="pending")

    for scope in (world.root, world.staff):
        found = find_matches(world.session, scope, world.lido.id, world.band.id, APRIL, now=NOW)
        offered = {match.date for match in found.matches}
        assert friday not in offered
        assert date(2026, 4, 22) not in offered
        assert date(2026, 4, 25) in offered  # the rest of the month as before
    with pytest.raises(HoldRefused) as caught:
        place_hold(world.session, world.staff, world.lido.id, world.band.id, friday, now=NOW)
    assert str(caught.value).endswith(
        "The band already has a hold or a pending application that night."
    )
    # Another band may still take the night, as the next hold.
    other = Band(name="Other")
    world.add(other)
    second = place_hold(world.session, world.root, world.lido.id, other.id, friday, now=NOW)
    assert second.hold_rank == 2
    at_lido = world.session.execute(
        select(Event.hold_rank, EventApplication.band_id)
        .join(EventApplication, EventApplication.event_id == Event.id)
        .where(Event.venue_id == world.lido.id, Event.status == "hold")
        .order_by(Event.hold_rank)
    ).all()
    assert [tuple(row) for row in at_lido] == [(1, world.band.id), (2, other.id)]
