"""The client address everything records is the one the trusted routers appended.

Before: uvicorn trusted ``X-Forwarded-For`` from anyone and took its left-most entry, which
the client writes, so every audit entry's address (sign-ins included) could be forged.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.app import create_app
from models import AuditEntry
from tests.auth_support import PASSWORD, add_user
from tests.support import make_settings

EMAIL = "ops@example.com"


@pytest.fixture
def behind(db_url: str, engine: Engine) -> Iterator[dict[int, TestClient]]:
    """A client of the app configured with 0, 1 and 2 trusted routers."""
    add_user(engine, EMAIL, superuser=True)
    clients = {
        hops: TestClient(create_app(make_settings(db_url, trusted_proxy_hops=hops)))
        for hops in (0, 1, 2)
    }
    yield clients
    for client in clients.values():
        client.close()
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


def sign_in_from(client: TestClient, forwarded_for: str | None) -> str | None:
    """Sign in through the form with this X-Forwarded-For; the address the audit recorded."""
    headers = {"Origin": "http://testserver"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    response = client.post(
        "/admin/login",
        data={"username": EMAIL, "password": PASSWORD},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return session.scalars(
            select(AuditEntry.remote_addr)
            .where(AuditEntry.action == "sign_in")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).one()


@pytest.mark.parametrize(
    ("hops", "forwarded_for", "recorded"),
    [
        # Heroku: the router appends the address it saw; the client wrote the rest.
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "10.6.6.6, 203.0.113.7", "203.0.113.7"),
        (1, "10.6.6.6,10.7.7.7, 203.0.113.7", "203.0.113.7"),
        # Two routers (a CDN, then Heroku): the outer one's entry is the client.
        (2, "10.6.6.6, 198.51.100.4, 203.0.113.7", "198.51.100.4"),
        # Fewer entries than routers: not through them; the socket peer stands.
        (2, "203.0.113.7", "testclient"),
        (1, None, "testclient"),
        # No routers trusted: the header is ignored whoever sends it.
        (0, "10.6.6.6", "testclient"),
        # What a router writes is an address; garbage in its place is not trusted.
        (1, "203.0.113.7, not-an-ip", "testclient"),
    ],
)
def test_the_audit_records_the_address_the_router_appended(
    behind: dict[int, TestClient], hops: int, forwarded_for: str | None, recorded: str
) -> None:
    assert sign_in_from(behind[hops], forwarded_for) == recorded


def test_the_scheme_is_the_routers_only_through_the_routers(
    behind: dict[int, TestClient],
) -> None:
    """Behind TLS-ending routers, links and redirects stay https; a direct client cannot
    make the app believe it is on https."""
    through = behind[1].get(
        "/admin/login", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    direct = behind[0].get("/admin/login", headers={"X-Forwarded-Proto": "https"})
    assert 'action="https://testserver/admin/login"' in through.text
    assert 'action="http://testserver/admin/login"' in direct.text
