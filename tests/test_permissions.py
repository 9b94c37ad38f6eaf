"""The permission matrix: every role, every console view, every operation, own and foreign.

Roles: the superuser, the manager of venue A, staff of A, staff of A and B; a user without
any role cannot sign in at all. "Foreign" is venue C, which none of the venue users work
at: its rows must be refused (403/404) and stay exactly as they were, and its name
("Gamma") must never reach their pages, exports, filters or pickers. The expected answers
are written out here (:func:`allowed`), not computed with admin_app.scoping.

The world is built once per module and database; tests that change it put it back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from sqladmin import ModelView
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.app import create_app
from admin_app.console import all_views
from admin_app.db import build_engine
from models import (
    Band,
    Base,
    Event,
    EventApplication,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)
from tests.auth_support import SAME_ORIGIN, is_signed_in, post_login
from tests.support import clear_tables, make_settings
from tests.worlds import rows
from tests.worlds.three_venues import (
    GAMMA_CLERK,
    NOBODY,
    OWN,
    ROLES,
    VENUE_NAMES,
    World,
    row_state,
    seed_world,
    signed_in,
)

REFUSED = (403, 404)
READS = {"list", "details", "export"}
BAND_VIEWS = ["band", "band-member", "band-availability", "band-member-availability"]
VENUE_VIEWS = [
    "venue",
    "venue-staff",
    "venue-operating-hours",
    "venue-availability",
    "event",
    "event-application",
]
ALL_VIEWS = ["user", *BAND_VIEWS, *VENUE_VIEWS, "audit-entry"]
VENUE_USERS = ["manager_a", "staff_a", "staff_ab"]
MODELS: dict[str, type[Base]] = {
    "venue-staff": VenueStaff,
    "venue-operating-hours": VenueOperatingHours,
    "venue-availability": VenueAvailability,
    "event": Event,
    "event-application": EventApplication,
}
FOREIGN = "C"
MARKER = "Gamma"  # in venue C's name and its event's title


def allowed(role: str, identity: str, operation: str) -> bool:
    """The rules of issue 4, spelled out: may ``role`` do ``operation`` on its own rows?"""
    if role == "superuser":
        return identity != "audit-entry" or operation in READS
    if identity in ("user", "audit-entry"):
        return False
    if identity in BAND_VIEWS:
        return operation in READS
    if identity == "venue":
        return operation in READS or operation == "edit"
    if identity == "venue-staff":
        return operation in READS or role == "manager_a"
    return True


@dataclass
class Console:
    """The module's app, its database and one signed-in client per role."""

    world: World
    engine: Engine
    clients: dict[str, TestClient]
    anonymous: TestClient


@pytest.fixture(scope="module")
def console(db_url: str) -> Iterator[Console]:
    """The world, committed once per database, and a signed-in client for every role."""
    settings = make_settings(db_url)
    engine = build_engine(settings)
    world = seed_world(engine)
    app = create_app(settings)
    with ExitStack() as stack:
        clients = {
            role: signed_in(stack.enter_context(TestClient(app)), email)
            for role, email in ROLES.items()
        }
        anonymous = stack.enter_context(TestClient(app))
        yield Console(world, engine, clients, anonymous)
    clear_tables(engine)
    engine.dispose()


def own_and_foreign(role: str) -> list[str]:
    """Venue keys whose rows ``role`` may reach, then (for venue users) the foreign one."""
    return [OWN[role][0]] + ([] if role == "superuser" else [FOREIGN])


def edit_form(console: Console, identity: str, key: str) -> dict[str, str]:
    """A valid edit form for the row of ``identity`` at venue ``key`` (same values)."""
    world = console.world
    venue = str(world.venues[key])
    day = {"A": "10", "B": "11", "C": "12"}[key]
    forms = {
        "venue": {"name": f"Venue {key}", "city": "Town", "timezone": "Europe/Berlin"},
        "venue-staff": {"venue": venue, "user": str(world.users["manager_a"]), "role": "manager"},
        "venue-operating-hours": {
            "venue": venue,
            "weekday": "4",
            "opens_at": "18:00",
            "closes_at": "23:00",
        },
        "venue-availability": {"venue": venue, "date": f"2026-12-{day}", "status": "open"},
        "event": {
            "venue": venue,
            "title": "Edited Gig",
            "starts_at": f"2026-12-{day}T20:00",
            "ends_at": f"2026-12-{day}T23:00",
            "status": "draft",
        },
        "event-application": {
            "event": str(world.events[key]),
            "band": str(world.band),
            "status": "pending",
        },
    }
    form = forms[identity]
    if identity in ("event", "event-application"):
        state = row_state(console.engine, MODELS[identity], world.rows(identity)[key])
        assert state is not None
        form["version"] = str(state["version"])
    return form | {"save": "Save"}


