"""No lost updates: an edit form made stale by someone else's save is refused, input kept."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from models import Event, EventApplication
from tests.auth_support import SAME_ORIGIN
from tests.worlds.three_venues import MANAGER_A, STAFF_A, World, row_state, seed_world, signed_in


@pytest.fixture
def world(engine: Engine) -> World:
    """The three-venue world, fresh for each test."""
    return seed_world(engine)


@pytest.fixture
def second_client(client: TestClient) -> Iterator[TestClient]:
    """Another browser on the same app: its own cookies, its own session."""
    assert isinstance(client.app, Starlette)
    with TestClient(client.app) as other:
        yield other


def opened_version(page: str) -> str:
    """The version an edit form was opened with (its hidden field)."""
    match = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page)
    assert match, "the edit form carries no version"
    return match.group(1) or match.group(2)


EVENT_FORM = {
    "title": "Alpha Gig",
    "starts_at": "2026-12-10T20:00",
    "ends_at": "2026-12-10T23:00",
    "status": "draft",
    "save": "Save",
}


def test_the_second_of_two_event_edits_is_refused(
    client: TestClient, second_client: TestClient, engine: Engine, world: World
) -> None:
    first, second = signed_in(client, STAFF_A), signed_in(second_client, MANAGER_A)
    pk = world.events["A"]
    url = f"/admin/event/edit/{pk}"
    first_version = opened_version(first.get(url).text)
    second_version = opened_version(second.get(url).text)
    assert first_version == second_version == "1"
    form = EVENT_FORM | {"venue": str(world.venues["A"])}

    saved = first.post(
        url,
        data=form | {"title": "First edit", "version": first_version},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert saved.status_code == 302
    refused = second.post(
        url, data=form | {"title": "Second edit", "version": second_version}, headers=SAME_ORIGIN
    )
    assert refused.status_code == 400
    assert f"This event was changed by {STAFF_A} since you opened it." in refused.text
    assert 'value="Second edit"' in refused.text  # the user's input is still in the form
    state = row_state(engine, Event, pk)
    assert state is not None
    assert (state["title"], state["version"], state["updated_by_id"]) == (
        "First edit",
        2,
        world.users["staff_a"],
    )

    # Reloading gives the new version; the same change then goes through.
    fresh = opened_version(second.get(url).text)
    again = second.post(
        url,
        data=form | {"title": "Second edit", "version": fresh},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert again.status_code == 302
    state = row_state(engine, Event, pk)
    assert state is not None
    assert (state["title"], state["version"]) == ("Second edit", 3)


def test_a_stale_application_edit_is_refused(
    client: TestClient, second_client: TestClient, engine: Engine, world: World
) -> None:
    first, second = signed_in(client, STAFF_A), signed_in(second_client, MANAGER_A)
    pk = world.applications["A"]
    url = f"/admin/event-application/edit/{pk}"
    version = opened_version(first.get(url).text)
    form = {"event": str(world.events["A"]), "band": str(world.band), "status": "pending"}
    assert (
        second.post(
            url,
            data=form | {"message": "Bring your own amp", "version": version, "save": "Save"},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        ).status_code
        == 302
    )
    refused = first.post(
        url,
        data=form | {"message": "Soundcheck at six", "version": version, "save": "Save"},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 400
    assert f"This application was changed by {MANAGER_A} since you opened it." in refused.text
    assert "Soundcheck at six" in refused.text
    state = row_state(engine, EventApplication, pk)
    assert state is not None
    assert state["message"] == "Bring your own amp"


# A missing version, and garbled ones (the hidden field's errors would not show on the
# page, so the version check itself must refuse them, with its message).
@pytest.mark.parametrize("version", [None, "1.0", "x" * 10_000])
def test_an_edit_without_a_readable_version_is_refused(
    client: TestClient, engine: Engine, world: World, version: str | None
) -> None:
    signed_in(client, STAFF_A)
    pk = world.events["A"]
    before = row_state(engine, Event, pk)
    form = EVENT_FORM | {"venue": str(world.venues["A"]), "title": "Sneaky"}
    response = client.post(
        f"/admin/event/edit/{pk}",
        data=form if version is None else form | {"version": version},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 400
    assert "This form is out of date (it carries no version). Reload the page" in response.text
    assert row_state(engine, Event, pk) == before
