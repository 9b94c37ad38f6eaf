"""Audit times on the clock of the venue each entry belongs to, zone named, as the rest of
the console shows times; UTC (named) for entries of no venue. The list reads the zones of
a whole page at once, the export keeps its ISO UTC column, and an object's history reads
each change on the clock of the venue the row was at then.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.audit import Actor, record
from models import AuditEntry, Event
from tests.console_views_support import (
    assert_same_statement_count,
    event_form,
    export_rows,
    post_form,
    sign_in_superuser,
)
from tests.worlds import rows

LIST = "/admin/audit-entry/list"
# 23:05 UTC on 1 March 2026: 08:05 the next day in Tokyo, 18:05 in New York, 23:05 in UTC.
AT = datetime(2026, 3, 1, 23, 5, tzinfo=UTC)
TOKYO = "Mon 02 Mar 2026 08:05 (Asia/Tokyo)"
NEW_YORK = "Sun 01 Mar 2026 18:05 (America/New_York)"
IN_UTC = "Sun 01 Mar 2026 23:05 (UTC)"
OPS = Actor(None, "ops@example.com")


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _row_texts(page: str) -> list[str]:
    """The list's rows as text, in order."""
    body = page[page.index("<tbody") :]
    return [_text(row) for row in re.findall(r"<tr[ >].*?</tr>", body, re.S)]


def _entry(session: Session, action: str, obj: Any = None, **fields: Any) -> None:
    entry = record(session, OPS, action, obj, **fields)
    entry.occurred_at = AT


def _world(engine: Engine) -> dict[str, int]:
    """A venue in Tokyo with a show, an application, hours and a marked day; a venue in
    New York with staff; a band and a person. One entry about each, at 23:05 UTC."""
    with rows.committed(engine) as session:
        tokyo = rows.venue(session, "Shibuya Hall", city="Tokyo", timezone="Asia/Tokyo")
        new_york = rows.venue(session, "Bowery", city="New York", timezone="America/New_York")
        show = rows.event(session, tokyo, AT, AT.replace(hour=23, minute=59), title="Late")
        band = rows.band(session, "The Zones")
        applied = rows.application(session, show.id, band.id, "pending")
        hours = rows.opening_hours(session, tokyo, 0)
        day = rows.venue_day(session, tokyo, date(2026, 3, 2), "closed")
        person = rows.user(session, "someone@example.com")
        staff = rows.staff(session, new_york, person)
        _entry(session, "update", show, changes={"title": ["Early", "Late"]})
        _entry(session, "reject", applied, changes={"status": ["pending", "rejected"]})
        _entry(session, "update", hours, changes={"closes_at": ["22:00:00", "23:00:00"]})
        _entry(session, "update", day, changes={"status": ["open", "closed"]})
        _entry(session, "update", staff, changes={"role": ["manager", "staff"]})
        _entry(session, "update", new_york, changes={"capacity": [200, 300]})
        _entry(session, "update", band, changes={"name": ["Zones", "The Zones"]})
        _entry(session, "update", person, changes={"full_name": ["", "Someone"]})
        return {"tokyo": tokyo.id, "new_york": new_york.id, "show": show.id}


def test_the_list_shows_each_entry_on_its_venues_clock(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    _world(engine)

    expected = {
        "Event": TOKYO,
        "Application": TOKYO,
        "Venue operating hours": TOKYO,
        "Venue availability": TOKYO,
        "Venue staff": NEW_YORK,
        "Venue": NEW_YORK,
        "Band": IN_UTC,
        "Person": IN_UTC,
    }
    for object_type, when in expected.items():
        shown = [text for text in _row_texts(client.get(LIST).text) if f" {object_type} " in text]
        assert any(when in text for text in shown), (object_type, shown)
    page = client.get(LIST).text
    # Only the date filter still works in UTC, and says so.
    assert "From (UTC)" in page
    assert "To (UTC)" in page


def test_the_export_keeps_iso_utc(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    _world(engine)
    [header, *data] = export_rows(client, "audit-entry", "?object_type=Event")
    assert header[0] == "When"
    assert [row[0] for row in data] == ["2026-03-01T23:05:00+00:00"]


def test_an_entry_page_names_its_venues_zone(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    _world(engine)
    for object_type, when in (("VenueStaff", NEW_YORK), ("User", IN_UTC), ("Event", TOKYO)):
        with Session(engine) as session:
            entry_id = session.scalar(
                select(AuditEntry.id).where(AuditEntry.object_type == object_type)
            )
        text = _text(client.get(f"/admin/audit-entry/details/{entry_id}").text)
        assert f"When {when}" in text, object_type


def test_the_list_reads_zones_without_a_query_per_row(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    # Entries about many rows of every kind, interleaved, so any page holds every kind.
    with rows.committed(engine) as session:
        band = rows.band(session, "The Many")
        for number in range(15):
            zone = ("Asia/Tokyo", "America/New_York", "Europe/Berlin")[number % 3]
            venue = rows.venue(session, f"Venue {number}", timezone=zone)
            show = rows.event(session, venue, AT, AT.replace(hour=23, minute=59))
            applied = rows.application(session, show.id, band.id, "pending")
            person = rows.user(session, f"person{number}@example.com", password=None)
            hours = rows.opening_hours(session, venue, number % 7)
            for obj in (show, applied, venue, person, hours, band, show, venue):
                _entry(session, "update", obj, changes={"id": [1, 1]})
    assert_same_statement_count(client, LIST)


def test_history_reads_each_change_on_the_clock_of_the_venue_it_was_at(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    with rows.committed(engine) as session:
        tokyo = rows.venue(session, "Shibuya Hall", city="Tokyo", timezone="Asia/Tokyo").id
        new_york = rows.venue(session, "Bowery", city="New York", timezone="America/New_York").id
    created = post_form(client, "/admin/event/create", event_form(tokyo, status="draft"))
    assert created.status_code == 302, created.text
    with Session(engine) as session:
        pk = session.scalar(select(Event.id))
    # Moved to New York, at 20:00 on that clock; then renamed there.
    moved = event_form(new_york, status="draft", version="1")
    assert post_form(client, f"/admin/event/edit/{pk}", moved).status_code == 302
    renamed = event_form(new_york, status="draft", version="2", title="Moved show")
    assert post_form(client, f"/admin/event/edit/{pk}", renamed).status_code == 302

    text = _text(client.get(f"/admin/history/Event/{pk}").text)
    # The creation: at Tokyo, on Tokyo's clock (not the New York venue it is at now).
    assert "Sat 12 Dec 2026 20:00 (Asia/Tokyo)" in text
    # The move: the old time on the old venue's clock, the new one on the new venue's.
    assert "Sat 12 Dec 2026 20:00 (Asia/Tokyo) → Sat 12 Dec 2026 20:00 (America/New_York)" in text
    # Each entry's own time: the creation in Tokyo, the later ones in New York (the entry
    # page reads the object's older entries to know).
    with Session(engine) as session:
        stmt = select(AuditEntry.id).where(AuditEntry.object_id == str(pk)).order_by("id")
        created_entry, _moved_entry, renamed_entry = session.scalars(stmt)
    assert "(Asia/Tokyo)" in _when(client, created_entry)
    assert "(America/New_York)" in _when(client, renamed_entry)


def _when(client: TestClient, entry_id: int) -> str:
    """The "When" of an entry's page."""
    text = _text(client.get(f"/admin/audit-entry/details/{entry_id}").text)
    return text.split(" When ", 1)[1].split(" Who ", 1)[0]
