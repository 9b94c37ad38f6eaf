"""The console's own list page (console/list.html): right links, kept queries, small HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine
from starlette import routing
from starlette.testclient import TestClient

from tests.console_views_support import add_event, add_venue, sign_in_superuser
from tests.worlds import rows
from tests.worlds.rows import utc
from tests.worlds.three_venues import ROOT, STAFF_A, seed_world, signed_in

SCRIPT = "<script>alert(1)</script>"


@dataclass
class Link:
    """An ``<a>`` of the page: its attributes and its text."""

    attrs: dict[str, str]
    in_rows: bool
    text: str = ""


@dataclass
class Page(HTMLParser):
    """The parts of a list page a user acts on: rows (cells' text and links), all links."""

    rows: list[list[str]] = field(default_factory=list)
    row_links: list[list[Link]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    buttons: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()
        self._in_rows = False
        self._open: list[Link] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "tbody" and found.get("id") == "list-rows":
            self._in_rows = True
        elif self._in_rows and tag == "tr":
            self.rows.append([])
            self.row_links.append([])
        elif self._in_rows and tag == "td":
            self.rows[-1].append("")
        elif tag == "a":
            link = Link(found, self._in_rows)
            self.links.append(link)
            self._open.append(link)
            if self._in_rows:
                self.row_links[-1].append(link)
        if "id" in found:
            self.buttons[found["id"]] = found

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_rows = False
        elif tag == "a" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for link in self._open:
            link.text += data
        if self._in_rows and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data

    def link(self, text: str) -> Link:
        """The one link outside the rows whose text is ``text``."""
        found = [link for link in self.links if link.text.strip() == text and not link.in_rows]
        assert len(found) == 1, (text, found)
        return found[0]


def read_page(client: TestClient, url: str) -> Page:
    """GET a list page (200) and parse it."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    page = Page()
    page.feed(response.text)
    return page


def query_of(href: str) -> dict[str, list[str]]:
    """The query of a link relative to the page (``?a=1&b=2``) as a dict of lists."""
    assert href.startswith("?"), href
    return parse_qs(urlsplit(href).query, keep_blank_values=True)


def test_each_rows_links_go_to_that_row(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    roxy = add_venue(engine, "Roxy", timezone="Europe/Berlin")
    lido = add_venue(engine, "Lido", timezone="America/New_York")
    early = add_event(engine, roxy, "Early show", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    late = add_event(engine, lido, "Late show", utc(2026, 12, 13, 3), utc(2026, 12, 13, 5))

    page = read_page(client, "/admin/event/list?pageSize=10")

    assert [cells[2] for cells in page.rows] == ["Late show", "Early show"]  # newest first
    for links, (event, venue) in zip(page.row_links, [(late, lido), (early, roxy)], strict=True):
        by_title = {link.attrs.get("title"): link.attrs for link in links}
        # The title opens the row (no "View" button), the venue opens the venue.
        named, venue_link = (link.attrs for link in links if "title" not in link.attrs)
        assert named["href"] == f"/admin/event/details/{event}"
        assert "View" not in by_title
        assert by_title["Edit"]["href"] == f"/admin/event/edit/{event}?pageSize=10"
        # The confirmation page, which names the row and what goes with it (JS or not).
        assert by_title["Delete"]["href"] == f"/admin/event/delete?pks={event}"
        assert venue_link["href"] == f"/admin/venue/details/{venue}"
    # Times on each venue's own clock, as the formatter writes them.
    assert page.rows[0][4] == "Sat 12 Dec 2026 22:00 (America/New_York)"
    assert page.rows[1][4] == "Sat 12 Dec 2026 20:00 (Europe/Berlin)"
    # The links really open those rows.
    details = client.get(f"/admin/event/details/{early}")
    assert details.status_code == 200
    assert "Early show" in details.text


def test_sort_filter_and_search_links_keep_the_rest_of_the_query(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    roxy = add_venue(engine, "Roxy")
    add_event(engine, roxy, "Show", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22), status="draft")

    page = read_page(client, "/admin/event/list?search=sh&status=draft&pageSize=10&page=1")

    # Sorting keeps the search, the filter and the page size.
    title = query_of(page.link("Title").attrs["href"])
    assert title == {
        "search": ["sh"],
        "status": ["draft"],
        "pageSize": ["10"],
        "page": ["1"],
        "sortBy": ["title"],
        "sort": ["asc"],
    }
    # A filter choice keeps the rest, replaces its own value, and starts at page 1.
    assert query_of(page.link("Roxy").attrs["href"]) == {
        "search": ["sh"],
        "status": ["draft"],
        "pageSize": ["10"],
        "venue": [str(roxy)],
    }
    # The current filter value is shown as chosen, with a link that clears only it.
    assert [link for link in page.links if link.text.strip() == "draft"] == []
    clear = next(link for link in page.links if link.attrs.get("title") == "Clear filter")
    assert query_of(clear.attrs["href"]) == {"search": ["sh"], "pageSize": ["10"]}
    assert page.buttons["search-input"]["value"] == "sh"
    # The export follows the search and filter (not the page).
    assert page.link("Export").attrs["href"] == "/admin/event/export/csv?search=sh&status=draft"

    # Sorted ascending: the header links to descending, keeping everything else.
    page = read_page(client, "/admin/event/list?status=draft&sortBy=title&sort=asc")
    assert query_of(page.link("Title").attrs["href"]) == {
        "status": ["draft"],
        "sortBy": ["title"],
        "sort": ["desc"],
    }
    assert client.get(
        page.link("Title").attrs["href"].replace("?", "/admin/event/list?")
    ).is_success


def test_pagination_and_page_sizes(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    roxy = add_venue(engine, "Roxy")
    with rows.committed(engine) as session:
        for day in range(25):
            start = utc(2026, 1, 1, 20) + timedelta(days=day)
            rows.event(session, roxy, start, start + timedelta(hours=2), title=f"Show {day:02d}")

    page = read_page(client, "/admin/event/list?pageSize=10&page=2&sortBy=title&sort=asc")

    assert [cells[2] for cells in page.rows] == [f"Show {n:02d}" for n in range(10, 20)]
    pages = {
        link.text.strip(): link.attrs["href"]
        for link in page.links
        if "page-link" in link.attrs.get("class", "")
    }
    assert parse_qs(urlsplit(pages["1"]).query)["page"] == ["1"]
    assert parse_qs(urlsplit(pages["3"]).query) == {
        "pageSize": ["10"],
        "page": ["3"],
        "sortBy": ["title"],
        "sort": ["asc"],
    }
    assert "Showing 11 to 20 of 25 items" in " ".join(
        client.get("/admin/event/list?pageSize=10&page=2").text.split()
    )
    size_25 = page.link("25 / Page").attrs["href"]
    assert parse_qs(urlsplit(size_25).query)["pageSize"] == ["25"]
    last = read_page(client, "/admin/event/list?pageSize=10&page=3&sortBy=title&sort=asc")
    assert [cells[2] for cells in last.rows] == [f"Show {n:02d}" for n in range(20, 25)]


def test_buttons_follow_the_users_permissions(client: TestClient, engine: Engine) -> None:
    world = seed_world(engine)
    own = world.venues["A"]

    signed_in(client, ROOT)
    page = read_page(client, "/admin/venue/list")
    assert len(page.rows) == 3
    titles = [sorted(str(link.attrs.get("title")) for link in links) for links in page.row_links]
    assert titles == [["Delete", "Edit", "None"]] * 3  # the name, without a title
    assert page.link("+ New Venue").attrs["href"] == "/admin/venue/create"
    assert page.buttons["action-delete"]["data-url"] == "/admin/venue/delete"
    assert "disabled" not in page.buttons["dropdownMenuButton"]

    # Venue staff may open and edit their venue, not delete it, nor create venues.
    client.cookies.clear()
    signed_in(client, STAFF_A)
    page = read_page(client, "/admin/venue/list")
    [links] = page.row_links
    assert {link.attrs.get("title"): link.attrs.get("href") for link in links} == {
        None: f"/admin/venue/details/{own}",
        "Edit": f"/admin/venue/edit/{own}",
    }
    assert not [link for link in page.links if link.text.strip() == "+ New Venue"]
    assert "action-delete" not in page.buttons
    assert "dropdownMenuButton" not in page.buttons  # nothing to do with ticked rows: no menu
    # Bands are read-only for staff: only the name, a link to the band, on each row.
    page = read_page(client, "/admin/band/list")
    assert page.row_links
    assert [[link.attrs for link in links] for links in page.row_links] == [
        [{"href": f"/admin/band/details/{band}"}] for band in (world.spare_band, world.band)
    ]


def test_hostile_titles_are_escaped_on_the_list(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine, SCRIPT)
    add_event(engine, venue, SCRIPT, utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))

    text = client.get("/admin/event/list").text

    assert SCRIPT not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    page = Page()
    page.feed(text)
    assert page.rows[0][2] == SCRIPT  # shown as text, as typed
    assert page.rows[0][3] == SCRIPT


def test_an_empty_list_says_so(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    page = client.get("/admin/event/list?search=nothing-like-this")
    assert page.status_code == 200
    assert "No events found." in page.text


def test_fifty_events_fit_in_60_kib_and_cost_no_link_lookup_per_row(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    # The worst case for the filters: the 50 venues the venue filter lists, long names.
    with rows.committed(engine) as session:
        venues = [
            rows.venue(session, f"The Rather Long Named Venue Number {n:02d}") for n in range(50)
        ]
        for n, venue in enumerate(venues):
            start = utc(2026, 6, 1, 20) + timedelta(days=n)
            rows.event(
                session,
                venue,
                start,
                start + timedelta(hours=3),
                title=f"A Fairly Long Show Title {n}",
            )

    response = client.get("/admin/event/list?pageSize=50")
    assert response.status_code == 200
    assert response.text.count('class="form-check-input select-box"') == 50
    assert len(response.content) <= 60 * 1024, len(response.content)

    # Links come from prefixes looked up once per page: as many router lookups for 50
    # rows as for 10.
    assert router_lookups(client, "/admin/event/list?pageSize=10") == router_lookups(
        client, "/admin/event/list?pageSize=50"
    )


def router_lookups(client: TestClient, url: str) -> int:
    """How many URLs the app asks its router for while serving ``url`` (200)."""
    calls: list[str] = []
    original = routing.Router.url_path_for

    def counting(self: routing.Router, name: str, /, **params: Any) -> Any:
        calls.append(name)
        return original(self, name, **params)

    with mock.patch.object(routing.Router, "url_path_for", counting):
        assert client.get(url).status_code == 200
    return len(calls)
