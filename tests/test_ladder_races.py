"""The hold ladder under concurrency, with real commits on separate connections.

Holds placed at once get distinct ranks; two people confirming holds of one night get one
confirmation and one clear refusal (never a 500); expiry run by several threads or
processes at once releases each hold once and leaves consistent ladders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import holds
from admin_app.calendars.match import place_hold
from admin_app.scoping import Scope, load_scope
from models import AuditEntry, Event, User
from tests.auth_support import SAME_ORIGIN, sign_in
from tests.browser import run_admin
from tests.worlds import rows
from tests.worlds.site import BERLIN, Site, add_event, at, build_site

NIGHT = date(2030, 4, 12)
LATER = datetime(2030, 1, 1, tzinfo=UTC)
T = TypeVar("T")

ON_POSTGRESQL = pytest.mark.parametrize(
    "db_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run each call in its own thread, all released together."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def racing_engine(db_url: str) -> Engine:
    """One connection per racer (no pool to queue on); SQLite waiters wait for its lock."""
    sqlite = make_url(db_url).get_backend_name() == "sqlite"
    return create_engine(db_url, poolclass=NullPool, connect_args={"timeout": 60} if sqlite else {})


def scope_of(engine: Engine, email: str) -> Scope:
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        scope = load_scope(session, user_id or 0)
    assert scope is not None
    return scope


def test_holds_placed_at_once_get_distinct_ranks(db_url: str, engine: Engine, site: Site) -> None:
    racers = 6
    with rows.committed(engine) as session:
        bands = [rows.band(session, f"Band {n}").id for n in range(racers)]
    staff = scope_of(engine, site.staff_a)
    racing = racing_engine(db_url)

    def hold(band_id: int) -> Callable[[], int | None]:
        def call() -> int | None:
            with Session(racing, expire_on_commit=False) as session:
                event = place_hold(session, staff, site.venue_a, band_id, NIGHT, now=LATER)
                session.commit()
                return event.hold_rank

        return call

    try:
        ranks = at_once([hold(band) for band in bands])
    finally:
        racing.dispose()
    assert sorted(rank or 0 for rank in ranks) == list(range(1, racers + 1))
    with Session(engine) as session:
        stored = session.scalars(select(Event.hold_rank).where(Event.status == "hold"))
        assert sorted(rank or 0 for rank in stored) == list(range(1, racers + 1))


@ON_POSTGRESQL
def test_two_people_confirming_holds_of_one_night(
    db_kind: str, app: Starlette, engine: Engine, site: Site
) -> None:
    """The manager confirms hold 1 while staff confirm hold 2 (overlapping): one wins, the
    other is told which show took the night; no 500, one confirmed event."""
    first = add_event(engine, site.venue_a, NIGHT, title="First", status="hold", hold_rank=1)
    second = add_event(
        engine, site.venue_a, NIGHT, hour=21, title="Second", status="hold", hold_rank=2
    )
    clients = [TestClient(app, base_url="http://testserver") for _ in range(2)]
    sign_in(clients[0], site.manager_a)
    sign_in(clients[1], site.staff_a)

    def confirm(client: TestClient, event_id: int) -> Callable[[], Any]:
        return lambda: client.post(
            f"/admin/event/decide/{event_id}",
            data={"decision": "confirm", "version": "1"},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )

    try:
        answers = at_once([confirm(clients[0], first), confirm(clients[1], second)])
    finally:
        for client in clients:
            client.close()
    assert sorted(answer.status_code for answer in answers) == [303, 400]
    (refused,) = [answer for answer in answers if answer.status_code == 400]
    assert "The venue already has a confirmed event at that time" in refused.text
    with Session(engine) as session:
        statuses = list(session.scalars(select(Event.status)))
    assert sorted(statuses) == ["confirmed", "hold"]


def _expired_world(engine: Engine, venues: int, per_venue: int, now: datetime) -> list[int]:
    """``venues`` venues, each with a ladder of ``per_venue`` expired holds and one live
    hold below them; the live holds' ids."""
    live = []
    with rows.committed(engine) as session:
        for v in range(venues):
            venue = rows.venue(session, f"Club {v}", timezone=BERLIN)
            for rank in range(1, per_venue + 2):
                starts_at = at(BERLIN, NIGHT, 18 + rank)
                hold = rows.event(
                    session,
                    venue,
                    starts_at,
                    starts_at + timedelta(hours=1),
                    title=f"Club {v} hold {rank}",
                    status="hold",
                    hold_rank=rank,
                    hold_expires_at=now - timedelta(minutes=rank)
                    if rank <= per_venue
                    else now + timedelta(days=1),
                )
                if rank > per_venue:
                    live.append(hold.id)
    return live


def _check_released_once(engine: Engine, live: list[int], expected: int) -> None:
    with Session(engine) as session:
        per_hold = session.execute(
            select(AuditEntry.object_id, func.count())
            .where(AuditEntry.action == "expire_hold")
            .group_by(AuditEntry.object_id)
        ).all()
        assert len(per_hold) == expected
        assert {count for _, count in per_hold} == {1}
        ranks = session.scalars(select(Event.hold_rank).where(Event.id.in_(live)))
        assert set(ranks) == {1}  # each ladder: the live hold moved to the top
        assert session.scalar(select(func.count()).where(Event.status == "hold")) == len(live)


@ON_POSTGRESQL
def test_expiry_run_by_several_threads_at_once_releases_each_hold_once(
    db_kind: str, db_url: str, engine: Engine
) -> None:
    now = datetime(2030, 4, 1, tzinfo=UTC)
    live = _expired_world(engine, venues=8, per_venue=3, now=now)
    racing = racing_engine(db_url)
    sessions = sessionmaker(racing, expire_on_commit=False)
    try:
        counts = at_once([lambda: holds.release_expired_holds(sessions, now=now)] * 4)
    finally:
        racing.dispose()
    assert sum(counts) == 24
    _check_released_once(engine, live, 24)


@pytest.mark.e2e
def test_the_cli_releases_expired_holds_and_a_second_run_finds_none(
    db_url: str, engine: Engine
) -> None:
    live = _expired_world(engine, venues=2, per_venue=2, now=datetime.now(UTC))
    first = run_admin("release-expired-holds", database_url=db_url)
    assert (first.returncode, first.stdout) == (0, "Released 4 expired holds.\n"), first.stderr
    again = run_admin("release-expired-holds", database_url=db_url)
    assert (again.returncode, again.stdout) == (0, "Released 0 expired holds.\n"), again.stderr
    _check_released_once(engine, live, 4)


@pytest.mark.e2e
@ON_POSTGRESQL
def test_the_cli_run_by_two_processes_at_once(db_kind: str, db_url: str, engine: Engine) -> None:
    live = _expired_world(engine, venues=20, per_venue=3, now=datetime.now(UTC))
    runs = at_once([lambda: run_admin("release-expired-holds", database_url=db_url)] * 2)
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    released = [int(run.stdout.split()[1]) for run in runs]
    assert sum(released) == 60
    _check_released_once(engine, live, 60)
