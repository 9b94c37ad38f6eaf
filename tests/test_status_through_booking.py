"""Statuses change only through admin_app.booking: the forms cannot decide.

Applications: no status or decision fields in the forms; a submitted decision is refused.
Events: created as draft, hold or confirmed; edited between draft and hold only (confirm and
cancel are the buttons); new times of a confirmed event are checked against the venue AND
the bands accepted for it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from models import Event, EventApplication
from tests.console_views_support import (
    add_application,
    add_band,
    add_event,
    add_venue,
    audit_entries,
    count_rows,
    post_form,
    sign_in_superuser,
)
from tests.worlds.rows import utc
from tests.worlds.three_venues import row_state

DECISION_REFUSED = "Not changed here. A new application is pending."
BUTTONS_HELP = "with the &#34;Accept&#34; / &#34;Reject&#34; buttons on the application&#39;s page"


def stored(engine: Engine, model: Any, pk: int) -> dict[str, Any]:
    state = row_state(engine, model, pk)
    assert state is not None
    return state


def form_fields(page: str) -> set[str]:
    """The names of the inputs and selects a form page offers."""
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page))


def options_of(page: str, field: str) -> list[str]:
    """The option values of the ``field`` select."""
    match = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.S)
    assert match, f"no {field} select on the page"
    return re.findall(r'<option[^>]*value="([^"]*)"', match.group(1))


# Applications -------------------------------------------------------------------------


@pytest.fixture
def gigs(client: TestClient, engine: Engine) -> dict[str, int]:
    """A band accepted for a confirmed Roxy show, applying to an overlapping Lido show."""
    ids = {"admin": sign_in_superuser(client, engine)}
    roxy, lido = add_venue(engine, "Roxy"), add_venue(engine, "Lido")
    ids["roxy_night"] = add_event(
        engine, roxy, "Roxy night", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22)
    )
    ids["lido_night"] = add_event(
        engine, lido, "Lido night", utc(2026, 12, 12, 20), utc(2026, 12, 12, 23)
    )
    ids["hum"] = add_band(engine, "The Hum")
    ids["booked"] = add_application(engine, ids["roxy_night"], ids["hum"], status="accepted")
    ids["pending"] = add_application(engine, ids["lido_night"], ids["hum"])
    return ids


def application_form(event: int, band: int, **extra: str) -> dict[str, str]:
    return {"event": str(event), "band": str(band), "message": "", **extra}


def test_application_forms_have_no_decision_fields(
    client: TestClient, gigs: dict[str, int]
) -> None:
    for url in (
        "/admin/event-application/create",
        f"/admin/event-application/edit/{gigs['pending']}",
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert form_fields(page.text) >= {"event", "band", "message"}
        assert not form_fields(page.text) & {"status", "decided_at", "decided_by"}
        assert BUTTONS_HELP in page.text
    # The details page still shows the decision, read-only, with the buttons to make it.
    details = client.get(f"/admin/event-application/details/{gigs['booked']}").text
    assert "accepted" in details
    assert "Decided at (venue time)" in details


@pytest.mark.parametrize("status", ["accepted", "rejected", "withdrawn"])
def test_a_new_application_cannot_be_created_decided(
    client: TestClient, engine: Engine, gigs: dict[str, int], status: str
) -> None:
    spare = add_band(engine, "Spare")
    form = application_form(gigs["lido_night"], spare, status=status)
    response = post_form(client, "/admin/event-application/create", form)
    assert response.status_code == 400
    assert DECISION_REFUSED in response.text
    assert count_rows(engine, EventApplication) == 2
    assert [e.action for e in audit_entries(engine, "EventApplication")] == []


def test_a_new_application_is_pending(
    client: TestClient, engine: Engine, gigs: dict[str, int]
) -> None:
    spare = add_band(engine, "Spare")
    # An out-of-date form that still says "pending" changes nothing: it goes through.
    form = application_form(gigs["lido_night"], spare, status="pending", message="Hi")
    assert post_form(client, "/admin/event-application/create", form).status_code == 302
    (created,) = audit_entries(engine, "EventApplication")
    row = stored(engine, EventApplication, int(str(created.object_id)))
    assert (row["status"], row["decided_at"], row["decided_by_id"]) == ("pending", None, None)


def test_an_edit_cannot_accept_a_double_booked_band(
    client: TestClient, engine: Engine, gigs: dict[str, int]
) -> None:
    """The hole: "accepted" in the edit form while the band plays elsewhere at that time."""
    pk = gigs["pending"]
    before = stored(engine, EventApplication, pk)
    form = application_form(gigs["lido_night"], gigs["hum"], status="accepted", version="1")
    response = post_form(client, f"/admin/event-application/edit/{pk}", form | {"message": "Yo"})
    assert response.status_code == 400
    assert DECISION_REFUSED in response.text
    assert stored(engine, EventApplication, pk) == before
    assert audit_entries(engine, "EventApplication") == []

    # The proper way says why not.
    decided = client.post(
        f"/admin/event-application/decide/{pk}",
        data={"decision": "accept", "version": "1"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert decided.status_code == 400
    assert "The Hum is already booked for &#34;Roxy night&#34; at Roxy" in decided.text
    assert stored(engine, EventApplication, pk) == before


def test_an_edit_changes_what_is_not_a_decision(
    client: TestClient, engine: Engine, gigs: dict[str, int]
) -> None:
    pk = gigs["pending"]
    # "pending" submitted for a pending application changes nothing, so it is let through.
    form = application_form(gigs["lido_night"], gigs["hum"], status="pending", version="1")
    response = post_form(client, f"/admin/event-application/edit/{pk}", form | {"message": "Yo"})
    assert response.status_code == 302
    row = stored(engine, EventApplication, pk)
    assert (row["status"], row["message"], row["version"]) == ("pending", "Yo", 2)
    # A pending application may still move to another event.
    roxy = stored(engine, Event, gigs["roxy_night"])["venue_id"]
    other = add_event(engine, roxy, "Later", utc(2026, 12, 20, 19), utc(2026, 12, 20, 22))
    form = application_form(other, gigs["hum"], version="2")
    assert post_form(client, f"/admin/event-application/edit/{pk}", form).status_code == 302
    row = stored(engine, EventApplication, pk)
    assert (row["event_id"], row["status"]) == (other, "pending")


@pytest.mark.parametrize("status", ["pending", "rejected", "withdrawn", "accepted"])
def test_a_decided_application_is_not_re_decided_in_the_form(
    client: TestClient, engine: Engine, gigs: dict[str, int], status: str
) -> None:
    pk = gigs["booked"]
    before = stored(engine, EventApplication, pk)
    form = application_form(gigs["roxy_night"], gigs["hum"], status=status, version="1")
    response = post_form(client, f"/admin/event-application/edit/{pk}", form | {"message": "x"})
    if status == "accepted":  # its own status: nothing to decide, the message is saved
        assert response.status_code == 302
        after = stored(engine, EventApplication, pk)
        assert (after["status"], after["decided_at"], after["message"]) == (
            "accepted",
            before["decided_at"],
            "x",
        )
        return
    assert response.status_code == 400
    assert DECISION_REFUSED in response.text
    assert stored(engine, EventApplication, pk) == before


def test_a_decided_application_stays_with_its_event_and_band(
    client: TestClient, engine: Engine, gigs: dict[str, int]
) -> None:
    """Moving an accepted application would dodge the band rule just the same."""
    pk = gigs["booked"]
    before = stored(engine, EventApplication, pk)
    other_band = add_band(engine, "Other band")
    for event, band, field_value in (
        (gigs["lido_night"], gigs["hum"], "Lido night"),
        (gigs["roxy_night"], other_band, "Other band"),
    ):
        form = application_form(event, band, version="1")
        response = post_form(client, f"/admin/event-application/edit/{pk}", form)
        assert response.status_code == 400
        assert "This application was already accepted: it stays with its event and band." in (
            response.text
        )
        assert field_value in response.text  # the input is kept
        assert stored(engine, EventApplication, pk) == before


# Events -------------------------------------------------------------------------------


def event_form(venue: int, **overrides: str) -> dict[str, str]:
    return {
        "venue": str(venue),
        "title": "Night show",
        "description": "",
        "starts_at": "2026-12-12T20:00",
        "ends_at": "2026-12-12T23:00",
        "status": "draft",
        "hold_rank": "",
    } | overrides


def test_the_event_forms_offer_only_what_they_may_set(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine)
    create = client.get("/admin/event/create").text
    assert options_of(create, "status") == ["draft", "hold", "confirmed"]
    assert "Later, confirm or cancel it with the &#34;Confirm event&#34;" in create
    event = add_event(engine, venue, "Show", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    edit = client.get(f"/admin/event/edit/{event}").text
    assert "Confirming and cancelling are done with the &#34;Confirm event&#34; /" in edit
    # The edit form shows a confirmed event's own status (refused if changed).
    assert re.search(
        r'<option[^>]*selected[^>]*value="confirmed"|value="confirmed"[^>]*selected', edit
    )

    refused = post_form(client, "/admin/event/create", event_form(venue, status="cancelled"))
    assert refused.status_code == 400
    assert "Not a valid choice" in refused.text
    assert count_rows(engine, Event) == 1


@pytest.mark.parametrize(
    ("stored_status", "wanted", "message"),
    [
        ("draft", "confirmed", "To confirm this event, leave its status as it is and use the"),
        ("hold", "confirmed", "To confirm this event, leave its status as it is and use the"),
        ("draft", "cancelled", "To cancel this event, leave its status as it is and use the"),
        ("hold", "cancelled", "To cancel this event, leave its status as it is and use the"),
        ("confirmed", "draft", "A confirmed event stays confirmed"),
        ("confirmed", "hold", "A confirmed event stays confirmed"),
        ("confirmed", "cancelled", "To cancel this event"),
        ("cancelled", "draft", "A cancelled event stays cancelled"),
        ("cancelled", "confirmed", "A cancelled event stays cancelled"),
    ],
)
def test_the_edit_form_neither_confirms_nor_cancels(
    client: TestClient, engine: Engine, stored_status: str, wanted: str, message: str
) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine)
    pk = add_event(
        engine,
        venue,
        "Show",
        utc(2026, 12, 12, 19),
        utc(2026, 12, 12, 22),
        status=stored_status,
        hold_rank=1 if stored_status == "hold" else None,
    )
    before = stored(engine, Event, pk)
    form = event_form(venue, title="Renamed", status=wanted, hold_rank="2", version="1")
    response = post_form(client, f"/admin/event/edit/{pk}", form)
    assert response.status_code == 400
    assert message in response.text
    button = "Confirm event" if message.startswith("To confirm") else "Cancel event"
    if not message.startswith("A cancelled"):
        assert f"&#34;{button}&#34; button" in response.text
    assert 'value="Renamed"' in response.text  # the input is kept
    assert stored(engine, Event, pk) == before
    assert audit_entries(engine, "Event") == []


def test_the_edit_form_moves_between_draft_and_hold(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine)
    pk = add_event(
        engine, venue, "Show", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22), status="draft"
    )
    held = event_form(venue, status="hold", hold_rank="2", version="1")
    assert post_form(client, f"/admin/event/edit/{pk}", held).status_code == 302
    assert (stored(engine, Event, pk)["status"], stored(engine, Event, pk)["hold_rank"]) == (
        "hold",
        2,
    )
    draft = event_form(venue, status="draft", hold_rank="2", version="2")
    assert post_form(client, f"/admin/event/edit/{pk}", draft).status_code == 302
    assert (stored(engine, Event, pk)["status"], stored(engine, Event, pk)["hold_rank"]) == (
        "draft",
        None,
    )
    # A confirmed event keeps its status through an edit of anything else.
    confirmed = add_event(engine, venue, "Big", utc(2026, 12, 20, 19), utc(2026, 12, 20, 22))
    renamed = event_form(
        venue,
        title="Bigger",
        status="confirmed",
        starts_at="2026-12-20T20:00",
        ends_at="2026-12-20T23:00",
        version="1",
    )
    assert post_form(client, f"/admin/event/edit/{confirmed}", renamed).status_code == 302
    after = stored(engine, Event, confirmed)
    assert (after["title"], after["status"]) == ("Bigger", "confirmed")


def test_new_times_of_a_confirmed_event_are_checked_for_its_bands(
    client: TestClient, engine: Engine, gigs: dict[str, int]
) -> None:
    """The Hum plays Roxy 20:00-23:00; moving its other confirmed show onto that is refused."""
    lido = add_venue(engine, "Lido Annex")
    later = add_event(engine, lido, "Lido late", utc(2026, 12, 13, 19), utc(2026, 12, 13, 22))
    add_application(engine, later, gigs["hum"], status="accepted")
    before = stored(engine, Event, later)
    onto_roxy = event_form(
        lido,
        title="Lido late",
        status="confirmed",
        starts_at="2026-12-12T22:30",
        ends_at="2026-12-13T01:00",
        version="1",
    )
    response = post_form(client, f"/admin/event/edit/{later}", onto_roxy)
    assert response.status_code == 400
    assert (
        "Cannot move this confirmed event: The Hum is already booked for &#34;Roxy night&#34; "
        "at Roxy, Sat 12 Dec 2026 20:00-23:00 (Europe/Berlin)."
    ) in response.text
    assert 'value="2026-12-12T22:30"' in response.text  # the input is kept
    assert stored(engine, Event, later) == before
    assert audit_entries(engine, "Event") == []

    # Back to back with the Roxy show is fine (half-open ranges), and is saved.
    touching = onto_roxy | {"starts_at": "2026-12-12T23:00", "ends_at": "2026-12-13T01:00"}
    assert post_form(client, f"/admin/event/edit/{later}", touching).status_code == 302
    after = stored(engine, Event, later)
    assert (after["starts_at"], after["status"]) == (utc(2026, 12, 12, 22), "confirmed")


def test_new_times_of_a_confirmed_event_are_checked_for_the_venue(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    venue = add_venue(engine)
    add_event(engine, venue, "Headliner", utc(2026, 12, 12, 19), utc(2026, 12, 12, 22))
    pk = add_event(engine, venue, "Support", utc(2026, 12, 13, 19), utc(2026, 12, 13, 22))
    before = stored(engine, Event, pk)
    form = event_form(
        venue, title="Support", status="confirmed", starts_at="2026-12-12T22:00", version="1"
    )
    response = post_form(client, f"/admin/event/edit/{pk}", form)
    assert response.status_code == 400
    assert "The venue already has a confirmed event at that time: Headliner" in response.text
    assert stored(engine, Event, pk) == before
