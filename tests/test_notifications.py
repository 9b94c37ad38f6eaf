"""What people are told: recipients, wording on the venue's clock, the show as .ics with the
feed's UID, links to the console, and each person's choice to hear only what is essential."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from admin_app import notifications
from admin_app.calendars.feeds import event_uid
from admin_app.db import PUBLIC_BASE_URL_KEY, build_sessionmaker
from admin_app.mail import SmtpTransport
from admin_app.worker import Worker
from models import Event, EventApplication, OutboxMessage
from tests.smtp_support import smtp_server
from tests.worlds import rows

BASE_URL = "https://admin.lantern.example"


def _world(session: Session) -> tuple[Event, EventApplication]:
    """A Berlin venue with two staff, a band of four (one inactive, one opted out)."""
    venue = rows.venue(session, "Lantern <Hall>", timezone="Europe/Berlin")
    for email in ("manager@lantern.example", "door@lantern.example"):
        rows.staff(session, venue, rows.user(session, email, password=None), "staff")
    band = rows.band(session, "Night Owls")
    for email, active, wants in (
        ("ana@owls.example", True, True),
        ("ben@owls.example", True, True),
        ("gone@owls.example", False, True),
        ("quiet@owls.example", True, False),
    ):
        person = rows.user(session, email, password=None, active=active)
        person.wants_notifications = wants
        rows.member(session, band, person)
    # 19:30-23:00 on the Berlin clock, 5 December 2026 (UTC+1).
    event = rows.event(
        session, venue, rows.utc(2026, 12, 5, 18, 30), rows.utc(2026, 12, 5, 22),
        title="Late <Show>", status="hold",
    )  # fmt: skip
    application = rows.application(session, event, band, "accepted")
    session.flush()
    return event, application


def _queued(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_an_accepted_band_hears_it_on_the_venues_clock(db_session: Session) -> None:
    _event, application = _world(db_session)

    notifications.application_decided(db_session, application)

    [message] = _queued(db_session)
    assert message.recipients == ["ana@owls.example", "ben@owls.example"]  # active, opted in
    assert (
        message.subject
        == 'Accepted: Night Owls for "Late <Show>" at Lantern <Hall>, Sat 05 Dec 2026'
    )
    assert "When: Sat 05 Dec 2026 19:30-23:00 (Europe/Berlin)" in message.text_body
    assert "not confirmed yet" in message.text_body
    assert message.html_body is not None
    assert "Late &lt;Show&gt;" in message.html_body  # escaped in HTML
    assert "<Show>" not in message.html_body
    assert message.essential is False


def test_a_declined_band_is_told_politely(db_session: Session) -> None:
    _event, application = _world(db_session)
    application.status = "rejected"

    notifications.application_decided(db_session, application)

    [message] = _queued(db_session)
    assert message.subject.startswith("Not this time: Night Owls")
    assert "Thank you for applying." in message.text_body


def test_one_decision_queues_its_messages_once(db_session: Session) -> None:
    event, _application = _world(db_session)

    notifications.event_confirmed(db_session, event)
    notifications.event_confirmed(db_session, event)  # e.g. a retried request

    assert [m.idempotency_key for m in _queued(db_session)] == [
        f"event:{event.id}:confirmed:v{event.version}:bands",
        f"event:{event.id}:confirmed:v{event.version}:staff",
    ]


def test_staff_links_use_the_public_address(db_session: Session) -> None:
    event, _application = _world(db_session)
    db_session.info[PUBLIC_BASE_URL_KEY] = BASE_URL

    notifications.event_cancelled(db_session, event)

    bands, staff = _queued(db_session)
    assert staff.recipients == ["door@lantern.example", "manager@lantern.example"]
    assert f"{BASE_URL}/admin/event/details/{event.id}" in staff.text_body
    assert f'<a href="{BASE_URL}/admin/event/details/{event.id}">' in (staff.html_body or "")
    assert BASE_URL not in bands.text_body  # bands do not use the console
    assert "It was planned for Sat 05 Dec 2026 19:30-23:00 (Europe/Berlin)" in bands.text_body


def test_an_invite_reaches_even_someone_who_turned_notifications_off(
    db_session: Session,
) -> None:
    notifications.staff_invited(
        db_session, email="Quiet@Owls.example", venue_name="Lantern Hall", role="staff",
        link=f"{BASE_URL}/invite/abc", invite_id=7,
    )  # fmt: skip

    [message] = _queued(db_session)
    assert message.recipients == ["quiet@owls.example"]
    assert message.essential is True
    assert f"{BASE_URL}/invite/abc" in message.text_body


def test_a_confirmation_arrives_with_the_show_as_the_feeds_calendar_entry(engine: Engine) -> None:
    sessions = build_sessionmaker(engine, public_base_url=BASE_URL)
    with sessions.begin() as session:
        event, _application = _world(session)
        event.status, event.hold_rank = "confirmed", None
        session.flush()
        notifications.event_confirmed(session, event)
        event_id = event.id

    with smtp_server() as server:
        worker = Worker(
            sessions=sessions,
            transport=SmtpTransport.from_url(server.url, timeout=5),
            mail_from="Lantern Hall <bookings@lantern.example>",
            lease=timedelta(minutes=5),
        )
        assert worker.drain() == 2
        received = {tuple(item.recipients): item.message for item in server.handler.received}

    band_mail = received[("ana@owls.example", "ben@owls.example")]
    assert band_mail["Subject"] == 'Confirmed: "Late <Show>" at Lantern <Hall>, Sat 05 Dec 2026'
    [ics] = list(band_mail.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    assert str(calendar["METHOD"]) == "PUBLISH"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == event_uid(event_id)  # the venue feed's UID: no duplicate
    start = vevent.decoded("DTSTART")
    assert (start.hour, start.minute, str(start.tzinfo)) == (19, 30, "Europe/Berlin")
    staff_mail = received[("door@lantern.example", "manager@lantern.example")]
    plain = staff_mail.get_body(("plain",))
    assert plain is not None
    assert f"{BASE_URL}/admin/event/details/{event_id}" in plain.get_content()
