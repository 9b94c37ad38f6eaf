"""An object's history and an audit entry in a real Chromium, on a desk and on a phone, as
the demo's superuser: the demo's "Night Owls Live" was created as a draft at Harbor Hall
and then moved, renamed and confirmed (admin_app/demo.py _seed_history)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_SUPERUSER
from models import Event
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desk": (1400, 900), "phone": (390, 844)}


def _show_id(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(select(Event.id).where(Event.title == "Night Owls Live")).one()[
                    0
                ]
            )
    finally:
        engine.dispose()


def _row(within: Locator, label: str) -> Locator:
    """The table row of the field labelled ``label`` (exactly)."""
    return within.get_by_role("row", name=re.compile(rf"^{re.escape(label)} "))


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_history_and_entry_read_as_before_after_tables(
    live_server: LiveServer, browser_page: Page, viewport: str
) -> None:
    page, base = browser_page, live_server.url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base, *DEMO_SUPERUSER)
    show = _show_id(live_server.database_url)

    page.goto(f"{base}/admin/event/details/{show}")
    with page.expect_navigation():
        page.get_by_test_id("history-link").click()
    expect(page.get_by_role("heading", name="History of Night Owls Live")).to_be_visible()
    expect(page.get_by_text(f"Event {show}", exact=True)).to_be_visible()
    cards = page.get_by_test_id("history-entry")
    expect(cards).to_have_count(2)
    # Newest first: the move, then the creation, each with its own before → after table.
    expect(cards.nth(0)).to_contain_text("Changed")
    expect(cards.nth(1)).to_contain_text("Created")
    title = _row(cards.nth(0), "Title")
    expect(title).to_contain_text("Night Owls (tbc)")
    expect(title).to_contain_text("Night Owls Live")
    venue = _row(cards.nth(0), "Venue")
    expect(venue).to_contain_text("Harbor Hall (New York)")
    expect(venue).to_contain_text("The Blue Lantern (Berlin)")
    starts = _row(cards.nth(0), "Starts (venue time)")
    expect(starts).to_contain_text("(Europe/Berlin)")
    expect(cards.nth(0)).to_contain_text(DEMO_SUPERUSER[0])
    # No raw codes or dicts.
    expect(page.locator("main, .page-body").first).not_to_contain_text("venue_id")
    # The page itself never scrolls sideways, on a phone either.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshot(page, f"history-object-{viewport}")

    with page.expect_navigation():
        cards.nth(0).get_by_role("link", name="Changed").click()
    entry = page.get_by_test_id("audit-entry")
    expect(entry).to_contain_text("Changed")
    expect(entry).to_contain_text(DEMO_SUPERUSER[0])
    expect(entry).to_contain_text("(Europe/Berlin)")
    changes = page.get_by_test_id("audit-changes")
    expect(_row(changes, "Status")).to_contain_text("draft")
    expect(_row(changes, "Status")).to_contain_text("confirmed")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshot(page, f"history-entry-{viewport}")
