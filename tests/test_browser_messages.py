"""Confirmations and messages in a real Chromium (issue 16, "messages"), as the demo's
manager and superuser, on a desktop (1400x900) and a phone (390x844): cancelling a
confirmed show asks first (a page, no JavaScript needed), the message of the change is in
view above the page, regenerating a working feed URL asks first, and the delete modal names
the row and what goes with it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, func, select

from admin_app.demo import DEMO_MANAGER, DEMO_SUPERUSER
from models import AuditEntry, Event, Venue
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}
SHOW = "Night Owls Live"  # confirmed, at The Blue Lantern (the demo manager's venue)


def looked_up(database_url: str, statement: object) -> object:
    """One value from the live server's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(statement)  # type: ignore[call-overload]
    finally:
        engine.dispose()


def in_view(page: Page, selector: str) -> None:
    """The element is shown inside the window, without scrolling."""
    box = page.locator(selector).first.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert viewport is not None
    assert 0 <= box["y"] < viewport["height"], box


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_cancel_a_confirmed_show_and_regenerate_a_feed_url(
    live_server: LiveServer, browser_page: Page, viewport: str
) -> None:
    page, base, db = browser_page, live_server.url, live_server.database_url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base, *DEMO_MANAGER)
    event_id = looked_up(db, select(Event.id).where(Event.title == SHOW))

    page.goto(f"{base}/admin/event/details/{event_id}")
    page.get_by_role("button", name="Cancel event").click()
    page.wait_for_load_state()
    question = page.get_by_test_id("confirm")
    assert f"Cancel the confirmed show “{SHOW}”?" in (question.text_content() or "")
    in_view(page, "[data-testid=confirm]")
    save_screenshot(page, f"messages-cancel-question-{viewport}")
    page.get_by_role("link", name="Keep it as it is").click()
    page.wait_for_load_state()
    assert looked_up(db, select(Event.status).where(Event.id == event_id)) == "confirmed"

    page.get_by_role("button", name="Cancel event").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Cancel the show").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/admin/event/details/{event_id}")
    flash = page.get_by_test_id("flash")
    assert f"Cancelled: {SHOW}." in (flash.text_content() or "")
    in_view(page, "[data-testid=flash]")
    save_screenshot(page, f"messages-cancelled-{viewport}")
    assert looked_up(db, select(Event.status).where(Event.id == event_id)) == "cancelled"

    venue_id = looked_up(db, select(Event.venue_id).where(Event.id == event_id))
    page.goto(f"{base}/admin/calendar/venue/{venue_id}")
    page.get_by_role("button", name="Create feed URL").click()
    page.wait_for_load_state()
    assert page.locator("#feed-https").is_visible()
    page.goto(f"{base}/admin/calendar/venue/{venue_id}")
    page.get_by_role("button", name="Regenerate feed URL").click()
    page.wait_for_load_state()
    assert "Regenerate the feed URL of" in (page.get_by_test_id("confirm").text_content() or "")
    save_screenshot(page, f"messages-feed-question-{viewport}")
    page.get_by_role("button", name="Regenerate feed URL").click()
    page.wait_for_load_state()
    assert page.locator("#feed-https").is_visible()
    issued = looked_up(
        db,
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "issue_feed_token", AuditEntry.object_id == str(venue_id)),
    )
    assert issued == 2
    assert looked_up(db, select(Venue.feed_token_hash).where(Venue.id == venue_id)) is not None


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_delete_modal_names_the_row_and_what_goes_with_it(
    live_server: LiveServer, browser_page: Page, viewport: str
) -> None:
    page, base, db = browser_page, live_server.url, live_server.database_url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base, *DEMO_SUPERUSER)
    # A draft with two applications (a confirmed show is cancelled before it is deleted).
    event_id = looked_up(db, select(Event.id).where(Event.title == "Acoustic Evening"))

    page.goto(f"{base}/admin/event/details/{event_id}")
    page.locator("[data-bs-target='#modal-delete']").first.click()
    text = page.locator("#modal-delete-text")
    text.get_by_text("Deleted with it:").wait_for()
    said = text.text_content() or ""
    assert "event “Acoustic Evening”" in said
    assert "2 event applications" in said
    assert "Event " + str(event_id) + "?" not in said
    save_screenshot(page, f"messages-delete-modal-{viewport}")
    page.locator("#modal-delete [data-bs-dismiss=modal]").last.click()
    assert looked_up(db, select(Event.id).where(Event.id == event_id)) == event_id


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_list_delete_link_asks_on_a_page_naming_the_row(
    live_server: LiveServer, browser_page: Page, viewport: str
) -> None:
    page, base, db = browser_page, live_server.url, live_server.database_url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base, *DEMO_SUPERUSER)
    page.goto(f"{base}/admin/event/list")
    trash = page.locator("tbody a[href*='/delete?pks=']").first
    pk = str(trash.get_attribute("href")).rsplit("=", 1)[-1]
    with page.expect_navigation():
        trash.click()
    said = page.get_by_test_id("confirm").text_content() or ""
    title = looked_up(db, select(Event.title).where(Event.id == int(pk)))
    assert f"Delete the event “{title}”?" in said
    save_screenshot(page, f"messages-list-delete-page-{viewport}")
