"""The event form's Status select offers only what the booking rules let the form set: a
new event's starting statuses, or the event's own status and the moves allowed from it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from models import Event
from tests.console_views_support import (
    add_event,
    add_venue,
    audit_entries,
    post_form,
    sign_in_superuser,
)
from tests.test_status_through_booking import event_form, options_of, stored
from tests.worlds.rows import utc


def selected_option(page: str, field: str) -> list[str]:
    """The value(s) of the ``field`` select's selected option."""
    match = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.S)
    assert match, f"no {field} select on the page"
    return re.findall(r'<option[^>]*selected[^>]*value="([^"]*)"', match.group(1)) + re.findall(
        r'<option[^>]*value="([^"]*)"[^>]*selected', match.group(1)
    )


def add_show(engine: Engine, venue: int, status: str) -> int:
    return add_event(
        engine,
        venue,
        "Show",
        utc(2026, 12, 12, 19),
        utc(2026, 12, 12, 22),
        status=status,
        hold_rank=1 if status == "hold" else None,
    )


def test_a_new_event_offers_only_the_starting_statuses(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    assert options_of(client.get("/admin/event/create").text, "status") == [
        "draft",
        "hold",
        "confirmed",
    ]


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        ("draft", ["draft", "hold"]),
        ("hold", ["draft", "hold"]),
        ("confirmed", ["confirmed"]),
        ("cancelled", ["cancelled"]),
    ],
)
def test_the_edit_form_offers_the_events_status_and_the_allowed_moves(
    client: TestClient, engine: Engine, status: str, offered: list[str]
) -> None:
    sign_in_superuser(client, engine)
    pk = add_show(engine, add_venue(engine), status)

    page = client.get(f"/admin/event/edit/{pk}")

    assert page.status_code == 200
    assert options_of(page.text, "status") == offered
    assert selected_option(page.text, "status") == [status]


@pytest.mark.parametrize(
    ("status", "posted", "message", "offered"),
    [
        ("draft", "confirmed", "To confirm this event, leave its status", ["draft", "hold"]),
        ("hold", "cancelled", "To cancel this event, leave its status", ["draft", "hold"]),
        ("confirmed", "hold", "A confirmed event stays confirmed", ["confirmed"]),
        ("cancelled", "draft", "A cancelled event stays cancelled", ["cancelled"]),
        ("draft", "postponed", "Not a valid status: pick one from the list.", ["draft", "hold"]),
    ],
)
def test_a_posted_status_not_offered_is_refused_and_nothing_saved(
    client: TestClient, engine: Engine, status: str, posted: str, message: str, offered: list[str]
) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine)
    pk = add_show(engine, venue, status)
    before = stored(engine, Event, pk)

    form = event_form(venue, title="Renamed", status=posted, hold_rank="2", version="1")
    response = post_form(client, f"/admin/event/edit/{pk}", form)

    assert response.status_code == 400
    assert message in response.text
    # Shown again with the same choices as before (never the refused one).
    assert options_of(response.text, "status") == offered
    assert stored(engine, Event, pk) == before
    assert audit_entries(engine, "Event") == []


def test_an_offered_move_is_saved(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine)
    pk = add_show(engine, venue, "draft")

    form = event_form(venue, status="hold", hold_rank="1", version="1")
    response = post_form(client, f"/admin/event/edit/{pk}", form)

    assert response.status_code == 302
    after = stored(engine, Event, pk)
    assert (after["status"], after["hold_rank"]) == ("hold", 1)
    assert options_of(client.get(f"/admin/event/edit/{pk}").text, "status") == ["draft", "hold"]
