"""What every console model view gets from ConsoleModelView: access, errors, audit, export, SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.views._export import cell_text, escape_formula
from admin_app.views.venues import VenueAdmin
from models import (
    Band,
    EventApplication,
    User,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
)
from models import VenueStaff as VenueStaffRow
from tests.auth_support import add_user, sign_in
from tests.console_views_support import (
    add_application,
    add_band,
    add_event,
    add_venue,
    audit_entries,
    clock,
    count_rows,
    export_rows,
    list_statement_count,
    post_form,
    sign_in_superuser,
)
from tests.worlds.rows import utc

MY_VIEWS = [
    "venue",
    "venue-staff",
    "venue-operating-hours",
    "venue-availability",
    "event",
    "event-application",
]


def venue_form(**overrides: str) -> dict[str, str]:
    """A valid venue form, with ``overrides``."""
    return {
        "name": "Roxy",
        "city": "Berlin",
        "address": "",
        "timezone": "Europe/Berlin",
        "capacity": "300",
    } | overrides


def test_staff_cannot_create_venues(client: TestClient, engine: Engine) -> None:
    # The whole role matrix is tests/test_permissions.py; here, the one rule of this form.
    add_user(engine, "staff@example.com", staff=True)
    sign_in(client, "staff@example.com")
    for identity in MY_VIEWS:
        assert client.get(f"/admin/{identity}/list").status_code == 200
    assert client.get("/admin/venue/create").status_code == 403
    assert post_form(client, "/admin/venue/create", venue_form()).status_code == 403
    assert count_rows(engine, Venue) == 1  # only the staff member's own venue


def test_create_edit_delete_are_audited_with_before_and_after(
    client: TestClient, engine: Engine
) -> None:
    admin_id = sign_in_superuser(client, engine)
    assert post_form(client, "/admin/venue/create", venue_form()).status_code == 302
    with Session(engine) as session:
        venue_id = session.scalars(select(Venue.id)).one()

    edited = venue_form(capacity="450", city="Potsdam")
    assert post_form(client, f"/admin/venue/edit/{venue_id}", edited).status_code == 302
    assert (
        client.delete(
            f"/admin/venue/delete?pks={venue_id}", headers={"Origin": "http://testserver"}
        ).status_code
        == 200
    )
    assert count_rows(engine, Venue) == 0

    created, updated, deleted = audit_entries(engine, "Venue")
    assert [created.action, updated.action, deleted.action] == ["create", "update", "delete"]
    assert {entry.actor_id for entry in (created, updated, deleted)} == {admin_id}
    assert {entry.object_id for entry in (created, updated, deleted)} == {str(venue_id)}
    assert created.changes is not None
    assert updated.changes is not None
    assert created.changes["name"] == [None, "Roxy"]
    assert created.changes["timezone"] == [None, "Europe/Berlin"]
    assert updated.changes == {"capacity": [300, 450], "city": ["Berlin", "Potsdam"]}
    assert deleted.changes is not None
    assert deleted.changes["capacity"] == [450, None]
    assert deleted.changes["name"] == ["Roxy", None]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 201, "longer than 200 characters"),
        ("city", "", "This field is required"),
        ("timezone", "Mars/Olympus_Mons", "Unknown time zone"),
        ("capacity", "0", "The capacity must be greater than zero."),
        ("capacity", "-5", "The capacity must be greater than zero."),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    client: TestClient, engine: Engine, field: str, value: str, message: str
) -> None:
    sign_in_superuser(client, engine)
    response = post_form(client, "/admin/venue/create", venue_form(**{field: value}))
    assert response.status_code == 400
    assert message in response.text
    assert "invalid-feedback" in response.text  # shown under the field itself
    if value:
        assert value in response.text  # the user's input is kept
    assert count_rows(engine, Venue) == 0
    assert audit_entries(engine, "Venue") == []


def test_edit_with_bad_input_leaves_the_row_alone(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue_id = add_venue(engine)
    response = post_form(client, f"/admin/venue/edit/{venue_id}", venue_form(capacity="0"))
    assert response.status_code == 400
    with Session(engine) as session:
        venue = session.get(Venue, venue_id)
        assert venue is not None
        assert venue.capacity == 300
    assert audit_entries(engine, "Venue") == []


def test_export_follows_search_and_filters_and_neutralises_formulas(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    add_venue(engine, "=HYPERLINK(evil)", city="Berlin")
    add_venue(engine, "+Plus hall", city="Hamburg")
    add_venue(engine, "Quiet bar", city="Berlin")

    header, *rows = export_rows(client, "venue")
    assert header == ["Name", "City", "Time zone", "Capacity"]
    names = sorted(row[0] for row in rows)
    assert names == ["'+Plus hall", "'=HYPERLINK(evil)", "Quiet bar"]

    _, *searched = export_rows(client, "venue", "?search=quiet")
    assert [row[0] for row in searched] == ["Quiet bar"]
    _, *filtered = export_rows(client, "venue", "?city=Hamburg")
    assert [row[0] for row in filtered] == ["'+Plus hall"]


def test_export_is_capped(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_superuser(client, engine)
    for number in range(5):
        add_venue(engine, f"Venue {number}")
    monkeypatch.setattr(VenueAdmin, "export_max_rows", 3)
    _, *rows = export_rows(client, "venue")
    assert len(rows) == 3
    assert client.get("/admin/venue/export/json").status_code == 404


def test_unreadable_filter_values_are_a_400_not_a_500(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    assert client.get("/admin/event/list?venue=abc").status_code == 400
    assert client.get("/admin/venue/list?sortBy=address").status_code == 400
    # A date that is not one is ignored, as if the filter were empty.
    assert client.get("/admin/event/list?starts_at_from=someday").status_code == 200


def _seed_every_table(engine: Engine, rows: int) -> None:
    venue_ids = [add_venue(engine, f"Venue {n}") for n in range(3)]
    band_ids = [add_band(engine, f"Band {n}") for n in range(3)]
    with Session(engine) as session:
        for n in range(rows):
            # Plain rows (no password hashing): only the list's shape matters here.
            user = User(email=f"person{n}@example.com", full_name=f"Person {n}")
            session.add(VenueStaffRow(venue_id=venue_ids[n % 3], user=user, role="staff"))
        for n in range(7 * 3):
            session.add(
                VenueOperatingHours(
                    venue_id=venue_ids[n // 7],
                    weekday=n % 7,
                    opens_at=clock(18),
                    closes_at=clock(2),
                )
            )
        start = utc(2026, 1, 1).date()
        for n in range(rows):
            session.add(
                VenueAvailability(
                    venue_id=venue_ids[n % 3], date=start + timedelta(days=n), status="open"
                )
            )
        session.commit()
    for n in range(rows):
        starts = utc(2026, 3, 1, 19) + timedelta(days=n)
        event_id = add_event(
            engine, venue_ids[n % 3], f"Show {n}", starts, starts + timedelta(hours=3)
        )
        add_application(engine, event_id, band_ids[n % 3], status="accepted")
        add_application(engine, event_id, band_ids[(n + 1) % 3])


@pytest.mark.parametrize("identity", MY_VIEWS)
def test_list_pages_cost_the_same_sql_whatever_the_page_size(
    client: TestClient, engine: Engine, identity: str
) -> None:
    sign_in_superuser(client, engine)
    _seed_every_table(engine, rows=30)
    assert count_rows(engine, EventApplication) == 60
    assert count_rows(engine, Band) == 3
    small = list_statement_count(client, identity, 10)
    large = list_statement_count(client, identity, 100)
    assert small == large
    assert large <= 12


def test_export_cells() -> None:
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("-2") == "'-2"
    assert escape_formula("@SUM(A1)") == "'@SUM(A1)"
    assert escape_formula("\tx") == "'\tx"
    assert escape_formula("Roxy") == "Roxy"
    assert cell_text(None) == ""
    assert cell_text(["a", "b"]) == "a, b"
