"""Each decision that should tell someone queues its message in its own transaction: the
message exists exactly when the decision committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app import booking, holds
from admin_app.db import build_sessionmaker
from models import Event, OutboxMessage
from tests.auth_support import SAME_ORIGIN
from tests.browser import run_admin
from tests.console_views_support import event_form, post_form, sign_in_superuser
from tests.worlds import rows
from tests.worlds.booking import Booking, build_booking


@pytest.fixture
def world(db_session: Session) -> Booking:
    booking_world = build_booking(db_session)
    for email in ("amy@testers.example", "bo@testers.example"):
        rows.member(db_session, booking_world.band, rows.user(db_session, email, password=None))
    db_session.flush()
    return booking_world


def _kinds(session: Session) -> list[tuple[str, list[str]]]:
    messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(message.kind, message.recipients) for message in messages]


BAND = ["amy@testers.example", "bo@testers.example"]
LIDO_STAFF = ["anna@example.com"]


def test_accepting_and_rejecting_tell_the_band(world: Booking) -> None:
    show = world.event("Show", world.berlin)
    accepted = world.application(show)
    rejected = world.application(world.event("Other", world.berlin, start=24), world.band)

    booking.accept_application(world.session, accepted.id, world.staff_berlin)
    booking.reject_application(world.session, rejected.id, world.staff_berlin)

    assert _kinds(world.session) == [
        ("application_accepted", BAND),
        ("application_rejected", BAND),
    ]


def test_a_refused_decision_queues_nothing(world: Booking) -> None:
    first = world.event("First", world.berlin, status="confirmed")
    world.application(first, status="accepted")
    clash = world.event("Clash", world.newyork, start=1, status="confirmed")
    application = world.application(clash)

    with pytest.raises(booking.BandDoubleBooked):
        booking.accept_application(world.session, application.id, world.root)

    assert _kinds(world.session) == []


def test_confirming_and_cancelling_tell_bands_and_staff(world: Booking) -> None:
    show = world.event("Show", world.berlin, status="hold")
    world.application(show, status="accepted")

    booking.confirm_event(world.session, show.id, world.staff_berlin)
    booking.cancel_event(world.session, show.id, world.staff_berlin)

    assert _kinds(world.session) == [
        ("event_confirmed", BAND),
        ("event_confirmed", LIDO_STAFF),
        ("event_cancelled", BAND),
        ("event_cancelled", LIDO_STAFF),
    ]
    confirmed = world.session.scalars(select(OutboxMessage)).first()
    assert confirmed is not None
    assert [a["filename"] for a in confirmed.attachments] == ["show.ics"]


def test_releasing_the_other_holds_tells_the_staff(world: Booking) -> None:
    winner = world.event("Winner", world.berlin, status="hold")
    other = world.event("Other", world.berlin, status="hold")
    other.hold_rank = 2
    world.session.flush()
    booking.confirm_event(world.session, winner.id, world.staff_berlin)

    holds.release_other_holds(world.session, winner.id, world.staff_berlin, [other.id])

    released = [kind for kind, _ in _kinds(world.session) if kind == "hold_released"]
    assert released == ["hold_released"]
    message = world.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "hold_released")
    ).one()
    assert message.recipients == LIDO_STAFF
    assert "was released" in message.text_body


def test_moving_a_confirmed_show_in_its_form_tells_everyone(
    client: TestClient, engine: Engine
) -> None:
    with rows.committed(engine) as session:
        world = build_booking(session)
        rows.member(session, world.band, rows.user(session, BAND[0], password=None))
        show = world.event("Show", world.berlin, status="confirmed")
        world.application(show, status="accepted")
        show_id, venue_id, version = show.id, world.berlin.id, show.version
    sign_in_superuser(client, engine)

    answer = post_form(
        client,
        f"/admin/event/edit/{show_id}",
        event_form(
            venue_id, title="Show", starts_at="2026-12-05T21:00", ends_at="2026-12-05T23:30",
            version=str(version),
        ),
    )  # fmt: skip

    assert answer.status_code == 302, answer.text
    with Session(engine) as session:
        moved = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.recipients) for m in moved] == [
        ("event_moved", [BAND[0]]),
        ("event_moved", LIDO_STAFF),
    ]
    assert "Now: Sat 05 Dec 2026 21:00-23:30 (Europe/Berlin)" in moved[0].text_body
    assert "Before: Sat 05 Dec 2026 20:00-23:00 (Europe/Berlin)" in moved[0].text_body


def test_the_worker_releases_expired_holds_and_their_messages_go_out(
    engine: Engine, db_url: str
) -> None:
    with rows.committed(engine) as session:
        world = build_booking(session)
        lapsed = world.event("Lapsed", world.berlin, status="hold")
        lapsed.hold_expires_at = datetime.now(UTC) - timedelta(hours=1)

    result = run_admin("worker", "--once", database_url=db_url)

    assert result.returncode == 0, result.stderr
    sessions = build_sessionmaker(engine)
    with sessions() as session:
        assert session.scalar(select(Event.status).where(Event.title == "Lapsed")) == "cancelled"
        [message] = session.scalars(select(OutboxMessage)).all()
    assert (message.kind, message.status) == ("hold_released", "logged")  # no SMTP_URL: logged
    assert "Hold released" in result.stderr


def test_a_decision_through_the_console_commits_its_message(
    client: TestClient, engine: Engine
) -> None:
    with rows.committed(engine) as session:
        world = build_booking(session)
        rows.member(session, world.band, rows.user(session, BAND[0], password=None))
        application = world.application(world.event("Show", world.berlin))
        application_id, version = application.id, application.version
    sign_in_superuser(client, engine)

    client.post(
        f"/admin/event-application/decide/{application_id}",
        data={"decision": "accept", "version": str(version)},
        headers=SAME_ORIGIN,
    )

    with Session(engine) as session:
        assert [m.kind for m in session.scalars(select(OutboxMessage))] == ["application_accepted"]
