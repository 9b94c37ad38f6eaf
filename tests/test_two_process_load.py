"""Two real ``serve`` processes on one PostgreSQL database, driven by signed-in sessions.

Each run builds a throwaway database (``alembic upgrade head``, ``seed-demo``, then the
load's own users, venues, events and applications), starts two web processes with the same
``DATABASE_URL`` and ``SECRET_KEY``, and drives them with the bounded generator of
:mod:`tests.reliability.load`. Afterwards: no 5xx, every acknowledged write is in the
database and audited, no lost update, and sign-in throttling counts failures made on
either process. The figures are printed and written to ``test-artifacts/``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine, create_engine, func, pool, select
from sqlalchemy.orm import Session

from admin_app.passwords import hash_password
from admin_app.throttle import throttle_key
from models import LoginFailure, User
from tests.browser import LiveServer, run_admin, running_server
from tests.reliability.load import (
    AuditRow,
    LoadResult,
    LoadWorld,
    Write,
    check_days,
    check_decisions,
    check_titles,
    run_load,
    seed_load_world,
    sign_in_burst,
    verify,
)
from tests.support import ARTIFACTS, ROOT, fresh_database, upgrade

# Real processes: left out of `make test-fast` (see the e2e marker).
pytestmark = pytest.mark.e2e

THROTTLED_EMAIL = "throttled@example.com"


@dataclass(frozen=True)
class Deployment:
    """Two servers on one database, and what was seeded into it."""

    servers: tuple[LiveServer, LiveServer]
    engine: Engine
    world: LoadWorld

    @property
    def bases(self) -> list[str]:
        return [server.url for server in self.servers]


@pytest.fixture
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A migrated, seeded database served by two processes (sessions: the test's param)."""
    sessions: int = request.param
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database("postgresql", tmp_path))
        upgrade(url)
        seeded = run_admin("seed-demo", database_url=url)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        engine = create_engine(url, poolclass=pool.NullPool)
        stack.callback(engine.dispose)
        world = seed_load_world(engine, sessions)
        with Session(engine) as session:
            session.add(
                User(
                    email=THROTTLED_EMAIL,
                    full_name="Throttled",
                    password_hash=hash_password("throttled " + "p" * 16),
                )
            )
            session.commit()
        first = stack.enter_context(running_server(url, tmp_path))
        second = stack.enter_context(running_server(url, tmp_path))
        yield Deployment((first, second), engine, world)


def report(name: str, result: LoadResult) -> dict[str, object]:
    """Print the figures and keep them in test-artifacts/<name>.json."""
    summary = result.summary()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\n{name}: {json.dumps(summary)}")
    return summary


def assert_throttling_is_shared(deployment: Deployment) -> None:
    """3 failures on one process and 2 on the other lock the email on both."""
    first, second = deployment.bases
    wrong = {"username": THROTTLED_EMAIL, "password": "not the password at all"}
    with httpx2.Client(timeout=30) as browser:
        for base in (first, first, first, second, second):
            answer = browser.post(base + "/admin/login", data=wrong, headers={"Origin": base})
            assert answer.status_code == 400, answer.text[:300]
        for base in (first, second):
            answer = browser.post(base + "/admin/login", data=wrong, headers={"Origin": base})
            assert answer.status_code == 429, (base, answer.status_code, answer.text[:300])
            assert answer.headers["retry-after"].isdigit()
    with Session(deployment.engine) as session:
        counted = session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.email == throttle_key(THROTTLED_EMAIL))
        )
    assert counted == 5  # the refused 6th and 7th attempts are not failures of their own


# SQLAdmin's edit route logs every exception of a save with logger.exception, the console's
# refusals (a stale form, a rule) included: those tracebacks are refusals, not failures.
REFUSAL_LOGGED = "admin_app.views._errors.ConsoleFormError: "


def unexpected_tracebacks(log: str) -> list[str]:
    """The tracebacks in a server log that do not end in a refused form, each cut down to
    the app's own frames and the exception lines."""
    found = []
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = [line for line in block.splitlines() if line and not line.startswith("INFO:")]
        raised = [line for line in lines if not line.startswith(" ")]
        if raised and raised[0].startswith(REFUSAL_LOGGED):
            continue
        own = [line.strip() for line in lines if 'File "' + str(ROOT / "admin_app") in line]
        found.append(" | ".join([*own[-4:], *raised[:3]]))
    return found


def drive(deployment: Deployment, name: str, sessions: int, seconds: float) -> None:
    """Run the load, report it, and check everything it promises (all checks, one verdict)."""
    result = run_load(deployment.bases, deployment.world, sessions=sessions, seconds=seconds)
    summary = report(name, result)
    assert result.writes, "no write was acknowledged"
    assert summary["requests"], "no request was made"

    failures: dict[str, list[str]] = {
        "5xx or no answer": [
            f"{s.status} {s.method} {s.url}: {s.snippet[:120]}" for s in result.server_errors
        ],
        "unexpected answers": result.problems,
        "server tracebacks": [
            text for server in deployment.servers for text in unexpected_tracebacks(server.output())
        ],
        "servers gone": [s.url for s in deployment.servers if s.process.poll() is not None],
        # Checked even after a 5xx: a failed request must not have lost anybody's write.
        "writes vs database and audit log": verify(deployment.engine, deployment.world, result),
    }
    found = {kind: items for kind, items in failures.items() if items}
    assert not found, "\n".join(
        f"== {kind} ({len(items)}):\n" + "\n".join(items[:15]) for kind, items in found.items()
    )
    assert_throttling_is_shared(deployment)


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
