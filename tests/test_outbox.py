"""The outbox and its worker against a real SMTP server (aiosmtpd) and both databases.

A message exists only if the transaction that queued it committed; the worker hands each
one to the mail server once, retries refusals and timeouts with backoff, then gives up
and says why; two workers never send one message twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from admin_app import outbox
from admin_app.mail import LogTransport, SmtpTransport
from admin_app.worker import Worker
from models import OutboxMessage
from tests.smtp_support import SmtpServer, smtp_server

LEASE = timedelta(minutes=5)
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
    "UID:event-7@bands.example\r\nDTSTAMP:20261129T090000Z\r\n"
    "DTSTART:20261205T190000Z\r\nDTEND:20261205T220000Z\r\nSUMMARY:Late Show\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _worker(sessions: sessionmaker[Session], server: SmtpServer, **options: object) -> Worker:
    transport = SmtpTransport.from_url(server.url, timeout=float(options.pop("timeout", 5.0)))  # type: ignore[arg-type]
    return Worker(
        sessions=sessions,
        transport=transport,
        mail_from="Lantern Hall <bookings@lantern.example>",
        lease=LEASE,
        **options,  # type: ignore[arg-type]
    )


def _queue(
    sessions: sessionmaker[Session], key: str = "application:1:accepted", **extra: object
) -> None:
    values: dict[str, object] = {
        "key": key,
        "kind": "application_accepted",
        "recipients": ["ana@band.example", "Ben@Band.example"],
        "subject": "You are playing Lantern Hall on Sat 5 Dec",
        "text": "Accepted: Late Show, Sat 05 Dec 2026 20:00-23:00 (Europe/Berlin).",
        "html": "<p>Accepted: <b>Late Show</b></p>",
    }
    values.update(extra)
    with sessions.begin() as session:
        outbox.enqueue(session, **values)  # type: ignore[arg-type]


def _messages(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _make_due(sessions: sessionmaker[Session]) -> None:
    """Move every retry's next attempt to now, as the clock would."""
    with sessions.begin() as session:
        session.execute(update(OutboxMessage).values(next_attempt_at=datetime.now(UTC)))


def test_a_committed_message_arrives_with_its_parts(
    sessions: sessionmaker[Session], server: SmtpServer
) -> None:
    attachment = outbox.Attachment("show.ics", "text/calendar; method=PUBLISH", ICS)
    _queue(sessions, attachments=[attachment])

    assert _worker(sessions, server).drain() == 1

    [received] = server.handler.received
    assert received.recipients == ["ana@band.example", "ben@band.example"]
    assert received.mail_from == "bookings@lantern.example"
    email = received.message
    assert email["Subject"] == "You are playing Lantern Hall on Sat 5 Dec"
    plain, html = (email.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert plain is not None
    assert html is not None
    assert "(Europe/Berlin)" in plain.get_content()
    assert "<b>Late Show</b>" in html.get_content()
    [ics] = [part for part in email.iter_attachments() if part.get_filename() == "show.ics"]
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "PUBLISH"
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "event-7@bands.example"
    [message] = _messages(sessions)
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)
    assert message.sent_at is not None
    assert message.claimed_by is None


def test_a_rolled_back_decision_leaves_no_message(
    sessions: sessionmaker[Session], server: SmtpServer
) -> None:
    with sessions() as session, session.begin():
        outbox.enqueue(
            session, key="event:3:confirmed", kind="event_confirmed",
            recipients=["ana@band.example"], subject="Confirmed", text="Confirmed.",
        )  # fmt: skip
        session.rollback()

    assert _messages(sessions) == []
    assert _worker(sessions, server).drain() == 0
    assert server.handler.received == []


def test_one_cause_queues_one_message(sessions: sessionmaker[Session], server: SmtpServer) -> None:
    _queue(sessions)
    _queue(sessions, subject="A second attempt at the same news")
    with sessions.begin() as session:
        queued = outbox.enqueue(
            session, key="x", kind="k", recipients=[" ", ""], subject="s", text="t"
        )

    assert queued is False  # nobody to tell: nothing queued
    assert [message.subject for message in _messages(sessions)] == [
        "You are playing Lantern Hall on Sat 5 Dec"
    ]
    _worker(sessions, server).drain()
    assert len(server.handler.received) == 1


