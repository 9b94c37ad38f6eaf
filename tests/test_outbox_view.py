"""The outbox as ops see it: superusers only, read-only, with "retry now" for a failed
message (a POST, audited)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app import outbox
from models import AuditEntry, OutboxMessage, User
from tests.auth_support import SAME_ORIGIN, add_user, mint_session
from tests.console_views_support import sign_in_superuser


def _failed_message(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        outbox.enqueue(
            session, key="event:4:confirmed", kind="event_confirmed",
            recipients=["ana@band.example"], subject="Confirmed: <Late> Show", text="On.",
        )  # fmt: skip
        session.execute(
            update(OutboxMessage).values(
                status="failed", attempts=8, last_error="mail.example answered 550 No such user"
            )
        )
        return session.scalars(select(OutboxMessage.id)).one()


def test_ops_read_a_failed_message_and_retry_it(client: TestClient, engine: Engine) -> None:
    message_id = _failed_message(engine)
    sign_in_superuser(client, engine)

    listing = client.get("/admin/outbox-message/list")
    assert listing.status_code == 200
    assert "550 No such user" in listing.text
    assert "Confirmed: &lt;Late&gt; Show" in listing.text  # escaped
    details = client.get(f"/admin/outbox-message/details/{message_id}")
    assert 'data-testid="retry"' in details.text
    # Its kind in words, and when it was queued to the minute, the zone named once.
    assert "Event confirmed" in details.text
    assert "event_confirmed" not in details.text
    assert re.search(r"\w{3} \d\d \w{3} \d{4} \d\d:\d\d \(UTC\)", details.text)
    assert "(UTC)</th>" not in details.text

    answer = client.post(
        f"/admin/outbox-message/retry/{message_id}", headers=SAME_ORIGIN, follow_redirects=True
    )

    assert answer.status_code == 200
    assert "Queued again: Confirmed: &lt;Late&gt; Show." in answer.text
    with Session(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert (message.status, message.attempts) == ("pending", 0)
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "retry_message"))
        assert entry.object_id == str(message_id)
    # Once pending, there is nothing to retry from a stale page: said, not a 500.
    again = client.post(
        f"/admin/outbox-message/retry/{message_id}", headers=SAME_ORIGIN, follow_redirects=True
    )
    assert again.status_code == 200


def test_a_sent_message_cannot_be_retried(client: TestClient, engine: Engine) -> None:
    message_id = _failed_message(engine)
    with Session(engine) as session, session.begin():
        session.execute(update(OutboxMessage).values(status="sent"))
    sign_in_superuser(client, engine)

    answer = client.post(
        f"/admin/outbox-message/retry/{message_id}", headers=SAME_ORIGIN, follow_redirects=True
    )

    assert "Only a failed or waiting message can be retried." in answer.text
    with Session(engine) as session:
        assert session.scalar(select(OutboxMessage.status)) == "sent"


def test_staff_neither_see_nor_retry_the_outbox(client: TestClient, engine: Engine) -> None:
    message_id = _failed_message(engine)
    mint_session(client, add_user(engine, "staff@venue.example", staff=True))

    assert "Outbox" not in client.get("/admin/").text
    assert client.get("/admin/outbox-message/list").status_code in (403, 404)
    retry = client.post(f"/admin/outbox-message/retry/{message_id}", headers=SAME_ORIGIN)
    assert retry.status_code in (403, 404)
    with Session(engine) as session:
        assert session.scalar(select(OutboxMessage.status)) == "failed"


def test_a_cross_site_retry_is_refused(client: TestClient, engine: Engine) -> None:
    message_id = _failed_message(engine)
    sign_in_superuser(client, engine)

    answer = client.post(
        f"/admin/outbox-message/retry/{message_id}", headers={"Origin": "https://evil.example"}
    )

    assert answer.status_code == 403
    with Session(engine) as session:
        assert session.scalar(select(OutboxMessage.status)) == "failed"


def test_a_person_turns_booking_notifications_off_and_on(
    client: TestClient, engine: Engine
) -> None:
    user_id = add_user(engine, "door@venue.example", staff=True)
    mint_session(client, user_id)
    page = client.get("/admin/account/notifications")
    assert page.status_code == 200
    assert 'name="wants_notifications"\n          checked' in page.text

    off = client.post(
        "/admin/account/notifications", data={}, headers=SAME_ORIGIN, follow_redirects=False
    )

    assert off.status_code == 303  # post/redirect/get: a reload does not post again
    page = client.get(off.headers["location"])
    assert "only essential messages" in page.text
    assert "checked" not in page.text.split('name="wants_notifications"')[1].split(">")[0]
    with Session(engine) as session:
        assert session.get(User, user_id).wants_notifications is False  # type: ignore[union-attr]
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "set_notifications")
        )
        assert entry.changes == {"wants_notifications": [True, False]}

    client.post(
        "/admin/account/notifications", data={"wants_notifications": "on"}, headers=SAME_ORIGIN
    )
    with Session(engine) as session:
        assert session.get(User, user_id).wants_notifications is True  # type: ignore[union-attr]


def test_a_cross_site_post_cannot_silence_someone(client: TestClient, engine: Engine) -> None:
    user_id = add_user(engine, "door@venue.example", staff=True)
    mint_session(client, user_id)

    answer = client.post(
        "/admin/account/notifications", data={}, headers={"Origin": "https://evil.example"}
    )

    assert answer.status_code == 403
    with Session(engine) as session:
        assert session.get(User, user_id).wants_notifications is True  # type: ignore[union-attr]
