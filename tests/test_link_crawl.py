"""Every link the console shows leads somewhere its reader may go.

A manager, a staff member and a superuser each follow every link on their pages, starting
at Today, over the demo data: a link that answers 403, 404, 405 or 500 is a dead end the
reader was offered (staff were shown "Decided by" and the person on a staff row as links
to user pages they may not open). Links of one shape (``/admin/event/details/<n>``) are
followed a few times each, not for every row, so the walk stays quick.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.demo import DEMO_MANAGER, DEMO_STAFF, DEMO_SUPERUSER, seed_demo
from models import User
from tests.auth_support import mint_session

HREF = re.compile(r'href="([^"#]+)"')
# Followed links of one shape, at most; the shape is the path with its numbers taken out.
PER_SHAPE = 3
# Links that end the visit or are not pages.
SKIPPED = ("/admin/logout", "/admin/statics/", "/console-statics/")


def _shape(path: str) -> str:
    return re.sub(r"\d+", "<n>", path)


def _walk(client: TestClient) -> tuple[int, list[tuple[str, int, str]]]:
    """Follow every link under /admin from Today: the pages visited, and each dead end with
    its status and the page that showed it."""
    seen: set[str] = set()
    shapes: Counter[str] = Counter()
    queue = [("/admin/", "(start)")]
    dead: list[tuple[str, int, str]] = []
    while queue:
        url, found_on = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            dead.append((url, response.status_code, found_on))
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in HREF.findall(response.text):
            parts = urlsplit(href.replace("&amp;", "&"))
            if parts.netloc not in ("", "testserver") or not parts.path.startswith("/admin"):
                continue
            if parts.path.startswith(SKIPPED):
                continue
            # Sorting and paging repeat a list already visited; one query of each kind.
            key = _shape(parts.path) + (
                "?" + "&".join(sorted(k.split("=")[0] for k in parts.query.split("&")))
                if parts.query
                else ""
            )
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or shapes[key] >= PER_SHAPE:
                continue
            shapes[key] += 1
            queue.append((target, url))
    return len(seen), dead


@pytest.mark.parametrize(
    "who", [DEMO_MANAGER, DEMO_STAFF, DEMO_SUPERUSER], ids=["manager", "staff", "superuser"]
)
def test_every_link_shown_opens(client: TestClient, engine: Engine, who: tuple[str, str]) -> None:
    with Session(engine) as session, session.begin():
        seed_demo(session)
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.email == who[0]))
    assert user_id is not None
    mint_session(client, user_id)

    visited, dead = _walk(client)

    # The walk reached the console's pages, not just the front door.
    assert visited > 60
    assert dead == []
