"""Every address that only takes a form (POST or DELETE) answers a GET with a 303 back to
a page, with a note, never a 405: Enter in the address bar after a refusal, a reload, a
bookmark (admin_app/redirects.py). Walks the app's routes, so a new form-only route without
its GET twin fails here.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from admin_app.redirects import GET_ON_A_FORM
from models import Event, VenueStaff
from tests.auth_support import sign_in
from tests.worlds.site import Site, add_event, build_site, post


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def form_only_paths(routes: list[BaseRoute], prefix: str = "") -> set[str]:
    """The path templates no route answers with GET: form-only routes without a twin."""
    by_path: dict[str, set[str]] = {}

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(list(route.routes), prefix + route.path)
            elif isinstance(route, Route):
                by_path.setdefault(prefix + route.path, set()).update(route.methods or ())

    walk(routes, prefix)
    return {path for path, methods in by_path.items() if "GET" not in methods}


def form_only_routes(routes: list[BaseRoute]) -> set[str]:
    """The path template of every route that takes no GET itself (POST or DELETE only)."""
    found: set[str] = set()

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(list(route.routes), prefix + route.path)
            elif isinstance(route, Route) and "GET" not in (route.methods or set()):
                found.add(prefix + route.path)

    walk(routes, "")
    return found


def test_every_form_only_address_has_a_get_twin(app: Starlette) -> None:
    assert form_only_paths(list(app.router.routes)) == set()


def test_every_form_address_answers_a_get_with_a_note(
    app: Starlette, client: TestClient, engine: Engine, site: Site
) -> None:
    event = add_event(engine, site.venue_a, date(2030, 4, 12), band_id=site.band)
    values = {
        "identity": "event",
        "pk": str(event),
        "invite_id": "1",
        "venue_id": str(site.venue_a),
        "band_id": str(site.band),
        "token": "not-a-token",
    }
    sign_in(client, site.root)
    with Session(engine) as session:
        events_before = session.scalar(select(func.count()).select_from(Event))

    paths = form_only_routes(list(app.router.routes))
    assert "/admin/invites/send" in paths  # the walk sees the pages' routes too
    for template in sorted(paths):
        # A new path parameter needs a value above: KeyError names it.
        path = re.sub(r"{(\w+)(:\w+)?}", lambda m: values[m.group(1)], template)
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        landing = client.get(answer.headers["location"])
        # Row ``pk`` is an event: another kind's details page may be "not found".
        assert landing.status_code in (200, 404), path
        assert GET_ON_A_FORM in landing.text, path

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events_before


def test_enter_after_a_refused_invite_goes_back_to_the_invites(
    client: TestClient, engine: Engine, site: Site
) -> None:
    sign_in(client, site.manager_a)
    refused = post(
        client, "/admin/invites/send", {"venue": str(site.venue_a), "email": "not an email"}
    )
    assert refused.status_code == 400

    again = client.get("/admin/invites/send", follow_redirects=False)  # Enter, or a reload

    assert again.status_code == 303
    assert again.headers["location"] == "http://testserver/admin/invites"
    page = client.get(again.headers["location"])
    assert page.status_code == 200
    assert GET_ON_A_FORM in page.text
    with Session(engine) as session:
        staff = session.scalar(select(func.count()).select_from(VenueStaff))
    revoke = client.get("/admin/invites/12/revoke", follow_redirects=False)
    assert revoke.status_code == 303
    assert revoke.headers["location"] == "http://testserver/admin/invites"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(VenueStaff)) == staff


def test_sign_out_by_get_leaves_the_session_and_says_why(client: TestClient, site: Site) -> None:
    sign_in(client, site.root)
    answer = client.get("/admin/logout")
    assert answer.status_code == 200
    assert str(answer.url) == "http://testserver/admin/"
    assert GET_ON_A_FORM in answer.text
    assert 'action="http://testserver/admin/logout"' in answer.text  # still signed in
