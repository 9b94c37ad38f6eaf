"""Decisions where they are read, over HTTP: an event's applications on its page, bulk
decisions on the applications list, and reopening a decided application."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.booking_bulk import MAX_SELECTED
from models import AuditEntry, Event, EventApplication
from tests.auth_support import SAME_ORIGIN
from tests.console_views_support import count_statements
from tests.worlds import rows
from tests.worlds.three_venues import (
    GAMMA_CLERK,
    MANAGER_A,
    ROOT,
    STAFF_A,
    World,
    row_state,
    seed_world,
    signed_in,
)

BULK = "/admin/event-application/decide-selected"
LIST = "/admin/event-application/list"


@pytest.fixture
def world(engine: Engine) -> World:
    """The three-venue world, fresh for each test."""
    return seed_world(engine)


def state(engine: Engine, pk: int) -> dict[str, Any]:
    found = row_state(engine, EventApplication, pk)
    assert found is not None
    return found


def audit_of(engine: Engine, pk: int) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(action, actor, changes) of one application's audit entries, oldest first."""
    with Session(engine) as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "EventApplication", AuditEntry.object_id == str(pk))
            .order_by(AuditEntry.id)
        )
        return [(e.action, e.actor_email, dict(e.changes or {})) for e in entries]


def add_application(engine: Engine, event_id: int, band_name: str, **kw: Any) -> int:
    """Commit a new band and its application to ``event_id``."""
    with rows.committed(engine) as session:
        band = rows.band(session, band_name)
        return rows.application(session, event_id, band, message=f"{band_name} asks", **kw).id


def post(client: TestClient, url: str, data: Any, headers: dict[str, str] | None = None) -> Any:
    if isinstance(data, list):  # pairs, a key repeated: the form as a browser sends it
        pairs, data = data, {}
        for key, value in pairs:
            data.setdefault(key, []).append(value)
    return client.post(
        url, data=data, headers=SAME_ORIGIN if headers is None else headers, follow_redirects=False
    )


def decide_from_event_page(
    client: TestClient, event_id: int, pk: int, decision: str, version: int, next_path: str
) -> Any:
    return post(
        client,
        f"/admin/event-application/decide/{pk}",
        {"decision": decision, "version": str(version), "next": next_path},
    )


# --- the event's page ------------------------------------------------------------------


def test_the_event_page_lists_its_applications_with_their_buttons(
    client: TestClient, engine: Engine, world: World
) -> None:
    event_id = world.events["A"]
    second = add_application(engine, event_id, "Velvet Ruin")
    signed_in(client, STAFF_A)
    page = client.get(f"/admin/event/details/{event_id}").text
    section = page[page.index('data-testid="event-applications"') :]
    assert "Applications (2)" in section
    for pk in (world.applications["A"], second):
        item = section[section.index(f'data-testid="application-{pk}"') :]
        assert f'action="/admin/event-application/decide/{pk}"' in item
        assert f'name="next" value="/admin/event/details/{event_id}"' in item
    assert "Velvet Ruin asks" in section  # the message
    assert 'aria-label="Accept: Velvet Ruin"' in section
    assert section.count('value="accept"') == 2


def test_accept_from_the_event_page_comes_back_to_it(
    client: TestClient, engine: Engine, world: World
) -> None:
    event_id, pk = world.events["A"], world.applications["A"]
    signed_in(client, STAFF_A)
    page = f"/admin/event/details/{event_id}"
    response = decide_from_event_page(client, event_id, pk, "accept", 1, page)
    assert response.status_code == 303
    assert response.headers["location"] == page
    after = client.get(page).text
    assert "Accepted: The Testers → Alpha Gig." in after  # the flashed message
    item = after[after.index(f'data-testid="application-{pk}"') :]
    assert ">accepted</span>" in item
    # Decided at, on the venue's clock (Alpha Hall is in Europe/Berlin), and by whom.
    assert re.search(
        r"Accepted by staff\.a, \w{3} \d\d \w{3} \d{4} \d\d:\d\d \(Europe/Berlin\)", item
    )
    assert 'value="reopen"' in item
    stored = state(engine, pk)
    assert (stored["status"], stored["decided_by_id"]) == ("accepted", world.users["staff_a"])
    assert [(a, who) for a, who, _ in audit_of(engine, pk)] == [("accept", STAFF_A)]


