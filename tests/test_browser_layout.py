"""Every main page in a real Chromium, on a desk (1400x900) and on a phone (390x844), as the
demo's manager, staff member and superuser: the page itself never scrolls sideways, the
columns a user reads first are on screen (not behind a sideways scroll of the table), and
axe-core (shipped inside the axe-playwright-python wheel, never fetched at test time) finds
no serious or critical violation. Screenshots of each page are kept as artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from admin_app.demo import DEMO_MANAGER, DEMO_STAFF, DEMO_SUPERUSER
from models import Band, Event, Venue
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desk": (1400, 900), "phone": (390, 844)}
LOGINS = {"manager": DEMO_MANAGER, "staff": DEMO_STAFF, "superuser": DEMO_SUPERUSER}
BLOCKING = {"serious", "critical"}


@dataclass(frozen=True)
class Visit:
    """A page to walk: its name (for screenshots), path, and the column headers that must be
    on screen at desk width (on a phone: the first of them)."""

    name: str
    path: str
    key_columns: tuple[str, ...] = ()
    on_screen: str = ""  # a selector whose every match must lie inside the window


def demo_ids(database_url: str) -> dict[str, int]:
    """Ids of the demo's Blue Lantern, one of its events and a band."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            venue = connection.scalar(select(Venue.id).where(Venue.name == "The Blue Lantern"))
            event = connection.scalar(select(Event.id).where(Event.title == "Acoustic Evening"))
            band = connection.scalar(select(Band.id).where(Band.name == "Velvet Ruin"))
    finally:
        engine.dispose()
    assert venue
    assert event
    assert band
    return {"venue": venue, "event": event, "band": band}


def visits(ids: dict[str, int], who: str) -> list[Visit]:
    """The main pages of ``who``: Today, lists, an event, the calendars, a venue, audit."""
    pages = [
        Visit("today", "/admin/"),
        Visit("events", "/admin/event/list", ("Title", "Venue", "Starts", "Status")),
        Visit(
            "applications",
            "/admin/event-application/list",
            ("Band", "Event", "Status", "Decided by", "Decided at"),
        ),
        Visit("event", f"/admin/event/details/{ids['event']}"),
        Visit(
            "calendar", f"/admin/calendar/venue/{ids['venue']}", on_screen=".cal-day:not(.is-other)"
        ),
        Visit(
            "match",
            f"/admin/calendar/match?venue={ids['venue']}&band={ids['band']}",
            on_screen="#matches button",
        ),
        # Every value of the venue's page wraps inside its card (none cut at the edge).
        Visit("venue", f"/admin/venue/details/{ids['venue']}", on_screen="main td"),
    ]
    if who != "staff":
        # The demo's open invite: its "New link" and "Withdraw" fit a phone's width.
        pages.append(
            Visit("invites", "/admin/invites", on_screen="[data-testid=pending-invite] button")
        )
    if who == "superuser":
        pages.append(
            Visit("audit", "/admin/audit-entry/list", ("When", "Action", "Actor", "Object"))
        )
    return pages


def overflow(page: Page) -> dict[str, Any]:
    """How wide the page is against the window, and the widest element that sticks out."""
    result: dict[str, Any] = page.evaluate(
        """() => {
            const width = window.innerWidth;
            let culprit = null;
            for (const el of document.querySelectorAll('body *')) {
                const box = el.getBoundingClientRect();
                if (box.right > width + 1 && box.width > 0) {
                    culprit = el.tagName + '.' + el.className + '#' + el.id;
                }
            }
            return {scroll: document.documentElement.scrollWidth, width, culprit};
        }"""
    )
    return result


def clipped_columns(page: Page, labels: tuple[str, ...]) -> list[str]:
    """The given column headers that are missing or not fully inside the window."""
    missing = []
    for label in labels:
        header = page.locator("thead th", has_text=label).first
        if header.count() == 0 or not header.is_visible():
            missing.append(f"{label} (absent)")
            continue
        box = header.bounding_box()
        # The window's right edge, or the table's scrolling box's when nearer: a column
        # inside the window but behind the table's sideways scroll is clipped too.
        right = header.evaluate(
            """(th) => {
                const scroller = th.closest('.table-responsive');
                const edge = scroller ? scroller.getBoundingClientRect().right : Infinity;
                return Math.min(window.innerWidth, edge);
            }"""
        )
        if box is None or box["x"] < 0 or box["x"] + box["width"] > right + 1:
            missing.append(f"{label} at {box}")
    return missing


def off_screen(page: Page, selector: str) -> int:
    """How many of ``selector``'s elements are not wholly inside the window's width."""
    count: int = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].filter((el) => {
            const box = el.getBoundingClientRect();
            return box.width === 0 || box.left < 0 || box.right > window.innerWidth + 1;
        }).length""",
        selector,
    )
    return count


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page, one readable line each."""
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            for node in violation["nodes"][:5]:
                why = [check["message"] for check in node["any"] + node["all"] + node["none"]]
                target = ", ".join(map(str, node["target"]))
                found.append(f"{violation['id']} ({violation['impact']}) {target}: {why[:1]}")
    return found


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("who", sorted(LOGINS))
def test_main_pages_fit_and_pass_axe(
    live_server: LiveServer, browser_page: Page, who: str, viewport: str
) -> None:
    page, base = browser_page, live_server.url
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base, *LOGINS[who])
    problems: list[str] = []
    for visit in visits(demo_ids(live_server.database_url), who):
        response = page.goto(base + visit.path)
        assert response is not None
        assert response.status == 200, (visit, live_server.output()[-3000:])
        save_screenshot(page, f"layout-{who}-{viewport}-{visit.name}")
        sizes = overflow(page)
        if sizes["scroll"] > sizes["width"]:
            problems.append(f"{visit.name}: page scrolls sideways {sizes}")
        keys = visit.key_columns if viewport == "desk" else visit.key_columns[:1]
        problems += [f"{visit.name}: column {c} clipped" for c in clipped_columns(page, keys)]
        if visit.on_screen:
            assert page.locator(visit.on_screen).count() > 0, visit
            if hidden := off_screen(page, visit.on_screen):
                problems.append(f"{visit.name}: {hidden} of {visit.on_screen} off screen")
        problems += [f"{visit.name}: {v}" for v in serious_violations(page)]
    assert not problems, "\n".join(problems)
