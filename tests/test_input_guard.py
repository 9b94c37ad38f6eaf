"""A NUL character in the address or a form gets a plain 400, on every route, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.input_guard import NUL_IN_ADDRESS, NUL_IN_FORM
from models import VenueAvailability
from tests.auth_support import SAME_ORIGIN, add_user, sign_in
from tests.worlds.site import build_site, post


@pytest.mark.parametrize(
    "url",
    [
        "/admin/event/list?search=%00",
        "/admin/band/list?search=abc%00def",
        "/admin/event/ajax/lookup?name=venue&term=%00",
        "/admin/calendar/venue/1?month=2026-01%00",
        "/admin/event/details/1%00",
    ],
)
def test_nul_in_the_address_is_refused_plainly(
    client: TestClient, engine: Engine, url: str
) -> None:
    add_user(engine, "ops@example.com", superuser=True)
    sign_in(client, "ops@example.com")

    response = client.get(url)

    assert response.status_code == 400
    assert NUL_IN_ADDRESS in response.text


def test_search_without_nul_still_works(client: TestClient, engine: Engine) -> None:
    add_user(engine, "ops@example.com", superuser=True)
    sign_in(client, "ops@example.com")

    assert client.get("/admin/event/list?search=show").status_code == 200


# --- bodies: every form of the console, the shell pages and sign-in included -----------


def venue_marks(engine: Engine) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        return [(row.status, row.note) for row in session.scalars(select(VenueAvailability))]


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_nul_in_a_calendar_day_note_is_refused_and_nothing_is_saved(
    client: TestClient, engine: Engine, encoding: str
) -> None:
    """Was a 500 on PostgreSQL (psycopg.DataError): the shell pages' forms are covered too."""
    site = build_site(engine)
    sign_in(client, "manager-a@example.com")
    day = {"date": "2030-04-10", "status": "closed", "note": "Private\x00party"}
    url = f"/admin/calendar/venue/{site.venue_a}/day"

    if encoding == "urlencoded":
        response = client.post(url, data=day, headers=SAME_ORIGIN)
    else:
        as_files = {name: (None, value) for name, value in day.items()}
        response = client.post(url, files=as_files, headers=SAME_ORIGIN)

    assert response.status_code == 400
    assert NUL_IN_FORM in response.text
    assert venue_marks(engine) == []
    # The same form without the NUL goes through: the body reaches the page unchanged.
    saved = post(client, url, day | {"note": "Private party"})
    assert saved.status_code == 303
    assert venue_marks(engine) == [("closed", "Private party")]


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/admin/venue/create", {"name": "Ro\x00xy", "city": "Berlin", "timezone": "UTC"}),
        ("/admin/event/create", {"title": "a", "venue": "1", "version": "1\x00"}),
        ("/admin/account/password", {"current_password": "\x00"}),
        ("/admin/login", {"username": "ops@example.com\x00", "password": "x"}),
    ],
)
def test_a_nul_in_any_form_is_refused_plainly(
    client: TestClient, engine: Engine, url: str, form: dict[str, str]
) -> None:
    add_user(engine, "ops@example.com", superuser=True)
    sign_in(client, "ops@example.com")

    response = client.post(url, data=form, headers=SAME_ORIGIN)

    assert response.status_code == 400
    assert NUL_IN_FORM in response.text


def test_a_typed_percent_zero_zero_is_text_not_a_nul(client: TestClient, engine: Engine) -> None:
    """A typed "%00" is sent as %2500 and saved as written."""
    site = build_site(engine)
    sign_in(client, "manager-a@example.com")
    url = f"/admin/calendar/venue/{site.venue_a}/day"
    saved = post(client, url, {"date": "2030-04-10", "status": "closed", "note": "100%00 fun"})
    assert saved.status_code == 303
    assert venue_marks(engine) == [("closed", "100%00 fun")]
