"""The event form's "Confirm anyway" box in a real Chromium: not a first question on a new
event, but there, last and next to the refusal, once a save on a closed day asked for it.

The demo's "Closed-Door Session" is a confirmed show on a day the venue marked closed:
moving its end is refused until the box is ticked, and then saved.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_MANAGER
from models import Event
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def closed_day_show(database_url: str) -> tuple[int, str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                select(Event.id, Event.ends_at).where(Event.title == "Closed-Door Session")
            ).one()
    finally:
        engine.dispose()
    return row.id, row.ends_at.isoformat()


def test_confirm_anyway_appears_only_when_a_save_asks_for_it(
    live_server: LiveServer, browser_page: Page
) -> None:
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, *DEMO_MANAGER)
    event_id, ends_before = closed_day_show(live_server.database_url)

    page.goto(f"{base}/admin/event/create")
    assert page.locator("#venue").count() == 1
    assert not page.locator("#confirm_anyway").is_visible()

    page.goto(f"{base}/admin/event/edit/{event_id}")
    assert not page.locator("#confirm_anyway").is_visible()
    page.fill("#ends_at", page.input_value("#ends_at")[:11] + "22:30")
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")

    box = page.locator("#confirm_anyway")
    assert box.is_visible()
    save_screenshot(page, "confirm-anyway-asked")
    assert "marked" in page.locator(".invalid-feedback").first.inner_text()
    labels = page.locator("form label").all_inner_texts()
    assert labels[-1].strip() == "Confirm anyway", labels

    box.check()
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")
    assert page.locator("#confirm_anyway").count() == 0  # saved: the details page
    assert closed_day_show(live_server.database_url)[1] != ends_before
