"""What a list page says in words: the search box names what it searches, an empty list
says "No items", and the filters are a panel that folds (console/list.html)."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.localtime import format_utc
from admin_app.views._list_page import _css_string
from models import EventApplication
from tests.console_views_support import (
    add_application,
    add_band,
    add_event,
    add_venue,
    sign_in_superuser,
)
from tests.worlds.rows import utc

LISTS = [
    "user",
    "band",
    "band-member",
    "band-availability",
    "band-member-availability",
    "venue",
    "venue-staff",
    "venue-operating-hours",
    "venue-availability",
    "event",
    "event-application",
    "audit-entry",
]


def placeholder(html: str) -> str:
    """The search box's placeholder."""
    found = re.search(r'id="search-input"[^>]*placeholder="([^"]*)"', html, re.S)
    assert found, html
    return found.group(1)


def test_search_box_says_in_words_what_it_searches(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    shown = {}
    for identity in LISTS:
        response = client.get(f"/admin/{identity}/list")
        assert response.status_code == 200, identity
        shown[identity] = placeholder(response.text)
    assert shown["venue-staff"] == "Search by venue name, user name or user email"
    assert shown["event-application"] == "Search by band name or event title"
    assert shown["event"] == "Search by title"
    for text in shown.values():
        assert text.startswith("Search by ")
        assert "." not in text, shown
        assert "_" not in text, shown


def test_an_empty_list_says_no_items(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    empty = client.get("/admin/event/list")
    assert empty.status_code == 200
    assert "No items" in empty.text
    assert "Showing 1 to 0" not in empty.text
    add_venue(engine, "Roxy")
    venues = client.get("/admin/venue/list")
    assert "Showing 1 to 1 of 1 items" in venues.text
    assert "No items" not in venues.text


def test_filters_are_a_folding_panel(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    page = client.get("/admin/event/list")
    assert '<details id="filter-sidebar" class="card" open>' in page.text
    assert '<summary class="card-header">' in page.text


def test_every_menu_category_has_its_mark(client: TestClient, engine: Engine) -> None:
    """Each heading of the menu has an icon like its neighbours ("Venues" and "Bookings"
    stood bare and out of line under "Bands")."""
    sign_in_superuser(client, engine)
    html = client.get("/admin/").text
    categories = re.findall(
        r'data-sqladmin-menu-category="([^"]+)".*?'
        r'<span class="nav-link-icon[^>]*>\s*(<i class="[^"]+"></i>)?',
        html,
        re.S,
    )
    assert {name for name, _ in categories} >= {
        "Bands",
        "Venues",
        "Bookings",
        "People",
        "Audit",
        "Account",
    }
    assert [name for name, icon in categories if not icon] == []


def test_a_phone_names_each_value_of_a_row(client: TestClient, engine: Engine) -> None:
    """On a phone rows are cards; one style rule per column names its values (not a label
    repeated in every cell), and a label cannot end the string, rule or element."""
    sign_in_superuser(client, engine)
    html = client.get("/admin/event/list").text
    style = re.search(r"<style>@media \(max-width:767.98px\)\{(.*?)\}</style>", html)
    assert style, html
    assert '#list-rows td:nth-child(3)::before{content:"Title"}' in style.group(1)
    assert '#list-rows td:nth-child(6)::before{content:"Status"}' in style.group(1)
    assert _css_string('Say "hi"</style>{x}') == "Say \\22 hi\\22 \\3c /style\\3e \\7b x\\7d "


def test_a_time_of_no_venue_shows_its_hour_and_says_utc(client: TestClient, engine: Engine) -> None:
    """An application's "Created at" is an instant, not a day: date, hour and zone (a
    datetime was formatted as a bare date, as on the outbox's queued and sent times)."""
    sign_in_superuser(client, engine)
    venue = add_venue(engine, "The Blue Lantern")
    event = add_event(engine, venue, "Late show", utc(2027, 1, 8, 19), utc(2027, 1, 8, 22))
    application = add_application(engine, event, add_band(engine, "Static Bloom"))
    with Session(engine) as session:
        created = session.get_one(EventApplication, application).created_at

    page = client.get(f"/admin/event-application/details/{application}").text

    assert format_utc(created) in page
    assert re.search(r"\w{3} \d\d \w{3} \d{4} \d\d:\d\d \(UTC\)", format_utc(created))


def test_pages_name_their_icon(client: TestClient, engine: Engine) -> None:
    """SQLAdmin's favicon_url: browsers asked every page for /favicon.ico (a 404)."""
    sign_in_superuser(client, engine)
    page = client.get("/admin/").text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon, page
    answer = client.get(icon.group(1))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")


def test_a_read_only_list_offers_no_tick_boxes(client: TestClient, engine: Engine) -> None:
    """Tick boxes and "Actions" only where ticked rows can be acted on: the audit log (the
    superuser reads it, nobody changes it) had both, the menu greyed out."""
    sign_in_superuser(client, engine)
    add_venue(engine, "The Blue Lantern")

    audit = client.get("/admin/audit-entry/list").text
    assert 'class="form-check-input select-box"' not in audit
    assert 'id="select-all"' not in audit
    assert ">Actions</button>" not in audit

    venues = client.get("/admin/venue/list").text
    assert 'class="form-check-input select-box"' in venues
    assert 'id="select-all"' in venues
    assert ">Actions</button>" in venues
