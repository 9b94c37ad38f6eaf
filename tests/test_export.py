"""The CSV export is the list on screen: the same rows in the same order for the same
search, filters and sort, with the id, the end, and sortable ISO 8601 times on the venue's
clock (zone named) beside the readable ones."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.console_views_support import (
    add_application,
    add_band,
    add_event,
    add_venue,
    export_rows,
    sign_in_superuser,
)
from tests.test_list_page import read_page
from tests.worlds.rows import utc


def _shows(engine: Engine) -> tuple[int, int]:
    berlin = add_venue(engine, "Roxy", timezone="Europe/Berlin")
    london = add_venue(engine, "Dome", city="London", timezone="Europe/London")
    # Berlin is UTC+1 in winter: 19:00 UTC is 20:00 there.
    add_event(engine, berlin, "Winter Show", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    add_event(engine, berlin, "Spring Show", utc(2027, 3, 6, 19), utc(2027, 3, 6, 22))
    add_event(engine, berlin, "Summer Show", utc(2027, 7, 3, 18), utc(2027, 7, 3, 23, 30))
    add_event(engine, berlin, "Rehearsal", utc(2027, 1, 9, 10), utc(2027, 1, 9, 12), status="draft")
    london_show = add_event(engine, london, "Dome Show", utc(2027, 2, 6, 20), utc(2027, 2, 6, 23))
    return berlin, london_show


def test_the_event_export_is_the_filtered_list_with_sortable_times(
    client: TestClient, engine: Engine
) -> None:
    berlin, _ = _shows(engine)
    sign_in_superuser(client, engine)
    query = f"?search=show&venue={berlin}&sortBy=starts_at&sort=asc"

    listed = read_page(client, f"/admin/event/list{query}").rows
    header, *exported = export_rows(client, "event", query)

    assert header == [
        "Id", "Title", "Venue", "Starts (venue time)", "Starts (ISO 8601, venue time)",
        "Ends (ISO 8601, venue time)", "Time zone", "Status", "Accepted bands",
    ]  # fmt: skip
    titles = [row[1] for row in exported]
    assert titles == ["Winter Show", "Spring Show", "Summer Show"]  # the search left out Rehearsal
    on_screen = [next(cell.strip() for cell in row if cell.strip() in titles) for row in listed]
    assert on_screen == titles  # the same rows, in the same order
    winter = exported[0]
    assert winter[3] == "Sat 12 Dec 2026 20:00 (Europe/Berlin)"  # as the list shows it
    assert winter[4:7] == [
        "2026-12-12T20:00:00+01:00",
        "2026-12-12T23:00:00+01:00",
        "Europe/Berlin",
    ]
    assert exported[2][4] == "2027-07-03T20:00:00+02:00"  # summer time, offset follows
    assert [row[4] for row in exported] == sorted(row[4] for row in exported)  # text sorts as time
    assert all(row[0].isdigit() for row in exported)


def test_the_application_export_carries_ids_and_iso_times(
    client: TestClient, engine: Engine
) -> None:
    _berlin, london_show = _shows(engine)
    band = add_band(engine, "Night Owls")
    application = add_application(engine, london_show, band, "accepted")
    sign_in_superuser(client, engine)

    header, *exported = export_rows(client, "event-application", "?status=accepted")

    [row] = exported
    values = dict(zip(header, row, strict=True))
    assert values["Id"] == str(application)
    assert values["Band"] == "Night Owls"
    assert values["Event date (venue time)"] == "Sat 06 Feb 2027 20:00 (Europe/London)"
    assert values["Event starts (ISO 8601, venue time)"] == "2027-02-06T20:00:00+00:00"
    assert values["Event ends (ISO 8601, venue time)"] == "2027-02-06T23:00:00+00:00"
    assert values["Time zone"] == "Europe/London"
    assert values["Decided at (ISO 8601, venue time)"].endswith("+00:00")
    assert values["Status"] == "accepted"
