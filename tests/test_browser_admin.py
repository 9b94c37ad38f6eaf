"""Issue 3 in a real browser: a superuser creates a venue and an event through the console's
forms and pickers, edits the event, finds it by search, and reads both changes in its history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from admin_app.demo import DEMO_SUPERUSER
from models import AuditEntry, Event, Venue
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VENUE_NAME = "Playwright Palace"
FIRST_TITLE = "Browser Night"
NEW_TITLE = "Browser Night: Late Show"


@pytest.fixture
def live_db(live_server: LiveServer) -> Iterator[Engine]:
    """An engine on the live server's own SQLite database, to check what the browser saved."""
    engine = create_engine(live_server.database_url)
    yield engine
    engine.dispose()


def save(page: Page) -> None:
    """Press the form's plain "Save" button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()


def search_events(page: Page, base_url: str, term: str) -> None:
    """Type ``term`` into the events list's search box and run the search."""
    page.goto(f"{base_url}/admin/event/list")
    page.locator("#search-input").fill(term)
    with page.expect_navigation():
        page.locator("#search-button").click()


def create_venue(page: Page, base_url: str) -> None:
    """Fill in and save the venue form: a time zone from the select, a capacity."""
    page.goto(f"{base_url}/admin/venue/create")
    page.locator("#name").fill(VENUE_NAME)
    page.locator("#city").fill("Lisbon")
    page.locator("#address").fill("Rua do Teste 1")
    page.locator("#timezone").select_option("Europe/Lisbon")
    page.locator("#capacity").fill("420")
    save_screenshot(page, "admin-venue-form")
    save(page)
    expect(page).to_have_url(f"{base_url}/admin/venue/list")


def create_event(page: Page, base_url: str) -> None:
    """Fill in and save the event form, picking the venue by typing part of its name."""
    page.goto(f"{base_url}/admin/event/create")
    # The venue is a search-as-you-type select2 field asking the server for matches.
    page.locator("#venue + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").press_sequentially(
        "Playwright Pal", delay=30
    )
    page.locator(".select2-results__option", has_text=VENUE_NAME).click()
    expect(page.locator("#venue + .select2 .select2-selection")).to_contain_text(VENUE_NAME)
    page.locator("#title").fill(FIRST_TITLE)
    page.locator("#description").fill("Made by the browser test.")
    # Native date-time pickers: values are typed on the venue's clock.
    page.locator("#starts_at").fill("2030-05-01T21:00")
    page.locator("#ends_at").fill("2030-05-01T23:30")
    page.locator("#status").select_option("confirmed")
    save_screenshot(page, "admin-event-form")
    save(page)
    expect(page).to_have_url(f"{base_url}/admin/event/list")


def open_only_result(page: Page, title: str) -> None:
    """Open the details page of the single row the list shows, by its title (a link)."""
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    with page.expect_navigation():
        rows.first.get_by_role("link", name=title, exact=True).click()


def changes_table(page: Page) -> Locator:
    """The before → after table of an audit entry's details page."""
    return page.get_by_test_id("audit-changes")


def field_row(table: Locator, label: str) -> Locator:
    """The row of the field labelled ``label`` in a changes table."""
    return table.get_by_role("row", name=re.compile(rf"^{re.escape(label)} "))


def test_superuser_creates_edits_finds_and_audits_an_event(
    live_server: LiveServer, browser_page: Page, live_db: Engine
) -> None:
    page, base_url = browser_page, live_server.url
    email, password = DEMO_SUPERUSER
    sign_in(page, base_url, email, password)

    create_venue(page, base_url)
    create_event(page, base_url)

    # Edit: from the event's details page to its form, change the title only.
    search_events(page, base_url, FIRST_TITLE)
    open_only_result(page, FIRST_TITLE)
    with page.expect_navigation():
        page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("#starts_at")).to_have_value("2030-05-01T21:00")  # venue clock
    page.locator("#title").fill(NEW_TITLE)
    save_screenshot(page, "admin-event-edit")
    save(page)

    # Found by a part of the new title; the old one finds nothing now.
    search_events(page, base_url, "late show")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NEW_TITLE)
    expect(rows.first).to_contain_text(VENUE_NAME)
    save_screenshot(page, "admin-event-list-search")

    open_only_result(page, NEW_TITLE)
    history_link = page.get_by_test_id("history-link")
    expect(history_link).to_have_text("History")
    save_screenshot(page, "admin-event-details")
    with page.expect_navigation():
        history_link.click()

    # The history shows this event's two changes, newest first, and nothing else.
    entries = page.get_by_test_id("history-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("Changed")
    expect(entries.nth(1)).to_contain_text("Created")
    for index in range(2):
        expect(entries.nth(index)).to_contain_text(email)
    save_screenshot(page, "admin-event-history")

    # The update entry shows the title before and after; the create shows the first values.
    with page.expect_navigation():
        entries.nth(0).get_by_role("link", name="Changed").click()
    changes = changes_table(page)
    expect(field_row(changes, "Title")).to_contain_text(FIRST_TITLE)
    expect(field_row(changes, "Title")).to_contain_text(NEW_TITLE)
    expect(changes).not_to_contain_text("Description")  # only what changed
    save_screenshot(page, "admin-event-history-update")
    page.go_back()
    with page.expect_navigation():
        page.get_by_test_id("history-entry").nth(1).get_by_role("link", name="Created").click()
    changes = changes_table(page)
    expect(field_row(changes, "Title")).to_contain_text(f"— → {FIRST_TITLE}")
    expect(field_row(changes, "Status")).to_contain_text("confirmed")
    save_screenshot(page, "admin-event-history-create")

    # What the browser saved is in the database, with its audit trail.
    with Session(live_db) as session:
        venue = session.scalars(select(Venue).where(Venue.name == VENUE_NAME)).one()
        assert (venue.city, venue.timezone, venue.capacity) == ("Lisbon", "Europe/Lisbon", 420)
        event = session.scalars(select(Event).where(Event.venue_id == venue.id)).one()
        assert (event.title, event.status) == (NEW_TITLE, "confirmed")
        # 21:00 in Lisbon in May (WEST, UTC+1) is 20:00 UTC; SQLite hands back naive UTC.
        assert event.starts_at.replace(tzinfo=UTC) == datetime(2030, 5, 1, 20, 0, tzinfo=UTC)
        assert event.ends_at.replace(tzinfo=UTC) == datetime(2030, 5, 1, 22, 30, tzinfo=UTC)

        audit = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "Event", AuditEntry.object_id == str(event.id))
            .order_by(AuditEntry.id)
        ).all()
        assert [(entry.action, entry.actor_email) for entry in audit] == [
            ("create", email),
            ("update", email),
        ]
        created, updated = (entry.changes or {} for entry in audit)
        assert created["title"] == [None, FIRST_TITLE]
        assert created["venue_id"] == [None, venue.id]
        assert updated == {"title": [FIRST_TITLE, NEW_TITLE]}
        venue_audit = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "Venue", AuditEntry.object_id == str(venue.id)
            )
        ).all()
        assert venue_audit == ["create"]
