"""Issue 4: a manager adds a person who is not yet a colleague, named by exact email.

The user picker keeps offering colleagues only (the directory is never browsable); the
create form's "User email" field takes a whole address of an active account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import VenueStaff
from tests.auth_support import SAME_ORIGIN, add_user, sign_in
from tests.console_views_support import audit_entries
from tests.worlds.three_venues import MANAGER_A, ROOT, STAFF_AB, World, seed_world

NEWCOMER = "new.drummer@example.com"
NO_SUCH_USER = "No active user with that email; invite them instead (Venues → Staff invites)."


def add_staff(client: TestClient, venue_id: int, **fields: str) -> Any:
    """POST the VenueStaff create form as the browser does."""
    data = {"venue": str(venue_id), "role": "staff", "save": "Save", **fields}
    return client.post(
        "/admin/venue-staff/create", data=data, headers=SAME_ORIGIN, follow_redirects=False
    )


def people_at(engine: Engine, venue_id: int) -> set[int]:
    with Session(engine) as session:
        return set(
            session.scalars(select(VenueStaff.user_id).where(VenueStaff.venue_id == venue_id))
        )


def setup(client: TestClient, engine: Engine, email: str) -> tuple[World, int]:
    """The three-venue world plus one user of no venue; ``client`` signed in as ``email``."""
    world = seed_world(engine)
    newcomer = add_user(engine, NEWCOMER)
    sign_in(client, email)
    return world, newcomer


def test_manager_adds_an_existing_user_by_exact_email(client: TestClient, engine: Engine) -> None:
    world, newcomer = setup(client, engine, MANAGER_A)
    venue_a = world.venues["A"]
    form = client.get("/admin/venue-staff/create")
    assert form.status_code == 200
    # Right below the person picker.
    order = [form.text.index(f'name="{name}"') for name in ("user", "user_email", "role")]
    assert order == sorted(order)

    response = add_staff(client, venue_a, user_email=f"  {NEWCOMER.upper()} ")
    assert response.status_code == 302, response.text
    assert newcomer in people_at(engine, venue_a)
    [entry] = audit_entries(engine, "VenueStaff")
    assert entry.action == "create"
    assert entry.actor_email == MANAGER_A
    assert entry.changes is not None
    assert entry.changes["user_id"] == [None, newcomer]

    again = add_staff(client, venue_a, user_email=NEWCOMER, role="manager")
    assert again.status_code == 400
    assert "This person already works at this venue." in again.text


def test_partial_or_unknown_emails_find_nobody(client: TestClient, engine: Engine) -> None:
    world, newcomer = setup(client, engine, MANAGER_A)
    venue_a = world.venues["A"]
    before = people_at(engine, venue_a)
    # The picker still offers colleagues only: no partial match browses the directory.
    for term in ("new.drummer", "drummer@example", NEWCOMER):
        found = client.get(f"/admin/venue-staff/ajax/lookup?name=user&term={term}")
        assert found.status_code == 200
        assert found.json()["results"] == []
    inactive = add_user(engine, "gone@example.com", active=False)
    for typed in ("new.drummer", "example.com", "nobody-here@example.com", "gone@example.com"):
        response = add_staff(client, venue_a, user_email=typed)
        assert response.status_code == 400
        assert NO_SUCH_USER in response.text
    # A forged picker value for a stranger is still refused.
    forged = add_staff(client, venue_a, user=str(newcomer))
    assert forged.status_code == 400
    assert people_at(engine, venue_a) == before
    assert inactive not in people_at(engine, venue_a)
    assert audit_entries(engine, "VenueStaff") == []


def test_staff_cannot_add_anyone(client: TestClient, engine: Engine) -> None:
    world, newcomer = setup(client, engine, STAFF_AB)
    for key in ("A", "B"):
        response = add_staff(client, world.venues[key], user_email=NEWCOMER)
        assert response.status_code in (400, 403)
        assert newcomer not in people_at(engine, world.venues[key])
    assert audit_entries(engine, "VenueStaff") == []


def test_manager_cannot_add_to_a_venue_they_do_not_manage(
    client: TestClient, engine: Engine
) -> None:
    world, newcomer = setup(client, engine, MANAGER_A)
    for key in ("B", "C"):
        response = add_staff(client, world.venues[key], user_email=NEWCOMER)
        assert response.status_code == 400
        assert "You can only choose a venue you manage the staff of." in response.text
        assert newcomer not in people_at(engine, world.venues[key])
    assert audit_entries(engine, "VenueStaff") == []


def test_superuser_flow_is_unchanged(client: TestClient, engine: Engine) -> None:
    world, newcomer = setup(client, engine, ROOT)
    venue_c = world.venues["C"]
    found = client.get("/admin/venue-staff/ajax/lookup?name=user&term=drummer")
    assert [item["id"] for item in found.json()["results"]] == [str(newcomer)]
    response = add_staff(client, venue_c, user=str(newcomer))
    assert response.status_code == 302, response.text
    assert newcomer in people_at(engine, venue_c)
    missing = add_staff(client, world.venues["B"])
    assert missing.status_code == 400
    assert "Choose a person, or type their email address." in missing.text
    # Editing keeps the plain form: no email field there.
    with Session(engine) as session:
        row_id = session.scalars(
            select(VenueStaff.id).where(
                VenueStaff.venue_id == venue_c, VenueStaff.user_id == newcomer
            )
        ).one()
    edit = client.get(f"/admin/venue-staff/edit/{row_id}")
    assert edit.status_code == 200
    assert 'name="user_email"' not in edit.text
