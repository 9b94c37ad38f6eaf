"""Pages far from the start: found by their keys first, the same rows as OFFSET would give.

Every page of a list, in every sort, holds the rows the plain OFFSET query holds, in the
same order; rows that share a sort value (shows at the same hour) are ordered by id, so
walking the pages shows each row exactly once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from admin_app.views import base
from tests.console_views_support import add_venue, sign_in_superuser
from tests.worlds import rows

EVENTS = 23
PAGE_SIZE = 10
SORTS = ["", "&sortBy=starts_at&sort=asc", "&sortBy=starts_at&sort=desc", "&sortBy=title"]


def page_ids(client: TestClient, page: int, sort: str) -> list[int]:
    """Event ids on one list page, in the order shown."""
    response = client.get(f"/admin/event/list?page={page}&pageSize={PAGE_SIZE}{sort}")
    assert response.status_code == 200
    ids = re.findall(r"/admin/event/details/(\d+)", response.text)
    return list(dict.fromkeys(int(pk) for pk in ids))


def walk(client: TestClient, sort: str) -> list[list[int]]:
    pages = -(-EVENTS // PAGE_SIZE)
    return [page_ids(client, page, sort) for page in range(1, pages + 1)]


def test_deep_pages_hold_the_rows_offset_gives(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = add_venue(engine)
    start = datetime(2030, 5, 1, 18, tzinfo=UTC)
    with rows.committed(engine) as session:
        for number in range(EVENTS):
            # Three shows a night at the same hour, and repeated titles: many ties.
            starts = start + timedelta(days=number // 3)
            rows.event(
                session,
                venue,
                starts,
                starts + timedelta(hours=2),
                title=f"Night {number % 4}",
                status="draft",
            )
    sign_in_superuser(client, engine)
    for sort in SORTS:
        with_offset = walk(client, sort)
        monkeypatch.setattr(base, "DEFERRED_PAGE_FROM_ROW", 0)  # every page by its keys
        by_keys = walk(client, sort)
        monkeypatch.undo()
        assert by_keys == with_offset, sort
        shown = [pk for page in by_keys for pk in page]
        assert len(shown) == EVENTS, sort
        assert len(set(shown)) == EVENTS, sort
