"""The calendars' Month | List switch and the day-marking message, over HTTP.

The view is in the URL (``?view=month|list``), so it survives the month links, the venue
picker and a day mark; no choice leaves the stylesheet's responsive default. A day mark's
message is shown in the marked day's cell, where the redirect's fragment scrolls the eye.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.auth_support import sign_in
from tests.worlds.site import MONTH, Site, build_site, post


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def table_class(html: str) -> str:
    found = re.search(r'<table class="(cal-table[^"]*)"', html)
    assert found is not None
    return found.group(1)


def switch_links(html: str) -> dict[str, str]:
    """``label -> the <a> tag`` of the Month | List switch."""
    group = re.search(r'<div class="btn-group cal-views[^"]*"(.*?)</div>', html, re.S)
    assert group is not None, "no Month | List switch"
    links = re.findall(r"(<a [^>]*>)\s*(\w+)</a>", group.group(1))
    return {label: tag for tag, label in links}


def cell(html: str, iso: str) -> str:
    """The HTML of the calendar cell of day ``iso``."""
    found = re.search(rf'<td id="day-{iso}".*?</td>', html, re.S)
    assert found is not None, f"no cell for {iso}"
    return found.group(0)


@pytest.mark.parametrize("kind", ["venue", "band"])
def test_no_choice_is_the_responsive_default(client: TestClient, site: Site, kind: str) -> None:
    sign_in(client, "root@example.com")
    owner = site.venue_a if kind == "venue" else site.band
    page = client.get(f"/admin/calendar/{kind}/{owner}?month={MONTH}")

    assert page.status_code == 200
    assert table_class(page.text) == "cal-table view-auto"
    links = switch_links(page.text)
    assert set(links) == {"Month", "List"}
    assert "aria-current" not in links["Month"] + links["List"]
    assert f"month={MONTH}&amp;view=list" in links["List"]
    assert f"month={MONTH}&amp;view=month" in links["Month"]


@pytest.mark.parametrize("kind", ["venue", "band"])
@pytest.mark.parametrize("view", ["month", "list"])
def test_a_chosen_view_is_marked_and_kept_in_every_link(
    client: TestClient, site: Site, kind: str, view: str
) -> None:
    sign_in(client, "root@example.com")
    owner = site.venue_a if kind == "venue" else site.band
    page = client.get(f"/admin/calendar/{kind}/{owner}?month={MONTH}&view={view}")

    assert table_class(page.text) == f"cal-table view-{view}"
    links = switch_links(page.text)
    chosen, other = ("Month", "List") if view == "month" else ("List", "Month")
    assert 'aria-current="true"' in links[chosen]
    assert "active" in links[chosen]
    assert "aria-current" not in links[other]
    # The month navigation and every day form carry the choice on.
    for rel in ("prev", "next"):
        nav = re.search(rf'<a [^>]*rel="{rel}" href="([^"]*)"', page.text)
        assert nav is not None
        assert f"view={view}" in nav.group(1)
    forms = page.text.count('name="date"')
    assert forms > 0
    assert page.text.count(f'<input type="hidden" name="view" value="{view}">') >= forms


def test_the_venue_picker_keeps_the_view(client: TestClient, site: Site) -> None:
    sign_in(client, "root@example.com")
    page = client.get(f"/admin/calendar/venue/{site.venue_a}?month={MONTH}&view=list")
    picker = re.search(r'<form [^>]*id="venue-picker">(.*?)</form>', page.text, re.S)
    assert picker is not None
    assert '<input type="hidden" name="view" value="list">' in picker.group(1)

    opened = client.get(
        f"/admin/calendar?venue={site.venue_b}&month={MONTH}&view=list", follow_redirects=False
    )
    assert opened.status_code == 302
    assert opened.headers["location"].endswith(
        f"/admin/calendar/venue/{site.venue_b}?month={MONTH}&view=list"
    )


def test_an_unknown_view_is_the_default(client: TestClient, site: Site) -> None:
    sign_in(client, "root@example.com")
    page = client.get(f"/admin/calendar/venue/{site.venue_a}?month={MONTH}&view=<b>")
    assert page.status_code == 200
    assert table_class(page.text) == "cal-table view-auto"
    assert "&lt;b&gt;" not in page.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2030-02-30", "<b>", ""])
def test_an_odd_message_day_is_ignored(client: TestClient, site: Site, day: str) -> None:
    sign_in(client, "root@example.com")
    page = client.get(f"/admin/calendar/venue/{site.venue_a}?month={MONTH}&day={day}")
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("kind", "who", "status", "said"),
    [
        ("venue", "staff-a@example.com", "closed", "Wed 10 Apr 2030 marked closed."),
        ("band", "root@example.com", "unavailable", "Wed 10 Apr 2030 marked unavailable."),
    ],
)
def test_marking_a_day_keeps_the_view_and_says_so_in_that_day(
    client: TestClient, site: Site, kind: str, who: str, status: str, said: str
) -> None:
    sign_in(client, who)
    owner = site.venue_a if kind == "venue" else site.band
    marked = post(
        client,
        f"/admin/calendar/{kind}/{owner}/day",
        {"date": "2030-04-10", "status": status, "view": "list"},
    )

    assert marked.status_code == 303
    assert marked.headers["location"].endswith(
        f"/admin/calendar/{kind}/{owner}?month=2030-04&day=2030-04-10&view=list#day-2030-04-10"
    )
    page = client.get(marked.headers["location"])
    assert table_class(page.text) == "cal-table view-list"
    day = cell(page.text, "2030-04-10")
    assert said in day
    assert 'role="status"' in day
    # Said once, in the day: not also at the top of the page, out of sight.
    assert page.text.count(said) == 1
    # A reload shows the day without the message again.
    assert said not in client.get(marked.headers["location"]).text


def test_a_message_about_another_month_stays_at_the_top(client: TestClient, site: Site) -> None:
    sign_in(client, "staff-a@example.com")
    post(
        client,
        f"/admin/calendar/venue/{site.venue_a}/day",
        {"date": "2030-04-10", "status": "closed"},
    )
    page = client.get(f"/admin/calendar/venue/{site.venue_a}?month=2030-05&day=2030-04-10")
    assert "Wed 10 Apr 2030 marked closed." in page.text
    assert "marked closed" not in cell(page.text, "2030-05-10")