@pytest.mark.parametrize("kind", ["stale", "final"])
def test_a_refusal_from_the_event_page_shows_it_again_with_the_reason(
    client: TestClient, engine: Engine, world: World, kind: str
) -> None:
    event_id, pk = world.events["A"], world.applications["A"]
    signed_in(client, STAFF_A)
    page = f"/admin/event/details/{event_id}"
    if kind == "final":
        assert decide_from_event_page(client, event_id, pk, "reject", 1, page).status_code == 303
    version = 1 if kind == "stale" else state(engine, pk)["version"]
    if kind == "stale":
        with Session(engine) as session:  # someone edits it meanwhile
            application = session.get(EventApplication, pk)
            assert application is not None
            application.message = "Changed"
            session.commit()
    before = state(engine, pk)
    response = decide_from_event_page(client, event_id, pk, "accept", version, page)
    assert response.status_code == 400
    assert 'data-testid="decision-error"' in response.text
    reason = "since you opened it" if kind == "stale" else "already rejected; reopen it"
    assert reason in response.text
    assert 'data-testid="event-applications"' in response.text  # the event's page
    assert "Alpha Gig" in response.text
    assert state(engine, pk) == before


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/admin/", "//evil.example/admin/", "/elsewhere", "/\\evil"]
)
def test_an_unsafe_next_is_ignored(
    client: TestClient, engine: Engine, world: World, unsafe: str
) -> None:
    pk = world.applications["A"]
    signed_in(client, STAFF_A)
    response = decide_from_event_page(client, world.events["A"], pk, "accept", 1, unsafe)
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/admin/event-application/details/{pk}")
    assert state(engine, pk)["status"] == "accepted"


def test_a_double_booking_from_the_event_page_is_refused_on_it(
    client: TestClient, engine: Engine, world: World
) -> None:
    with rows.committed(engine) as session:  # one band, two overlapping confirmed shows
        night = (rows.utc(2026, 12, 20, 19), rows.utc(2026, 12, 20, 22))
        first, second = (
            rows.event(session, world.venues["A"], *night, title="Early"),
            rows.event(session, world.venues["B"], *night, title="Clash"),
        )
        band = rows.band(session, "Brass Attack")
        rows.application(session, second, band, status="accepted")
        pk = rows.application(session, first, band).id
    signed_in(client, STAFF_A)  # works at A only: the clash at B is not named
    page = f"/admin/event/details/{first.id}"
    response = decide_from_event_page(client, first.id, pk, "accept", 1, page)
    assert response.status_code == 400
    assert "Brass Attack is already booked elsewhere at that time." in response.text
    assert "Beta" not in response.text
    assert f'data-testid="application-{pk}"' in response.text  # the event's page
    assert state(engine, pk)["status"] == "pending"
    assert audit_of(engine, pk) == []


def test_staff_of_another_venue_see_no_page_and_decide_nothing(
    client: TestClient, engine: Engine, world: World
) -> None:
    event_id, pk = world.events["A"], world.applications["A"]
    signed_in(client, GAMMA_CLERK)
    assert client.get(f"/admin/event/details/{event_id}").status_code in (403, 404)
    page = f"/admin/event/details/{event_id}"
    for decision in ("accept", "reopen"):
        response = decide_from_event_page(client, event_id, pk, decision, 1, page)
        assert response.status_code == 404
        assert "Alpha" not in response.text
        assert "Testers" not in response.text
    assert state(engine, pk)["status"] == "pending"
    assert audit_of(engine, pk) == []


