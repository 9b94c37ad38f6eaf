"""The sign-in throttle under parallel requests, and its limit per client address.

Guesses race through the real sign-in form (one browser per thread, all released at once
by a barrier). How many passwords were actually checked is read from what an operator
sees: the audit log says "invalid credentials" for each check that ran and "throttled"
for each attempt refused before its check.

The user's hash has production parameters, so each check takes long enough that every
racer reaches the throttle while the first checks are still running.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.auth import SESSION_COOKIE
from admin_app.passwords import HASHERS
from admin_app.throttle import MAX_ADDRESS_FAILURES, MAX_FAILURES
from models import AuditEntry, LoginFailure, User
from tests.auth_support import BASE, PASSWORD, add_user, failure_count, post_login

EMAIL = "ops@example.com"
WRONG = "not the password"
RACERS = 10
OFFICE = "203.0.113.7"  # the address that sprays guesses
ELSEWHERE = "198.51.100.20"
ADDRESS_LOCKED = "Too many failed sign-ins from your network address. Try again in"
EMAIL_LOCKED = "Too many failed sign-ins for this email. Try again in"


@contextmanager
def browser(app: Starlette, address: str = OFFICE) -> Iterator[TestClient]:
    """A fresh browser on the shared ``app`` whose requests come from ``address``.

    Not entered as a context manager (see the ``client`` fixture): the app's lifespan ran
    once, and running it again would dispose of the app's connection pool.
    """
    client = TestClient(app, base_url=BASE, client=(address, 50000))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def office(app: Starlette, engine: Engine) -> Iterator[TestClient]:
    """One browser at the office (tables are emptied afterwards through ``engine``)."""
    with browser(app) as client:
        yield client


def add_slow_user(engine: Engine, email: str = EMAIL) -> None:
    """A superuser whose password check costs what it costs in production."""
    add_user(engine, email, superuser=True)
    with Session(engine) as session:
        session.execute(
            update(User)
            .where(User.email == email)
            .values(password_hash=HASHERS["standard"].hash(PASSWORD))
        )
        session.commit()


def race(app: Starlette, attempts: list[tuple[str, str]], address: str = OFFICE) -> list[int]:
    """Post every ``(email, password)`` at the same instant, each from its own browser;
    the status codes."""
    barrier = threading.Barrier(len(attempts))
    with ExitStack() as stack:
        browsers = [stack.enter_context(browser(app, address)) for _ in attempts]

        def attempt(client: TestClient, email: str, password: str) -> int:
            barrier.wait(timeout=30)
            return int(post_login(client, email, password).status_code)

        with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
            futures = [
                pool.submit(attempt, client, email, password)
                for client, (email, password) in zip(browsers, attempts, strict=True)
            ]
            return [future.result(timeout=120) for future in futures]


def audited_reasons(engine: Engine) -> Counter[str]:
    """How many failed sign-ins the audit log shows, by reason."""
    with Session(engine) as session:
        changes = session.scalars(
            select(AuditEntry.changes).where(AuditEntry.action == "sign_in_failed")
        ).all()
    return Counter(str(change["reason"][1]) for change in changes if change)


def record_failures(engine: Engine, count: int, *, remote_addr: str) -> None:
    """``count`` recent failures from ``remote_addr``, each on an email of its own."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add_all(
            LoginFailure(email=f"guess{n}@example.com", remote_addr=remote_addr, failed_at=now)
            for n in range(count)
        )
        session.commit()


# --- one email, many guesses at once ---------------------------------------------------------


@pytest.mark.parametrize("recorded", [MAX_FAILURES - 1, 0])
def test_parallel_guesses_get_only_the_remaining_slots(
    app: Starlette, engine: Engine, office: TestClient, recorded: int
) -> None:
    add_slow_user(engine)
    for _ in range(recorded):
        assert post_login(office, EMAIL, WRONG).status_code == 400
    allowed = MAX_FAILURES - recorded

    statuses = race(app, [(EMAIL, WRONG)] * RACERS)

    assert sorted(statuses) == [400] * allowed + [429] * (RACERS - allowed)
    assert audited_reasons(engine) == {
        "invalid credentials": MAX_FAILURES,
        "throttled": RACERS - allowed,
    }
    assert failure_count(engine, EMAIL) == MAX_FAILURES
    locked = post_login(office, EMAIL, PASSWORD)
    assert locked.status_code == 429
    assert locked.text.startswith(EMAIL_LOCKED)


# --- one address, many emails ------------------------------------------------------------------


def test_an_address_is_refused_after_its_limit_and_others_are_not(
    app: Starlette, engine: Engine, office: TestClient
) -> None:
    add_user(engine, EMAIL, superuser=True)
    for n in range(MAX_ADDRESS_FAILURES):
        assert post_login(office, f"guess{n}@example.com", WRONG).status_code == 400

    another_email = post_login(office, "one-more@example.com", WRONG)
    right_password = post_login(office, EMAIL, PASSWORD)

    for refused in (another_email, right_password):
        assert refused.status_code == 429
        assert refused.text == f"{ADDRESS_LOCKED} 15 minutes."
        assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert SESSION_COOKIE not in office.cookies
    assert audited_reasons(engine) == {
        "invalid credentials": MAX_ADDRESS_FAILURES,
        "throttled": 2,
    }
    # The refusals did not count as failures of the email: elsewhere it signs in at once.
    assert failure_count(engine, EMAIL) == 0
    with browser(app, ELSEWHERE) as colleague:
        assert post_login(colleague, EMAIL, PASSWORD).status_code == 302
        assert SESSION_COOKIE in colleague.cookies


def test_parallel_guesses_from_one_address_get_only_its_last_slot(
    app: Starlette, engine: Engine
) -> None:
    add_slow_user(engine)
    record_failures(engine, MAX_ADDRESS_FAILURES - 1, remote_addr=OFFICE)

    statuses = race(app, [(f"racer{n}@example.com", WRONG) for n in range(RACERS)])

    assert sorted(statuses) == [400] + [429] * (RACERS - 1)
    assert audited_reasons(engine) == {"invalid credentials": 1, "throttled": RACERS - 1}
