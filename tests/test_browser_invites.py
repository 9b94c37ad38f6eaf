"""Staff invites in a real Chromium, at a desktop's 1400x900 and a phone's 390x844.

A manager invites someone and copies the link (read from the page, and from the
clipboard the Copy button filled); a fresh browser context, the invited person's, opens
it, is refused a weak password, sets a good one and lands signed in. Staff see no invite
control. The live server is seeded with the demo: manager@example.com manages The Blue
Lantern, staff@example.com works there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_INVITEE, DEMO_MANAGER, DEMO_STAFF
from models import StaffInvite, User, Venue
from tests.browser import CHROMIUM_ARGS, LiveServer, require_chromium, save_screenshot, sign_in
from tests.support import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}
PASSWORD = "paper-lanterns-glow-9"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A headless Debian Chromium; each test opens its own contexts (its browsers)."""
    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Browser, size: tuple[int, int]) -> Page:
    """A page in a fresh context (no cookies) of ``size``."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def lantern_url(server: LiveServer) -> str:
    """The Blue Lantern's details page."""
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            venue_id = connection.scalar(select(Venue.id).where(Venue.name == "The Blue Lantern"))
    finally:
        engine.dispose()
    return f"{server.url}/admin/venue/details/{venue_id}"


def account(database_url: str, email: str) -> tuple[bool, bool, bool]:
    """(active, has a password, invite used) of ``email``."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            user = connection.execute(
                select(User.id, User.is_active, User.password_hash).where(User.email == email)
            ).one()
            used = connection.scalar(
                select(StaffInvite.accepted_at).where(StaffInvite.user_id == user.id)
            )
    finally:
        engine.dispose()
    return bool(user.is_active), user.password_hash is not None, used is not None


@pytest.mark.parametrize("size", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_manager_invites_and_the_link_signs_the_person_in(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    base, email = live_server.url, f"door.{size}@example.com"
    manager = new_page(browser, VIEWPORTS[size])
    manager.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    sign_in(manager, base, *DEMO_MANAGER)

    # The demo's open invite is on the venue page, marked, with its expiry.
    manager.goto(lantern_url(live_server))
    staff_cell = manager.locator("td", has_text=DEMO_INVITEE[1])
    assert "invited, not yet active" in staff_cell.inner_text()
    assert "link expires" in staff_cell.inner_text()
    save_screenshot(manager, f"invites-{size}-venue-page")

    manager.get_by_test_id("invite-someone").click()
    manager.fill("#invite-email", email)
    manager.fill("#invite-name", "Dora Door")
    manager.select_option("#invite-role", "staff")
    with manager.expect_navigation():
        manager.get_by_role("button", name="Invite", exact=True).click()
    issued = manager.get_by_test_id("invite-issued")
    assert "Email is not set up: no message was sent." in issued.inner_text()
    link = manager.get_by_test_id("invite-link").input_value()
    assert link.startswith(f"{base}/invite/")
    manager.locator("#copy-invite-link").click()
    assert manager.locator("#copy-invite-link").inner_text().strip() == "Copied"
    assert manager.evaluate("navigator.clipboard.readText()") == link
    assert manager.locator("[data-testid=pending-invite]", has_text=email).count() == 1
    save_screenshot(manager, f"invites-{size}-link-issued")
    assert account(live_server.database_url, email) == (False, False, False)

    person = new_page(browser, VIEWPORTS[size])
    person.goto(link)
    assert "The Blue Lantern" in person.get_by_test_id("invite-form").inner_text()
    person.fill("#password", "short")
    person.fill("#repeated", "short")
    with person.expect_navigation():
        person.get_by_role("button", name="Set password and sign in").click()
    assert "at least 10 characters" in person.get_by_role("alert").inner_text()
    save_screenshot(person, f"invites-{size}-weak-password")
    person.fill("#password", PASSWORD)
    person.fill("#repeated", PASSWORD)
    with person.expect_navigation():
        person.get_by_role("button", name="Set password and sign in").click()
    person.wait_for_url(f"{base}/admin/**")
    assert person.get_by_role("button", name="Logout").count() == 1
    person.get_by_text("Welcome! Your password is set and you are signed in.").wait_for()
    save_screenshot(person, f"invites-{size}-signed-in")
    assert account(live_server.database_url, email) == (True, True, True)

    # The link is spent: opened again, it says so and what to do.
    again = new_page(browser, VIEWPORTS[size])
    response = again.goto(link)
    assert response is not None
    assert response.status == 410
    gone = again.get_by_test_id("invite-gone").inner_text()
    assert "already been used" in gone
    assert "Ask the venue's manager to send you a new invite." in gone
    save_screenshot(again, f"invites-{size}-used-link")

    # The manager withdraws the demo's invite from the venue page, and stays there.
    manager.goto(lantern_url(live_server))
    assert "Dora Door" in manager.locator("td", has_text=DEMO_INVITEE[1]).inner_text()
    with manager.expect_navigation():
        manager.get_by_role("button", name="Withdraw invite").click()
    assert manager.url == lantern_url(live_server)
    assert DEMO_INVITEE[1] not in manager.content()
    assert manager.get_by_role("button", name="Withdraw invite").count() == 0
    save_screenshot(manager, f"invites-{size}-withdrawn")

    # The server's log names the link by a fingerprint, never by its token.
    token = link.rsplit("/", 1)[1]
    assert token not in live_server.output()
    assert "/invite/redacted-" in live_server.output()


def test_staff_see_no_invite_control(live_server: LiveServer, browser: Browser) -> None:
    base = live_server.url
    page = new_page(browser, VIEWPORTS["desktop"])
    sign_in(page, base, *DEMO_STAFF)
    page.goto(lantern_url(live_server))
    assert page.get_by_test_id("invite-someone").count() == 0
    assert page.get_by_role("button", name="Withdraw invite").count() == 0
    assert "invited, not yet active" in page.locator("td", has_text=DEMO_INVITEE[1]).inner_text()
    assert page.locator("#navbar-menu a[href$='/admin/invites']").count() == 0
    save_screenshot(page, "invites-staff-venue-page")
    response = page.goto(f"{base}/admin/invites")
    assert response is not None
    assert response.status == 403
