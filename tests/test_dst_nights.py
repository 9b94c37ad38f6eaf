"""Nights the clocks change: holds offered on them can be placed, saved times stay put."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import NamedTuple

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import Event
from tests.auth_support import sign_in
from tests.console_views_support import add_event, add_venue, post_form, sign_in_superuser
from tests.worlds import rows
from tests.worlds.rows import utc
from tests.worlds.site import post

STAFF = "night-staff@example.com"
SATURDAY, SUNDAY = 5, 6


class Night(NamedTuple):
    venue: int
    band: int


def venue_and_band(engine: Engine, zone: str, weekday: int, opens: int, closes: int) -> Night:
    """Commit a venue in ``zone`` open on ``weekday`` (whole hours), its staff member, a band."""
    with rows.committed(engine) as session:
        venue = rows.venue(session, "Night Owl", timezone=zone)
        rows.opening_hours(session, venue, weekday, opens=opens, closes=closes)
        band = rows.band(session, "The Commas")
        rows.user(session, STAFF, venue=venue, role="staff")
    return Night(venue.id, band.id)


@pytest.mark.parametrize(
    ("zone", "night", "starts_at", "ends_at"),
    [
        # Sydney, first Sunday of October: 02:00 AEST becomes 03:00 AEDT (16:00 UTC).
        ("Australia/Sydney", date(2030, 10, 5), utc(2030, 10, 5, 10), utc(2030, 10, 5, 16)),
        # New York, second Sunday of March: 02:00 EST becomes 03:00 EDT (07:00 UTC).
        ("America/New_York", date(2030, 3, 9), utc(2030, 3, 10, 1), utc(2030, 3, 10, 7)),
    ],
)
def test_a_night_the_clocks_skip_closing_time_is_held_with_one_click(
    client: TestClient,
    engine: Engine,
    zone: str,
    night: date,
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    venue, band = venue_and_band(engine, zone, SATURDAY, opens=20, closes=2)  # 20:00-02:00
    sign_in(client, STAFF)

    page = client.get(f"/admin/calendar/match?venue={venue}&band={band}&month={night:%Y-%m}")
    assert page.status_code == 200
    assert f'data-date="{night.isoformat()}"' in page.text  # offered

    held = post(
        client,
        "/admin/calendar/match/hold",
        {"venue": str(venue), "band": str(band), "date": night.isoformat()},
    )

    assert held.status_code == 303, held.text
    with Session(engine) as session:
        event = session.scalars(select(Event)).one()
    assert (event.status, event.hold_rank) == ("hold", 1)
    assert (event.starts_at, event.ends_at) == (starts_at, ends_at)
    # The page said so: beside the night, and the rule under the list.
    assert "The clocks go forward that night: held 20:00-03:00." in page.text
    assert "a usual opening or closing time they skip counts as the moment they change" in (
        page.text
    )


def test_hours_the_clocks_skip_entirely_are_not_offered(client: TestClient, engine: Engine) -> None:
    # Open 02:00-03:00 on Sundays: on 10 Mar 2030 New York skips exactly that hour.
    venue, band = venue_and_band(engine, "America/New_York", SUNDAY, opens=2, closes=3)
    sign_in(client, STAFF)

    page = client.get(f"/admin/calendar/match?venue={venue}&band={band}&month=2030-03")
    assert 'data-date="2030-03-03"' in page.text  # an ordinary Sunday
    assert 'data-date="2030-03-10"' not in page.text
    refused = post(
        client,
        "/admin/calendar/match/hold",
        {"venue": str(venue), "band": str(band), "date": "2030-03-10"},
    )
    assert refused.status_code == 409
    assert (
        "The venue&#39;s usual hours fall in the hour the clocks skip that night." in refused.text
    )
    with Session(engine) as session:
        assert session.scalars(select(Event)).all() == []


# New York, first Sunday of November 2030: 01:00-01:59 happens twice, first EDT then EST.
SECOND_0130 = utc(2030, 11, 3, 6, 30)  # 01:30 EST, the second 01:30
FIRST_0145 = utc(2030, 11, 3, 5, 45)  # 01:45 EDT, the first 01:45
ENDS = utc(2030, 11, 3, 8)  # 03:00 EST


def test_an_unchanged_second_occurrence_stays_where_it_is(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine, "Bowery", city="New York", timezone="America/New_York")
    show = add_event(engine, venue, "Late set", SECOND_0130, ENDS)
    edit_url = f"/admin/event/edit/{show}"
    page = client.get(edit_url).text
    assert 'value="2030-11-03T01:30"' in page
    assert 'value="2030-11-03T03:00"' in page
    form = {
        "venue": str(venue),
        "title": "Late set",
        "description": "",
        "starts_at": "2030-11-03T01:30",
        "ends_at": "2030-11-03T03:00",
        "status": "confirmed",
        "hold_rank": "",
        "version": "1",
    }

    assert post_form(client, edit_url, form).status_code == 302
    with Session(engine) as session:
        saved = session.get(Event, show)
        assert saved is not None
        assert (saved.starts_at, saved.ends_at) == (SECOND_0130, ENDS)

    # A time typed into the repeated hour is the first one, as the form says.
    moved = form | {
        "starts_at": "2030-11-03T01:45",
        "version": version_on(client.get(edit_url).text),
    }
    assert post_form(client, edit_url, moved).status_code == 302
    with Session(engine) as session:
        saved = session.get(Event, show)
        assert saved is not None
        assert (saved.starts_at, saved.ends_at) == (FIRST_0145, ENDS)


def version_on(edit_page: str) -> str:
    """The row version an edit page's form carries."""
    found = re.search(r'name="version" type="hidden" value="(\d+)"', edit_page)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("url", ["/admin/event/create", "/admin/event/edit/{show}"])
def test_the_event_form_states_the_repeated_hour_rule(
    client: TestClient, engine: Engine, url: str
) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine)
    show = add_event(engine, venue, "Show", utc(2030, 11, 3, 19), utc(2030, 11, 3, 22))
    page = client.get(url.format(show=show))
    assert page.status_code == 200
    assert (
        "When the clocks go back, a time in the hour that happens twice means the first one"
        in page.text
    )
    assert "a saved time you leave unchanged keeps its place" in page.text
