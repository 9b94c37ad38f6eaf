"""iCalendar feeds read back with icalendar, and the secret tokens that open them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admin_app.booking import NotFound
from admin_app.calendars import band_feed, venue_feed
from admin_app.feed_tokens import (
    band_for_token,
    issue_token,
    revoke_token,
    venue_for_token,
)
from admin_app.scoping import ScopeError
from models import AuditEntry, Venue
from tests.worlds.two_zones import BERLIN, NEW_YORK, World, at, build_world, counting

NOW = datetime(2026, 11, 1, tzinfo=UTC)
TRICKY = "Bands, beers; and\nmore \\ backslashes"


@pytest.fixture
def world(db_session: Session) -> World:
    """Two venues, a band, a superuser and a Lido staff member (rolled back)."""
    return build_world(db_session)


def events_of(feed: bytes) -> dict[str, icalendar.Component]:
    """The feed's VEVENTs by UID, parsed back with icalendar."""
    calendar = icalendar.Calendar.from_ical(feed)
    return {str(vevent["uid"]): vevent for vevent in calendar.walk("VEVENT")}


def test_venue_feed_events_statuses_and_local_times(world: World) -> None:
    world.lido.address = "Cuvrystr. 7"
    confirmed = world.event(
        world.lido, at(BERLIN, 2026, 10, 24, 22), at(BERLIN, 2026, 10, 25, 2), title=TRICKY
    )
    confirmed.description = "Doors 21:00, bring ID; no re-entry.\nSecond line."
    world.apply(confirmed, status="accepted")
    hold = world.event(world.lido, at(BERLIN, 2026, 11, 6, 20), at(BERLIN, 2026, 11, 6, 23), "hold")
    cancelled = world.event(
        world.lido, at(BERLIN, 2026, 11, 7, 20), at(BERLIN, 2026, 11, 7, 23), "cancelled"
    )
    world.event(world.lido, at(BERLIN, 2026, 11, 8, 20), at(BERLIN, 2026, 11, 8, 23), "draft")
    world.event(world.lido, at(BERLIN, 2025, 10, 1, 20), at(BERLIN, 2025, 10, 1, 23))  # too old
    world.event(world.bowery, at(NEW_YORK, 2026, 11, 6, 20), at(NEW_YORK, 2026, 11, 6, 23))
    world.session.expire_all()

    with counting(world.session) as executed:
        feed = venue_feed(world.session, world.lido.id, now=NOW)
    assert executed() == 3

    calendar = icalendar.Calendar.from_ical(feed)
    assert str(calendar["x-wr-calname"]) == "Lido (Berlin)"
    assert [tz.tz_name for tz in calendar.timezones] == [BERLIN]
    rules = {part.name for part in calendar.timezones[0].subcomponents}
    assert rules == {"STANDARD", "DAYLIGHT"}  # the whole year's rules, not one offset
    assert b"X-PUBLISHED-TTL:PT1H" in feed
    events = events_of(feed)
    assert sorted(events) == sorted(
        f"event-{e.id}@band-admin" for e in (confirmed, hold, cancelled)
    )
    show = events[f"event-{confirmed.id}@band-admin"]
    assert str(show["status"]) == "CONFIRMED"
    assert show.decoded("dtstart") == datetime(2026, 10, 24, 22, tzinfo=ZoneInfo(BERLIN))
    # 02:00 on the night clocks go back: the first (summer-time) 02:00, as RFC 5545 reads
    # it. (Aware times inside a repeated hour never equal another zone's: compare in UTC.)
    assert show.decoded("dtend").astimezone(UTC) == at(BERLIN, 2026, 10, 25, 2)
    assert b"DTEND;TZID=Europe/Berlin:20261025T020000" in feed
    assert show["dtstart"].params["TZID"] == BERLIN
    assert str(show["summary"]) == TRICKY
    assert str(show["location"]) == "Lido, Cuvrystr. 7, Berlin"
    assert str(show["description"]) == (
        "Doors 21:00, bring ID; no re-entry.\nSecond line.\n\nBands: The Commas"
    )
    held = events[f"event-{hold.id}@band-admin"]
    assert (str(held["status"]), str(held["summary"])) == ("TENTATIVE", "Show (hold 1)")
    assert str(events[f"event-{cancelled.id}@band-admin"]["status"]) == "CANCELLED"
    assert b"Bands\\, beers\\; and\\nmore \\\\ backslashes" in feed


def test_the_second_pass_through_a_repeated_hour_is_written_in_utc(world: World) -> None:
    # Clocks go back from 03:00 CEST to 02:00 CET: this show ends at the second 02:30
    # (CET, 01:30 UTC); "TZID=Europe/Berlin:...T023000" would mean the first, an hour early.
    ends_at = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    world.event(world.lido, at(BERLIN, 2026, 10, 24, 22), ends_at)

    feed = venue_feed(world.session, world.lido.id, now=NOW)

    assert b"DTEND:20261025T013000Z" in feed
    (vevent,) = events_of(feed).values()
    assert vevent.decoded("dtend") == ends_at


