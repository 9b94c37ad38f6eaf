"""Deleting without JavaScript (issue 16, "messages and confirmations"): the Delete links
lead to a page that names the row and what goes with it; its form POSTs, deletes and
redirects with a message. Cross-site posts and other venues' rows are refused."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from models import Event, EventApplication, Venue
from tests.auth_support import sign_in
from tests.worlds.site import FIRST, Site, add_event, audit_of, build_site, post

CROSS_SITE = {"Origin": "https://elsewhere.example"}


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


@pytest.fixture
def show(engine: Engine, site: Site) -> int:
    """A hold at venue A with the band's application."""
    return add_event(
        engine, site.venue_a, FIRST, title="Alpha night", status="hold", band_id=site.band
    )


def exists(engine: Engine, model: type[Event] | type[Venue], pk: int) -> bool:
    """Is row ``pk`` of ``model`` in the database?"""
    with Session(engine) as session:
        return session.get(model, pk) is not None


def applications_of(engine: Engine, event_id: int) -> int:
    """How many applications event ``event_id`` has."""
    with Session(engine) as session:
        return len(
            session.scalars(
                select(EventApplication.id).where(EventApplication.event_id == event_id)
            ).all()
        )


def test_the_delete_links_lead_to_the_confirmation_page(
    client: TestClient, site: Site, show: int
) -> None:
    sign_in(client, site.manager_a)
    address = f"/admin/event/delete?pks={show}"
    details = client.get(f"/admin/event/details/{show}").text
    assert re.search(rf'<a href="http://testserver{re.escape(address)}"[^>]*>\s*Delete', details)
    assert 'id="modal-delete"' in details  # with JavaScript, the modal still opens instead
    listed = client.get("/admin/event/list").text
    assert f'<a href="{address}" title="Delete">' in listed  # the same page, JS or not


def test_the_page_names_the_row_and_what_goes_with_it_then_deletes(
    client: TestClient, engine: Engine, site: Site, show: int
) -> None:
    sign_in(client, site.manager_a)
    address = f"/admin/event/delete?pks={show}"
    page = client.get(address)
    assert page.status_code == 200
    assert "Delete the event “Alpha night”?" in page.text
    assert "Deleted with it: 1 event application." in page.text
    assert f'<form method="post" action="{address}"' in page.text
    assert exists(engine, Event, show)  # asking deletes nothing

    done = post(client, address)
    assert done.status_code == 303
    assert done.headers["location"] == "http://testserver/admin/event/list"
    assert not exists(engine, Event, show)
    assert applications_of(engine, show) == 0
    assert ("delete", site.manager_a) in audit_of(engine, "Event")
    after = client.get(done.headers["location"])
    assert "Deleted event “Alpha night”." in after.text
    # The browser's resubmit finds nothing to delete: no second delete, no 500.
    assert post(client, address).status_code == 403


def test_a_cross_site_post_deletes_nothing(
    client: TestClient, engine: Engine, site: Site, show: int
) -> None:
    sign_in(client, site.manager_a)
    refused = client.post(
        f"/admin/event/delete?pks={show}", headers=CROSS_SITE, follow_redirects=False
    )
    assert refused.status_code == 403
    assert exists(engine, Event, show)


def test_another_venues_row_is_refused_like_everywhere_else(
    client: TestClient, engine: Engine, site: Site
) -> None:
    other = add_event(engine, site.venue_b, FIRST, title="Bravo night")
    sign_in(client, site.manager_a)
    address = f"/admin/event/delete?pks={other}"
    assert client.get(f"/admin/event/details/{other}").status_code == 403
    assert client.get(address).status_code == 403
    assert post(client, address).status_code == 403
    assert exists(engine, Event, other)
    # Staff may not delete venues at all, their own included.
    assert client.get(f"/admin/venue/delete?pks={site.venue_a}").status_code == 403
    # A superuser asking for a row that is gone is told it is not found.
    sign_in(client, site.root)
    assert client.get("/admin/event/delete?pks=999999").status_code == 404


def test_a_row_still_in_use_says_why_and_offers_no_button(
    client: TestClient, engine: Engine, site: Site, show: int
) -> None:
    sign_in(client, site.root)
    address = f"/admin/venue/delete?pks={site.venue_a}"
    page = client.get(address)
    assert page.status_code == 200
    assert "Can't delete this venue: it has events." in html.unescape(page.text)
    assert 'type="submit"' not in page.text.split('data-testid="confirm"')[1]
    refused = post(client, address)
    assert refused.status_code == 400
    assert "Can't delete this venue: it has events." in html.unescape(refused.text)
    assert exists(engine, Venue, site.venue_a)


def test_a_confirmed_show_is_cancelled_before_it_is_deleted(
    client: TestClient, engine: Engine, site: Site
) -> None:
    """Deleting tells nobody; cancelling tells its bands and the venue's staff. The page
    says so and offers no button, and a POST anyway is refused with the row kept."""
    confirmed = add_event(engine, site.venue_a, FIRST, title="Big night", band_id=site.band)
    sign_in(client, site.manager_a)
    address = f"/admin/event/delete?pks={confirmed}"

    details = client.get(f"/admin/event/details/{confirmed}").text
    button = re.search(rf'<a href="http://testserver{re.escape(address)}"[^>]*>', details)
    assert button, details
    assert "data-bs-toggle" not in button.group(0)  # the page that says why, not the modal

    page = client.get(address)
    assert "A confirmed show cannot be deleted: cancel it first" in html.unescape(page.text)
    assert 'data-testid="refusal"' in page.text
    assert 'class="btn btn-danger">Delete</button>' not in page.text

    refused = post(client, address, {})
    assert refused.status_code == 400
    assert "cancel it first" in html.unescape(refused.text)
    assert exists(engine, Event, confirmed)
