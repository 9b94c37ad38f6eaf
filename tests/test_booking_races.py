"""Decisions racing each other on separate connections, with real commits.

PostgreSQL serialises them with row locks taken in a fixed order (and the exclusion
constraint); SQLite with its single writer lock. Either way exactly one racer wins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import NamedTuple, TypeVar

import pytest
from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient

from admin_app.booking import (
    BandDoubleBooked,
    BookingError,
    VenueClash,
    accept_application,
    confirm_event,
)
from admin_app.scoping import Scope
from models import Event, EventApplication, Venue
from tests.console_views_support import event_form, post_form, sign_in_superuser
from tests.worlds.booking import build_booking

RACERS = 20
T = TypeVar("T")


def _race(db_url: str, calls: list[Callable[[Session], object]]) -> list[object]:
    """Run each call in its own thread, session and connection, all released at once."""
    sqlite = make_url(db_url).get_backend_name() == "sqlite"
    # One connection per racer (no pool to queue on); SQLite waiters wait for the lock.
    racing_engine = create_engine(
        db_url, poolclass=NullPool, connect_args={"timeout": 60} if sqlite else {}
    )
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[Session], object]) -> object:
        with Session(racing_engine, expire_on_commit=False) as session:
            session.connection()  # connect before the start line, not after it
            barrier.wait(timeout=30)
            try:
                result = call(session)
                session.commit()
            except BookingError as refused:
                session.rollback()
                return refused
            return result

    try:
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(run, calls))
    finally:
        racing_engine.dispose()


def test_race_accepting_one_band_everywhere_at_once(db_url: str, engine: Engine) -> None:
    with Session(engine) as session:
        setup = build_booking(session)
        venues = [Venue(name=f"Club {i}", city="Berlin", timezone="UTC") for i in range(RACERS)]
        session.add_all(venues)
        events = [setup.event(f"Show {i}", v, status="confirmed") for i, v in enumerate(venues)]
        ids = [setup.application(event).id for event in events]
        root = setup.root
        session.commit()

    results = _race(
        db_url, [partial(accept_application, application_id=i, actor=root) for i in ids]
    )

    assert sum(isinstance(r, EventApplication) for r in results) == 1
    assert sum(isinstance(r, BandDoubleBooked) for r in results) == RACERS - 1
    with Session(engine) as session:
        statuses = session.scalars(
            select(EventApplication.status).where(EventApplication.id.in_(ids))
        )
        assert sorted(statuses) == ["accepted"] + ["pending"] * (RACERS - 1)


def test_race_confirming_overlapping_events_at_one_venue(db_url: str, engine: Engine) -> None:
    with Session(engine) as session:
        setup = build_booking(session)
        ids = [setup.event(f"Show {i}", setup.berlin, status="hold").id for i in range(RACERS)]
        root = setup.root
        session.commit()

    results = _race(db_url, [partial(confirm_event, event_id=i, actor=root) for i in ids])

    (winner,) = [r for r in results if isinstance(r, Event)]
    clashes = [r for r in results if isinstance(r, VenueClash)]
    assert len(clashes) == RACERS - 1
    assert all(f"at that time: {winner.title}, " in str(clash) for clash in clashes)
    with Session(engine) as session:
        statuses = session.scalars(select(Event.status).where(Event.id.in_(ids)))
        assert sorted(statuses) == ["confirmed"] + ["hold"] * (RACERS - 1)


def _statements_waiting_on_locks(engine: Engine) -> list[str]:
    """The statements of this database's sessions that wait on a lock (polled until some do)."""
    with Session(engine) as observer:
        for _ in range(200):
            waiting = list(
                observer.scalars(
                    text(
                        "SELECT query FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            )
            if waiting:
                return waiting
            # PostgreSQL keeps one snapshot of pg_stat_activity per transaction (waits
            # are read live, statement texts are not): look again in a new one.
            observer.rollback()
            time.sleep(0.05)
    return []


def _waits_on_the_venue(statement: str) -> bool:
    return statement.lstrip().startswith("SELECT venues.id") and "FOR NO KEY UPDATE" in statement


ON_POSTGRESQL = pytest.mark.parametrize(
    "db_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


class Overlap(NamedTuple):
    first_id: int
    second_id: int
    venue_id: int
    root: Scope


def _two_overlapping_drafts(engine: Engine) -> Overlap:
    """Two drafts at one venue: "First" (Sat 05 Dec 2026 20:00-23:00) and "Second", an hour
    later."""
    with Session(engine) as session:
        setup = build_booking(session)
        first = setup.event("First", setup.berlin)
        second = setup.event("Second", setup.berlin, start=1)
        session.commit()
        return Overlap(first.id, second.id, setup.berlin.id, setup.root)


def _behind(
    engine: Engine, write: Callable[[Session], object], then: Callable[[], T]
) -> tuple[str, T]:
    """Make ``write`` uncommitted, start ``then`` in a thread, commit once ``then`` waits
    on a lock: the statement it waited at, and its result."""
    # The session closes (releasing its locks) before the pool waits for its thread.
    with ThreadPoolExecutor(max_workers=1) as pool, Session(engine) as first:
        write(first)
        waiting = pool.submit(then)
        (statement,) = _statements_waiting_on_locks(engine)
        first.commit()
        return statement, waiting.result(timeout=30)


# Locks and the exclusion constraint are PostgreSQL's: run there only (not a skip on SQLite).
@ON_POSTGRESQL
def test_a_second_confirmation_waits_for_the_venue_and_is_refused_by_name(
    db_kind: str, db_url: str, engine: Engine
) -> None:
    """Overlapping confirmations at one venue queue on the venue row instead of meeting in
    the exclusion constraint, where they could deadlock (CI saw it with 20 racers)."""
    first_id, second_id, _, root = _two_overlapping_drafts(engine)

    statement, (refused,) = _behind(
        engine,
        partial(confirm_event, event_id=first_id, actor=root),
        partial(_race, db_url, [partial(confirm_event, event_id=second_id, actor=root)]),
    )

    assert _waits_on_the_venue(statement), statement
    assert isinstance(refused, VenueClash)
    assert refused.__cause__ is None  # the clash check refused it, not the constraint
    assert refused.clash_event_id == first_id
    assert "at that time: First, Sat 05 Dec 2026 20:00" in str(refused)


@ON_POSTGRESQL
def test_exclusion_constraint_refusal_becomes_venue_clash(
    db_kind: str, db_url: str, engine: Engine
) -> None:
    """A writer that skips the booking rules (a script, psql) takes no venue lock: the
    confirmation passes the clash check (that write is not committed yet), waits on the
    constraint, and is refused once it commits."""
    first_id, second_id, _, root = _two_overlapping_drafts(engine)

    def script(session: Session) -> None:
        session.execute(update(Event).where(Event.id == first_id).values(status="confirmed"))

    statement, (refused,) = _behind(
        engine,
        script,
        partial(_race, db_url, [partial(confirm_event, event_id=second_id, actor=root)]),
    )

    assert statement.lstrip().startswith("UPDATE events"), statement
    assert isinstance(refused, VenueClash)
    assert isinstance(refused.__cause__, IntegrityError)
    assert refused.clash_event_id == first_id
    assert "at that time: First, Sat 05 Dec 2026 20:00" in str(refused)


@ON_POSTGRESQL
def test_a_form_saving_a_confirmed_event_waits_for_a_confirmation_in_progress(
    db_kind: str, engine: Engine, client: TestClient
) -> None:
    sign_in_superuser(client, engine)
    first_id, _, venue_id, root = _two_overlapping_drafts(engine)
    form = event_form(venue_id, starts_at="2026-12-05T22:00", ends_at="2026-12-06T00:30")

    statement, response = _behind(
        engine,
        partial(confirm_event, event_id=first_id, actor=root),
        partial(post_form, client, "/admin/event/create", form),
    )

    assert _waits_on_the_venue(statement), statement
    assert response.status_code == 400
    assert "already has a confirmed event at that time: First, Sat 05 Dec 2026 20:00" in (
        response.text
    )
    with Session(engine) as session:
        titles = session.scalars(select(Event.title).order_by(Event.id)).all()
        assert titles == ["First", "Second"]  # no third event
