"""Each object's details page links a superuser to that object's own audit history."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.testclient import TestClient

from admin_app.audit import Actor, record
from admin_app.console import all_views
from admin_app.demo import seed_demo
from admin_app.views.audit import AuditLogView
from admin_app.views.base import AnySelect, ConsoleModelView
from admin_app.views.venues import VenueAdmin
from models import AuditEntry, Base, Venue
from tests.auth_support import BASE, add_user, sign_in
from tests.console_views_support import ADMIN_EMAIL, add_venue, post_form, sign_in_superuser

STAFF = "staff-member@example.com"
HISTORY_LINK = re.compile(r'<a href="([^"]*)"[^>]*data-testid="history-link"')

# Every console view with a details page of its own (the audit log's entries have no history).
HISTORY_VIEWS = [
    view
    for view in all_views()
    if isinstance(view, type) and issubclass(view, ConsoleModelView) and view is not AuditLogView
]


def history_links(page: str) -> list[str]:
    """The History links on a page, as URLs."""
    return [html.unescape(href) for href in HISTORY_LINK.findall(page)]


def details_path(view: type[ConsoleModelView], pk: object) -> str:
    """The details page of row ``pk`` of ``view``."""
    return f"/admin/{view.identity}/details/{pk}"


def seed_with_history(engine: Engine) -> dict[type[Base], int]:
    """The demo data, and an audit entry marking the first row of each console model."""
    first_ids: dict[type[Base], int] = {}
    with Session(engine) as session:
        seed_demo(session)
        session.flush()
        for view in HISTORY_VIEWS:
            model = view.model
            stmt: AnySelect = select(model).order_by(*inspect(model).primary_key).limit(2)
            rows: list[Any] = list(session.scalars(stmt))
            assert len(rows) == 2, f"the demo data has too few {model.__name__} rows"
            first_ids[model] = rows[0].id
            for row, marker in zip(rows, ("first", "second"), strict=True):
                record(
                    session,
                    Actor(None, "auditor@example.com"),
                    "update",
                    row,
                    object_repr=f"{marker} {model.__name__} row",
                )
        session.commit()
    return first_ids


def test_every_details_page_links_a_superuser_to_that_objects_history(
    client: TestClient, engine: Engine
) -> None:
    first_ids = seed_with_history(engine)
    sign_in_superuser(client, engine)

    assert {view.model for view in HISTORY_VIEWS} == set(first_ids)
    for view in HISTORY_VIEWS:
        model_name, pk = view.model.__name__, first_ids[view.model]
        page = client.get(details_path(view, pk))
        assert page.status_code == 200, (view.identity, page.text)
        assert page.template.name == view.details_template  # type: ignore[attr-defined]

        links = history_links(page.text)
        assert len(links) == 1, f"{view.identity}: {links}"
        expected = f"{BASE}/admin/history/{model_name}/{pk}"
        assert links[0] == expected

        history = client.get(links[0])
        assert history.status_code == 200
        # This object's entry and no other's, not even its neighbour of the same model.
        assert f"first {model_name} row" in history.text, view.identity
        assert f"second {model_name} row" not in history.text, view.identity
        others = [m.__name__ for m in first_ids if m is not view.model]
        assert not [other for other in others if f"first {other} row" in history.text]


def test_audit_entries_have_no_history_link(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    with Session(engine) as session:
        entry = AuditEntry(action="sign_in", actor_email=ADMIN_EMAIL, object_type="User")
        session.add(entry)
        session.commit()
        entry_id = entry.id

    page = client.get(details_path(AuditLogView, entry_id))
    assert page.status_code == 200
    assert history_links(page.text) == []


def test_history_after_a_console_edit_shows_before_and_after(
    client: TestClient, engine: Engine
) -> None:
    venue_id = add_venue(engine, "Roxy", capacity=300)
    sign_in_superuser(client, engine)
    form = {"name": "Roxy", "city": "Berlin", "address": "", "timezone": "Europe/Berlin"}
    saved = post_form(client, f"/admin/venue/edit/{venue_id}", {**form, "capacity": "450"})
    assert saved.status_code == 302, saved.text

    [link] = history_links(client.get(details_path(VenueAdmin, venue_id)).text)
    history = client.get(link)
    assert history.status_code == 200
    assert "Roxy" in history.text
    # The change in words, as a before → after row under the field's label.
    assert "Changed" in history.text
    assert re.search(
        r"Capacity</th>\s*<td[^>]*>300</td>\s*<td[^>]*>→</td>\s*<td[^>]*>450<", history.text
    )

    with Session(engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "Venue", AuditEntry.object_id == str(venue_id)
            )
        ).all()
        assert [(e.action, e.changes) for e in entries] == [("update", {"capacity": [300, 450]})]
        # The entry the link lists is exactly that one.
        entry_page = client.get(details_path(AuditLogView, entries[0].id))
        assert "450" in entry_page.text
        assert session.get(Venue, venue_id).capacity == 450  # type: ignore[union-attr]


def _request_as(user: object) -> Request:
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/admin/venue/details/1",
            "headers": [],
            "query_string": b"",
            "state": {"user": user},
        }
    )
    return request


@pytest.mark.parametrize(
    "user",
    [None, SimpleNamespace(is_superuser=False)],
    ids=["signed-out", "not-a-superuser"],
)
def test_only_superusers_are_offered_the_link(user: object) -> None:
    # Decided by the view, not by who may open the page: venue staff who may one day read
    # a venue's details still may not read the audit log.
    venue = Venue(id=5, name="Roxy", city="Berlin", timezone="Europe/Berlin")
    assert VenueAdmin().history_url(_request_as(user), venue) is None


def test_venue_staff_never_see_the_link(client: TestClient, engine: Engine) -> None:
    # Staff may open their own venue's page, but not the audit log it would lead to.
    add_user(engine, STAFF, staff=True)
    with Session(engine) as session:
        venue_id = session.scalar(select(Venue.id).where(Venue.name == f"Venue of {STAFF}"))
    sign_in(client, STAFF)

    page = client.get(details_path(VenueAdmin, venue_id))
    assert page.status_code == 200
    assert history_links(page.text) == []
    assert "audit-entry" not in page.text
