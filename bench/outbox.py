"""Notifications delivered per second: 1 and 2 worker processes, a local SMTP server.

    python -m bench.outbox --database-url postgresql://postgres@127.0.0.1:5432/bench_outbox \
        --messages 1000

The database is migrated to head and its outbox emptied first (use a throwaway database).
Each round queues ``--messages`` messages, starts N ``python -m admin_app worker --once``
processes against an aiosmtpd server in this process, and reports messages per second from
the first to the last ``sent_at`` (process start-up is not counted). Every message must
arrive exactly once, or the round fails.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from admin_app import outbox
from admin_app.settings import normalize_database_url
from models import OutboxMessage

ROOT = Path(__file__).resolve().parent.parent


class _Counting:
    """An SMTP DATA hook that counts Message-IDs."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.seen[line.split(b":", 1)[1].strip().decode()] += 1
                break
        return "250 OK"


def _round(database_url: str, messages: int, workers: int, smtp_url: str) -> float:
    engine = create_engine(database_url)
    with Session(engine) as session, session.begin():
        session.execute(delete(OutboxMessage))
        for number in range(messages):
            outbox.enqueue(
                session,
                key=f"bench:{workers}:{number}",
                kind="bench",
                recipients=["band@example.com"],
                subject=f"Message {number}",
                text="Your show is confirmed: Sat 05 Dec 2026 20:00-23:00 (Europe/Berlin).\n",
                html="<p>Your show is confirmed.</p>",
            )
    env = {**os.environ, "DATABASE_URL": database_url, "SMTP_URL": smtp_url,
           "MAIL_FROM": "bench@example.com"}  # fmt: skip
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "admin_app", "worker", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for process in processes:
        if process.wait(timeout=600) != 0:
            raise SystemExit(f"a worker exited with {process.returncode}")
    with Session(engine) as session:
        first, last, sent = session.execute(
            select(
                func.min(OutboxMessage.sent_at),
                func.max(OutboxMessage.sent_at),
                func.count().filter(OutboxMessage.status == "sent"),
            )
        ).one()
    engine.dispose()
    if sent != messages or first is None or last is None:
        raise SystemExit(f"{sent} of {messages} messages sent")
    return float(messages / max((last - first).total_seconds(), 1e-6))


def main() -> None:
    """Run the rounds and print one line per worker count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    database_url = normalize_database_url(args.database_url)
    config = Config(str(ROOT / "alembic.ini"))
    os.environ["DATABASE_URL"] = database_url
    command.upgrade(config, "head")
    handler = _Counting()
    with socket.socket() as probe:  # a free port for the SMTP server
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_url = f"smtp://127.0.0.1:{port}"
        for workers in (1, 2):
            handler.seen.clear()
            rate = _round(database_url, args.messages, workers, smtp_url)
            duplicates = sum(count - 1 for count in handler.seen.values())
            if len(handler.seen) != args.messages or duplicates:
                raise SystemExit(f"{len(handler.seen)} distinct, {duplicates} duplicates")
            done = f"{args.messages} messages, 0 lost, 0 twice"
            print(f"{workers} worker(s): {rate:.0f} messages/s ({done})")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
