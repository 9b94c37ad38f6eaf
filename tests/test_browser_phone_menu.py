"""The menu on a phone (390x844): opened, it takes the width of the screen with "Logout"
below its last item, not squeezed beside the items."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from admin_app.demo import DEMO_MANAGER
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_the_open_menu_puts_logout_below_it(live_server: LiveServer, browser_page: Page) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, *DEMO_MANAGER)

    page.get_by_role("button", name="Toggle navigation").click()
    menu = page.locator("#navbarSupportedContent")
    menu.locator(".nav-link", has_text="Calendar").wait_for()
    page.wait_for_function(
        "!document.querySelector('#navbarSupportedContent').classList.contains('collapsing')"
    )
    save_screenshot(page, "phone-menu-open")

    items = menu.bounding_box()
    logout = page.get_by_role("button", name="Logout").bounding_box()
    assert items is not None
    assert logout is not None
    assert logout["y"] >= items["y"] + items["height"] - 1, (items, logout)
