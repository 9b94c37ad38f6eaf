"""Forms a first-day user fills in: a new event's venue is marked required and its status
select is styled; a new staff row starts as "staff", not "manager"."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.console_views_support import sign_in_superuser


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
