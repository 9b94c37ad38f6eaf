"""A real SMTP server (aiosmtpd) in the test process, recording what arrives.

The server runs on its own thread and event loop on a free port. Its handler can accept
(the default), refuse every message (``refuse_with``), stall before answering
(``stall_seconds``: a hanging server), or hold each message until the test lets it go
(``hold``), which is how tests catch a worker mid-send.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support import free_port


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    """aiosmtpd's DATA hook: records each message, or misbehaves as told."""

    received: list[Received] = field(default_factory=list)
    refuse_with: str | None = None
    stall_seconds: float = 0.0
    hold: threading.Event | None = None
    # Set each time a message's DATA has arrived (before the answer is sent).
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Record the message, then answer as configured."""
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if self.refuse_with is None:
            with self.lock:
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        self.arrived.set()
        if self.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 60)
        if self.stall_seconds:
            await asyncio.sleep(self.stall_seconds)
        return self.refuse_with or "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        """The Message-ID of every message received, in arrival order."""
        with self.lock:
            return [str(item.message["Message-ID"]) for item in self.received]


@dataclass(frozen=True)
class SmtpServer:
    """A running server: its ``smtp://`` URL and its handler."""

    url: str
    handler: RecordingHandler


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """Start a recording SMTP server on a free port; stop it afterwards."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(url=f"smtp://127.0.0.1:{port}", handler=handler)
    finally:
        if handler.hold is not None:
            handler.hold.set()  # let a held conversation end so the server can stop
        controller.stop()