def test_an_edit_keeps_the_uid_and_raises_the_sequence(world: World) -> None:
    event = world.event(world.lido, at(BERLIN, 2026, 11, 6, 20), at(BERLIN, 2026, 11, 6, 23))
    uid = f"event-{event.id}@band-admin"
    before = events_of(venue_feed(world.session, world.lido.id, now=NOW))[uid]

    event.title = "Show, moved"
    event.starts_at = at(BERLIN, 2026, 11, 6, 21)
    world.session.flush()
    after = events_of(venue_feed(world.session, world.lido.id, now=NOW))[uid]

    assert (before.decoded("sequence"), after.decoded("sequence")) == (1, 2)
    assert str(after["summary"]) == "Show, moved"
    assert after.decoded("dtstart") == datetime(2026, 11, 6, 21, tzinfo=ZoneInfo(BERLIN))


def test_band_feed_has_confirmed_gigs_in_each_venues_zone(world: World) -> None:
    gig = world.event(world.bowery, at(NEW_YORK, 2026, 11, 1, 22), at(NEW_YORK, 2026, 11, 2, 1))
    world.apply(gig, status="accepted")
    maybe = world.event(world.lido, at(BERLIN, 2026, 11, 6, 20), at(BERLIN, 2026, 11, 6, 23))
    world.apply(maybe)  # pending: not a gig
    hold = world.event(world.lido, at(BERLIN, 2026, 11, 7, 20), at(BERLIN, 2026, 11, 7, 23), "hold")
    world.apply(hold, status="accepted")  # accepted on a hold: not a gig yet

    feed = band_feed(world.session, world.band.id, now=NOW)

    calendar = icalendar.Calendar.from_ical(feed)
    assert str(calendar["x-wr-calname"]) == "The Commas: gigs"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["uid"]) == f"event-{gig.id}@band-admin"
    assert vevent["dtstart"].params["TZID"] == NEW_YORK
    assert vevent.decoded("dtstart") == datetime(2026, 11, 1, 22, tzinfo=ZoneInfo(NEW_YORK))
    assert str(vevent["location"]) == "Bowery, New York"
    assert [tz.tz_name for tz in calendar.timezones] == [NEW_YORK]


def test_feed_of_a_missing_owner_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        venue_feed(world.session, 10**9)
    with pytest.raises(NotFound):
        band_feed(world.session, 10**9)


# Tokens ------------------------------------------------------------------------------


def test_token_opens_its_feed_and_only_its_digest_is_stored(world: World) -> None:
    token = issue_token(world.session, world.lido, now=NOW)

    assert len(token) == 43
    assert world.lido.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (world.lido.feed_token_hash or "")
    assert world.lido.feed_token_created_at == NOW
    assert venue_for_token(world.session, token) is world.lido
    assert band_for_token(world.session, token) is None  # a venue's token opens no band feed
    stored = world.session.scalars(select(Venue.feed_token_hash)).all()
    assert token not in stored


def test_regenerating_invalidates_the_old_token(world: World) -> None:
    old = issue_token(world.session, world.band)
    new = issue_token(world.session, world.band)

    assert new != old
    assert band_for_token(world.session, old) is None
    assert band_for_token(world.session, new) is world.band

    revoke_token(world.session, world.band)
    assert band_for_token(world.session, new) is None
    assert world.band.feed_token_created_at is None


@pytest.mark.parametrize("token", ["", "short", "x" * 43 + "/", "é" * 43, "a" * 4000])
def test_malformed_tokens_open_nothing(world: World, token: str) -> None:
    issue_token(world.session, world.lido)
    assert venue_for_token(world.session, token) is None
    assert band_for_token(world.session, token) is None


def test_issuing_with_an_actor_is_scoped_and_audited(world: World) -> None:
    issue_token(world.session, world.lido, actor=world.staff, remote_addr="203.0.113.9", now=NOW)

    (entry,) = world.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.object_type, entry.actor_email, entry.remote_addr) == (
        "issue_feed_token",
        "Venue",
        "clerk@example.com",
        "203.0.113.9",
    )
    assert entry.changes == {"feed_token_created_at": [None, NOW.isoformat()]}
    assert str(world.lido.feed_token_hash) not in str(entry.changes)

    with pytest.raises(ScopeError):
        issue_token(world.session, world.bowery, actor=world.staff)
    with pytest.raises(ScopeError):  # staff read bands but do not change them
        issue_token(world.session, world.band, actor=world.staff)
    assert world.bowery.feed_token_hash is None


def test_the_database_refuses_a_shared_digest(world: World) -> None:
    issue_token(world.session, world.lido)
    world.bowery.feed_token_hash = world.lido.feed_token_hash
    with pytest.raises(IntegrityError), world.session.begin_nested():
        world.session.flush()
