"""Venue staff in a real browser: only their venues, and decisions that stick and are audited.

The live server is seeded with the demo: staff@example.com works at The Blue Lantern (and
The Depot), not at Harbor Hall.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_STAFF, DEMO_SUPERUSER
from models import AuditEntry, Event, EventApplication, Venue
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

HARBOR_SHOW = "Static Bloom Album Release"
LANTERN_SHOW = "Night Owls Live"


def pending_at_the_lantern(database_url: str) -> list[int]:
    """Ids of the Blue Lantern's pending applications, oldest first."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    select(EventApplication.id)
                    .join(Event, Event.id == EventApplication.event_id)
                    .join(Venue, Venue.id == Event.venue_id)
                    .where(Venue.name == "The Blue Lantern", EventApplication.status == "pending")
                    .order_by(EventApplication.id)
                )
            )
    finally:
        engine.dispose()


def stored(database_url: str, application_id: int) -> tuple[str, list[tuple[str, str | None]]]:
    """An application's status and its audit entries (action, actor)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            status = connection.scalar(
                select(EventApplication.status).where(EventApplication.id == application_id)
            )
            entries = connection.execute(
                select(AuditEntry.action, AuditEntry.actor_email).where(
                    AuditEntry.object_type == "EventApplication",
                    AuditEntry.object_id == str(application_id),
                )
            ).all()
    finally:
        engine.dispose()
    return str(status), [(action, actor) for action, actor in entries]


def decide(page: Page, base_url: str, application_id: int, button: str) -> None:
    """Open an application and press one of its decision buttons."""
    page.goto(f"{base_url}/admin/event-application/details/{application_id}")
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_staff_see_their_venue_and_decide_applications(
    live_server: LiveServer, browser_page: Page
) -> None:
    page, base = browser_page, live_server.url
    sign_in(page, base, *DEMO_STAFF)

    page.goto(f"{base}/admin/event/list")
    assert page.get_by_text(LANTERN_SHOW).count() >= 1
    assert HARBOR_SHOW not in page.content()
    menu = page.locator("#navbar-menu")
    assert menu.locator("a[href$='/admin/event/list']").count() == 1
    assert menu.locator("a[href$='/admin/user/list']").count() == 0
    assert menu.locator("a[href$='/admin/audit-entry/list']").count() == 0
    save_screenshot(page, "staff-events")

    page.goto(f"{base}/admin/event-application/list")
    assert "Harbor Hall" not in page.content()
    assert "The Blue Lantern" in page.content()
    save_screenshot(page, "staff-applications")

    accepted, rejected, *_ = pending_at_the_lantern(live_server.database_url)
    decide(page, base, accepted, "Accept")
    assert page.url.endswith(f"/admin/event-application/details/{accepted}")
    assert page.locator("table").get_by_text("accepted", exact=True).count() == 1
    # Decided: no more decisions, only the way back to pending.
    buttons = page.locator("[data-testid=decisions] button")
    assert [text.strip() for text in buttons.all_inner_texts()] == ["Reopen (back to pending)"]
    save_screenshot(page, "staff-accepted-application")

    decide(page, base, rejected, "Reject")
    assert page.locator("table").get_by_text("rejected", exact=True).count() == 1
    save_screenshot(page, "staff-rejected-application")

    assert stored(live_server.database_url, accepted) == (
        "accepted",
        [("accept", DEMO_STAFF[0])],
    )
    assert stored(live_server.database_url, rejected) == (
        "rejected",
        [("reject", DEMO_STAFF[0])],
    )
    # The audit log is not for staff.
    response = page.goto(f"{base}/admin/audit-entry/list")
    assert response is not None
    assert response.status == 403

    # Ops see both decisions in the application's history.
    page.goto(f"{base}/admin/")
    page.get_by_role("button", name="Logout").click()
    page.wait_for_url("**/admin/login**")
    sign_in(page, base, *DEMO_SUPERUSER)
    page.goto(f"{base}/admin/audit-entry/list?object_type=EventApplication&object_id={accepted}")
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "Accepted" in rows.first.inner_text()
    assert DEMO_STAFF[0] in rows.first.inner_text()
    save_screenshot(page, "ops-audit-of-staff-decision")
