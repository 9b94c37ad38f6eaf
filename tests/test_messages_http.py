"""Post/Redirect/Get and confirmation steps over HTTP (issue 16, "messages"): a reload
never issues a second feed URL, a working URL is replaced only after a confirmation, and
a GET on a POST-only address goes back to the row's page with a message, never a 405."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.redirects import GET_ON_A_FORM
from models import AuditEntry, Event, User, Venue
from tests.auth_support import SAME_ORIGIN, sign_in
from tests.console_views_support import post_form, sign_in_superuser
from tests.test_views_base import venue_form
from tests.worlds import rows
from tests.worlds.site import Site, add_event, audit_of, build_site, post

MARK = re.compile(r'name="mark" value="([0-9a-f]{16}|none)"')
FEED_URL = re.compile(r'value="http://testserver(/feeds/venue/[A-Za-z0-9_-]{43}\.ics)"')


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def feed_state(engine: Engine, venue_id: int) -> tuple[str | None, int]:
    """The venue's stored feed hash and how many feed URLs were ever issued for it."""
    with Session(engine) as session:
        digest = session.scalar(select(Venue.feed_token_hash).where(Venue.id == venue_id))
        issued = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "issue_feed_token")
        )
    return digest, int(issued or 0)


def form_mark(client: TestClient, page_url: str) -> str:
    """The mark the page's regenerate form carries."""
    found = MARK.findall(client.get(page_url).text)
    assert found, "the feed form carries its mark"
    return str(found[0])


def test_reloading_after_regenerate_issues_no_new_url(
    client: TestClient, engine: Engine, site: Site
) -> None:
    sign_in(client, site.staff_a)
    page_url = f"/admin/calendar/venue/{site.venue_a}"
    feed_action = f"{page_url}/feed"
    sent = {"mark": form_mark(client, page_url)}

    first = post(client, feed_action, sent)
    assert first.status_code == 200, first.text
    assert "shown only this once" in first.text
    assert first.headers["cache-control"] == "no-store"
    (feed_path,) = set(FEED_URL.findall(first.text))
    issued = feed_state(engine, site.venue_a)
    assert issued[1] == 1

    # The browser's "resubmit" on reload: the same form data once more.
    again = post(client, feed_action, sent)
    assert again.status_code == 303
    assert again.headers["location"].endswith(f"{page_url}#feed")
    shown = client.get(again.headers["location"])
    assert "Nothing changed" in shown.text
    assert feed_state(engine, site.venue_a) == issued  # same hash, no second audit entry
    client.cookies.clear()
    assert client.get(feed_path).status_code == 200  # the URL just copied still works


def test_replacing_a_working_feed_url_asks_first(
    client: TestClient, engine: Engine, site: Site
) -> None:
    sign_in(client, site.manager_a)
    page_url = f"/admin/calendar/venue/{site.venue_a}"
    feed_action = f"{page_url}/feed"
    assert post(client, feed_action, {"mark": form_mark(client, page_url)}).status_code == 200
    before = feed_state(engine, site.venue_a)

    mark = form_mark(client, page_url)
    asked = post(client, feed_action, {"mark": mark})
    assert asked.status_code == 200
    assert "Regenerate the feed URL of Alpha Hall?" in asked.text
    assert "stops working at once" in asked.text
    assert 'name="confirm" value="1"' in asked.text
    assert "shown only this once" not in asked.text
    assert feed_state(engine, site.venue_a) == before  # nothing yet

    done = post(client, feed_action, {"mark": mark, "confirm": "1"})
    assert done.status_code == 200
    assert "shown only this once" in done.text
    after = feed_state(engine, site.venue_a)
    assert after[0] != before[0]
    assert after[1] == before[1] + 1


