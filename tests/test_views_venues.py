"""The Venues area: venues, their staff, weekly hours and open/closed days."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import Event, Venue, VenueAvailability, VenueOperatingHours, VenueStaff
from tests.auth_support import add_user
from tests.console_views_support import (
    add_event,
    add_venue,
    audit_entries,
    clock,
    count_rows,
    delete,
    export_rows,
    post_form,
    sign_in_superuser,
)
from tests.worlds.rows import utc


def rows_in(html: str, *names: str) -> list[str]:
    """Which of ``names`` appear on the page."""
    return [name for name in names if name in html]


def test_venue_list_search_sort_filter(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    add_venue(engine, "Roxy", city="Berlin")
    add_venue(engine, "Apollo", city="Hamburg", timezone="Europe/Berlin")
    add_venue(engine, "Bowery", city="New York", timezone="America/New_York")

    page = client.get("/admin/venue/list")
    assert page.status_code == 200
    assert rows_in(page.text, "Roxy", "Apollo", "Bowery", "America/New_York") == [
        "Roxy",
        "Apollo",
        "Bowery",
        "America/New_York",
    ]
    # Default sort by name.
    assert page.text.index("Apollo") < page.text.index("Bowery") < page.text.index("Roxy")
    by_city = client.get("/admin/venue/list?sortBy=city&sort=desc").text
    assert by_city.index("Bowery") < by_city.index("Apollo") < by_city.index("Roxy")

    searched = client.get("/admin/venue/list?search=york").text
    assert rows_in(searched, "Roxy", "Apollo", "Bowery") == ["Bowery"]
    filtered = client.get("/admin/venue/list?city=Hamburg").text
    assert rows_in(filtered, ">Roxy<", ">Apollo<", ">Bowery<") == [">Apollo<"]


def test_venue_details_show_staff_hours_and_upcoming_events(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    person_id = add_user(engine, "mia@example.com")
    with Session(engine) as session:
        session.add(VenueStaff(venue_id=venue_id, user_id=person_id, role="manager"))
        session.add(
            VenueOperatingHours(
                venue_id=venue_id, weekday=4, opens_at=clock(20), closes_at=clock(2)
            )
        )
        session.commit()
    add_event(engine, venue_id, "Past show", utc(2020, 1, 1, 19), utc(2020, 1, 1, 22))
    upcoming = add_event(
        engine, venue_id, "Future show", utc(2099, 12, 12, 19), utc(2099, 12, 12, 22)
    )

    page = client.get(f"/admin/venue/details/{venue_id}")
    assert page.status_code == 200
    assert f'href="/admin/user/details/{person_id}"' in page.text
    assert "(manager)" in page.text
    assert "Friday 20:00-02:00 (past midnight)" in page.text
    assert f'href="/admin/event/details/{upcoming}"' in page.text
    assert "Sat 12 Dec 2099 20:00 (Europe/Berlin)" in page.text
    assert "Past show" not in page.text


def test_venue_create_edit_delete(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    form = {"name": "Roxy", "city": "Berlin", "address": "", "timezone": "Europe/Berlin"}
    assert post_form(client, "/admin/venue/create", form | {"capacity": "300"}).status_code == 302
    with Session(engine) as session:
        venue = session.scalars(select(Venue)).one()
        assert (venue.name, venue.timezone, venue.capacity, venue.address) == (
            "Roxy",
            "Europe/Berlin",
            300,
            None,
        )
        venue_id = venue.id
    edit_page = client.get(f"/admin/venue/edit/{venue_id}")
    assert edit_page.status_code == 200
    assert '<option selected value="Europe/Berlin">' in edit_page.text
    edited = form | {"timezone": "America/New_York", "capacity": ""}
    assert post_form(client, f"/admin/venue/edit/{venue_id}", edited).status_code == 302
    with Session(engine) as session:
        stored = session.get(Venue, venue_id)
        assert stored is not None
        assert (stored.timezone, stored.capacity) == ("America/New_York", None)
    assert delete(client, "venue", venue_id).status_code == 200
    assert count_rows(engine, Venue) == 0


def test_a_venue_with_events_cannot_be_deleted(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    add_event(engine, venue_id, "Show", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    response = delete(client, "venue", venue_id)
    assert response.status_code == 400
    assert "Can&#39;t delete this venue: it has events." in response.text
    assert count_rows(engine, Venue) == 1
    assert count_rows(engine, Event) == 1
    assert [entry.action for entry in audit_entries(engine, "Venue")] == []


def test_staff_create_and_duplicate(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    person_id = add_user(engine, "mia@example.com")
    form = {"venue": str(venue_id), "user": str(person_id), "role": "manager"}
    assert post_form(client, "/admin/venue-staff/create", form).status_code == 302
    again = post_form(client, "/admin/venue-staff/create", form | {"role": "staff"})
    assert again.status_code == 400
    assert "This person already works at this venue." in again.text
    with Session(engine) as session:
        assert session.execute(select(VenueStaff.role)).scalars().all() == ["manager"]
    listing = client.get("/admin/venue-staff/list?search=mia")
    assert listing.status_code == 200
    assert "mia@example.com" in listing.text
    assert client.get(f"/admin/venue-staff/list?venue={venue_id}").status_code == 200
    # The pickers search as you type instead of listing every user.
    create_page = client.get("/admin/venue-staff/create").text
    assert 'data-role="select2-ajax"' in create_page
    assert "mia@example.com" not in create_page
    lookup = client.get("/admin/venue-staff/ajax/lookup?name=user&term=mia")
    assert lookup.json()["results"][0]["id"] == str(person_id)


def test_operating_hours_by_weekday_name_and_past_midnight(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    form = {"venue": str(venue_id), "weekday": "5", "opens_at": "20:00", "closes_at": "03:00"}
    assert post_form(client, "/admin/venue-operating-hours/create", form).status_code == 302
    with Session(engine) as session:
        hours = session.scalars(select(VenueOperatingHours)).one()
        assert (hours.weekday, hours.opens_at, hours.closes_at) == (5, clock(20), clock(3))
    listing = client.get("/admin/venue-operating-hours/list").text
    assert "Saturday" in listing
    assert "past midnight" in listing
    assert (
        '<option value="0">Monday</option>'
        in client.get("/admin/venue-operating-hours/create").text
    )
    duplicate = post_form(client, "/admin/venue-operating-hours/create", form)
    assert duplicate.status_code == 400
    assert "This venue already has hours for that weekday." in duplicate.text
    assert count_rows(engine, VenueOperatingHours) == 1


def test_venue_days_filters_edit_and_duplicates(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    other_id = add_venue(engine, "Apollo")
    start = date(2026, 12, 1)
    with Session(engine) as session:
        for offset, status in enumerate(["open", "closed", "hold", "open"]):
            session.add(
                VenueAvailability(
                    venue_id=venue_id,
                    date=start + timedelta(days=offset),
                    status=status,
                    note=f"note {offset}",
                )
            )
        session.add(VenueAvailability(venue_id=other_id, date=start, status="closed", note="other"))
        session.commit()

    _, *rows = export_rows(
        client,
        "venue-availability",
        f"?venue={venue_id}&date_from=2026-12-02&date_to=2026-12-03",
    )
    assert sorted(row[3] for row in rows) == ["note 1", "note 2"]
    _, *closed = export_rows(client, "venue-availability", "?status=closed")
    assert sorted(row[3] for row in closed) == ["note 1", "other"]
    page = client.get("/admin/venue-availability/list?date_from=2026-12-04")
    assert page.status_code == 200
    assert "note 3" in page.text
    assert "note 0" not in page.text

    with Session(engine) as session:
        day_id = session.scalars(
            select(VenueAvailability.id).where(VenueAvailability.note == "note 0")
        ).one()
    form = {"venue": str(venue_id), "date": "2026-12-01", "status": "closed", "note": "private"}
    assert post_form(client, f"/admin/venue-availability/edit/{day_id}", form).status_code == 302
    clash = post_form(client, "/admin/venue-availability/create", form | {"note": "again"})
    assert clash.status_code == 400
    assert "This venue already has an entry for that date." in clash.text
    assert count_rows(engine, VenueAvailability) == 5
    updated = audit_entries(engine, "VenueAvailability")[-1]
    assert updated.changes == {"note": ["note 0", "private"], "status": ["open", "closed"]}