def snapshot_all(console: Console, identity: str) -> dict[str, Any]:
    model = MODELS.get(identity)
    if model is None:
        return {}
    return {
        key: row_state(console.engine, model, pk)
        for key, pk in console.world.rows(identity).items()
    }


# --- sign-in and menu --------------------------------------------------------------------


def test_a_user_without_a_role_cannot_sign_in(console: Console) -> None:
    response = post_login(console.anonymous, NOBODY)
    assert response.status_code == 400
    assert not is_signed_in(console.anonymous)
    assert console.anonymous.get("/admin/event/list", follow_redirects=False).status_code == 302


@pytest.mark.parametrize("role", list(ROLES))
def test_the_menu_shows_only_what_the_role_may_open(console: Console, role: str) -> None:
    page = console.clients[role].get("/admin/").text
    for identity in ALL_VIEWS:
        assert (f'/admin/{identity}/list"' in page) == allowed(role, identity, "list"), identity
    # No empty menu headings: staff have nothing under People or Audit.
    staff = role != "superuser"
    for category in ("People", "Audit"):
        assert (f'data-sqladmin-menu-category="{category}"' in page) is not staff, category
    for category in ("Bands", "Venues", "Bookings"):
        assert f'data-sqladmin-menu-category="{category}"' in page, category


# --- reading -----------------------------------------------------------------------------


@pytest.mark.parametrize("identity", ALL_VIEWS)
@pytest.mark.parametrize("role", list(ROLES))
def test_list_and_export(console: Console, role: str, identity: str) -> None:
    client = console.clients[role]
    listed = client.get(f"/admin/{identity}/list")
    exported = client.get(f"/admin/{identity}/export/csv")
    if not allowed(role, identity, "list"):
        assert (listed.status_code, exported.status_code) == (403, 403)
        return
    assert (listed.status_code, exported.status_code) == (200, 200)
    rows = list(csv.reader(io.StringIO(exported.text)))[1:]
    if identity in MODELS or identity == "venue":
        expected = len(OWN[role]) if identity != "venue-staff" else None
        if expected is not None:
            assert len(rows) == expected, rows
    # The foreign venue is nowhere: not in rows, sidebar filters, or the CSV.
    seen = role == "superuser" and identity in VENUE_VIEWS
    assert (MARKER in listed.text) is seen
    assert (MARKER in exported.text) is seen


@pytest.mark.parametrize("identity", ALL_VIEWS)
@pytest.mark.parametrize("role", list(ROLES))
def test_details_and_edit_pages(console: Console, role: str, identity: str) -> None:
    client = console.clients[role]
    rows = console.world.rows(identity)
    for key in [k for k in own_and_foreign(role) if k in rows] or [""]:
        pk = rows[key]
        details = client.get(f"/admin/{identity}/details/{pk}").status_code
        edit = client.get(f"/admin/{identity}/edit/{pk}").status_code
        if key == FOREIGN:
            assert details in REFUSED, (key, details)
            assert edit in REFUSED, (key, edit)
            continue
        assert details == (200 if allowed(role, identity, "details") else 403)
        assert edit == (200 if allowed(role, identity, "edit") else 403)


def test_unknown_and_malformed_ids_are_not_found(console: Console) -> None:
    client = console.clients["staff_a"]
    for url in ("/admin/event/details/999999", "/admin/event/edit/999999"):
        assert client.get(url).status_code in REFUSED
    assert client.delete("/admin/event/delete?pks=999999", headers=SAME_ORIGIN).status_code == 403


# --- changing ----------------------------------------------------------------------------


