"""The Bookings area: events on the venue's clock, and band applications."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app import booking
from admin_app.views import _counting
from admin_app.views._errors import translate
from admin_app.views._saving import column_values
from admin_app.views.events import EventAdmin
from models import Event, EventApplication
from tests.console_views_support import (
    add_application,
    add_band,
    add_event,
    add_venue,
    audit_entries,
    count_rows,
    delete,
    event_form,
    export_rows,
    post_form,
    sign_in_superuser,
)
from tests.support import POSTGRES_ONLY
from tests.worlds.rows import utc

# What the console says of a show clashing with "Headliner" (19:00-22:00 UTC, Berlin).
HEADLINER_CLASH = (
    "The venue already has a confirmed event at that time: Headliner, "
    "Sat 12 Dec 2026 20:00-23:00 (Europe/Berlin)."
)


def stored_event(engine: Engine) -> Event:
    """The only event in the database."""
    with Session(engine, expire_on_commit=False) as session:
        return session.scalars(select(Event)).one()


@pytest.mark.parametrize(
    ("zone", "local_start", "utc_start", "shown"),
    [
        ("Europe/Berlin", "2026-12-12T20:00", utc(2026, 12, 12, 19), "Sat 12 Dec 2026 20:00"),
        # The night Berlin moves to summer time (+02:00 from 02:00 that morning).
        ("Europe/Berlin", "2026-03-29T20:00", utc(2026, 3, 29, 18), "Sun 29 Mar 2026 20:00"),
        ("Europe/Berlin", "2026-03-28T20:00", utc(2026, 3, 28, 19), "Sat 28 Mar 2026 20:00"),
        ("America/New_York", "2026-12-12T20:00", utc(2026, 12, 13, 1), "Sat 12 Dec 2026 20:00"),
        # New York's first evening on daylight time (-04:00).
        ("America/New_York", "2026-03-08T20:00", utc(2026, 3, 9, 0), "Sun 08 Mar 2026 20:00"),
    ],
)
def test_times_are_entered_and_shown_on_the_venues_clock(
    client: TestClient,
    engine: Engine,
    zone: str,
    local_start: str,
    utc_start: object,
    shown: str,
) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine, timezone=zone)
    local_end = local_start[:-5] + "23:30"
    form = event_form(venue_id, starts_at=local_start, ends_at=local_end)
    assert post_form(client, "/admin/event/create", form).status_code == 302

    event = stored_event(engine)
    assert event.starts_at == utc_start
    assert event.ends_at - event.starts_at == timedelta(hours=3, minutes=30)
    assert f"{shown} ({zone})" in client.get("/admin/event/list").text
    edit_page = client.get(f"/admin/event/edit/{event.id}").text
    assert f'value="{local_start}"' in edit_page
    assert "in the venue&#39;s time zone" in edit_page
    details = client.get(f"/admin/event/details/{event.id}").text
    assert f"{shown}-23:30 ({zone})" in details


def test_an_overnight_show_belongs_to_the_night_it_started(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    form = event_form(venue_id, starts_at="2026-12-12T22:00", ends_at="2026-12-13T02:00")
    assert post_form(client, "/admin/event/create", form).status_code == 302
    assert stored_event(engine).ends_at == utc(2026, 12, 13, 1)
    assert "Sat 12 Dec 2026 22:00 (Europe/Berlin)" in client.get("/admin/event/list").text
    _, *rows = export_rows(client, "event", "?starts_at_from=2026-12-12&starts_at_to=2026-12-12")
    assert [row[1] for row in rows] == ["Night show"]
    _, *next_day = export_rows(client, "event", "?starts_at_from=2026-12-13")
    assert next_day == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": "2026-12-12T19:00"}, "The event must end after it starts."),
        ({"ends_at": "2026-12-12T20:00"}, "The event must end after it starts."),
        ({"status": "hold", "hold_rank": "0"}, "A hold rank is 1 or more"),
        ({"starts_at": "2026-03-29T02:30"}, "does not exist in Europe/Berlin"),
        ({"title": "x" * 201}, "longer than 200 characters"),
        ({"title": "Bad\x00title"}, "NUL character"),
        ({"starts_at": "12/12/2026 8pm"}, "Not a valid datetime value"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_saved(
    client: TestClient, engine: Engine, overrides: dict[str, str], message: str
) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    response = post_form(client, "/admin/event/create", event_form(venue_id, **overrides))
    assert response.status_code == 400
    assert message in response.text
    assert count_rows(engine, Event) == 0
    assert audit_entries(engine, "Event") == []


def test_overlapping_confirmed_events_are_refused_naming_the_clash(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    add_event(engine, venue_id, "Headliner", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    clash = event_form(venue_id, starts_at="2026-12-12T22:30", ends_at="2026-12-13T00:30")
    response = post_form(client, "/admin/event/create", clash)
    assert response.status_code == 400
    assert HEADLINER_CLASH in response.text
    assert 'value="2026-12-12T22:30"' in response.text  # the input is kept
    assert count_rows(engine, Event) == 1

    # Holds may stack, and back-to-back confirmed shows may touch.
    hold = clash | {"status": "hold", "hold_rank": "1", "title": "Second act"}
    assert post_form(client, "/admin/event/create", hold).status_code == 302
    after = event_form(venue_id, starts_at="2026-12-12T23:00", ends_at="2026-12-13T01:00")
    assert post_form(client, "/admin/event/create", after).status_code == 302
    assert count_rows(engine, Event) == 3


def test_the_database_guards_overlaps(engine: Engine) -> None:
    """A writer that skips the console's check (no lock, no clash lookup) is refused by the
    database itself: PostgreSQL's exclusion constraint, SQLite's triggers. Either refusal
    translates to the sentence the console's own check shows."""
    venue_id = add_venue(engine)
    add_event(engine, venue_id, "Headliner", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    with Session(engine) as session:
        rival = Event(
            venue_id=venue_id,
            title="Rival",
            starts_at=utc(2026, 12, 12, 21),
            ends_at=utc(2026, 12, 12, 23),
            status="confirmed",
        )
        session.add(rival)
        values = column_values(rival)
        with pytest.raises(IntegrityError) as caught:
            session.flush()
        session.rollback()
        error = translate(caught.value, session, values, EventAdmin.constraint_messages)
    assert error.field == "starts_at"
    assert error.message == HEADLINER_CLASH
    assert count_rows(engine, Event) == 1


def test_a_save_that_skipped_the_clash_check_reads_the_same_on_both_databases(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the form's own clash check ever skipped, the database still refuses the save,
    and the user reads the same plain sentence, with their input kept, on either database."""
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    add_event(engine, venue_id, "Headliner", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    # The lapse: the booking check finds no clash (the database is left as it is).
    monkeypatch.setattr(booking, "find_confirmed_clash", lambda *_args, **_kwargs: None)
    clash = event_form(venue_id, starts_at="2026-12-12T22:30", ends_at="2026-12-13T00:30")
    response = post_form(client, "/admin/event/create", clash)
    assert response.status_code == 400
    assert HEADLINER_CLASH in response.text
    assert 'value="2026-12-12T22:30"' in response.text  # the input is kept
    assert count_rows(engine, Event) == 1
    assert audit_entries(engine, "Event") == []


def test_event_list_search_filters_details_edit_delete(client: TestClient, engine: Engine) -> None:
    admin_id = sign_in_superuser(client, engine)
    berlin = add_venue(engine, "Roxy")
    new_york = add_venue(engine, "Bowery", city="New York", timezone="America/New_York")
    # 00:30 on 12 Dec in Berlin is still 11 Dec in UTC; 21:00 on 11 Dec in New York is 12 Dec.
    late = add_event(engine, berlin, "=Late set", utc(2026, 12, 11, 23, 30), utc(2026, 12, 12, 2))
    add_event(engine, new_york, "East gig", utc(2026, 12, 12, 2), utc(2026, 12, 12, 4))
    held = add_event(
        engine,
        berlin,
        "Held",
        utc(2026, 12, 20, 19),
        utc(2026, 12, 20, 22),
        status="hold",
        hold_rank=1,
    )
    band = add_band(engine, "The Hum")
    add_application(engine, late, band, status="accepted")

    page = client.get("/admin/event/list").text
    assert "hold 1" in page
    assert "The Hum" in page
    assert ">Roxy<" in page
    assert page.index("Held") < page.index("East gig")  # newest start first
    assert "Held" not in client.get("/admin/event/list?search=gig").text
    _, *on_12th = export_rows(client, "event", "?starts_at_from=2026-12-12&starts_at_to=2026-12-12")
    assert [row[1] for row in on_12th] == ["'=Late set"]
    _, *on_11th = export_rows(client, "event", "?starts_at_to=2026-12-11")
    assert [row[1] for row in on_11th] == ["East gig"]
    _, *at_roxy = export_rows(client, "event", f"?venue={berlin}&status=hold")
    assert [row[1] for row in at_roxy] == ["Held"]
    sorted_page = client.get("/admin/event/list?sortBy=title&sort=asc").text
    assert sorted_page.index("East gig") < sorted_page.index("Held")

    details = client.get(f"/admin/event/details/{late}").text
    assert "The Hum</a>" in details  # the applications, below the table
    assert ">accepted</span>" in details
    assert "/admin/event-application/details/" in details
    assert "Sat 12 Dec 2026 00:30-03:00 (Europe/Berlin)" in details

    form = event_form(
        berlin,
        title="Held over",
        status="hold",
        hold_rank="2",
        starts_at="2026-12-20T20:00",
        ends_at="2026-12-20T23:00",
    )
    # The edit form carries the version it was opened with (optimistic locking).
    edited_form = form | {"version": "1"}
    assert post_form(client, f"/admin/event/edit/{held}", edited_form).status_code == 302
    with Session(engine) as session:
        edited = session.get(Event, held)
        assert edited is not None
        assert (edited.title, edited.hold_rank) == ("Held over", 2)
        assert edited.updated_by_id == admin_id
    update = audit_entries(engine, "Event")[-1]
    assert update.changes == {
        "hold_rank": [1, 2],
        "title": ["Held", "Held over"],
        "updated_by_id": [None, admin_id],
    }

    # A confirmed show is cancelled (its bands told) before it can be deleted.
    refused = delete(client, "event", late)
    assert refused.status_code == 400
    assert "cancel it first" in refused.text
    assert count_rows(engine, Event) == 3
    with Session(engine) as session:
        session.get_one(Event, late).status = "cancelled"
        session.commit()
    assert delete(client, "event", late).status_code == 200
    assert count_rows(engine, Event) == 2
    assert count_rows(engine, EventApplication) == 0
    assert audit_entries(engine, "Event")[-1].action == "delete"


def test_applications(client: TestClient, engine: Engine) -> None:
    admin_id = sign_in_superuser(client, engine)
    roxy = add_venue(engine, "Roxy")
    bowery = add_venue(engine, "Bowery", city="New York", timezone="America/New_York")
    show = add_event(engine, roxy, "Roxy night", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    east = add_event(engine, bowery, "East gig", utc(2026, 12, 13, 1), utc(2026, 12, 13, 4))
    hum, buzz = add_band(engine, "The Hum"), add_band(engine, "Buzz")
    add_application(engine, east, buzz)

    form = {"event": str(show), "band": str(hum), "status": "pending", "message": "We rock"}
    assert post_form(client, "/admin/event-application/create", form).status_code == 302
    duplicate = post_form(client, "/admin/event-application/create", form)
    assert duplicate.status_code == 400
    assert "This band has already applied to this event." in duplicate.text
    assert count_rows(engine, EventApplication) == 2

    page = client.get("/admin/event-application/list").text
    for text in ("The Hum", "Roxy night", "Roxy", "Sat 12 Dec 2026 20:00 (Europe/Berlin)"):
        assert text in page
    assert "Sat 12 Dec 2026 20:00 (America/New_York)" in page
    assert page.index("The Hum") < page.index("Buzz")  # newest first

    _, *by_band = export_rows(client, "event-application", f"?band={hum}")
    assert [row[1] for row in by_band] == ["The Hum"]
    _, *at_bowery = export_rows(client, "event-application", f"?venue={bowery}")
    assert [row[1] for row in at_bowery] == ["Buzz"]
    _, *searched = export_rows(client, "event-application", "?search=roxy")
    assert [row[1] for row in searched] == ["The Hum"]
    _, *pending = export_rows(
        client, "event-application", "?status=pending&starts_at_to=2026-12-12"
    )
    assert sorted(row[1] for row in pending) == ["Buzz", "The Hum"]

    with Session(engine) as session:
        application_id = session.scalars(
            select(EventApplication.id).where(EventApplication.band_id == hum)
        ).one()
    # Decisions are the details page's buttons (admin_app.booking), not the edit form.
    accepted = {"decision": "accept", "version": "1"}
    url = f"/admin/event-application/decide/{application_id}"
    assert post_form(client, url, accepted).status_code == 303
    with Session(engine) as session:
        application = session.get(EventApplication, application_id)
        assert application is not None
        assert application.status == "accepted"
        assert application.decided_at is not None
        assert application.decided_by_id == admin_id
    assert "The Hum" in client.get(f"/admin/event-application/details/{application_id}").text

    assert delete(client, "event-application", application_id).status_code == 200
    assert count_rows(engine, EventApplication) == 1
    actions = [entry.action for entry in audit_entries(engine, "EventApplication")]
    assert actions == ["create", "accept", "delete"]


@POSTGRES_ONLY
def test_a_search_whose_exact_count_times_out_shows_the_planners_estimate(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search the exact count cannot finish in time still lists its rows, "about N".

    The search text ``a :word`` must reach PostgreSQL as a bound value in the estimate's
    EXPLAIN too: inlined into SQL text, ``:word`` read as a bind parameter ended the page.
    """
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    with engine.begin() as connection:
        connection.execute(
            sql(
                "INSERT INTO events (venue_id, title, starts_at, ends_at, status) "
                "SELECT :venue, 'Open mic ' || n || CASE WHEN n % 2 = 0 THEN :suffix "
                "ELSE '' END, now() + n * interval '1 hour', "
                "now() + n * interval '1 hour' + interval '30 minutes', 'draft' "
                "FROM generate_series(1, 40000) AS n"
            ),
            {"venue": venue_id, "suffix": " a :word"},
        )
        connection.execute(sql("ANALYZE events"))
    # Counting 40,000 titles takes far longer than 1 ms, so the exact count is cancelled.
    monkeypatch.setattr(_counting, "COUNT_TIMEOUT_MS", 1)

    response = client.get("/admin/event/list", params={"search": "a :word"})

    assert response.status_code == 200, response.text
    assert "Open mic 2 a :word" in response.text or "Open mic 40000 a :word" in response.text
    assert re.search(r"about [0-9,]{5,}", response.text)
