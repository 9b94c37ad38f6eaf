"""Two real ``serve`` processes on one PostgreSQL database, driven by signed-in sessions.

Each run builds a throwaway database (``alembic upgrade head``, ``seed-demo``, then the
load's own users, venues, events and applications), starts two web processes with the same
``DATABASE_URL`` and ``SECRET_KEY``, and drives them with the bounded generator of
:mod:`tests.reliability.load`. Afterwards: no 5xx, every acknowledged write is in the
database and audited, no lost update, and sign-in throttling counts failures made on
either process. The figures are printed and written to ``test-artifacts/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.reliability.load import (
    AuditRow,
    LoadWorld,
    Write,
    check_days,
    check_decisions,
    check_titles,
    sign_in_burst,
)
from tests.reliability.two_process import Deployment, deployed, drive, report

# Real processes: left out of `make test-fast` (see the e2e marker).
pytestmark = pytest.mark.e2e


@pytest.fixture
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A migrated, seeded database served by two processes (sessions: the test's param)."""
    with deployed(request.param, tmp_path) as deployment:
        yield deployment


@pytest.mark.postgres
@pytest.mark.parametrize("deployment", [8], indirect=True)
def test_two_processes_under_a_short_load(deployment: Deployment) -> None:
    drive(deployment, "two-process-load-short", sessions=8, seconds=10)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("deployment", [40], indirect=True)
def test_two_processes_under_a_long_load(deployment: Deployment) -> None:
    drive(deployment, "two-process-load-long", sessions=40, seconds=60)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("deployment", [40], indirect=True)
def test_forty_sign_ins_at_once_on_two_processes(deployment: Deployment) -> None:
    result = sign_in_burst(deployment.bases, deployment.world)
    report("two-process-sign-in-burst", result)
    statuses = Counter(sample.status for sample in result.samples)
    assert statuses == {302: len(deployment.world.emails)}, statuses


# --- the checks themselves catch what they are for (no database needed) ------------------

WORLD = LoadWorld(
    emails=("a@example.com", "b@example.com"),
    venue_ids=(1,),
    event_ids=(10,),
    own_events={0: (10,), 1: (10,)},
    application_ids=(20,),
    band_ids=(1,),
    month="2027-01",
    mark_days=(date(2027, 1, 4),),
)


def title_write(title: str, sent: float, answered: float) -> Write:
    return Write("title", 10, title, 0, sent, answered)


def title_entry(entry_id: int, old: str, new: str) -> AuditRow:
    return AuditRow(entry_id, "update", "Event", "10", {"title": [old, new]})


def test_the_title_check_finds_a_lost_update_and_an_unaudited_write() -> None:
    writes = [title_write("First", 0, 1), title_write("Second", 2, 3)]
    entries = [title_entry(1, "Load event 0", "First"), title_entry(2, "First", "Second")]
    assert check_titles(WORLD, writes, entries, {10: "Second"}) == []
    # The row kept the earlier title although the later save was acknowledged.
    lost = check_titles(WORLD, writes, entries, {10: "First"})
    assert any(problem.startswith("lost update") for problem in lost)
    # Acknowledged, stored, but no audit entry.
    unaudited = check_titles(WORLD, writes, entries[:1], {10: "Second"})
    assert any("audited 0 times" in problem for problem in unaudited)
    # Committed in the opposite order from the one the client saw.
    swapped = [title_entry(1, "Load event 0", "Second"), title_entry(2, "Second", "First")]
    reordered = check_titles(WORLD, writes, swapped, {10: "First"})
    assert any("committed after it" in problem for problem in reordered)


def test_the_day_check_replays_the_audit_trail() -> None:
    key = (1, "2027-01-04")
    writes = [
        Write("day", key, ("closed", "s0 w1"), 0, 0, 1),
        Write("day", key, ("clear", None), 1, 2, 3),
    ]
    created = AuditRow(
        1,
        "create",
        "VenueAvailability",
        "7",
        {
            "venue_id": [None, 1],
            "date": [None, key[1]],
            "status": [None, "closed"],
            "note": [None, "s0 w1"],
        },
    )
    deleted = AuditRow(
        2,
        "delete",
        "VenueAvailability",
        "7",
        {
            "venue_id": [1, None],
            "date": [key[1], None],
            "status": ["closed", None],
            "note": ["s0 w1", None],
        },
    )
    assert check_days(WORLD, writes, [created, deleted], {}) == []
    # The clear was acknowledged last, yet the mark is still there.
    kept = check_days(WORLD, writes, [created, deleted], {key: ("closed", "s0 w1")})
    assert any(problem.startswith("lost update") for problem in kept)


def test_the_decision_check_finds_a_second_final_decision() -> None:
    writes = [Write("decide", 20, "accepted", 0, 0, 1), Write("decide", 20, "rejected", 1, 0, 1)]
    entries = [
        AuditRow(1, "accept", "EventApplication", "20", {}),
        AuditRow(2, "reject", "EventApplication", "20", {}),
    ]
    problems = check_decisions(WORLD, writes, entries, {20: "rejected"}, {10: "draft"})
    assert any("decided twice" in problem for problem in problems)
