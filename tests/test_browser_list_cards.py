"""On a phone (390x844) every list is a column of cards: each value of a row is on screen,
named by its column, with nothing behind a sideways scroll of the table; on a desk the same
list is a table again. Walks each list a venue manager and a superuser reach."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from admin_app.demo import DEMO_MANAGER, DEMO_SUPERUSER
from tests.browser import LiveServer, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

MANAGER_LISTS = [
    "band",
    "band-member",
    "band-availability",
    "band-member-availability",
    "venue",
    "venue-staff",
    "venue-operating-hours",
    "venue-availability",
    "event",
    "event-application",
]
SUPERUSER_LISTS = ["user", "audit-entry", "outbox-message"]


def first_card(page: Page) -> dict[str, Any]:
    """The first row's shown values: each one's label (from the per-page style), whether it
    lies inside the window, and the headers' labels in order."""
    found: dict[str, Any] = page.evaluate(
        """() => {
            const headers = [...document.querySelectorAll('thead th')].slice(2)
                .map((th) => th.textContent.trim());
            const row = document.querySelector('#list-rows tr');
            const cells = row ? [...row.children].slice(2) : [];
            return {
                headers,
                scroll: document.documentElement.scrollWidth,
                width: innerWidth,
                display: row ? getComputedStyle(row).display : null,
                cells: cells.map((td, i) => {
                    const box = td.getBoundingClientRect();
                    return {
                        column: i,
                        text: td.textContent.trim(),
                        label: getComputedStyle(td, '::before').content,
                        inside: box.left >= 0 && box.right <= innerWidth + 1,
                        shown: box.width > 0,
                    };
                }),
            };
        }"""
    )
    return found


def check_cards(page: Page, base: str, identity: str) -> list[str]:
    page.goto(f"{base}/admin/{identity}/list")
    card = first_card(page)
    save_screenshot(page, f"cards-{identity}")
    problems = []
    if card["scroll"] > card["width"]:
        problems.append(f"{identity}: the page scrolls sideways ({card['scroll']}px)")
    if not card["cells"]:
        problems.append(f"{identity}: no rows to look at")
    for cell in card["cells"]:
        header = card["headers"][cell["column"]]
        if cell["text"] and not (cell["shown"] and cell["inside"]):
            problems.append(f"{identity}: {header} ({cell['text'][:30]}) is off screen")
        if cell["text"] and cell["label"] != f'"{header}"':
            problems.append(f"{identity}: {header} is labelled {cell['label']}")
    return problems


@pytest.mark.parametrize(
    ("login", "lists"),
    [(DEMO_MANAGER, MANAGER_LISTS), (DEMO_SUPERUSER, SUPERUSER_LISTS)],
    ids=["manager", "superuser"],
)
def test_lists_are_cards_on_a_phone(
    live_server: LiveServer, browser_page: Page, login: tuple[str, str], lists: list[str]
) -> None:
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, *login)
    problems: list[str] = []
    for identity in lists:
        problems += check_cards(page, base, identity)
    assert problems == []


def test_a_desk_keeps_the_table(live_server: LiveServer, browser_page: Page) -> None:
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, base, *DEMO_MANAGER)
    page.goto(f"{base}/admin/event-application/list")
    card = first_card(page)
    assert card["display"] == "table-row"
    assert {cell["label"] for cell in card["cells"]} == {"none"}


def test_the_search_box_shows_its_whole_hint(live_server: LiveServer, browser_page: Page) -> None:
    """The hint names what is searched ("Search by band, event or venue"): all of it fits
    the box at 1400 px (it was cut to "Search by ban")."""
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, base, *DEMO_MANAGER)
    for identity in ("event-application", "venue-operating-hours", "band-member"):
        page.goto(f"{base}/admin/{identity}/list")
        room: dict[str, float] = page.evaluate(
            """() => {
                const box = document.querySelector('#search-input');
                const style = getComputedStyle(box);
                const context = document.createElement('canvas').getContext('2d');
                context.font = style.font;
                const inner = box.clientWidth - parseFloat(style.paddingLeft)
                    - parseFloat(style.paddingRight);
                return {text: context.measureText(box.placeholder).width, inner};
            }"""
        )
        assert room["text"] <= room["inner"], (identity, room)
