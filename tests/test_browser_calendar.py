"""The calendar pages in a real browser, as venue staff on the demo data.

Staff open their venue's calendar from the menu, go to next month, mark a day closed,
find dates for a band, place a hold with one click and find it on the calendar.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_STAFF
from models import Event, VenueAvailability
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_staff_mark_a_day_and_place_a_hold(live_server: LiveServer, browser_page: Page) -> None:
    page = browser_page
    sign_in(page, live_server.url, *DEMO_STAFF)

    page.locator("#navbar-menu a.nav-link", has_text="Calendar").first.click()
    page.wait_for_url("**/admin/calendar/venue/*")
    assert "The Blue Lantern" in page.locator("h2.page-title").inner_text()
    assert page.locator("[aria-current=date]").count() == 1  # today is marked

    page.locator("a[rel=next]").click()
    page.wait_for_url("**month=*")
    day = page.locator("td.cal-day:not(.is-other)").nth(9)  # the 10th of next month
    day_id = day.get_attribute("data-date")
    assert day_id is not None
    day.locator("summary").click()
    day.locator("select[name=status]").select_option("closed")
    day.locator("input[name=note]").fill("Staff outing")
    with page.expect_navigation():
        day.get_by_role("button", name="Save").click()
    cell = page.locator(f"td#day-{day_id}")
    assert cell.locator(".cal-tag.tag-closed").text_content() == "closed"
    assert "Staff outing" in cell.inner_text()
    assert "marked closed" in page.get_by_role("status").first.inner_text()
    save_screenshot(page, "calendar-venue")

    page.locator("#band-q").fill("Night")
    with page.expect_navigation():
        page.get_by_role("button", name="Find band").click()
    with page.expect_navigation():
        page.get_by_role("link", name="The Night Owls").click()
    rows = page.locator("#matches tbody tr")
    assert rows.count() > 0
    assert page.locator(f'#matches tr[data-date="{day_id}"]').count() == 0  # closed: no match
    save_screenshot(page, "calendar-match")
    held_day = rows.first.get_attribute("data-date")
    with page.expect_navigation():
        rows.first.get_by_role("button", name="Place a hold").click()

    assert f"#day-{held_day}" in page.url
    held_cell = page.locator(f"td#day-{held_day}")
    assert "Hold: The Night Owls" in held_cell.inner_text()
    assert "placed" in page.get_by_role("status").first.inner_text()

    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            hold = connection.execute(
                select(Event.status, Event.hold_rank).where(Event.title == "Hold: The Night Owls")
            ).one()
            closed = connection.scalar(
                select(VenueAvailability.status).where(
                    VenueAvailability.date == date.fromisoformat(day_id),
                    VenueAvailability.note == "Staff outing",
                )
            )
    finally:
        engine.dispose()
    assert hold.status == "hold"
    assert hold.hold_rank >= 1
    assert closed == "closed"

    page.go_back()  # to the match page, which links to the band's calendar
    with page.expect_navigation():
        page.get_by_role("link", name="Band calendar").click()
    assert "The Night Owls" in page.locator("h2.page-title").inner_text()
    assert "Hold: The Night Owls" in page.locator(f"td#day-{held_day}").inner_text()  # applied
    save_screenshot(page, "calendar-band")
