"""Calendar feeds over HTTP: issuing and regenerating URLs, what a token opens, and nothing else."""

from __future__ import annotations

import re
from datetime import date

import icalendar
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import Band, Venue
from tests.auth_support import sign_in
from tests.worlds.site import (
    NEW_YORK,
    Site,
    add_event,
    audit_of,
    build_site,
    counting,
    fill_month,
    post,
)

FEED_URL = re.compile(r'value="(http://testserver/feeds/(?:venue|band)/[A-Za-z0-9_-]{43}\.ics)"')


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def regenerate(client: TestClient, url: str) -> str:
    """POST "Regenerate feed URL", confirmed, and return the https:// URL shown (once)."""
    page = post(client, url, {"confirm": "1"})
    assert page.status_code == 200, page.text
    found = FEED_URL.findall(page.text)
    assert found, "the new feed URL is shown"
    https: str = found[0]
    assert f'value="webcal://{https.removeprefix("http://")}"' in page.text
    assert "shown only this once" in page.text
    return https.removeprefix("http://testserver")


def summaries(body: bytes) -> set[str]:
    """The SUMMARY of every VEVENT, parsed with icalendar."""
    calendar = icalendar.Calendar.from_ical(body)
    return {str(vevent["summary"]) for vevent in calendar.walk("VEVENT")}


def test_staff_issue_a_venue_feed_and_read_it(
    client: TestClient, engine: Engine, site: Site
) -> None:
    add_event(engine, site.venue_a, date(2030, 4, 12), title="Alpha night")
    add_event(engine, site.venue_b, date(2030, 4, 12), title="Bravo night", zone=NEW_YORK)
    sign_in(client, "staff-a@example.com")
    page = client.get(f"/admin/calendar/venue/{site.venue_a}")
    assert "Create feed URL" in page.text

    feed_path = regenerate(client, f"/admin/calendar/venue/{site.venue_a}/feed")
    client.cookies.clear()  # calendar apps have no session
    feed = client.get(feed_path)

    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert feed.headers["cache-control"] == "private, max-age=300"
    assert summaries(feed.content) == {"Alpha night"}  # never another venue's show
    assert audit_of(engine, "Venue") == [("issue_feed_token", "staff-a@example.com")]
    with Session(engine) as session:
        stored = session.scalar(select(Venue.feed_token_hash).where(Venue.id == site.venue_a))
    assert stored is not None
    assert feed_path.split("/")[-1].removesuffix(".ics") not in stored  # only the hash


def test_regenerating_stops_the_old_url(client: TestClient, engine: Engine, site: Site) -> None:
    sign_in(client, "manager-a@example.com")
    old = regenerate(client, f"/admin/calendar/venue/{site.venue_a}/feed")
    page = client.get(f"/admin/calendar/venue/{site.venue_a}")
    assert "Regenerate feed URL" in page.text
    assert old not in page.text  # the token is never shown again

    new = regenerate(client, f"/admin/calendar/venue/{site.venue_a}/feed")

    assert new != old
    gone = client.get(old)
    assert gone.status_code == 404
    assert "No calendar feed at this address" in gone.text
    assert client.get(new).status_code == 200
    assert [action for action, _ in audit_of(engine, "Venue")] == ["issue_feed_token"] * 2


def test_a_feed_url_issued_from_a_later_month_stays_on_that_month(
    client: TestClient, site: Site
) -> None:
    """The feed card's form carries the page's month: the answer, the confirmation and a
    resubmit all show that month, not the current one."""
    sign_in(client, "manager-a@example.com")
    page = client.get(f"/admin/calendar/venue/{site.venue_a}?month=2030-04")
    assert f'action="http://testserver/admin/calendar/venue/{site.venue_a}/feed?month=2030-04"' in (
        page.text
    )

    feed = f"/admin/calendar/venue/{site.venue_a}/feed?month=2030-04"
    issued = post(client, feed, {"confirm": "1"})
    assert issued.status_code == 200
    assert "April 2030" in issued.text  # the month it was issued from, with the new URL
    assert "shown only this once" in issued.text

    asked = post(client, feed, {})  # the next one asks first, and comes back to April
    assert f'action="{feed}"' in asked.text
    assert f"/admin/calendar/venue/{site.venue_a}?month=2030-04" in asked.text


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/venue/" + "A" * 43 + ".ics",  # well formed, unknown
        "/feeds/venue/short.ics",
        "/feeds/venue/%2e%2e.ics",
        "/feeds/band/" + "A" * 43 + ".ics",
    ],
)
def test_unknown_tokens_are_404(client: TestClient, site: Site, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert "BEGIN:VCALENDAR" not in answer.text


def test_a_token_opens_only_its_own_feed(client: TestClient, engine: Engine, site: Site) -> None:
    add_event(engine, site.venue_b, date(2030, 4, 12), title="Bravo night", zone=NEW_YORK)
    sign_in(client, "staff-a@example.com")
    venue_a_path = regenerate(client, f"/admin/calendar/venue/{site.venue_a}/feed")
    token = venue_a_path.split("/")[-1]

    # Staff of A cannot issue B's feed, nor read B's shows or a band feed with A's token.
    refused = post(client, f"/admin/calendar/venue/{site.venue_b}/feed")
    assert refused.status_code == 404
    assert "Bravo night" not in client.get(venue_a_path).text
    assert client.get(f"/feeds/band/{token}").status_code == 404
    with Session(engine) as session:
        assert session.scalar(select(Venue.feed_token_hash).where(Venue.id == site.venue_b)) is None


def test_band_feed_is_for_superusers(client: TestClient, engine: Engine, site: Site) -> None:
    add_event(
        engine,
        site.venue_a,
        date(2030, 4, 13),
        title="Commas live",
        band_id=site.band,
        application="accepted",
    )
    sign_in(client, "staff-a@example.com")
    refused = post(client, f"/admin/calendar/band/{site.band}/feed")
    assert refused.status_code == 403
    assert "You cannot change the calendar feed" in refused.text

    sign_in(client, "root@example.com")
    band_path = regenerate(client, f"/admin/calendar/band/{site.band}/feed")
    feed = client.get(band_path)

    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert summaries(feed.content) == {"Commas live"}
    with Session(engine) as session:
        assert session.scalar(select(Band.feed_token_hash)) is not None
    assert audit_of(engine, "Band") == [("issue_feed_token", "root@example.com")]


def test_feed_runs_a_fixed_number_of_statements(
    client: TestClient, engine: Engine, site: Site
) -> None:
    sign_in(client, "staff-a@example.com")
    feed_path = regenerate(client, f"/admin/calendar/venue/{site.venue_a}/feed")
    app_engine = client.app.state.engine  # type: ignore[attr-defined]
    counts, sizes = [], []
    for start, events in ((0, 1), (1, 89)):  # 1 event, then 90 in all
        fill_month(engine, site.venue_a, site.band, events, start)
        with counting(app_engine) as executed:
            feed = client.get(feed_path)
        assert feed.status_code == 200
        counts.append(executed())
        sizes.append(len(icalendar.Calendar.from_ical(feed.content).walk("VEVENT")))
    assert sizes == [1, 90]
    assert counts[0] == counts[1]
    assert counts[0] <= 3
