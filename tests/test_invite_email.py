"""With mail configured, an invite's link is also queued in the outbox, in the invite's
transaction, and the worker delivers it; without, nothing is queued (the link never
reaches a log)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.app import create_app
from admin_app.db import build_sessionmaker
from admin_app.mail import SmtpTransport
from admin_app.worker import Worker
from models import OutboxMessage
from tests.auth_support import sign_in
from tests.invite_support import GOOD_PASSWORD, link_on, send_invite, set_password
from tests.smtp_support import smtp_server
from tests.support import make_settings
from tests.worlds.three_venues import MANAGER_A, seed_world

BASE_URL = "https://admin.alpha.example"
NEWCOMER = "new.sound@example.com"


def queued(engine: Engine) -> list[OutboxMessage]:
    """Every outbox message, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_link_is_emailed_when_mail_is_configured(db_url: str, engine: Engine) -> None:
    world = seed_world(engine)
    with smtp_server() as server:
        settings = make_settings(
            db_url,
            smtp_url=server.url,
            mail_from="Alpha Hall <bookings@alpha.example>",
            public_base_url=BASE_URL,
        )
        app = create_app(settings)
        with TestClient(app, base_url="http://testserver") as manager:
            sign_in(manager, MANAGER_A)
            answer = send_invite(manager, world.venues["A"], NEWCOMER)
            assert answer.status_code == 200, answer.text
            assert "An email with this link is on its way to" in answer.text
            assert "Email is not set up" not in answer.text
            link = re.findall(rf'value="({BASE_URL}/invite/[A-Za-z0-9_-]{{43}})"', answer.text)
            assert len(link) == 1

            [message] = queued(engine)
            assert (message.kind, message.recipients, message.essential) == (
                "staff_invited", [NEWCOMER], True,
            )  # fmt: skip
            assert link[0] in message.text_body

            worker = Worker(
                sessions=build_sessionmaker(app.state.engine),
                transport=SmtpTransport.from_url(server.url, timeout=5),
                mail_from=settings.mail_from,
                lease=timedelta(minutes=5),
            )
            assert worker.drain() == 1
            [mail] = server.handler.received
            assert mail.recipients == [NEWCOMER]
            assert (
                mail.message["Subject"] == "You are invited to Alpha Hall on Band Scheduling Admin"
            )
            body = mail.message.get_body(("plain",))
            assert body is not None
            assert link[0] in body.get_content()

            # The emailed link is the page's link: it works once.
            person = TestClient(app, base_url="http://testserver")
            path = link[0].removeprefix(BASE_URL)
            done = person.post(
                path,
                data={"password": GOOD_PASSWORD, "repeated": GOOD_PASSWORD},
                headers={"Origin": "http://testserver"},
                follow_redirects=False,
            )
            assert done.status_code == 303


def test_nothing_is_queued_without_mail(client: TestClient, engine: Engine, app: Starlette) -> None:
    world = seed_world(engine)
    sign_in(client, MANAGER_A)
    answer = send_invite(client, world.venues["A"], NEWCOMER)
    link = link_on(answer.text)
    assert "Email is not set up: no message was sent." in answer.text
    assert queued(engine) == []
    # A refused invite queues nothing either.
    assert send_invite(client, world.venues["A"], "not-an-address").status_code == 400
    assert queued(engine) == []
    person = TestClient(app, base_url="http://testserver")
    assert set_password(person, link, GOOD_PASSWORD).status_code == 303