# --- reopen ------------------------------------------------------------------------------


@pytest.mark.parametrize("decided", ["accept", "reject", "withdraw"])
def test_reopen_puts_a_decided_application_back_to_pending(
    client: TestClient, engine: Engine, world: World, decided: str
) -> None:
    pk = world.applications["A"]
    signed_in(client, MANAGER_A)
    url = f"/admin/event-application/decide/{pk}"
    assert post(client, url, {"decision": decided, "version": "1"}).status_code == 303
    details = client.get(f"/admin/event-application/details/{pk}").text
    assert 'value="reopen"' in details
    assert 'value="accept"' not in details
    version = str(state(engine, pk)["version"])
    response = post(client, url, {"decision": "reopen", "version": version})
    assert response.status_code == 303
    after = client.get(response.headers["location"]).text
    assert "Reopened: The Testers → Alpha Gig." in after
    assert 'value="accept"' in after  # decidable again
    stored = state(engine, pk)
    assert (stored["status"], stored["decided_at"], stored["decided_by_id"]) == (
        "pending",
        None,
        None,
    )
    (*_, (action, actor, changes)) = audit_of(engine, pk)
    assert (action, actor) == ("reopen", MANAGER_A)
    assert changes["status"][1] == "pending"
    # Decided again after the reopen: it works like a new decision.
    version = str(state(engine, pk)["version"])
    assert post(client, url, {"decision": "accept", "version": version}).status_code == 303
    assert state(engine, pk)["status"] == "accepted"


def test_reopen_is_refused_when_pending_stale_cancelled_or_foreign(
    client: TestClient, engine: Engine, world: World
) -> None:
    pk = world.applications["A"]
    url = f"/admin/event-application/decide/{pk}"
    signed_in(client, STAFF_A)
    pending = post(client, url, {"decision": "reopen", "version": "1"})
    assert pending.status_code == 400
    assert "already pending: there is nothing to reopen" in pending.text
    assert post(client, url, {"decision": "accept", "version": "1"}).status_code == 303
    stale = post(client, url, {"decision": "reopen", "version": "1"})
    assert stale.status_code == 400
    assert "since you opened it" in stale.text
    event_id = world.events["A"]
    cancel = post(client, f"/admin/event/decide/{event_id}", {"decision": "cancel", "version": "1"})
    assert cancel.status_code == 303
    details = client.get(f"/admin/event-application/details/{pk}").text
    assert 'value="reopen"' not in details  # booking would refuse it
    version = str(state(engine, pk)["version"])
    cancelled = post(client, url, {"decision": "reopen", "version": version})
    assert cancelled.status_code == 400
    assert "is cancelled" in cancelled.text
    foreign = world.applications["C"]
    with Session(engine) as session:
        session.get(EventApplication, foreign)
    assert (
        post(
            client,
            f"/admin/event-application/decide/{foreign}",
            {"decision": "reopen", "version": "1"},
        ).status_code
        == 404
    )
    assert state(engine, pk)["status"] == "accepted"
    assert [a for a, _, _ in audit_of(engine, pk)] == ["accept"]


# --- bulk ---------------------------------------------------------------------------------


def selected(*values: object) -> list[tuple[str, str]]:
    return [("selected", str(value)) for value in values]


def bulk(client: TestClient, decision: str, values: list[tuple[str, str]], **extra: str) -> Any:
    data = [("decision", decision), *values, *extra.items()]
    return post(client, BULK, data)


def summary_after(client: TestClient, response: Any) -> str:
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    match = re.search(r'data-testid="bulk-summary">([^<]*)<', page)
    assert match, "no summary on the list"
    return match.group(1).replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")


