"""Forms a first-day user fills in: a new event's venue is marked required and its status
select is styled; a new staff row starts as "staff", not "manager"."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from models import VenueAvailability, VenueStaff
from tests.auth_support import add_user
from tests.console_views_support import add_venue, count_rows, post_form, sign_in_superuser


def tag(html: str, pattern: str) -> str:
    """The first tag of ``html`` matching ``pattern``."""
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return found.group(0)


def test_new_event_marks_the_venue_required_and_styles_the_status(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    page = client.get("/admin/event/create")
    assert page.status_code == 200
    assert "required-label" in tag(page.text, r'<label[^>]*for="venue"[^>]*>')
    assert 'class="form-select"' in tag(page.text, r'<select[^>]*name="status"[^>]*>')
    edit_form_choices = tag(page.text, r'<select[^>]*name="status".*?</select>')
    assert "confirmed" in edit_form_choices  # a new event may start confirmed
    assert "cancelled" not in edit_form_choices


def test_new_staff_row_defaults_to_staff(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    page = client.get("/admin/venue-staff/create")
    assert page.status_code == 200
    role = tag(page.text, r'<select[^>]*name="role".*?</select>')
    assert 'class="form-select"' in role
    assert re.search(r'<option selected value="staff">|<option value="staff" selected>', role), role


# Each form with a relation that cannot be empty, and that relation's field.
REQUIRED_PICKERS = [
    ("band-member", "band"),
    ("band-member", "user"),
    ("band-availability", "band"),
    ("band-member-availability", "band_member"),
    ("venue-staff", "venue"),
    ("venue-operating-hours", "venue"),
    ("venue-availability", "venue"),
    ("event", "venue"),
    ("event-application", "event"),
    ("event-application", "band"),
]


@pytest.mark.parametrize(("identity", "field"), REQUIRED_PICKERS)
def test_a_relation_that_cannot_be_empty_is_marked_and_asked_for(
    client: TestClient, engine: Engine, identity: str, field: str
) -> None:
    """The picker is starred like the other required fields, and a form sent without it
    says which to pick next to it, saving nothing (it was a database refusal before)."""
    sign_in_superuser(client, engine)
    page = client.get(f"/admin/{identity}/create")
    assert "required-label" in tag(page.text, rf'<label[^>]*for="{field}"[^>]*>')

    response = post_form(client, f"/admin/{identity}/create", {"date": "2027-01-04"})

    assert response.status_code == 400
    label = {"band_member": "member", "user": "member"}.get(field, field)
    assert f"Pick the {label}." in response.text
    model = {"venue-staff": VenueStaff, "venue-availability": VenueAvailability}.get(identity)
    if model is not None:
        assert count_rows(engine, model) == 0


def test_staff_may_still_be_added_by_email_alone(client: TestClient, engine: Engine) -> None:
    """The staff form's person picker stays optional: an exact email names them instead."""
    sign_in_superuser(client, engine)
    venue = add_venue(engine, "Blue Lantern")
    add_user(engine, "new.colleague@example.com")

    response = post_form(
        client,
        "/admin/venue-staff/create",
        {"venue": str(venue), "user_email": "new.colleague@example.com", "role": "staff"},
    )

    assert response.status_code == 302, response.text
    assert count_rows(engine, VenueStaff) == 1


def test_an_edit_page_is_headed_by_its_row_and_a_new_form_has_no_empty_header(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine, "The Blue Lantern")

    edit = client.get(f"/admin/venue/edit/{venue}")
    heading = tag(edit.text, r'<h2 class="page-title"[^>]*>.*?</h2>')
    assert "The Blue Lantern" in heading

    new = client.get("/admin/venue/create")
    assert '<div class="page-header d-print-none"></div>' in new.text
    assert '<h2 class="page-title"></h2>' not in new.text