@pytest.mark.parametrize("identity", VENUE_VIEWS)
@pytest.mark.parametrize("role", VENUE_USERS)
def test_foreign_rows_cannot_be_changed_or_deleted(
    console: Console, role: str, identity: str
) -> None:
    client = console.clients[role]
    world = console.world
    foreign, own = world.rows(identity)[FOREIGN], world.rows(identity)["A"]
    before = snapshot_all(console, identity)
    form = edit_form(console, identity, FOREIGN)
    edited = client.post(f"/admin/{identity}/edit/{foreign}", data=form, headers=SAME_ORIGIN)
    assert edited.status_code in REFUSED
    deleted = client.delete(f"/admin/{identity}/delete?pks={foreign}", headers=SAME_ORIGIN)
    assert deleted.status_code == 403
    # Bulk delete: one foreign pk among own ones refuses the whole request.
    bulk = client.delete(f"/admin/{identity}/delete?pks={own},{foreign}", headers=SAME_ORIGIN)
    assert bulk.status_code == 403
    assert snapshot_all(console, identity) == before


@pytest.mark.parametrize("identity", VENUE_VIEWS)
@pytest.mark.parametrize("role", VENUE_USERS)
def test_own_rows_are_edited_as_allowed(console: Console, role: str, identity: str) -> None:
    client = console.clients[role]
    pk = console.world.rows(identity)["A"]
    form = edit_form(console, identity, "A")
    before = snapshot_all(console, identity)
    response = client.post(
        f"/admin/{identity}/edit/{pk}", data=form, headers=SAME_ORIGIN, follow_redirects=False
    )
    if not allowed(role, identity, "edit"):
        assert response.status_code == 403
        assert snapshot_all(console, identity) == before
        return
    assert response.status_code == 302, response.text
    model = MODELS.get(identity)
    if model is not None and hasattr(model, "updated_by_id"):
        state = row_state(console.engine, model, pk)
        assert state is not None
        assert state["updated_by_id"] == console.world.users[role]


@pytest.mark.parametrize("identity", VENUE_VIEWS[1:])
@pytest.mark.parametrize("role", VENUE_USERS)
def test_rows_cannot_be_moved_to_a_foreign_venue(
    console: Console, role: str, identity: str
) -> None:
    """Re-parenting an own row onto venue C is refused, with or without edit rights.

    (A venue has no parent, so it is not a case here.)
    """
    client = console.clients[role]
    pk = console.world.rows(identity)["A"]
    form = edit_form(console, identity, "A")
    parent = "event" if identity == "event-application" else "venue"
    form[parent] = str((console.world.events if parent == "event" else console.world.venues)["C"])
    before = snapshot_all(console, identity)
    response = client.post(f"/admin/{identity}/edit/{pk}", data=form, headers=SAME_ORIGIN)
    if allowed(role, identity, "edit"):
        assert response.status_code == 400
        assert "You can only choose a venue you" in response.text
    else:
        assert response.status_code == 403
    assert snapshot_all(console, identity) == before


def create_form(console: Console, identity: str, key: str) -> dict[str, str]:
    """A new row of ``identity`` at venue ``key`` that does not clash with the world."""
    world = console.world
    venue = str(world.venues[key])
    forms = {
        "venue": {"name": "New venue", "city": "Town", "timezone": "Europe/Berlin"},
        "venue-staff": {"venue": venue, "user": str(world.users["staff_a"]), "role": "staff"},
        "venue-operating-hours": {
            "venue": venue,
            "weekday": "0",
            "opens_at": "18:00",
            "closes_at": "23:00",
        },
        "venue-availability": {"venue": venue, "date": "2026-12-24", "status": "closed"},
        "event": {
            "venue": venue,
            "title": "New night",
            "starts_at": "2026-12-20T20:00",
            "ends_at": "2026-12-20T23:00",
            "status": "draft",
        },
        "event-application": {
            "event": str(world.events[key]),
            "band": str(world.spare_band),
            "status": "pending",
        },
    }
    return forms[identity] | {"save": "Save"}


def ids(console: Console, identity: str) -> set[int]:
    model = MODELS.get(identity)
    if model is None:
        return set()
    with Session(console.engine) as session:
        return set(session.scalars(select(model.id)))  # type: ignore[attr-defined]


