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

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from admin_app.booking import (
    BandDoubleBooked,
    BookingError,
    VenueClash,
    accept_application,
    confirm_event,
)
from models import Event, EventApplication, Venue
from tests.test_booking import build_booking

RACERS = 20


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


def _wait_until_blocked_on_a_lock(engine: Engine) -> int:
    with Session(engine) as observer:
        for _ in range(200):
            blocked = int(
                observer.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                or 0
            )
            if blocked:
                return blocked
            time.sleep(0.05)
    return 0


# The exclusion constraint is PostgreSQL's: run on that database only (not a skip on SQLite).
@pytest.mark.parametrize(
    "db_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_exclusion_constraint_refusal_becomes_venue_clash(
    db_kind: str, db_url: str, engine: Engine
) -> None:
    """The second confirmation passes the application check (the first is not committed
    yet), waits on the constraint, and is refused once the first commits."""
    with Session(engine) as session:
        setup = build_booking(session)
        first_id = setup.event("First", setup.berlin).id
        second_id = setup.event("Second", setup.berlin, start=1).id
        root = setup.root
        session.commit()

    with Session(engine) as first, ThreadPoolExecutor(max_workers=1) as pool:
        confirm_event(first, first_id, root)
        second = partial(confirm_event, event_id=second_id, actor=root)
        waiting = pool.submit(_race, db_url, [second])
        assert _wait_until_blocked_on_a_lock(engine) == 1
        first.commit()
        (refused,) = waiting.result(timeout=30)

    assert isinstance(refused, VenueClash)
    assert isinstance(refused.__cause__, IntegrityError)
    assert refused.clash_event_id == first_id
    assert "at that time: First, Sat 05 Dec 2026 20:00" in str(refused)
