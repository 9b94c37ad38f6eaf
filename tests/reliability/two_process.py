"""Two real ``serve`` processes on one PostgreSQL database, and the checks of a load run.

Shared by the two-process load test and the pooler tests (the same load, through
PgBouncer): :func:`deployed` builds a throwaway database (``alembic upgrade head``,
``seed-demo``, then the load's own users, venues, events and applications) and starts two
web processes with the same ``DATABASE_URL`` and ``SECRET_KEY``; :func:`drive` runs the
bounded generator of :mod:`tests.reliability.load` and checks everything it promises.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from sqlalchemy import Engine, create_engine, func, pool, select
from sqlalchemy.orm import Session

from admin_app.passwords import hash_password
from admin_app.throttle import throttle_key
from models import LoginFailure, User
from tests.browser import LiveServer, run_admin, running_server
from tests.reliability.load import LoadResult, LoadWorld, run_load, seed_load_world, verify
from tests.support import ARTIFACTS, ROOT, fresh_database, upgrade

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


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """``values`` in this process's environment, which the servers started inside inherit."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def deployed(
    sessions: int, tmp_path: Path, server_env: Callable[[str], dict[str, str]] | None = None
) -> Iterator[Deployment]:
    """A migrated, seeded database served by two processes whose environment gets
    ``server_env(database_url)`` added (e.g. a pooled URL); migrations and seeding go
    direct."""
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
        with _environ(server_env(url) if server_env else {}):
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