def test_the_list_offers_bulk_buttons_and_versioned_checkboxes(
    client: TestClient, world: World
) -> None:
    signed_in(client, STAFF_A)
    page = client.get(f"{LIST}?status=pending").text
    assert f'action="{BULK}"' in page
    for label in ("Accept selected", "Reject selected", "Mark selected withdrawn"):
        assert label in page
    pk = world.applications["A"]
    assert f'form="bulk-decisions" name="selected" value="{pk}:1"' in page
    assert 'name="next" value="/admin/event-application/list?status=pending"' in page
    # Other lists keep plain checkboxes.
    assert 'form="bulk-decisions"' not in client.get("/admin/event/list").text


@pytest.mark.parametrize(
    ("decision", "stored", "verb"),
    [
        ("accept", "accepted", "Accepted"),
        ("reject", "rejected", "Rejected"),
        ("withdraw", "withdrawn", "Withdrawn"),
    ],
)
def test_bulk_decides_own_rows_and_refuses_the_rest_by_name(
    client: TestClient, engine: Engine, world: World, decision: str, stored: str, verb: str
) -> None:
    own = [world.applications["A"], add_application(engine, world.events["A"], "Velvet Ruin")]
    decided = add_application(engine, world.events["A"], "Old News", status="rejected")
    foreign = world.applications["C"]
    signed_in(client, STAFF_A)
    response = bulk(
        client,
        decision,
        selected(foreign, f"{own[1]}:1", own[0], 999999, "abc", f"{decided}:1"),
        next="/admin/event-application/list?status=pending",
    )
    assert response.headers["location"] == "/admin/event-application/list?status=pending"
    text = summary_after(client, response)
    assert text.startswith(f"{verb} 2. Refused 4: ")
    assert "#abc: not found" in text
    assert f"#{foreign}: not found" in text
    assert "#999999: not found" in text
    assert "Old News → Alpha Gig: This application was already rejected" in text
    assert "Gamma" not in text  # the foreign row is not described
    for pk in own:
        assert state(engine, pk)["status"] == stored
        assert state(engine, pk)["decided_by_id"] == world.users["staff_a"]
        assert [(a, who) for a, who, _ in audit_of(engine, pk)] == [(decision, STAFF_A)]
    assert state(engine, foreign)["status"] == "pending"
    assert audit_of(engine, foreign) == []
    assert state(engine, decided)["status"] == "rejected"
    # The summary is shown once.
    assert 'data-testid="bulk-summary"' not in client.get(LIST).text


def test_bulk_refuses_a_stale_row_and_a_double_booking(
    client: TestClient, engine: Engine, world: World
) -> None:
    with rows.committed(engine) as session:  # one band, two overlapping confirmed shows
        shows = [
            rows.event(
                session,
                world.venues[key],
                rows.utc(2026, 12, 20, 19),
                rows.utc(2026, 12, 20, 22),
                title=f"Show {key}",
            )
            for key in "AB"
        ]
        band = rows.band(session, "Brass Attack")
        first, second = (rows.application(session, show, band).id for show in shows)
    stale = world.applications["A"]
    with Session(engine) as session:
        application = session.get(EventApplication, stale)
        assert application is not None
        application.message = "Edited meanwhile"
        session.commit()
    signed_in(client, ROOT)
    text = summary_after(
        client, bulk(client, "accept", selected(f"{second}:1", f"{first}:1", f"{stale}:1"))
    )
    assert text.startswith("Accepted 1. Refused 2: ")
    assert "The Testers → Alpha Gig: This application was changed by" in text
    assert (
        'Brass Attack → Show B: Brass Attack is already booked for "Show A" at Alpha Hall' in text
    )
    assert state(engine, first)["status"] == "accepted"  # id order: the first wins
    assert state(engine, second)["status"] == "pending"
    assert state(engine, stale)["status"] == "pending"


