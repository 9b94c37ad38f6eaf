"""Decisions where they are read, in a real Chromium, as the demo's manager and staff, on a
desktop (1400x900) and a phone (390x844): bulk accept from the applications list, decide
from the event's page, reopen. The live server is seeded with the demo: "Newcomers Night"
at The Blue Lantern has four pending applications, and Brass Attack plays "Brass Night"
at the Tram Depot that night, so accepting Brass Attack is refused (by name for staff,
who work at the Depot too).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_MANAGER, DEMO_STAFF, NEWCOMERS_NIGHT
from models import AuditEntry, Band, Event, EventApplication
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}
PEOPLE = {"manager": DEMO_MANAGER, "staff": DEMO_STAFF}


def applications(database_url: str) -> tuple[int, dict[str, tuple[int, str]]]:
    """Newcomers Night's id, and its applications by band: (id, status)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            event_id = connection.scalar(select(Event.id).where(Event.title == NEWCOMERS_NIGHT))
            found = connection.execute(
                select(Band.name, EventApplication.id, EventApplication.status)
                .join(Band, Band.id == EventApplication.band_id)
                .where(EventApplication.event_id == event_id)
            ).all()
    finally:
        engine.dispose()
    assert event_id is not None
    return event_id, {band: (pk, status) for band, pk, status in found}


def audit_actions(database_url: str, pk: int) -> list[tuple[str, str | None]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            entries = connection.execute(
                select(AuditEntry.action, AuditEntry.actor_email)
                .where(
                    AuditEntry.object_type == "EventApplication",
                    AuditEntry.object_id == str(pk),
                )
                .order_by(AuditEntry.id)
            ).all()
    finally:
        engine.dispose()
    return [(action, actor) for action, actor in entries]


def no_sideways_scroll(page: Page) -> None:
    """The page itself is no wider than the window (phone included)."""
    viewport = page.viewport_size
    assert viewport is not None
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("person", sorted(PEOPLE))
def test_decide_in_bulk_from_the_event_page_and_reopen(
    live_server: LiveServer, browser_page: Page, person: str, viewport: str
) -> None:
    page, base, db = browser_page, live_server.url, live_server.database_url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    email, password = PEOPLE[person]
    sign_in(page, base, email, password)
    shot = f"decisions-{person}-{viewport}"
    event_id, before = applications(db)
    assert {status for _, status in before.values()} == {"pending"}

    # 1. Bulk accept from the list: Velvet Ruin and Brass Attack (booked elsewhere).
    page.goto(f"{base}/admin/event-application/list?status=pending&search=Newcomers")
    rows = page.locator("#list-rows tr")
    for band in ("Velvet Ruin", "Brass Attack"):
        rows.filter(has_text=band).locator("input.select-box").check()
    save_screenshot(page, f"{shot}-1-list-selected")
    with page.expect_navigation():
        page.get_by_role("button", name="Accept selected").click()
    assert "status=pending" in page.url  # back on the same filtered list
    summary = page.get_by_test_id("bulk-summary")
    text = summary.inner_text()
    assert text.startswith("Accepted 1. Refused 1: Brass Attack → Newcomers Night: ")
    # Staff work at the Tram Depot too and see where; the manager (the Lantern only) not.
    where = 'for "Brass Night" at Tram Depot' if person == "staff" else "elsewhere at that time"
    assert f"Brass Attack is already booked {where}" in text
    summary.scroll_into_view_if_needed()
    save_screenshot(page, f"{shot}-2-bulk-summary")
    _, after_bulk = applications(db)
    assert after_bulk["Velvet Ruin"][1] == "accepted"
    assert after_bulk["Brass Attack"][1] == "pending"
    assert audit_actions(db, after_bulk["Velvet Ruin"][0]) == [("accept", email)]
    assert audit_actions(db, after_bulk["Brass Attack"][0]) == []

    # 2. Decide from the event's page: reject Sunday Tapes.
    page.goto(f"{base}/admin/event/details/{event_id}")
    section = page.get_by_test_id("event-applications")
    assert section.get_by_text("Applications (4)").count() == 1
    no_sideways_scroll(page)
    with page.expect_navigation():
        section.get_by_role("button", name="Reject: Sunday Tapes").click()
    assert page.url.endswith(f"/admin/event/details/{event_id}")
    sunday_pk = before["Sunday Tapes"][0]
    item = page.get_by_test_id(f"application-{sunday_pk}")
    assert item.get_by_test_id("application-status").inner_text() == "rejected"
    assert "(Europe/Berlin)" in item.inner_text()  # decided at, on the venue's clock
    save_screenshot(page, f"{shot}-3-event-page-rejected")

    # 3. Reopen it from the event's page, then Velvet Ruin from its own page.
    with page.expect_navigation():
        item.get_by_role("button", name="Reopen (back to pending): Sunday Tapes").click()
    item = page.get_by_test_id(f"application-{sunday_pk}")
    assert item.get_by_test_id("application-status").inner_text() == "pending"
    assert item.get_by_role("button", name="Accept: Sunday Tapes").count() == 1
    save_screenshot(page, f"{shot}-4-event-page-reopened")
    velvet_pk = before["Velvet Ruin"][0]
    page.goto(f"{base}/admin/event-application/details/{velvet_pk}")
    with page.expect_navigation():
        page.get_by_test_id("decisions").get_by_role("button", name="Reopen").click()
    assert page.get_by_test_id("decisions").get_by_role("button", name="Accept").count() == 1
    save_screenshot(page, f"{shot}-5-application-reopened")

    _, final = applications(db)
    assert final["Sunday Tapes"][1] == "pending"
    assert final["Velvet Ruin"][1] == "pending"
    assert audit_actions(db, sunday_pk) == [("reject", email), ("reopen", email)]
    assert audit_actions(db, velvet_pk) == [("accept", email), ("reopen", email)]
