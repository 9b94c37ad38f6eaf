"""The real server in a real browser: the sign-in page renders and the demo superuser gets in."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_SUPERUSER
from models import User
from tests.browser import LiveServer, get, save_screenshot, sign_in
from tests.support import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_login_page_renders(live_server: LiveServer, browser_page: Page) -> None:
    response = browser_page.goto(f"{live_server.url}/admin/login")
    assert response is not None
    assert response.status == 200
    assert browser_page.locator("input[name=username]").is_visible()
    assert browser_page.locator("input[name=password]").get_attribute("type") == "password"
    assert "Band Scheduling Admin" in browser_page.content()

    path = save_screenshot(browser_page, "login")
    assert path == ARTIFACTS / "login.png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert path.stat().st_size > 5_000  # a rendered page, not an empty canvas


def test_demo_superuser_signs_in_to_the_admin_index(
    live_server: LiveServer, browser_page: Page
) -> None:
    email, password = DEMO_SUPERUSER
    sign_in(browser_page, live_server.url, email, password)

    assert browser_page.url.rstrip("/") == f"{live_server.url}/admin"
    assert browser_page.locator("input[name=password]").count() == 0
    # The console's menu lists the model views only a signed-in user sees.
    assert browser_page.get_by_role("button", name="Logout").count() >= 1
    save_screenshot(browser_page, "admin-index")

    # The session is the browser's: a plain request without its cookie is sent to sign in.
    status, body = get(f"{live_server.url}/admin/")
    assert status == 200
    assert 'name="password"' in body

    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            is_superuser = connection.scalar(select(User.is_superuser).where(User.email == email))
    finally:
        engine.dispose()
    assert is_superuser is True


def test_wrong_password_stays_on_the_login_page(
    live_server: LiveServer, browser_page: Page
) -> None:
    email, _ = DEMO_SUPERUSER
    sign_in(browser_page, live_server.url, email, "not-the-password-at-all")
    assert browser_page.url.startswith(f"{live_server.url}/admin/login")
    assert browser_page.locator("input[name=password]").is_visible()
    assert browser_page.get_by_role("button", name="Logout").count() == 0
