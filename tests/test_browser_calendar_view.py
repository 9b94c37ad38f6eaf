"""The venue calendar's Month | List switch and day-marking message, in Chromium.

At a desk (1400x900) and on a phone (390x844) staff pick the other view than the width's
default, mark a late day of the month, and land with the message in the viewport (checked
by bounding boxes), the view they picked kept, and the page never wider than the screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from admin_app.demo import DEMO_STAFF
from tests.browser import LiveServer, save_screenshot, sign_in
from tests.support import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SIZES = {"desk": (1400, 900), "phone": (390, 844)}


def comes_into_view(page: Page, selector: str) -> bool:
    """Whether the element's whole box comes to lie inside the visible part of the page.

    Waited for, not measured at once: the theme scrolls to a fragment smoothly, so the box
    moves for a moment after the page has loaded. Never in view: False after the timeout.
    """
    try:
        page.wait_for_function(
            """(selector) => {
                const r = document.querySelector(selector).getBoundingClientRect();
                return r.bottom > r.top && r.top >= 0 && r.left >= 0
                    && r.bottom <= innerHeight && r.right <= innerWidth;
            }""",
            arg=selector,
            timeout=5_000,
        )
    except PlaywrightTimeoutError:
        return False
    return True


def shown_as_list(page: Page) -> bool:
    """A list shows the days one under another, with no weekday header row."""
    return bool(
        page.evaluate(
            """() => {
                const shown = (selector) => getComputedStyle(document.querySelector(selector));
                return shown('.cal-table thead').display === 'none'
                    && shown('td.cal-day:not(.is-other)').display === 'block';
            }"""
        )
    )


def page_overflows(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth > innerWidth"))


@pytest.mark.parametrize("size", list(SIZES))
def test_pick_the_other_view_and_see_the_day_message(
    live_server: LiveServer, browser_page: Page, size: str
) -> None:
    page = browser_page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server.url, *DEMO_STAFF)
    page.goto(f"{live_server.url}/admin/calendar")
    page.locator("a[rel=next]").click()
    page.wait_for_url("**month=*")

    # No choice: the width decides (a grid at a desk, a list on a phone), ticked as such.
    default_list = size == "phone"
    assert shown_as_list(page) is default_list
    switch = page.get_by_role("group", name="Show the month as")
    ticked = "List" if default_list else "Month"
    assert (
        switch.get_by_role("link", name=ticked)
        .evaluate("a => getComputedStyle(a, '::before').content")
        .startswith('"✓')
    )

    other = "Month" if default_list else "List"
    with page.expect_navigation():
        switch.get_by_role("link", name=other).click()
    view = other.lower()
    assert f"view={view}" in page.url
    assert shown_as_list(page) is not default_list
    assert switch.get_by_role("link", name=other).get_attribute("aria-current") == "true"
    assert not page_overflows(page)
    save_screenshot(page, f"calendar-view-{view}-{size}")

    # A day late in the month, far below the top of the page in either view.
    day = page.locator("td.cal-day:not(.is-other)").nth(24)
    iso = day.get_attribute("data-date")
    assert iso is not None
    day.locator("summary").click()
    day.locator("select[name=status]").select_option("closed")
    with page.expect_navigation():
        day.get_by_role("button", name="Save").click()

    assert f"view={view}" in page.url
    assert page.url.endswith(f"#day-{iso}")
    assert shown_as_list(page) is not default_list
    message = page.locator(f"td#day-{iso} .cal-message [role=status]")
    assert "marked closed" in message.inner_text()
    assert comes_into_view(page, f"td#day-{iso} .cal-message [role=status]")
    assert not page_overflows(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"calendar-day-message-{view}-{size}.png"))

    # The next month keeps the view picked.
    with page.expect_navigation():
        page.locator("a[rel=next]").click()
    assert f"view={view}" in page.url
    assert shown_as_list(page) is not default_list


@pytest.mark.parametrize("size", list(SIZES))
def test_the_default_view_shows_the_day_message_too(
    live_server: LiveServer, browser_page: Page, size: str
) -> None:
    page = browser_page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server.url, *DEMO_STAFF)
    page.goto(f"{live_server.url}/admin/calendar")
    page.locator("a[rel=next]").click()
    page.wait_for_url("**month=*")
    day = page.locator("td.cal-day:not(.is-other)").last
    iso = day.get_attribute("data-date")
    day.locator("summary").click()
    day.locator("select[name=status]").select_option("open")
    with page.expect_navigation():
        day.get_by_role("button", name="Save").click()

    assert "view=" not in page.url
    assert comes_into_view(page, f"td#day-{iso} .cal-message [role=status]")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"calendar-day-message-default-{size}.png"))