def test_bulk_never_accepts_over_a_warning_and_says_where_to_do_it(
    client: TestClient, engine: Engine, world: World
) -> None:
    """The band is already accepted for another show then: a single decision asks for
    "Accept anyway"; a bulk has no such button, so it refuses and says where to go."""
    pk = world.applications["A"]
    with rows.committed(engine) as session:
        alpha = session.get(Event, world.events["A"])
        assert alpha is not None
        band_id = session.get(EventApplication, pk).band_id  # type: ignore[union-attr]
        other = rows.event(
            session, alpha.venue_id, alpha.starts_at, alpha.ends_at, title="Other", status="draft"
        )
        rows.application(session, other, band_id, "accepted")
    signed_in(client, STAFF_A)

    text = summary_after(client, bulk(client, "accept", selected(pk)))

    assert text.startswith("Accepted 0. Refused 1: The Testers → Alpha Gig: ")
    assert "To go ahead anyway, accept it on its own page." in text
    assert "Accept anyway" not in text  # no such button here
    assert state(engine, pk)["status"] == "pending"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([("decision", "accept")], "Select at least one application"),
        ([("decision", "approve"), ("selected", "1")], "Unknown decision"),
        (
            [("decision", "accept"), *selected(*range(1, MAX_SELECTED + 2))],
            f"{MAX_SELECTED + 1} applications were selected; decide at most {MAX_SELECTED}",
        ),
    ],
    ids=["nothing", "unknown", "too-many"],
)
def test_bulk_requests_refused_as_a_whole(
    client: TestClient, engine: Engine, world: World, data: list[tuple[str, str]], message: str
) -> None:
    signed_in(client, STAFF_A)
    data = [*data, ("next", "/admin/event-application/list?page=1")]
    data = [(k, str(world.applications["A"]) if v == "1" else v) for k, v in data]
    response = post(client, BULK, data)
    assert response.status_code == 400
    assert 'data-testid="bulk-refused"' in response.text
    assert message in response.text
    assert 'href="/admin/event-application/list?page=1"' in response.text
    assert state(engine, world.applications["A"])["status"] == "pending"
    assert audit_of(engine, world.applications["A"]) == []


def test_bulk_is_a_same_origin_post_only(client: TestClient, engine: Engine, world: World) -> None:
    pk = world.applications["A"]
    signed_in(client, STAFF_A)
    data = [("decision", "accept"), *selected(pk)]
    assert post(client, BULK, data, headers={}).status_code == 403  # no Origin, no Referer
    forged = post(client, BULK, data, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert client.get(BULK, follow_redirects=False).status_code == 303  # back to the list
    assert state(engine, pk)["status"] == "pending"
    assert audit_of(engine, pk) == []


def test_bulk_needs_a_signed_in_user(client: TestClient, engine: Engine, world: World) -> None:
    pk = world.applications["A"]
    response = post(client, BULK, [("decision", "accept"), *selected(pk)])
    assert response.status_code in (302, 303, 401, 403)
    assert state(engine, pk)["status"] == "pending"


def test_a_superuser_bulk_decides_across_venues(
    client: TestClient, engine: Engine, world: World
) -> None:
    signed_in(client, ROOT)
    ids = sorted(world.applications.values())
    text = summary_after(client, bulk(client, "reject", selected(*ids)))
    assert text == "Rejected 3."
    with Session(engine) as session:
        statuses = session.scalars(
            select(EventApplication.status).where(EventApplication.id.in_(ids))
        )
        assert set(statuses) == {"rejected"}
        assert session.scalar(select(Event.status).where(Event.id == world.events["A"])) == "draft"


def test_the_event_page_costs_the_same_statements_with_more_applications(
    client: TestClient, engine: Engine, world: World
) -> None:
    event_id = world.events["A"]
    signed_in(client, STAFF_A)
    counts = []
    for more in (0, 6):
        for n in range(more):
            add_application(engine, event_id, f"Extra {n}", status="rejected")
        with count_statements(client) as statements:
            page = client.get(f"/admin/event/details/{event_id}")
        assert page.status_code == 200
        assert f"Applications ({1 + more})" in page.text
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
