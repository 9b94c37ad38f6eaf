"""A calendar feed's URL is its secret: no log line the server writes holds the token.

The log names a feed by ``redacted-`` and the first 8 hex digits of the token's SHA-256
(the start of the ``feed_token_hash`` stored for it), so an operator can still tell one
feed's requests from another's.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.feed_tokens import issue_token
from tests.browser import LiveServer, get, running_server
from tests.reliability.faults import database_away
from tests.support import POSTGRES_ONLY
from tests.worlds import rows


def redacted(token: str) -> str:
    """What the log shows in the token's place."""
    return "redacted-" + hashlib.sha256(token.encode()).hexdigest()[:8]


def issue_feeds(engine: Engine) -> tuple[str, str]:
    """(venue token, band token): a venue and a band, each with a live feed."""
    with Session(engine, expire_on_commit=False) as session:
        venue_token = issue_token(session, rows.venue(session))
        band_token = issue_token(session, rows.band(session))
        session.commit()
    return venue_token, band_token


def logged_lines(server: LiveServer, count: int) -> str:
    """The server's output once it holds ``count`` access log lines for feeds."""
    # uvicorn writes the line as it answers; the client may read the answer first.
    deadline = time.monotonic() + 5
    while server.output().count('"GET /') < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.output()


@pytest.mark.e2e
def test_the_access_log_names_feeds_without_their_tokens(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    venue_token, band_token = issue_feeds(engine)
    unknown_token = secrets.token_urlsafe(32)
    requests = [
        (f"/feeds/venue/{venue_token}.ics", 200),
        (f"/feeds/band/{band_token}.ics?refresh=1", 200),
        (f"/feeds/venue/{unknown_token}.ics", 404),
        # Miswritten feed URLs still hold the secret: one is redirected, one is not found.
        (f"/feeds/band/{band_token}.ics/", 200),
        (f"/FEEDS/VENUE/{venue_token}.ics", 404),
    ]

    with running_server(db_url, tmp_path) as server:
        for path, status in requests:
            assert get(server.url + path)[0] == status, path
        # One line each, the redirect's second request and the health check.
        log = logged_lines(server, count=len(requests) + 2)

    for token in (venue_token, band_token, unknown_token):
        assert token not in log, log
    assert f'"GET /feeds/venue/{redacted(venue_token)}.ics HTTP/1.1" 200' in log, log
    assert f'"GET /feeds/band/{redacted(band_token)}.ics?refresh=1 HTTP/1.1" 200' in log, log
    assert f'"GET /feeds/venue/{redacted(unknown_token)}.ics HTTP/1.1" 404' in log, log
    assert f"/FEEDS/VENUE/{redacted(venue_token)}.ics" in log, log


@POSTGRES_ONLY
def test_a_feed_asked_for_during_an_outage_is_logged_without_its_token(
    client: TestClient, engine: Engine, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    venue_token, _ = issue_feeds(engine)
    caplog.set_level(logging.WARNING, logger="admin_app")

    with database_away(db_url):
        response = client.get(f"/feeds/venue/{venue_token}.ics")

    assert response.status_code == 503
    assert f"GET /feeds/venue/{redacted(venue_token)}.ics -> 503" in caplog.text
    assert venue_token not in caplog.text
