"""Details pages read as label → value (issue 16, "hard to read"): a card titled "Details",
no "Column / Value" header, related rows one per line as links by name, and a related
row the viewer may not open shown as text, never a link to "403 Forbidden"."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import EventApplication, User, VenueStaff
from tests.auth_support import sign_in
from tests.worlds import rows
from tests.worlds.site import FIRST, Site, add_event, build_site


@dataclass
class Value:
    """One value of a field: its text and, when it is a link, where it goes."""

    text: str
    href: str | None = None


@dataclass
class Details(HTMLParser):
    """A details page as a user reads it: the card's title, whether the table has a
    header row, and each field's values (``listed``: shown as a list, one per line)."""

    card_title: str = ""
    header_row: bool = False
    values: dict[str, list[Value]] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__()
        self._in: str | None = None
        self._table = False
        self._label = ""
        self._current: Value | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "h3" and "card-title" in (found.get("class") or "") and not self.card_title:
            self._in = "title"
        elif tag == "table" and found.get("data-testid") == "details":
            self._table = True
        elif self._table and tag == "thead":
            self.header_row = True
        elif self._table and tag == "th":
            self._in, self._label = "label", ""
        elif self._table and tag == "td":
            self._in = "value"
            self.values[self._label] = []
        elif self._in == "value" and tag == "ul":
            self.listed.add(self._label)
        elif self._in == "value" and tag == "a" and self._current is not None:
            self._current.href = found.get("href")  # a link in a list item
        elif self._in == "value" and tag in ("a", "li"):
            self._current = Value("", found.get("href"))
            self.values[self._label].append(self._current)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = False
        elif tag in ("h3", "th", "td"):
            self._in, self._current = None, None
        elif tag in ("a", "li"):
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.card_title += data.strip()
        elif self._in == "label":
            self._label += data.strip()
        elif self._in == "value":
            if self._current is None and data.strip():
                self._current = Value("")
                self.values[self._label].append(self._current)
            if self._current is not None:
                self._current.text = (self._current.text + " " + data.strip()).strip()


@dataclass(frozen=True)
class World:
    """The site, a band of two members, its applications at venues A and B."""

    site: Site
    member_ids: list[int]
    application_a: int
    application_b: int
    root_id: int
    staff_row_a: int


@pytest.fixture
def world(engine: Engine) -> World:
    """Committed: the site, two band members, an accepted (by root) and a pending application."""
    site = build_site(engine)
    with rows.committed(engine) as session:
        members = [
            rows.member(session, site.band, rows.user(session, email, password=None), instrument)
            for email, instrument in (("ada@example.com", "guitar"), ("bo@example.com", "drums"))
        ]
    show_a = add_event(engine, site.venue_a, FIRST, title="Alpha night", band_id=site.band)
    show_b = add_event(engine, site.venue_b, FIRST, title="Bravo night", band_id=site.band)
    with Session(engine) as session:
        root_id = session.scalar(select(User.id).where(User.email == site.root))
        application_a = session.scalar(
            select(EventApplication).where(EventApplication.event_id == show_a)
        )
        assert application_a is not None
        assert root_id is not None
        application_a.status, application_a.decided_by_id = "accepted", root_id
        application_a.decided_at = application_a.created_at
        application_b = session.scalar(
            select(EventApplication.id).where(EventApplication.event_id == show_b)
        )
        staff_row_a = session.scalar(
            select(VenueStaff.id).join(User).where(User.email == site.staff_a)
        )
        session.commit()
        assert application_b is not None
        assert staff_row_a is not None
        return World(
            site, [m.id for m in members], application_a.id, application_b, root_id, staff_row_a
        )


def details(client: TestClient, path: str) -> Details:
    """The parsed details page at ``path`` (asserting it opens)."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    page = Details()
    page.feed(response.text)
    return page


def test_the_card_is_titled_details_and_reads_label_to_value(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.site.root)
    page = details(client, f"/admin/band/details/{world.site.band}")
    assert page.card_title == "Details"
    assert not page.header_row  # no "Column / Value"
    assert page.values["Name"] == [Value("The Commas")]
    assert page.values["City"] == [Value("Leipzig")]


def test_to_many_relations_are_lists_of_links_by_name(client: TestClient, world: World) -> None:
    sign_in(client, world.site.root)
    page = details(client, f"/admin/band/details/{world.site.band}")
    assert {"Members", "Applications"} <= page.listed
    assert page.values["Members"] == [
        Value("ada (guitar)", f"/admin/band-member/details/{world.member_ids[0]}"),
        Value("bo (drums)", f"/admin/band-member/details/{world.member_ids[1]}"),
    ]
    assert sorted(value.text for value in page.values["Applications"]) == [
        "Alpha night (accepted)",
        "Bravo night (pending)",
    ]
    hrefs = {value.href for value in page.values["Applications"]}
    assert hrefs == {
        f"/admin/event-application/details/{world.application_a}",
        f"/admin/event-application/details/{world.application_b}",
    }
    # Every related row a page of its own, one per line; no "(A (x)) (B (y))".
    assert "((" not in client.get(f"/admin/band/details/{world.site.band}").text


def test_to_one_relations_are_links_by_name(client: TestClient, world: World) -> None:
    sign_in(client, world.site.root)
    page = details(client, f"/admin/event-application/details/{world.application_a}")
    assert page.values["Band"] == [Value("The Commas", f"/admin/band/details/{world.site.band}")]
    (decided_by,) = page.values["Decided by"]
    assert decided_by.href == f"/admin/user/details/{world.root_id}"


def test_rows_staff_may_not_open_are_text_not_links(client: TestClient, world: World) -> None:
    sign_in(client, world.site.staff_a)
    application = details(client, f"/admin/event-application/details/{world.application_a}")
    (decided_by,) = application.values["Decided by"]
    assert decided_by.href is None
    assert decided_by.text
    assert client.get(f"/admin/user/details/{world.root_id}").status_code == 403

    staff_row = details(client, f"/admin/venue-staff/details/{world.staff_row_a}")
    assert list(staff_row.values) == ["Venue", "Person", "Role"]  # no raw "User id"
    (person,) = staff_row.values["Person"]
    assert person.href is None
    assert person.text

    venue = details(client, f"/admin/venue/details/{world.site.venue_a}")
    assert venue.values["Staff"], "the venue's people are listed"
    assert all(value.href is None for value in venue.values["Staff"])

    # What they may open stays a link: their own venue's application, the band's members.
    band = details(client, f"/admin/band/details/{world.site.band}")
    assert [value.href for value in band.values["Applications"]] == [
        f"/admin/event-application/details/{world.application_a}"
    ]
    assert all(value.href for value in band.values["Members"])
