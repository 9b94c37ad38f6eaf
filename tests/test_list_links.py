"""Names in lists open their rows; related rows in a cell are plain comma-separated links."""

from __future__ import annotations

from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from admin_app import outbox
from admin_app.views._list_page import LONG_NAME, Cell, Link, Row, render_rows
from models import OutboxMessage
from tests.console_views_support import add_event, add_venue, sign_in_superuser
from tests.test_list_page import Page, read_page
from tests.worlds import rows
from tests.worlds.rows import utc
from tests.worlds.three_venues import ROOT, seed_world, signed_in

# The lists whose rows have a name, and the name's column (0: the first after the buttons).
NAMED = {
    "event": 0,
    "band": 0,
    "venue": 0,
    "user": 0,
    "audit-entry": 0,
    "outbox-message": 1,
}
# Rows named only by other rows: each keeps a "View" button to its details page.
UNNAMED = (
    "event-application",
    "band-member",
    "band-availability",
    "band-member-availability",
    "venue-staff",
    "venue-operating-hours",
    "venue-availability",
)
CELLS_BEFORE_COLUMNS = 2  # the checkbox and the buttons


def test_every_named_list_links_its_names_and_drops_the_view_button(
    client: TestClient, engine: Engine
) -> None:
    world = seed_world(engine)
    with rows.committed(engine) as session:
        outbox.enqueue(
            session, key="k", kind="test", recipients=["a@example.com"], subject="Hi", text="."
        )
    signed_in(client, ROOT)
    for identity, column in NAMED.items():
        page = read_page(client, f"/admin/{identity}/list?pageSize=100")
        assert page.rows, identity
        for row, cells in enumerate(page.rows):
            name = cells[CELLS_BEFORE_COLUMNS + column]
            named = [link for link in page.row_links[row] if link.text == name and name]
            assert len(named) == 1, (identity, name)
            assert named[0].attrs["href"].startswith(f"/admin/{identity}/details/"), identity
            titles = {link.attrs.get("title") for link in page.row_links[row]}
            assert "View" not in titles, identity
        assert 'class="fa fa-eye"' not in client.get(f"/admin/{identity}/list").text
    # The event's name opens that event.
    page = read_page(client, "/admin/event/list?search=Alpha")
    [alpha] = page.row_links
    assert [link.attrs["href"] for link in alpha if link.text == "Alpha Gig"] == [
        f"/admin/event/details/{world.events['A']}"
    ]
    with rows.committed(engine) as session:
        message = session.scalar(select(OutboxMessage.id))
    page = read_page(client, "/admin/outbox-message/list")
    assert [link.attrs["href"] for link in page.row_links[0] if link.text == "Hi"] == [
        f"/admin/outbox-message/details/{message}"
    ]


def test_rows_without_a_name_keep_a_view_button(client: TestClient, engine: Engine) -> None:
    world = seed_world(engine)
    signed_in(client, ROOT)
    for identity in UNNAMED:
        page = read_page(client, f"/admin/{identity}/list?pageSize=100")
        assert page.rows, identity
        opened = set()
        for links in page.row_links:
            [view] = [link for link in links if link.attrs.get("title") == "View"]
            assert view.attrs["href"].startswith(f"/admin/{identity}/details/"), identity
            opened.add(int(view.attrs["href"].rsplit("/", 1)[1]))
        assert set(world.rows(identity).values()) <= opened, identity


def test_staff_open_their_venue_by_its_name(client: TestClient, engine: Engine) -> None:
    """Buttons still follow permissions: staff may open and edit their venue, by its name."""
    world = seed_world(engine)
    signed_in(client, "staff.a@example.com")
    page = read_page(client, "/admin/venue/list")
    [links] = page.row_links
    assert [(link.text, link.attrs) for link in links] == [
        ("", {"href": f"/admin/venue/edit/{world.venues['A']}", "title": "Edit"}),
        ("Alpha Hall", {"href": f"/admin/venue/details/{world.venues['A']}"}),
    ]


def test_a_long_title_keeps_its_whole_text_as_a_tooltip(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine, "Roxy")
    long_title = ("A very long title that goes on " * 10)[:200]
    add_event(engine, venue, long_title, utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    add_event(engine, venue, "Short", utc(2026, 12, 13, 19), utc(2026, 12, 13, 22))

    page = read_page(client, "/admin/event/list")

    by_text = {link.text: link.attrs for links in page.row_links for link in links}
    assert len(long_title) > LONG_NAME
    assert by_text[long_title]["title"] == long_title
    assert "title" not in by_text["Short"]


def test_related_rows_in_a_cell_are_comma_separated_links() -> None:
    """A to-many cell (no console list has one today; every list renders cells so)."""
    row = Row(
        pk="7",
        details=None,
        edit=None,
        delete=None,
        cells=[
            Cell([Link("Alpha", "/admin/band/details/1"), Link("<B>", "/admin/band/details/2")]),
            Cell([Link("One", "/admin/venue/details/3")]),
            Cell([Link("Plain"), Link("Text")]),
        ],
    )

    html = render_rows([row], bulk_form=None, select_label="Select item")

    page = Page()
    page.feed(f'<table><tbody id="list-rows">{html}</tbody></table>')
    assert [cell.strip() for cell in page.rows[0]] == ["", "", "Alpha, <B>", "One", "Plain, Text"]
    assert '<a href="/admin/band/details/1">Alpha</a>, <a href="/admin/band/details/2">' in html
    assert "&lt;B&gt;" in html
    assert "(" not in html
    assert "<br>" not in html
