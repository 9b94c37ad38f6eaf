"""The calendar pages over HTTP: each role, scoping, bad input, day marks, holds, SQL counts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.pages._calendar_data import VENUE_PICKER_LIMIT, VENUE_SEARCH_LIMIT
from models import BandAvailability, Event, EventApplication, Venue, VenueAvailability
from tests.auth_support import sign_in
from tests.worlds.site import (
    MONTH,
    Site,
    add_event,
    audit_of,
    build_site,
    counting,
    fill_month,
    post,
)


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def venue_url(venue_id: int, month: str = MONTH) -> str:
    return f"/admin/calendar/venue/{venue_id}?month={month}"


def venue_marks(engine: Engine) -> list[tuple[int, date, str, str | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(
                VenueAvailability.venue_id,
                VenueAvailability.date,
                VenueAvailability.status,
                VenueAvailability.note,
            )
        ).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


@pytest.mark.parametrize(
    "who", ["root@example.com", "manager-a@example.com", "staff-a@example.com"]
)
def test_venue_calendar_shows_the_month_to_each_role(
    client: TestClient, engine: Engine, site: Site, who: str
) -> None:
    show = add_event(engine, site.venue_a, date(2030, 4, 12), title="Late <Show>", hour=22)
    add_event(engine, site.venue_a, date(2030, 4, 12), hour=17, status="hold", hold_rank=1)
    add_event(engine, site.venue_a, date(2030, 4, 13), band_id=site.band, application="accepted")
    add_event(engine, site.venue_a, date(2030, 4, 14), band_id=site.band)
    sign_in(client, who)

    page = client.get(venue_url(site.venue_a))

    assert page.status_code == 200
    assert "Alpha Hall — April 2030" in page.text
    assert "Times in Europe/Berlin" in page.text
    assert "Late &lt;Show&gt;" in page.text  # escaped, never markup
    assert "22:00-00:00 (+1 day)" in page.text
    assert f'href="http://testserver/admin/event/details/{show}"' in page.text
    assert ">hold 1<" in page.text
    assert "event-hold" in page.text
    assert "The Commas" in page.text  # accepted band on the 13th
    assert "1 pending application" in page.text
    assert 'id="day-2030-04-12"' in page.text
    assert "20:00-23:00" in page.text
    assert "month=2030-03" in page.text
    assert "month=2030-05" in page.text
    assert "Legend" in page.text
    assert "Set day" in page.text  # every role here may edit venue A
    assert "Logout" in page.text  # inside the console layout
    picker_has_b = "Bravo Room" in page.text
    assert picker_has_b == (who == "root@example.com")


def test_default_month_and_menu_entry(client: TestClient, site: Site) -> None:
    sign_in(client, "staff-a@example.com")
    index = client.get("/admin/")
    assert 'href="http://testserver/admin/calendar"' in index.text

    entry = client.get("/admin/calendar", follow_redirects=False)
    assert entry.status_code == 302
    assert entry.headers["location"].endswith(f"/admin/calendar/venue/{site.venue_a}")
    page = client.get(entry.headers["location"])
    assert page.status_code == 200
    assert 'aria-current="date"' in page.text  # today is marked in the default month

    picked = client.get(
        f"/admin/calendar?venue={site.venue_a}&month=2030-01", follow_redirects=False
    )
    assert picked.headers["location"].endswith(
        f"/admin/calendar/venue/{site.venue_a}?month=2030-01"
    )


def test_staff_cannot_reach_another_venue(client: TestClient, engine: Engine, site: Site) -> None:
    add_event(
        engine, site.venue_b, date(2030, 4, 12), title="Secret B show", zone="America/New_York"
    )
    sign_in(client, "staff-a@example.com")

    for url in (
        venue_url(site.venue_b),
        f"/admin/calendar/match?venue={site.venue_b}&band={site.band}&month={MONTH}",
        f"/admin/calendar?venue={site.venue_b}",
    ):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "Secret B show" not in page.text
        assert "Bravo Room" not in page.text

    marked = post(
        client,
        f"/admin/calendar/venue/{site.venue_b}/day",
        {"date": "2030-04-10", "status": "closed"},
    )
    assert marked.status_code == 404
    held = post(
        client,
        "/admin/calendar/match/hold",
        {"venue": str(site.venue_b), "band": str(site.band), "date": "2030-04-10"},
    )
    assert held.status_code == 404
    assert venue_marks(engine) == []
    with Session(engine) as session:
        assert session.scalar(select(Event).where(Event.status == "hold")) is None


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("/admin/calendar/venue/{a}?month=2026-13", 400, "Month 13 does not exist"),
        ("/admin/calendar/venue/{a}?month=abc", 400, "is not a month: write it as YYYY-MM"),
        ("/admin/calendar/venue/{a}?month=0001-01", 400, "out of range"),
        ("/admin/calendar/venue/999999", 404, "Venue 999999 was not found."),
        ("/admin/calendar/venue/abc", 404, "There is no venue"),
        ("/admin/calendar/band/999999", 404, "Band 999999 was not found."),
        ("/admin/calendar/band/{band}?month=2030-00", 400, "Month 00 does not exist"),
        ("/admin/calendar/match?venue=abc", 404, "There is no venue"),
        ("/admin/calendar/match?venue={a}&band=999999", 404, "Band 999999 was not found."),
        ("/admin/calendar/match?venue={a}&band={band}&month=x", 400, "is not a month"),
    ],
)
def test_bad_input_is_a_readable_page(
    client: TestClient, site: Site, url: str, code: int, message: str
) -> None:
    sign_in(client, "staff-a@example.com")
    page = client.get(url.format(a=site.venue_a, band=site.band))
    assert page.status_code == code
    assert message in page.text
    assert "Back to the calendar" in page.text
    assert "Logout" in page.text


def test_staff_mark_a_day_and_clear_it(client: TestClient, engine: Engine, site: Site) -> None:
    sign_in(client, "staff-a@example.com")
    day_url = f"/admin/calendar/venue/{site.venue_a}/day"

    marked = post(
        client, day_url, {"date": "2030-04-10", "status": "closed", "note": " Private party "}
    )

    assert marked.status_code == 303
    assert marked.headers["location"].endswith(
        f"/admin/calendar/venue/{site.venue_a}?month=2030-04&day=2030-04-10#day-2030-04-10"
    )
    assert venue_marks(engine) == [(site.venue_a, date(2030, 4, 10), "closed", "Private party")]
    assert audit_of(engine, "VenueAvailability") == [("create", "staff-a@example.com")]
    page = client.get(marked.headers["location"])
    assert "Wed 10 Apr 2030 marked closed." in page.text
    assert "Private party" in page.text
    assert 'class="cal-tag tag-closed"' in page.text

    post(client, day_url, {"date": "2030-04-10", "status": "hold", "note": ""})
    assert venue_marks(engine) == [(site.venue_a, date(2030, 4, 10), "hold", None)]
    cleared = post(client, day_url, {"date": "2030-04-10", "status": "clear"})
    assert cleared.status_code == 303
    assert venue_marks(engine) == []
    assert [action for action, _ in audit_of(engine, "VenueAvailability")] == [
        "create",
        "update",
        "delete",
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"date": "2030-04-10", "status": "maybe"}, "is not a day status"),
        ({"date": "2030-02-30", "status": "closed"}, "is not a date: use YYYY-MM-DD"),
        ({"date": "", "status": "closed"}, "is not a date"),
        ({"date": "2030-04-10", "status": "closed", "note": "x" * 501}, "The note is too long"),
    ],
)
def test_bad_day_form_is_a_400(
    client: TestClient, engine: Engine, site: Site, form: dict[str, str], message: str
) -> None:
    sign_in(client, "manager-a@example.com")
    answer = post(client, f"/admin/calendar/venue/{site.venue_a}/day", form)
    assert answer.status_code == 400
    assert message in answer.text
    assert venue_marks(engine) == []
    assert audit_of(engine, "VenueAvailability") == []


def test_band_day_marks_are_for_superusers(client: TestClient, engine: Engine, site: Site) -> None:
    url = f"/admin/calendar/band/{site.band}/day"
    sign_in(client, "staff-a@example.com")
    page = client.get(f"/admin/calendar/band/{site.band}?month={MONTH}")
    assert page.status_code == 200
    assert "Set day" not in page.text
    refused = post(client, url, {"date": "2030-04-10", "status": "unavailable"})
    assert refused.status_code == 403
    assert "You cannot change the availability of this day." in refused.text

    sign_in(client, "root@example.com")
    marked = post(client, url, {"date": "2030-04-10", "status": "unavailable", "note": "Studio"})
    assert marked.status_code == 303
    with Session(engine) as session:
        rows = session.execute(select(BandAvailability.date, BandAvailability.status)).all()
    assert [tuple(row) for row in rows] == [(date(2030, 4, 10), "unavailable")]
    assert audit_of(engine, "BandAvailability") == [("create", "root@example.com")]
    page = client.get(marked.headers["location"])
    assert "Band: unavailable — Studio" in page.text
    assert "Set day" in page.text


def test_band_calendar_search_and_gigs(client: TestClient, engine: Engine, site: Site) -> None:
    add_event(
        engine,
        site.venue_a,
        date(2030, 4, 13),
        title="Gig A",
        band_id=site.band,
        application="accepted",
    )
    add_event(
        engine,
        site.venue_b,
        date(2030, 4, 15),
        title="Gig B",
        zone="America/New_York",
        band_id=site.band,
        application="accepted",
    )
    sign_in(client, "staff-a@example.com")

    page = client.get(f"/admin/calendar/band/{site.band}?month={MONTH}")
    assert page.status_code == 200
    assert "Gig A" in page.text
    assert "Alpha Hall" in page.text
    assert "Europe/Berlin" in page.text
    assert "Gig B" not in page.text
    assert "booked elsewhere" in page.text

    found = client.get("/admin/calendar/band?q=comm")
    assert found.status_code == 200
    assert f"/admin/calendar/band/{site.band}" in found.text
    assert (
        "The Commas" not in client.get("/admin/calendar/band?q=%25").text
    )  # LIKE chars are literal


def test_place_a_hold_from_the_match_page(client: TestClient, engine: Engine, site: Site) -> None:
    sign_in(client, "staff-a@example.com")
    picker = client.get(f"/admin/calendar/match?venue={site.venue_a}&month={MONTH}&q=Comm")
    assert picker.status_code == 200
    assert f"band={site.band}" in picker.text

    page = client.get(f"/admin/calendar/match?venue={site.venue_a}&band={site.band}&month={MONTH}")
    assert page.status_code == 200
    assert "Alpha Hall \N{MULTIPLICATION SIGN} The Commas" in page.text
    assert 'data-date="2030-04-05"' in page.text  # a Friday: weekend nights come first
    assert page.text.index('data-date="2030-04-05"') < page.text.index('data-date="2030-04-01"')

    held = post(
        client,
        "/admin/calendar/match/hold",
        {"venue": str(site.venue_a), "band": str(site.band), "date": "2030-04-05"},
    )

    assert held.status_code == 303
    assert held.headers["location"].endswith(
        f"/admin/calendar/venue/{site.venue_a}?month=2030-04&day=2030-04-05#day-2030-04-05"
    )
    with Session(engine) as session:
        event_row = session.scalars(select(Event)).one()
        application = session.scalars(select(EventApplication)).one()
    assert (event_row.venue_id, event_row.status, event_row.hold_rank) == (site.venue_a, "hold", 1)
    assert (application.event_id, application.band_id, application.status) == (
        event_row.id,
        site.band,
        "pending",
    )
    assert audit_of(engine, "Event") == [("hold", "staff-a@example.com")]
    assert audit_of(engine, "EventApplication") == [("create", "staff-a@example.com")]
    calendar = client.get(held.headers["location"])
    assert "Hold 1 placed on Fri 05 Apr 2030: Hold: The Commas." in calendar.text
    assert "Hold: The Commas" in calendar.text
    assert ">hold 1<" in calendar.text


@pytest.mark.parametrize(
    ("form", "code", "message"),
    [
        ({"date": "2030-04-06"}, 409, "The venue is marked closed that day."),
        ({"date": "2001-04-06"}, 409, "The date has passed."),
        ({"date": "06/04/2030"}, 400, "is not a date"),
        ({"date": "2030-04-06", "band": "x"}, 404, "There is no band"),
    ],
)
def test_refused_holds_change_nothing(
    client: TestClient, engine: Engine, site: Site, form: dict[str, str], code: int, message: str
) -> None:
    sign_in(client, "staff-a@example.com")
    post(
        client,
        f"/admin/calendar/venue/{site.venue_a}/day",
        {"date": "2030-04-06", "status": "closed"},
    )
    data = {"venue": str(site.venue_a), "band": str(site.band), **form}
    answer = post(client, "/admin/calendar/match/hold", data)
    assert answer.status_code == code
    assert message in answer.text
    with Session(engine) as session:
        assert session.scalars(select(Event)).all() == []
    assert audit_of(engine, "Event") == []


@pytest.mark.parametrize(
    "url",
    [
        "/admin/calendar/venue/{a}?month=2030-04",
        "/admin/calendar/band/{band}?month=2030-04",
        "/admin/calendar/match?venue={a}&band={band}&month=2030-04",
    ],
)
def test_pages_run_a_fixed_number_of_statements(
    client: TestClient, engine: Engine, site: Site, url: str
) -> None:
    """1 event or 90 in the month: the same statements (no query per event or per day)."""
    sign_in(client, "staff-a@example.com")
    path = url.format(a=site.venue_a, band=site.band)
    app_engine = client.app.state.engine  # type: ignore[attr-defined]
    counts = []
    for start, events in ((0, 1), (1, 89)):  # 1 event, then 90 in all
        fill_month(engine, site.venue_a, site.band, events, start)
        with counting(app_engine) as executed:
            page = client.get(path)
        assert page.status_code == 200
        counts.append(executed())
    assert "Show 89" in page.text or "/match" in path
    assert counts[0] == counts[1]
    assert counts[0] <= 14


def add_venues(engine: Engine, count: int) -> list[int]:
    """Commit ``count`` more venues named "Venue 001".. (after Alpha and Bravo by name)."""
    with Session(engine) as session:
        venues = [
            Venue(name=f"Venue {n:03d}", city=f"Town {n:03d}", timezone="Europe/Berlin")
            for n in range(1, count + 1)
        ]
        session.add_all(venues)
        session.commit()
        return [venue.id for venue in venues]


def options_of(page_text: str, select_id: str) -> list[str]:
    """The option values of the <select id=select_id> in the page."""
    start = page_text.index(f'id="{select_id}"')
    block = page_text[start : page_text.index("</select>", start)]
    return re.findall(r'<option value="(\d+)"', block)


@pytest.mark.parametrize(
    ("url", "select_id"),
    [
        ("/admin/calendar/venue/{a}?month=2030-04", "venue-select"),
        ("/admin/calendar/band/{band}?month=2030-04", "match-venue"),
        ("/admin/calendar/match?venue={a}&band={band}&month=2030-04", "match-venue"),
    ],
)
def test_superuser_picker_is_capped_with_a_search(
    client: TestClient, engine: Engine, site: Site, url: str, select_id: str
) -> None:
    add_venues(engine, 60)  # 62 venues in all
    sign_in(client, "root@example.com")

    page = client.get(url.format(a=site.venue_a, band=site.band))

    assert page.status_code == 200
    options = options_of(page.text, select_id)
    assert len(options) == VENUE_PICKER_LIMIT
    assert len(set(options)) == len(options)
    assert str(site.venue_a) in options
    assert "Venue 048" in page.text
    assert "Venue 049" not in page.text  # 51st by name: left to the search
    assert 'name="venue_q"' in page.text
    assert "search to find the others" in page.text


def test_the_current_venue_is_always_listed(client: TestClient, engine: Engine, site: Site) -> None:
    last = add_venues(engine, 60)[-1]  # "Venue 060", far beyond the cap by name
    sign_in(client, "root@example.com")

    for url, select_id in (
        (f"/admin/calendar/venue/{last}?month={MONTH}", "venue-select"),
        (f"/admin/calendar/match?venue={last}&band={site.band}&month={MONTH}", "match-venue"),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        options = options_of(page.text, select_id)
        assert len(options) == VENUE_PICKER_LIMIT
        assert options[-1] == str(last)  # by name, last
        assert f'<option value="{last}" selected>' in page.text


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("/admin/calendar/venue/{a}?month=2030-04&venue_q={q}", "/admin/calendar/venue/{v}?month="),
        (
            "/admin/calendar/band/{band}?month=2030-04&venue_q={q}",
            "/admin/calendar/match?venue={v}",
        ),
        (
            "/admin/calendar/match?venue={a}&band={band}&month=2030-04&venue_q={q}",
            "/admin/calendar/match?venue={v}",
        ),
    ],
)
def test_venue_search_finds_venues_beyond_the_cap(
    client: TestClient, engine: Engine, site: Site, url: str, link: str
) -> None:
    ids = add_venues(engine, 60)
    sign_in(client, "root@example.com")

    by_name = client.get(url.format(a=site.venue_a, band=site.band, q="venue+059"))
    assert by_name.status_code == 200
    assert "Venue 059" in by_name.text
    assert link.format(v=ids[58]) in by_name.text
    select_id = "venue-select" if "/venue/" in url else "match-venue"
    assert str(ids[58]) not in options_of(by_name.text, select_id)

    by_city = client.get(url.format(a=site.venue_a, band=site.band, q="TOWN+06"))
    assert link.format(v=ids[59]) in by_city.text  # "Town 060": case-insensitive, by city

    many = client.get(url.format(a=site.venue_a, band=site.band, q="town"))
    found = re.findall(
        r'<div class="list-group list-group-flush venue-found">(.*?)</div>', many.text, re.S
    )
    assert len(found) == 1
    assert found[0].count("<a ") == VENUE_SEARCH_LIMIT

    literal = client.get(url.format(a=site.venue_a, band=site.band, q="%25"))  # "%"
    assert literal.status_code == 200
    assert "No venue's name or city contains “%”." in literal.text
    underscore = client.get(url.format(a=site.venue_a, band=site.band, q="Venue_0"))
    assert "No venue's name or city contains “Venue_0”." in underscore.text


def test_staff_still_see_all_their_venues(client: TestClient, engine: Engine, site: Site) -> None:
    add_venues(engine, 60)  # not theirs
    sign_in(client, "staff-a@example.com")

    page = client.get(venue_url(site.venue_a))
    assert options_of(page.text, "venue-select") == [str(site.venue_a)]
    assert 'name="venue_q"' not in page.text  # nothing left out, nothing to search
    band = client.get(f"/admin/calendar/band/{site.band}?month={MONTH}")
    assert options_of(band.text, "match-venue") == [str(site.venue_a)]

    searched = client.get(venue_url(site.venue_a) + "&venue_q=venue")
    assert searched.status_code == 200
    assert "Venue 001" not in searched.text  # the search is scoped too
    assert "No venue's name or city contains “venue”." in searched.text


@pytest.mark.parametrize(
    "url",
    [
        "/admin/calendar/venue/{a}?month=2030-04",
        "/admin/calendar/band/{band}?month=2030-04",
        "/admin/calendar/match?venue={a}&band={band}&month=2030-04",
    ],
)
def test_venue_picker_statements_do_not_grow(
    client: TestClient, engine: Engine, site: Site, url: str
) -> None:
    """2 venues or 62, with or without a venue search: the same statements."""
    sign_in(client, "root@example.com")
    path = url.format(a=site.venue_a, band=site.band)
    app_engine = client.app.state.engine  # type: ignore[attr-defined]
    counts = []
    for extra, query in ((0, ""), (60, ""), (0, "&venue_q=venue")):
        add_venues(engine, extra)
        with counting(app_engine) as executed:
            page = client.get(path + query)
        assert page.status_code == 200
        counts.append(executed())
    assert counts[0] == counts[1] == counts[2]


def test_the_match_form_names_its_band_and_keeps_it(
    client: TestClient, engine: Engine, site: Site
) -> None:
    """The band being matched is named in the label (it was a grey placeholder that looked
    typed), and sending the form with the box empty, say after picking another venue,
    keeps it (it dropped the band and showed an empty page)."""
    sign_in(client, "staff-a@example.com")
    empty = client.get(f"/admin/calendar/match?venue={site.venue_a}&month={MONTH}")
    assert 'data-testid="match-hint"' in empty.text

    page = client.get(f"/admin/calendar/match?venue={site.venue_a}&band={site.band}&month={MONTH}")

    assert '<strong data-testid="match-band">The Commas</strong>' in page.text
    assert f'<input type="hidden" name="band" value="{site.band}">' in page.text
    assert 'placeholder="The Commas"' not in page.text
