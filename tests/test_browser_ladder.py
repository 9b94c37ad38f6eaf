"""The hold ladder in a real browser, on the demo data, as a manager and as staff, on a
desktop and a phone screen.

Place a hold from the match page (it takes the next free rank), then open the demo's
ladder of three, confirm hold 1, and release the two others with one click; the expired
demo hold says "expired" on the calendar.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, create_engine, func, select

from admin_app.demo import DEMO_MANAGER, DEMO_STAFF
from admin_app.localtime import night_of
from models import AuditEntry, Band, Event, Venue
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LOGINS = {"manager": DEMO_MANAGER, "staff": DEMO_STAFF}
SCREENS = {"desktop": (1400, 900), "phone": (390, 844)}
HEADLINER = "Headliner: Static Bloom"


@contextmanager
def database(server: LiveServer) -> Iterator[Engine]:
    engine = create_engine(server.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.mark.parametrize("screen", sorted(SCREENS))
@pytest.mark.parametrize("role", sorted(LOGINS))
def test_place_confirm_and_release_holds(
    live_server: LiveServer, browser_page: Page, role: str, screen: str
) -> None:
    page = browser_page
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    shot = f"ladder-{role}-{screen}"
    with database(live_server) as engine, engine.connect() as connection:
        lantern = connection.execute(
            select(Venue.id, Venue.timezone).where(Venue.name == "The Blue Lantern")
        ).one()
        velvet = connection.scalar(select(Band.id).where(Band.name == "Velvet Ruin"))
        headliner = connection.execute(
            select(Event.id, Event.starts_at).where(Event.title == HEADLINER)
        ).one()
    ladder_night = night_of(headliner.starts_at, lantern.timezone)
    sign_in(page, live_server.url, *LOGINS[role])

    # 1. The match page: one click holds the best night, at the next free rank.
    page.goto(f"{live_server.url}/admin/calendar/match?venue={lantern.id}&band={velvet}")
    rows = page.locator("#matches tbody tr")
    assert rows.count() > 0
    held_day = rows.first.get_attribute("data-date")
    save_screenshot(page, f"{shot}-match")
    with page.expect_navigation():
        rows.first.get_by_role("button", name="Place a hold").click()
    assert f"#day-{held_day}" in page.url
    assert "placed" in page.get_by_role("status").first.inner_text()
    assert "Hold: Velvet Ruin" in page.locator(f"td#day-{held_day}").inner_text()

    # 2. The demo's ladder of three: hold 1 confirmed; the page offers to release the others.
    page.goto(
        f"{live_server.url}/admin/calendar/venue/{lantern.id}?month={ladder_night:%Y-%m}"
        f"#day-{ladder_night.isoformat()}"
    )
    cell = page.locator(f"td#day-{ladder_night.isoformat()}")
    for rank in (1, 2, 3):  # (text_content: the tiles' CSS capitalises what they say)
        assert f"hold {rank}" in (cell.text_content() or "")
    with page.expect_navigation():
        cell.get_by_role("link", name=HEADLINER).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm event").click()
    offer = page.get_by_test_id("release-offer")
    assert "2 other holds on this night" in offer.inner_text()
    assert "Headliner: Brass Attack" in offer.inner_text()
    assert "Headliner: Sunday Tapes" in offer.inner_text()
    save_screenshot(page, f"{shot}-offer")
    with page.expect_navigation():
        offer.get_by_role("button", name="Release 2 other holds on this night").click()
    # The message of the change, in the page above its content (no fading toast).
    assert "Released 2 holds" in (page.get_by_test_id("flash").first.text_content() or "")
    assert page.get_by_test_id("release-offer").count() == 0
    save_screenshot(page, f"{shot}-released")

    with database(live_server) as engine, engine.connect() as connection:
        ladder = dict(
            connection.execute(
                select(Event.title, Event.status).where(Event.title.like("Headliner:%"))
            ).all()
        )
        held = connection.execute(
            select(Event.status, Event.hold_rank).where(Event.title == "Hold: Velvet Ruin")
        ).one()
        released = connection.scalar(
            select(func.count()).where(AuditEntry.action == "release_hold")
        )
    assert ladder == {
        HEADLINER: "confirmed",
        "Headliner: Brass Attack": "cancelled",
        "Headliner: Sunday Tapes": "cancelled",
    }
    assert held.status == "hold"
    assert held.hold_rank >= 1
    assert released == 2

    # 3. The expired demo hold says so on the calendar, in words.
    with database(live_server) as engine, engine.connect() as connection:
        lapsed = connection.scalar(
            select(Event.starts_at).where(Event.title == "Afternoon Matinee (lapsed hold)")
        )
    assert lapsed is not None
    lapsed_night = night_of(lapsed, lantern.timezone)
    page.goto(f"{live_server.url}/admin/calendar/venue/{lantern.id}?month={lapsed_night:%Y-%m}")
    lapsed_cell = page.locator(f"td#day-{lapsed_night.isoformat()}")
    assert "hold 1, expired" in (lapsed_cell.text_content() or "")
    save_screenshot(page, f"{shot}-expired")
