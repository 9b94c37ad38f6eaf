"""Migration 3d8b1f6c2e70: holds that slipped in without a rank are repaired, then refused."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from tests.support import downgrade, upgrade

BEFORE_FIX = "59e77b392577"
INSERT_HOLD = (
    "INSERT INTO events (venue_id, title, starts_at, ends_at, status, hold_rank) "
    "VALUES (:venue, :title, '2027-05-01 18:00:00+00:00', '2027-05-01 21:00:00+00:00', "
    "'hold', NULL)"
)


def test_unranked_hold_is_repaired_and_then_refused(empty_db_url: str) -> None:
    upgrade(empty_db_url, BEFORE_FIX)
    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            venue = connection.execute(
                text(
                    "INSERT INTO venues (name, city, timezone) "
                    "VALUES ('Lido', 'Berlin', 'Europe/Berlin') RETURNING id"
                )
            ).scalar_one()
            # The faulty check lets this in: the bug being repaired.
            connection.execute(text(INSERT_HOLD), {"venue": venue, "title": "Slipped in"})

        upgrade(empty_db_url, "head")

        with engine.connect() as connection:
            rank = connection.execute(
                text("SELECT hold_rank FROM events WHERE title = 'Slipped in'")
            ).scalar_one()
            assert rank == 1
            with pytest.raises(IntegrityError, match=r"ck_events_hold_rank|CHECK constraint"):
                connection.execute(text(INSERT_HOLD), {"venue": venue, "title": "Refused"})

        downgrade(empty_db_url, BEFORE_FIX)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM events")).scalar_one() == 1
    finally:
        engine.dispose()
