"""The events list in a real Chromium with a 200-character title: every column header stays
on screen at 1400x900 (no sideways scroll to reach Status), the title is cut to three lines
with its whole text as a tooltip, and it opens the event; at 390x844 the page itself never
scrolls sideways. Screenshots are kept as artifacts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, update

from admin_app.demo import DEMO_SUPERUSER
from models import Event
from tests.browser import LiveServer, save_screenshot, sign_in
from tests.test_browser_layout import VIEWPORTS, clipped_columns, overflow

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LONG_TITLE = ("An evening of very long titles that nobody thought would be typed here " * 3)[:200]
EVENT_COLUMNS = ("Title", "Venue", "Starts (venue time)", "Status", "Accepted bands")
CLAMPED_LINES = 3


def give_an_event_the_long_title(database_url: str) -> None:
    """Rename the demo's "Acoustic Evening" to :data:`LONG_TITLE`."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            renamed = connection.execute(
                update(Event).where(Event.title == "Acoustic Evening").values(title=LONG_TITLE)
            )
            assert renamed.rowcount == 1
    finally:
        engine.dispose()


def test_a_long_title_leaves_every_events_column_on_screen(
    live_server: LiveServer, browser_page: Page
) -> None:
    page, base = browser_page, live_server.url
    give_an_event_the_long_title(live_server.database_url)
    sign_in(page, base, *DEMO_SUPERUSER)

    width, height = VIEWPORTS["desk"]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{base}/admin/event/list?search=evening+of+very+long")
    title = page.locator("#list-rows").get_by_role("link", name=LONG_TITLE, exact=True)
    expect(title).to_have_count(1)
    save_screenshot(page, "lists-long-title-desk")
    assert clipped_columns(page, EVENT_COLUMNS) == []
    sizes = overflow(page)
    assert sizes["scroll"] <= sizes["width"], sizes
    # Cut to three lines, the whole title on hover.
    expect(title).to_have_attribute("title", LONG_TITLE)
    box = title.bounding_box()
    line = float(title.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box is not None
    assert box["height"] <= (CLAMPED_LINES + 0.5) * line, (box, line)

    with page.expect_navigation():
        title.click()
    expect(page.locator("main")).to_contain_text(LONG_TITLE)
    assert "/admin/event/details/" in page.url

    width, height = VIEWPORTS["phone"]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{base}/admin/event/list?search=evening+of+very+long")
    save_screenshot(page, "lists-long-title-phone")
    sizes = overflow(page)
    assert sizes["scroll"] <= sizes["width"], sizes
    assert clipped_columns(page, EVENT_COLUMNS[:1]) == []
