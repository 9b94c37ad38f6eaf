"""Today in a real Chromium, on a desk and on a phone, as the Blue Lantern's manager and
as its staff member: the pending application is there, accepting it from Today comes back
to Today with the message, and the demo's conflict (a confirmed show on a day marked
closed) is shown. The live server is seeded with the demo (admin_app/demo.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_MANAGER, DEMO_STAFF
from models import AuditEntry, Band, Event, EventApplication
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desk": (1400, 900), "phone": (390, 844)}
LOGINS = {"manager": DEMO_MANAGER, "staff": DEMO_STAFF}


def application_of(database_url: str, band: str, event: str) -> tuple[int, str, list[str]]:
    """An application's id, status and audit actions."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            pk, status = connection.execute(
                select(EventApplication.id, EventApplication.status)
                .join(Band, Band.id == EventApplication.band_id)
                .join(Event, Event.id == EventApplication.event_id)
                .where(Band.name == band, Event.title == event)
            ).one()
            actions = connection.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.object_type == "EventApplication", AuditEntry.object_id == str(pk)
                )
            ).all()
    finally:
        engine.dispose()
    return pk, status, list(actions)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("who", sorted(LOGINS))
def test_today_shows_what_waits_and_decides_from_it(
    live_server: LiveServer, browser_page: Page, who: str, viewport: str
) -> None:
    page, base = browser_page, live_server.url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base, *LOGINS[who])
    assert page.url.rstrip("/").endswith("/admin")  # signing in lands on Today
    assert page.get_by_role("heading", name="Today").is_visible()

    pk, status, _ = application_of(live_server.database_url, "Velvet Ruin", "Acoustic Evening")
    assert status == "pending"
    row = page.get_by_test_id(f"pending-{pk}")
    assert row.is_visible()
    assert "(Europe/Berlin)" in row.inner_text()
    conflicts = page.get_by_test_id("today-conflicts")
    assert "Closed-Door Session" in conflicts.inner_text()
    assert "is marked closed (Staff training)." in conflicts.inner_text()
    count = page.get_by_test_id("to-decide")
    before = count.inner_text()
    # The page itself never scrolls sideways, on a phone either.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save_screenshot(page, f"today-{who}-{viewport}")

    accept = page.get_by_role("button", name="Accept Velvet Ruin for Acoustic Evening")
    accept.scroll_into_view_if_needed()
    with page.expect_navigation():
        accept.click()
    assert page.url.rstrip("/").endswith("/admin")
    assert page.get_by_text("Accepted: Velvet Ruin → Acoustic Evening.").is_visible()
    assert page.get_by_test_id(f"pending-{pk}").count() == 0
    assert page.get_by_test_id("to-decide").inner_text() != before
    save_screenshot(page, f"today-{who}-{viewport}-accepted")

    _, status, actions = application_of(live_server.database_url, "Velvet Ruin", "Acoustic Evening")
    assert status == "accepted"
    assert actions == ["accept"]


def test_closing_a_held_night_lists_the_holds_and_closes_only_anyway(
    live_server: LiveServer, browser_page: Page
) -> None:
    """From the venue calendar: the refusal names the holds; "Close anyway" closes the day,
    and Today then shows the holds on a closed day."""
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, base, *DEMO_MANAGER)
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            venue_id, starts_at = connection.execute(
                select(Event.venue_id, Event.starts_at).where(Event.title == "Friday Showcase")
            ).one()
    finally:
        engine.dispose()
    day = starts_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    page.goto(f"{base}/admin/calendar/venue/{venue_id}?month={day:%Y-%m}")
    cell = page.locator(f"#day-{day.isoformat()}")
    cell.locator("summary").click()
    cell.locator("select[name=status]").select_option("closed")
    cell.locator("input[name=note]").fill("Burst pipe")
    with page.expect_navigation():
        cell.get_by_role("button", name="Save").click()
    assert "Friday Showcase" in page.get_by_role("alert").inner_text()
    assert "(hold 1)" in page.get_by_role("alert").inner_text()
    save_screenshot(page, "today-close-day-refused")
    with page.expect_navigation():
        page.get_by_role("button", name="Close anyway").click()
    assert "marked closed" in page.content()
    page.goto(f"{base}/admin/")
    conflicts = page.get_by_test_id("today-conflicts").inner_text()
    assert f"{day:%a %d %b %Y} is marked closed (Burst pipe)." in conflicts
    save_screenshot(page, "today-close-day-conflict")