def test_a_refusing_server_is_retried_with_backoff_then_the_message_fails(
    sessions: sessionmaker[Session], server: SmtpServer
) -> None:
    server.handler.refuse_with = "550 Mailbox unavailable"
    _queue(sessions)
    worker = _worker(sessions, server, max_attempts=3)

    started = datetime.now(UTC)
    assert worker.drain() == 1  # tried once; the retry is not due yet
    [message] = _messages(sessions)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "550 Mailbox unavailable" in (message.last_error or "")
    assert timedelta(seconds=29) <= message.next_attempt_at - started <= timedelta(seconds=40)

    _make_due(sessions)
    worker.drain()
    [message] = _messages(sessions)
    assert (message.status, message.attempts) == ("pending", 2)
    assert message.next_attempt_at - datetime.now(UTC) > timedelta(seconds=55)  # doubled

    _make_due(sessions)
    worker.drain()
    [message] = _messages(sessions)
    assert (message.status, message.attempts) == ("failed", 3)
    _make_due(sessions)
    assert worker.drain() == 0  # failed messages wait for a person
    assert server.handler.received == []

    # The server is fixed; ops press "retry now".
    server.handler.refuse_with = None
    with sessions.begin() as session:
        assert outbox.retry_now(session, message.id) is not None
    assert worker.drain() == 1
    assert [m.status for m in _messages(sessions)] == ["sent"]
    assert len(server.handler.received) == 1


def test_a_hanging_server_times_out_and_the_message_waits_for_a_retry(
    sessions: sessionmaker[Session], server: SmtpServer
) -> None:
    server.handler.stall_seconds = 8.0
    _queue(sessions)

    started = time.monotonic()
    _worker(sessions, server, timeout=0.5).drain()

    assert time.monotonic() - started < 6  # gave up at the timeout, not at the server (8 s)
    [message] = _messages(sessions)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "timed out" in (message.last_error or "").lower()


def test_without_a_mail_server_messages_go_to_the_log(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    _queue(sessions)
    worker = Worker(
        sessions=sessions, transport=LogTransport(), mail_from="x@y.example", lease=LEASE
    )

    with caplog.at_level("INFO", logger="admin_app.mail"):
        assert worker.drain() == 1

    assert "You are playing Lantern Hall on Sat 5 Dec" in caplog.text
    assert "ana@band.example" in caplog.text
    assert [message.status for message in _messages(sessions)] == ["logged"]


def test_a_lapsed_claim_is_taken_over_and_the_message_sent(
    sessions: sessionmaker[Session], server: SmtpServer
) -> None:
    """A worker that died mid-send: once its claim lapses, another one sends the message."""
    _queue(sessions)
    with sessions.begin() as session:
        dead = outbox.claim_next(session, "dead-worker", timedelta(seconds=-1))
        assert dead is not None

    assert _worker(sessions, server).drain() == 1

    [message] = _messages(sessions)
    assert (message.status, message.attempts, message.claimed_by) == ("sent", 2, None)
    assert len(server.handler.received) == 1
    with sessions.begin() as session:  # the dead worker's late word changes nothing
        assert outbox.mark_delivered(session, message.id, "dead-worker") is False


def test_two_workers_send_every_message_exactly_once(
    sessions: sessionmaker[Session], server: SmtpServer
) -> None:
    for number in range(30):
        _queue(sessions, key=f"application:{number}:accepted", subject=f"Message {number}")
    workers = [_worker(sessions, server) for _ in range(2)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda w=w: counts.append(w.drain())) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    ids = server.handler.message_ids()
    assert len(ids) == 30
    assert len(set(ids)) == 30
    assert sum(counts) == 30
    assert {message.status for message in _messages(sessions)} == {"sent"}
    assert {message.attempts for message in _messages(sessions)} == {1}


def test_the_oldest_due_message_age(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert outbox.oldest_due_age(session) == 0.0
    _queue(sessions)
    with sessions.begin() as session:
        session.execute(
            update(OutboxMessage).values(next_attempt_at=datetime.now(UTC) - timedelta(minutes=3))
        )
    with sessions() as session:
        assert 175 <= outbox.oldest_due_age(session) <= 200
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)]
)
def test_retries_back_off_exponentially_up_to_an_hour(attempts: int, seconds: int) -> None:
    assert outbox.retry_delay(attempts) == timedelta(seconds=seconds)
