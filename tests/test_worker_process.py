"""The worker as the platform runs it: ``python -m admin_app worker``, stopped by SIGTERM
(finishes the message in hand, sends nothing twice) or killed outright (the message is
sent after a restart, at most once more)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from admin_app import outbox
from models import OutboxMessage
from tests.browser import admin_env, run_admin
from tests.smtp_support import SmtpServer, smtp_server
from tests.support import ROOT

# Long enough that no claim lapses by itself during a test, however slow the machine: the
# test that needs a lapsed claim moves the clock (claimed_until) instead.
LEASE_SECONDS = 600


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


def _queue(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        outbox.enqueue(
            session,
            key="event:9:confirmed",
            kind="event_confirmed",
            recipients=["ana@band.example"],
            subject="Confirmed: Late Show",
            text="Confirmed.",
        )


def _message(engine: Engine) -> OutboxMessage:
    with Session(engine, expire_on_commit=False) as session:
        return session.scalars(select(OutboxMessage)).one()


def _env(db_url: str, server: SmtpServer) -> dict[str, str]:
    return admin_env(
        db_url,
        SMTP_URL=server.url,
        MAIL_FROM="Lantern Hall <bookings@lantern.example>",
        OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
        WORKER_POLL_SECONDS="0.2",
    )


def _start_worker_caught_mid_send(db_url: str, server: SmtpServer) -> subprocess.Popen[str]:
    """A worker process whose first message the server holds (DATA received, no answer)."""
    server.handler.hold = threading.Event()
    process = subprocess.Popen(
        [sys.executable, "-m", "admin_app", "worker"],
        cwd=ROOT,
        env=_env(db_url, server),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if not server.handler.arrived.wait(timeout=60):
        process.kill()
        pytest.fail(f"the worker sent nothing: {process.communicate()[0]}")
    return process


def test_sigterm_lets_the_worker_finish_the_message_in_hand(
    engine: Engine, db_url: str, server: SmtpServer
) -> None:
    _queue(engine)
    worker = _start_worker_caught_mid_send(db_url, server)

    worker.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert worker.poll() is None  # still finishing its conversation with the server
    assert server.handler.hold is not None
    server.handler.hold.set()
    output, _ = worker.communicate(timeout=30)

    assert worker.returncode == 0, output
    assert "SIGTERM, stopping" in output
    message = _message(engine)
    assert (message.status, message.attempts) == ("sent", 1)
    assert len(server.handler.received) == 1
    # Nothing is left to send twice.
    server.handler.hold = None
    done = _run_once(db_url, server)
    assert "Attempted 0 message(s)." in done.stdout, done.stderr
    assert len(server.handler.received) == 1


def _run_once(db_url: str, server: SmtpServer) -> subprocess.CompletedProcess[str]:
    """``python -m admin_app worker --once`` against ``server``."""
    return run_admin(
        "worker", "--once", database_url=db_url,
        SMTP_URL=server.url, MAIL_FROM="Lantern Hall <bookings@lantern.example>",
    )  # fmt: skip


def test_a_killed_worker_s_message_is_sent_after_a_restart_at_most_once_more(
    engine: Engine, db_url: str, server: SmtpServer
) -> None:
    _queue(engine)
    worker = _start_worker_caught_mid_send(db_url, server)

    worker.kill()  # SIGKILL: no chance to record anything
    worker.communicate(timeout=30)
    assert server.handler.hold is not None
    server.handler.hold.set()
    assert _message(engine).status == "sending"  # its claim stands until the lease lapses
    server.handler.hold = None

    early = _run_once(db_url, server)
    assert "Attempted 0 message(s)." in early.stdout, early.stderr  # the claim still holds
    with Session(engine) as session, session.begin():  # as the clock would, a lease later
        session.execute(
            update(OutboxMessage).values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    restarted = _run_once(db_url, server)

    assert "Attempted 1 message(s)." in restarted.stdout, restarted.stderr
    message = _message(engine)
    assert (message.status, message.attempts) == ("sent", 2)
    ids = server.handler.message_ids()
    assert len(ids) == 2  # the one the dead worker got through, and the retry
    assert ids[0] == ids[1]  # one Message-ID: mail clients show it once


def test_the_worker_refuses_to_start_on_a_database_behind_the_code(empty_db_url: str) -> None:
    result = run_admin("worker", "--once", database_url=empty_db_url)

    assert result.returncode == 1
    assert "refusing to start" in result.stderr
    assert "alembic upgrade head" in result.stderr


def test_without_smtp_the_worker_logs_each_message(engine: Engine, db_url: str) -> None:
    _queue(engine)

    result = run_admin("worker", "--once", database_url=db_url)

    assert result.returncode == 0, result.stderr
    assert "Confirmed: Late Show" in result.stderr  # the log
    assert _message(engine).status == "logged"
