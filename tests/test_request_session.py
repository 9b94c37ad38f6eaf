"""One request, one session: every page reads in one transaction, a save commits once.

The app's engine is watched for transaction starts (SQLAlchemy's ``begin`` event, which
is the BEGIN PostgreSQL logs) and ends; the pool must be back to no checked-out
connection once each response is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.feed_tokens import issue_token
from models import Event, EventApplication, Venue
from tests.auth_support import sign_in
from tests.console_views_support import event_form
from tests.worlds.site import FIRST, MONTH, Site, add_event, build_site, post


@dataclass
class Transactions:
    """Transaction starts and ends the app's engine saw."""

    begun: int = 0
    committed: int = 0
    rolled_back: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def watching(client: TestClient) -> Iterator[Transactions]:
    """Count the app engine's transactions while the block runs."""
    engine: Engine = cast(Starlette, client.app).state.engine
    seen = Transactions()

    def begun(_conn: Any) -> None:
        seen.begun += 1

    def committed(_conn: Any) -> None:
        seen.committed += 1

    def rolled_back(_conn: Any) -> None:
        seen.rolled_back += 1

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.statements.append(sql)

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("begin", begun),
        ("commit", committed),
        ("rollback", rolled_back),
        ("before_cursor_execute", statement),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)


def checked_out(client: TestClient) -> int:
    """Connections of the app's pool in use right now."""
    engine: Engine = cast(Starlette, client.app).state.engine
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def test_every_read_page_is_one_transaction(client: TestClient, engine: Engine, site: Site) -> None:
    event_id = add_event(engine, site.venue_a, FIRST, title="Opening night")
    sign_in(client, site.manager_a)
    pages = [
        "/admin/event/list",
        "/admin/event/list?search=Opening",
        "/admin/event-application/list",
        f"/admin/event/details/{event_id}",
        f"/admin/event/edit/{event_id}",
        "/admin/venue/list",
        f"/admin/calendar/venue/{site.venue_a}?month={MONTH}",
    ]
    for url in pages:
        with watching(client) as seen:
            response = client.get(url)
        assert response.status_code == 200, url
        # The signed-in user, their scope, the rows and the count: one transaction, ended
        # (rolled back: it only read) once the page was sent.
        assert (seen.begun, seen.committed, seen.rolled_back) == (1, 0, 1), url
        assert checked_out(client) == 0, url


def test_a_save_commits_once_with_the_sign_in_check_in_it(
    client: TestClient, engine: Engine, site: Site
) -> None:
    event_id = add_event(engine, site.venue_a, FIRST, title="Opening night")
    sign_in(client, site.manager_a)
    with Session(engine) as session:
        stored = session.get(Event, event_id)
        assert stored is not None
        version = stored.version
    form = event_form(
        site.venue_a,
        title="Opening night, renamed",
        starts_at="2030-04-01T20:00",
        ends_at="2030-04-01T23:00",
        version=str(version),
    )
    with watching(client) as seen:
        response = post(client, f"/admin/event/edit/{event_id}", form)
    assert response.status_code == 302, response.text
    assert (seen.begun, seen.committed) == (1, 1)
    assert checked_out(client) == 0
    with Session(engine) as session:
        assert session.scalar(select(Event.title).where(Event.id == event_id)) == (
            "Opening night, renamed"
        )


def test_a_refused_save_keeps_nothing_and_frees_the_connection(
    client: TestClient, engine: Engine, site: Site
) -> None:
    event_id = add_event(engine, site.venue_a, FIRST, title="Opening night")
    sign_in(client, site.staff_a)
    # A venue that is not theirs: refused, the form comes back, nothing is stored.
    form = event_form(site.venue_b, title="Moved away", version="1")
    with watching(client) as seen:
        response = post(client, f"/admin/event/edit/{event_id}", form)
    assert response.status_code == 400
    assert seen.committed == 0
    assert checked_out(client) == 0
    with Session(engine) as session:
        assert session.scalar(select(Event.title).where(Event.id == event_id)) == "Opening night"


def test_a_feed_is_one_transaction(client: TestClient, engine: Engine, site: Site) -> None:
    add_event(engine, site.venue_a, FIRST, title="Opening night")
    with Session(engine) as session, session.begin():
        venue = session.get(Venue, site.venue_a)
        assert venue is not None
        token = issue_token(session, venue)
    with watching(client) as seen:
        response = client.get(f"/feeds/venue/{token}.ics")
    assert response.status_code == 200
    assert "Opening night" in response.text
    assert (seen.begun, seen.committed) == (1, 0)
    assert checked_out(client) == 0


def test_one_session_factory_serves_every_layer(client: TestClient) -> None:
    app = cast(Starlette, client.app)
    admin = app.state.console_admin
    sessions = app.state.sessions
    assert admin.session_maker is sessions
    assert admin.authentication_backend.sessions is sessions
    assert all(view.session_maker is sessions for view in admin.views if hasattr(view, "model"))


def test_no_statement_runs_on_the_event_loop(
    client: TestClient, engine: Engine, site: Site
) -> None:
    """A database call on the event loop stalls every request of the process; behind a
    transaction pooler it can deadlock (the pooler load test hung on one). Rows handed to
    SQLAdmin and the templates are detached, so a missing relationship is loaded in a
    worker thread, never by an attribute read on the loop."""
    event_id = add_event(
        engine, site.venue_a, FIRST, title="Opening", band_id=site.band, application="accepted"
    )
    with Session(engine) as session:
        application_id = session.scalar(
            select(EventApplication.id).where(EventApplication.event_id == event_id)
        )
    sign_in(client, site.manager_a)
    app = cast(Starlette, client.app)
    on_loop: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        try:
            asyncio.get_running_loop()  # raises in a worker thread
        except RuntimeError:
            return
        on_loop.append(sql)

    with watching(client) as seen:
        event.listen(app.state.engine, "before_cursor_execute", on_statement)
        try:
            for url in (
                "/admin/event/list",
                "/admin/event-application/list",
                f"/admin/event/details/{event_id}",
                f"/admin/event/edit/{event_id}",
                f"/admin/event-application/details/{application_id}",
                f"/admin/band/details/{site.band}",
                f"/admin/venue/details/{site.venue_a}",
                f"/admin/calendar/venue/{site.venue_a}?month={MONTH}",
            ):
                assert client.get(url).status_code == 200, url
        finally:
            event.remove(app.state.engine, "before_cursor_execute", on_statement)
    assert len(seen.statements) > 8  # the pages did read
    assert on_loop == []
