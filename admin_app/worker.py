"""The worker process (``python -m admin_app worker``): delivers the outbox.

One message at a time: claim it (a short transaction), send it with no transaction open,
record the outcome (another short one). Told to stop (SIGTERM: Heroku allows 30 s before
SIGKILL; SIGINT), it finishes the message in hand — one SMTP conversation, bounded by
``SMTP_TIMEOUT`` — records it, and exits; nothing is lost or sent twice. Killed outright,
it leaves its claim to lapse (``OUTBOX_LEASE_SECONDS``) and another worker sends the
message. Scheduled jobs (``jobs``) run between batches, e.g. releasing expired holds.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType

from sqlalchemy.orm import Session, sessionmaker

from admin_app import outbox
from admin_app.mail import DeliveryError, Transport, build_email

logger = logging.getLogger("admin_app.worker")

# A job run between batches (it opens its own transactions); returns how much it did.
Job = Callable[[], int]


def new_worker_id() -> str:
    """Names this process's claims: host, pid and a random part (pids repeat on dynos)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Worker:
    """Drains the outbox of one database through one transport."""

    sessions: sessionmaker[Session]
    transport: Transport
    mail_from: str
    lease: timedelta
    poll_seconds: float = 5.0
    max_attempts: int = outbox.MAX_ATTEMPTS
    jobs: Sequence[Job] = ()
    worker_id: str = field(default_factory=new_worker_id)
    stop: threading.Event = field(default_factory=threading.Event)

    def deliver_one(self) -> bool:
        """Claim and deliver the message due longest; False when nothing is due."""
        with self.sessions.begin() as session:
            message = outbox.claim_next(session, self.worker_id, self.lease)
            if message is None:
                return False
            session.expunge(message)  # read after the commit, without a session
        try:
            self.transport.send(build_email(message, self.mail_from))
        except DeliveryError as error:
            with self.sessions.begin() as session:
                status = outbox.mark_attempt_failed(
                    session, message, self.worker_id, str(error), max_attempts=self.max_attempts
                )
            logger.warning(
                "message %s (%s), attempt %s: %s -> %s",
                message.id, message.kind, message.attempts, error, status,
            )  # fmt: skip
            return True
        with self.sessions.begin() as session:
            recorded = outbox.mark_delivered(
                session, message.id, self.worker_id, logged=self.transport.logs_only
            )
        if not recorded:
            # The claim lapsed mid-send and another worker took the message over.
            logger.warning("message %s: delivered after its claim lapsed", message.id)
        return True

    def drain(self) -> int:
        """Deliver every message due now (until told to stop); how many were attempted."""
        attempted = 0
        while not self.stop.is_set() and self.deliver_one():
            attempted += 1
        return attempted

    def run_jobs(self) -> None:
        """Run each scheduled job; a failing one is logged, not fatal (it runs again next
        pass)."""
        for job in self.jobs:
            name = getattr(job, "__name__", repr(job))
            try:
                done = job()
            except Exception:
                logger.exception("scheduled job %s failed", name)
                continue
            if done:
                logger.info("%s: %s", name, done)

    def run(self) -> None:
        """Work until told to stop."""
        logger.info("worker %s started", self.worker_id)
        while not self.stop.is_set():
            self.run_jobs()
            self.drain()
            self.stop.wait(self.poll_seconds)
        logger.info("worker %s stopped", self.worker_id)

    def stop_on_signals(self) -> None:
        """SIGTERM and SIGINT ask the worker to stop after the message in hand."""

        def handle(signum: int, frame: FrameType | None) -> None:
            logger.info("worker %s: %s, stopping", self.worker_id, signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
