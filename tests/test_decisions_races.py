"""Two people bulk-accepting overlapping selections for one band at the same instant.

The band applied to many confirmed events that all overlap: at most one acceptance may
stand. Each person's bulk decides row by row (a transaction each, in id order), so the
racers meet on the same rows' locks; neither may get a double booking, a deadlock or any
error other than a refusal. Real threads, connections and commits, on PostgreSQL (row
locks) as the issue asks, and on SQLite (its writer lock) too.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.booking import accept_application
from admin_app.booking_bulk import BulkOutcome, decide_each, parse_selection
from admin_app.scoping import Scope, load_scope
from models import AuditEntry, EventApplication
from tests.auth_support import SAME_ORIGIN, mint_session
from tests.worlds import rows

EVENTS = 8
ROUNDS = 4
START = datetime(2027, 3, 6, 19, tzinfo=UTC)


def _overlapping_applications(engine: Engine, band_name: str) -> list[int]:
    """``EVENTS`` confirmed shows at as many venues, all overlapping, each with a pending
    application from one band; their ids in id order."""
    with rows.committed(engine) as session:
        band = rows.band(session, band_name)
        ids = []
        for index in range(EVENTS):
            venue = rows.venue(session, f"{band_name} club {index}")
            starts = START + timedelta(minutes=15 * index)
            show = rows.event(session, venue, starts, starts + timedelta(hours=3))
            ids.append(rows.application(session, show, band).id)
    return ids


def _two_deciders(engine: Engine) -> tuple[Scope, Scope]:
    with rows.committed(engine) as session:
        people = [
            rows.user(session, f"ops{n}@example.com", superuser=True, password=None) for n in (1, 2)
        ]
        session.flush()
        scopes = [load_scope(session, person.id) for person in people]
    first, second = scopes
    assert first is not None
    assert second is not None
    return first, second


def _overlapping_selections(ids: list[int]) -> tuple[list[str], list[str]]:
    """Person one ticks the first three quarters, person two the last three quarters; each
    list is sent in a different order than id order."""
    cut = len(ids) // 4
    return [str(pk) for pk in reversed(ids[: len(ids) - cut])], [str(pk) for pk in ids[cut:]]


def _accepted(engine: Engine, ids: list[int]) -> list[int]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(EventApplication.id).where(
                    EventApplication.id.in_(ids), EventApplication.status == "accepted"
                )
            )
        )


def test_two_bulk_acceptances_never_double_book_a_band(db_url: str, engine: Engine) -> None:
    first, second = _two_deciders(engine)
    sqlite = make_url(db_url).get_backend_name() == "sqlite"
    racing = create_engine(
        db_url, poolclass=NullPool, connect_args={"timeout": 60} if sqlite else {}
    )
    sessions = sessionmaker(racing, expire_on_commit=False)
    try:
        for round_ in range(ROUNDS):
            ids = _overlapping_applications(engine, f"Band {round_}")
            picks = _overlapping_selections(ids)
            barrier = threading.Barrier(2)

            def bulk(actor: Scope, values: list[str], start: threading.Barrier) -> BulkOutcome:
                start.wait(timeout=30)
                return decide_each(sessions, accept_application, parse_selection(values), actor)

            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [
                    pool.submit(bulk, actor, values, barrier)
                    for actor, values in zip((first, second), picks, strict=True)
                ]
                # .result() re-raises anything that was not a refusal (a deadlock, a 23P01).
                outcomes = [future.result(timeout=120) for future in futures]

            accepted = _accepted(engine, ids)
            assert len(accepted) == 1, (round_, outcomes)
            assert sum(len(outcome.done) for outcome in outcomes) == 1
            for outcome, values in zip(outcomes, picks, strict=True):
                assert len(outcome.done) + len(outcome.refused) == len(values)
                for _, reason in outcome.refused:
                    # Booked elsewhere, or this very row already accepted by the other.
                    assert "is already booked for" in reason or "already accepted" in reason
            with Session(engine) as session:
                audited = session.scalar(
                    select(func.count()).where(
                        AuditEntry.object_type == "EventApplication",
                        AuditEntry.object_id.in_([str(pk) for pk in ids]),
                    )
                )
            assert audited == 1  # the one acceptance, and nothing refused left a trace
    finally:
        racing.dispose()


def test_two_bulk_acceptances_over_http_give_no_500(
    app: Starlette, engine: Engine, db_kind: str
) -> None:
    first, second = _two_deciders(engine)
    ids = _overlapping_applications(engine, "Http Band")
    picks = _overlapping_selections(ids)
    clients = [TestClient(app, base_url="http://testserver") for _ in range(2)]
    for client, actor in zip(clients, (first, second), strict=True):
        mint_session(client, actor.user_id)
    barrier = threading.Barrier(2)

    def post(client: TestClient, values: list[str]) -> int:
        barrier.wait(timeout=30)
        response = client.post(
            "/admin/event-application/decide-selected",
            data={"decision": "accept", "selected": values},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        return response.status_code

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            codes = list(pool.map(post, clients, picks))
    finally:
        for client in clients:
            client.close()
    assert codes == [303, 303]
    assert len(_accepted(engine, ids)) == 1