@pytest.mark.parametrize(
    ("path", "landing"),
    [
        ("/admin/event/decide/{event}", "/admin/event/details/{event}"),
        ("/admin/event-application/decide/{event}", "/admin/event-application/details/{event}"),
        ("/admin/event/release-holds/{event}", "/admin/event/details/{event}"),
        ("/admin/event-application/decide-selected", "/admin/event-application/list"),
        ("/admin/outbox-message/retry/7", "/admin/outbox-message/details/7"),
        ("/admin/calendar/venue/{venue}/feed", "/admin/calendar/venue/{venue}"),
        ("/admin/calendar/venue/{venue}/day", "/admin/calendar/venue/{venue}"),
        ("/admin/calendar/band/{band}/feed", "/admin/calendar/band/{band}"),
        ("/admin/calendar/band/{band}/day", "/admin/calendar/band/{band}"),
        ("/admin/calendar/match/hold", "/admin/calendar/match"),
    ],
)
def test_a_get_on_a_form_address_goes_back_to_the_page(
    client: TestClient, engine: Engine, site: Site, path: str, landing: str
) -> None:
    event = add_event(engine, site.venue_a, date(2030, 4, 12), band_id=site.band)
    ids = {"event": event, "venue": site.venue_a, "band": site.band}
    sign_in(client, site.root)
    before = feed_state(engine, site.venue_a)

    response = client.get(path.format(**ids), follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver" + landing.format(**ids)
    assert feed_state(engine, site.venue_a) == before  # a GET never changes anything
    page = client.get(response.headers["location"])
    assert page.status_code in (200, 404)  # outbox message 7 does not exist
    if page.status_code == 200:
        assert GET_ON_A_FORM in page.text


def test_after_a_refused_decision_enter_in_the_address_bar_is_no_405(
    client: TestClient, engine: Engine, site: Site
) -> None:
    event = add_event(engine, site.venue_a, date(2030, 4, 12), title="Zebra night")
    sign_in(client, site.manager_a)
    url = f"/admin/event/decide/{event}"
    refused = post(client, url, {"decision": "nonsense", "version": "1"})
    assert refused.status_code == 400

    again = client.get(url)  # Enter in the address bar, redirects followed

    assert again.status_code == 200
    assert str(again.url).endswith(f"/admin/event/details/{event}")
    # The message sits in the page before the content, not in a fading toast.
    assert 'data-testid="flash"' in again.text
    assert "toast" not in again.text
    assert again.text.index(GET_ON_A_FORM) < again.text.index("<table")


def test_a_refused_link_is_a_403_inside_the_layout(
    client: TestClient, engine: Engine, site: Site
) -> None:
    with Session(engine) as session:
        root_id = session.scalar(select(User.id).where(User.email == site.root))
    sign_in(client, site.staff_a)

    page = client.get(f"/admin/user/details/{root_id}")  # a "Decided by" link, say

    assert page.status_code == 403
    assert 'id="navbar-menu"' in page.text  # the menu is still there
    assert "You do not have access to this page." in page.text
    assert 'data-testid="error-page"' in page.text
    assert "/admin/calendar" in page.text  # somewhere to go from here
    unknown = client.get("/admin/no-such-thing/list")
    assert unknown.status_code == 404
    assert 'id="navbar-menu"' in unknown.text


def test_a_deleted_row_is_not_found_for_a_superuser(
    client: TestClient, engine: Engine, site: Site
) -> None:
    event = add_event(engine, site.venue_a, date(2030, 4, 12))
    with Session(engine) as session, session.begin():
        session.execute(delete(Event).where(Event.id == event))
    sign_in(client, site.root)

    for url in (f"/admin/event/details/{event}", f"/admin/event/edit/{event}"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "Not found" in page.text
        assert 'id="navbar-menu"' in page.text
    with Session(engine) as session:
        assert session.get(Event, event) is None


def test_a_deleted_row_tells_staff_it_may_be_gone(
    client: TestClient, engine: Engine, site: Site
) -> None:
    """Staff get 403 for a row that is gone as for another venue's (which is which is not
    theirs to learn); the page says it may have been deleted, not only "your role"."""
    event = add_event(engine, site.venue_a, date(2030, 4, 12))
    with Session(engine) as session, session.begin():
        session.execute(delete(Event).where(Event.id == event))
    sign_in(client, site.staff_a)

    page = client.get(f"/admin/event/details/{event}")

    assert page.status_code == 403
    assert "or it no longer exists (it may have been deleted)" in page.text


def event_row(engine: Engine, event_id: int) -> tuple[str, int]:
    """The event's status and version as stored."""
    with Session(engine) as session:
        event = session.get(Event, event_id)
        assert event is not None
        return event.status, event.version


def test_cancelling_a_confirmed_show_asks_first(
    client: TestClient, engine: Engine, site: Site
) -> None:
    event = add_event(engine, site.venue_a, date(2030, 4, 12), title="Zebra night")
    sign_in(client, site.manager_a)
    url = f"/admin/event/decide/{event}"
    details = client.get(f"/admin/event/details/{event}")
    assert 'value="cancel"' in details.text  # the plain form the page offers

    asked = post(client, url, {"decision": "cancel", "version": "1"})

    assert asked.status_code == 200
    assert "Cancel the confirmed show “Zebra night”?" in asked.text
    assert "Alpha Hall" in asked.text
    assert "cannot be undone" in asked.text
    assert 'name="confirm" value="1"' in asked.text
    assert event_row(engine, event) == ("confirmed", 1)  # nothing yet
    assert audit_of(engine, "Event") == []

    done = post(client, url, {"decision": "cancel", "version": "1", "confirm": "1"})

    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Cancelled: Zebra night." in page.text
    assert event_row(engine, event)[0] == "cancelled"
    assert audit_of(engine, "Event") == [("cancel", site.manager_a)]


def test_a_draft_is_cancelled_without_the_question(
    client: TestClient, engine: Engine, site: Site
) -> None:
    event = add_event(engine, site.venue_a, date(2030, 4, 12), status="draft")
    sign_in(client, site.manager_a)
    done = post(client, f"/admin/event/decide/{event}", {"decision": "cancel", "version": "1"})
    assert done.status_code == 303
    assert event_row(engine, event)[0] == "cancelled"


def test_a_details_page_is_headed_by_the_row(
    client: TestClient, engine: Engine, site: Site
) -> None:
    event = add_event(engine, site.venue_a, date(2030, 4, 12), title="Zebra night")
    sign_in(client, site.manager_a)
    page = client.get(f"/admin/event/details/{event}").text
    heading = re.search(r'data-testid="row-heading">([^<]*)<', page)
    assert heading is not None
    assert heading.group(1).strip() == "Zebra night"
    venue = client.get(f"/admin/venue/details/{site.venue_a}").text
    assert 'data-testid="row-heading">Alpha Hall (Berlin)<' in venue


def test_hours_and_days_read_as_everywhere_else(
    client: TestClient, engine: Engine, site: Site
) -> None:
    with rows.committed(engine) as session:
        rows.venue_day(session, site.venue_a, date(2030, 4, 12), "closed")
    sign_in(client, site.manager_a)

    hours = client.get("/admin/venue-operating-hours/list").text
    assert ">20:00<" in hours
    assert "20:00:00" not in hours
    days = client.get("/admin/venue-availability/list").text
    assert "Fri 12 Apr 2030" in days
    assert "2030-04-12" not in days


def test_create_edit_and_delete_say_what_they_did(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    created = post_form(client, "/admin/venue/create", venue_form())
    assert created.status_code == 302
    page = client.get(created.headers["location"]).text
    assert "Created venue “Roxy (Berlin)”." in page
    with Session(engine) as session:
        venue_id = session.scalars(select(Venue.id)).one()

    edited = post_form(client, f"/admin/venue/edit/{venue_id}", venue_form(city="Potsdam"))
    assert edited.status_code == 302
    page = client.get(edited.headers["location"]).text
    assert "Saved venue “Roxy (Potsdam)”." in page
    assert 'data-testid="flash"' in page

    gone = client.delete(f"/admin/venue/delete?pks={venue_id}", headers=SAME_ORIGIN)
    assert gone.status_code == 200
    assert "Deleted venue “Roxy (Potsdam)”." in client.get(gone.text).text
    with Session(engine) as session:
        assert session.get(Venue, venue_id) is None


def test_signing_out_says_so(client: TestClient, site: Site) -> None:
    sign_in(client, site.manager_a)
    out = client.post("/admin/logout", headers=SAME_ORIGIN, follow_redirects=False)
    assert out.status_code == 302
    page = client.get(out.headers["location"])
    assert "You are signed out." in page.text
    assert 'name="password"' in page.text
    assert client.get("/admin/event/list", follow_redirects=False).status_code in (302, 303)