def remove(console: Console, model: type[Base], pks: set[int]) -> None:
    with Session(console.engine) as session:
        for pk in pks:
            row = session.get(model, pk)
            if row is not None:
                session.delete(row)
        session.commit()


@pytest.mark.parametrize("identity", VENUE_VIEWS)
@pytest.mark.parametrize("role", VENUE_USERS)
def test_create_for_own_venue_only(console: Console, role: str, identity: str) -> None:
    client = console.clients[role]
    before = ids(console, identity)
    page = client.get(f"/admin/{identity}/create").status_code
    foreign = client.post(
        f"/admin/{identity}/create",
        data=create_form(console, identity, FOREIGN),
        headers=SAME_ORIGIN,
    )
    if not allowed(role, identity, "create"):
        assert (page, foreign.status_code) == (403, 403)
        assert ids(console, identity) == before
        return
    assert page == 200
    assert foreign.status_code == 400
    assert ids(console, identity) == before
    if identity == "venue-staff":
        return  # staff_a already works at A: see test_managers_manage_their_staff
    own = client.post(
        f"/admin/{identity}/create",
        data=create_form(console, identity, "A"),
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert own.status_code == 302, own.text
    created = ids(console, identity) - before
    assert len(created) == 1
    remove(console, MODELS[identity], created)


def test_managers_manage_their_staff_and_staff_cannot(console: Console) -> None:
    world = console.world
    with Session(console.engine) as session:
        staff_a_row = session.scalars(
            select(VenueStaff.id).where(VenueStaff.user_id == world.users["staff_a"])
        ).one()
    refused = console.clients["staff_ab"].delete(
        f"/admin/venue-staff/delete?pks={staff_a_row}", headers=SAME_ORIGIN
    )
    assert refused.status_code == 403
    manager = console.clients["manager_a"]
    removed = manager.delete(f"/admin/venue-staff/delete?pks={staff_a_row}", headers=SAME_ORIGIN)
    assert removed.status_code == 200
    assert row_state(console.engine, VenueStaff, staff_a_row) is None
    with Session(console.engine) as session:  # put the world back
        session.add(
            VenueStaff(venue_id=world.venues["A"], user_id=world.users["staff_a"], role="staff")
        )
        session.commit()
    # A person the manager cannot see (venue C's clerk) cannot be named by a forged POST.
    forged = create_form(console, "venue-staff", "A") | {"user": str(world.users["clerk_c"])}
    response = manager.post("/admin/venue-staff/create", data=forged, headers=SAME_ORIGIN)
    assert response.status_code == 400
    with Session(console.engine) as session:
        people = set(
            session.scalars(
                select(VenueStaff.user_id).where(VenueStaff.venue_id == world.venues["A"])
            )
        )
    assert world.users["staff_a"] in people
    assert world.users["clerk_c"] not in people


# --- side doors: pickers, filters, sorting, decisions ------------------------------------


def picked(client: TestClient, identity: str, name: str, term: str) -> tuple[int, set[str]]:
    response = client.get(f"/admin/{identity}/ajax/lookup", params={"name": name, "term": term})
    if response.status_code != 200:
        return response.status_code, set()
    return 200, {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("role", list(ROLES))
def test_relation_pickers_offer_only_visible_rows(console: Console, role: str) -> None:
    world, client = console.world, console.clients[role]
    own_venues = {str(world.venues[key]) for key in OWN[role]}
    own_events = {str(world.events[key]) for key in OWN[role]}
    assert picked(client, "event", "venue", "a") == (200, own_venues)
    assert picked(client, "venue-availability", "venue", "a") == (200, own_venues)
    assert picked(client, "event-application", "event", "Gig") == (200, own_events)
    band_picker = picked(client, "band-member", "band", "Test")
    assert band_picker == ((200, {str(world.band)}) if role == "superuser" else (403, set()))
    if role in ("superuser", "manager_a"):
        _, venues = picked(client, "venue-staff", "venue", "a")
        assert venues == ({str(world.venues["A"])} if role == "manager_a" else own_venues)
        _, users = picked(client, "venue-staff", "user", "example")
        assert (
            str(world.users["clerk_c"]) in users
            if role == "superuser"
            else not (str(world.users["clerk_c"]) in users or str(world.users["nobody"]) in users)
        )
    else:
        assert picked(client, "venue-staff", "user", "example")[0] == 403


@pytest.mark.parametrize("role", VENUE_USERS)
def test_tampered_filters_search_and_sorting_reveal_nothing(console: Console, role: str) -> None:
    world, client = console.world, console.clients[role]
    foreign_venue = world.venues[FOREIGN]
    urls = [
        f"/admin/event/list?venue={foreign_venue}",
        f"/admin/event-application/list?venue={foreign_venue}",
        f"/admin/venue-staff/list?venue_id={foreign_venue}",
        f"/admin/venue-availability/list?venue_id={foreign_venue}",
        "/admin/event/list?search=amm",
        "/admin/event-application/list?search=amm",
        "/admin/venue/list?search=amm",
        f"/admin/event/export/csv?venue={foreign_venue}",
        "/admin/event/list?pageSize=100&page=3",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert MARKER not in response.text, url
    assert client.get("/admin/event/list?sortBy=venue_id").status_code == 400
    assert client.get("/admin/event/list?venue=not-a-number").status_code == 400


@pytest.mark.parametrize("role", VENUE_USERS)
def test_decisions_on_foreign_rows_are_not_found(console: Console, role: str) -> None:
    world, client = console.world, console.clients[role]
    application, event = world.applications[FOREIGN], world.events[FOREIGN]
    before = (
        row_state(console.engine, EventApplication, application),
        row_state(console.engine, Event, event),
    )
    decided = client.post(
        f"/admin/event-application/decide/{application}",
        data={"decision": "accept", "version": "1"},
        headers=SAME_ORIGIN,
    )
    confirmed = client.post(
        f"/admin/event/decide/{event}",
        data={"decision": "confirm", "version": "1"},
        headers=SAME_ORIGIN,
    )
    assert (decided.status_code, confirmed.status_code) == (404, 404)
    unknown = client.post(
        "/admin/event/decide/999999",
        data={"decision": "cancel", "version": "1"},
        headers=SAME_ORIGIN,
    )
    assert unknown.status_code == 404
    after = (
        row_state(console.engine, EventApplication, application),
        row_state(console.engine, Event, event),
    )
    assert after == before


@pytest.mark.parametrize("role", list(ROLES))
def test_get_actions_do_not_exist(console: Console, role: str) -> None:
    client = console.clients[role]
    pk = console.world.applications["A"]
    for url in (
        f"/admin/event-application/decide/{pk}?decision=accept&version=1",
        f"/admin/event-application/action/accept?pks={pk}",
    ):
        # A GET changes nothing: a POST-only address answers with a 303 to the row's page.
        answer = client.get(url, headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
        assert answer.status_code in (303, 404, 405)
    state = row_state(console.engine, EventApplication, pk)
    assert state is not None
    assert state["status"] == "pending"


# --- what pages name: no foreign row in any related block, picker, filter or refusal ------


def foreign_picks(world: World) -> dict[str, tuple[str, str]]:
    """For each kind of relation picker: venue C's row (its id) and the text naming it."""
    return {
        "venue": (str(world.venues[FOREIGN]), VENUE_NAMES[FOREIGN]),
        "event": (str(world.events[FOREIGN]), "Gamma Gig"),
        "user": (str(world.users["clerk_c"]), GAMMA_CLERK),
    }


# A value each form refuses in validation (before any save), to send the form back that way.
INVALID = {
    "venue-staff": {"role": "owner"},
    "venue-operating-hours": {"opens_at": "25:61"},
    "venue-availability": {"date": "someday"},
    "event": {"starts_at": "someday"},
    "event-application": {"band": ""},
}


def picker_fields() -> dict[str, list[str]]:
    """Every console form's relation pickers that can name a row of a venue, by view."""
    return {
        view.identity: [name for name in view.form_ajax_refs if name in ("venue", "event", "user")]
        for view in all_views()
        if isinstance(view, type) and issubclass(view, ModelView) and view.form_ajax_refs
    }


def test_every_picker_that_can_name_a_venues_row_is_checked_below() -> None:
    pickers = {identity: names for identity, names in picker_fields().items() if names}
    # Band views are read-only for venue users (403 before any form is read).
    assert {identity for identity in pickers if identity not in BAND_VIEWS} == set(INVALID)


@pytest.mark.parametrize("invalid", [False, True], ids=["refused-save", "invalid-form"])
@pytest.mark.parametrize("identity", list(INVALID))
@pytest.mark.parametrize("role", VENUE_USERS)
def test_a_form_sent_back_never_names_a_foreign_row(
    console: Console, role: str, identity: str, invalid: bool
) -> None:
    """Posting venue C's id to a picker sends the form back without C's name or email."""
    client, world = console.clients[role], console.world
    before = ids(console, identity)
    for field in picker_fields()[identity]:
        foreign_id, foreign_text = foreign_picks(world)[field]
        form = create_form(console, identity, "A") | {field: foreign_id}
        if invalid:
            form |= INVALID[identity]
        response = client.post(f"/admin/{identity}/create", data=form, headers=SAME_ORIGIN)
        expected = 400 if allowed(role, identity, "create") else 403
        assert response.status_code == expected, (field, response.text[-2000:])
        assert foreign_text not in response.text, field
        assert MARKER not in response.text, field
    assert ids(console, identity) == before


@pytest.mark.parametrize("field", ["venue", "event", "user"])
def test_a_form_sent_back_names_the_superusers_pick(console: Console, field: str) -> None:
    """The control: the picked row is named when the user may see it."""
    identity = {"venue": "event", "event": "event-application", "user": "venue-staff"}[field]
    foreign_id, foreign_text = foreign_picks(console.world)[field]
    form = create_form(console, identity, "A") | {field: foreign_id} | INVALID[identity]
    response = console.clients["superuser"].post(
        f"/admin/{identity}/create", data=form, headers=SAME_ORIGIN
    )
    assert response.status_code == 400
    assert foreign_text in response.text.replace("&#34;", '"')


@pytest.mark.parametrize(
    ("role", "identity"),
    # Pages refused outright are test_details_and_edit_pages' business.
    [(r, i) for r in VENUE_USERS for i in ALL_VIEWS if allowed(r, i, "details")],
)
def test_details_pages_list_no_foreign_related_rows(
    console: Console, role: str, identity: str
) -> None:
    """Every related-rows block: a band's applications, an event's, a venue's staff..."""
    client = console.clients[role]
    for key, pk in console.world.rows(identity).items():
        if key and key not in OWN[role]:
            continue
        page = client.get(f"/admin/{identity}/details/{pk}")
        assert page.status_code == 200
        assert MARKER not in page.text, (identity, key)


def test_a_bands_details_list_its_applications_the_user_may_see(console: Console) -> None:
    world = console.world
    band = world.band
    own = console.clients["staff_a"].get(f"/admin/band/details/{band}").text
    everything = console.clients["superuser"].get(f"/admin/band/details/{band}").text

    def linked(page: str) -> set[str]:
        """The venues whose application the page links to."""
        return {
            key
            for key, pk in world.applications.items()
            if f'/admin/event-application/details/{pk}"' in page
        }

    assert linked(own) == {"A"}
    assert linked(everything) == {"A", "B", "C"}


@pytest.mark.parametrize("role", VENUE_USERS)
def test_list_filters_offer_no_band_that_applied_only_elsewhere(
    console: Console, role: str
) -> None:
    with rows.committed(console.engine) as session:
        elsewhere = rows.band(session, "Far Away Five")
        rows.application(session, console.world.events[FOREIGN], elsewhere)
        band_id = elsewhere.id
    try:
        own = console.clients[role].get("/admin/event-application/list").text
        everything = console.clients["superuser"].get("/admin/event-application/list").text
    finally:
        with Session(console.engine) as session:
            session.execute(delete(EventApplication).where(EventApplication.band_id == band_id))
            session.execute(delete(Band).where(Band.id == band_id))
            session.commit()
    assert "Far Away Five" in everything
    assert "Far Away Five" not in own
    assert "The Testers" in own
