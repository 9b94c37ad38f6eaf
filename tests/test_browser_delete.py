"""Deleting a row in a Chromium with JavaScript turned off (issue 16): the list row's
Delete link opens the confirmation page, which names the row and what goes with it, and
its button deletes the row and lands on the list with the message. At 1400x900 and
390x844; the details page is looked at too (its "Details" card, label → value)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_SUPERUSER
from models import Event, EventApplication
from tests.browser import CHROMIUM_ARGS, LiveServer, require_chromium, save_screenshot, sign_in
from tests.support import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# A draft with two applications (a confirmed show is cancelled before it is deleted).
DRAFT_SHOW = "Acoustic Evening"

VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}


@pytest.fixture
def page_without_javascript() -> Iterator[Page]:
    """A page in a fresh headless Chromium whose JavaScript is off."""
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
        finally:
            browser.close()


def scalars(database_url: str, statement: object) -> list[object]:
    """The values ``statement`` selects in the live server's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(statement))  # type: ignore[call-overload]
    finally:
        engine.dispose()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_delete_a_row_without_javascript(
    live_server: LiveServer, page_without_javascript: Page, viewport: str
) -> None:
    page, base, db = page_without_javascript, live_server.url, live_server.database_url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base, *DEMO_SUPERUSER)
    (event_id,) = scalars(db, select(Event.id).where(Event.title == DRAFT_SHOW))
    applications = select(EventApplication.id).where(EventApplication.event_id == event_id)
    assert len(scalars(db, applications)) == 2

    page.goto(f"{base}/admin/event/details/{event_id}")
    assert page.locator(".card-title").first.text_content() == "Details"
    save_screenshot(page, f"details-event-{viewport}")

    page.goto(f"{base}/admin/event/list?search={DRAFT_SHOW.replace(' ', '+')}")
    with page.expect_navigation():
        page.locator(f"#list-rows a[href='/admin/event/delete?pks={event_id}']").click()
    question = page.get_by_test_id("confirm")
    said = question.text_content() or ""
    assert f"Delete the event “{DRAFT_SHOW}”?" in said
    assert "Deleted with it: 2 event applications." in said
    save_screenshot(page, f"delete-confirm-{viewport}")

    with page.expect_navigation():
        question.get_by_role("button", name="Delete").click()
    assert page.url == f"{base}/admin/event/list"
    flash = page.get_by_test_id("flash").text_content() or ""
    assert f"Deleted event “{DRAFT_SHOW}”." in flash
    save_screenshot(page, f"delete-done-{viewport}")
    assert scalars(db, select(Event.id).where(Event.id == event_id)) == []
    assert scalars(db, applications) == []


def test_with_javascript_the_details_page_opens_the_modal_that_deletes(
    live_server: LiveServer, browser_page: Page
) -> None:
    page, base, db = browser_page, live_server.url, live_server.database_url
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, base, *DEMO_SUPERUSER)
    (event_id,) = scalars(db, select(Event.id).where(Event.title == DRAFT_SHOW))
    page.goto(f"{base}/admin/event/details/{event_id}")
    page.locator("[data-bs-target='#modal-delete']").click()
    page.locator("#modal-delete-text").get_by_text(DRAFT_SHOW).wait_for()
    assert page.url == f"{base}/admin/event/details/{event_id}"  # the modal, not the page
    with page.expect_navigation():
        page.locator("#modal-delete-button").click()
    flash = page.get_by_test_id("flash").text_content() or ""
    assert f"Deleted event “{DRAFT_SHOW}”." in flash
    assert scalars(db, select(Event.id).where(Event.id == event_id)) == []
