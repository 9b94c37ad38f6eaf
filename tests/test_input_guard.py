"""A NUL character in the address gets a plain 400, on every kind of route, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from admin_app.input_guard import NUL_IN_ADDRESS
from tests.auth_support import add_user, sign_in


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
