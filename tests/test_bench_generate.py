"""The benchmark data generator: scale XS into throwaway, migrated PostgreSQL databases."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from admin_app.auth import attempt_sign_in
from admin_app.settings import normalize_database_url
from bench._load import prefetch
from bench._scales import SCALES
from bench.generate import (
    ADMIN_EMAIL,
    BENCH_PASSWORD,
    MANAGER_EMAIL,
    UnsuitableTargetError,
    generate,
    main,
)
from models import Venue
from tests.support import (
    create_pg_database,
    drop_pg_database,
    pg_admin_url,
    pg_reachable,
    unavailable,
    upgrade,
)

XS = SCALES["XS"]
SEED = 7

# A few columns per table, folded into one digest each: equal digests, equal data.
CHECKSUMS = {
    "users": "id, email, full_name, is_active, is_superuser",
    "venues": "id, name, city, timezone, capacity",
    "band_members": "id, band_id, user_id",
    "events": "id, venue_id, title, starts_at, ends_at, status, hold_rank",
    "event_applications": "id, event_id, band_id, status, decided_at, decided_by_id",
    "venue_availabilities": "id, venue_id, date, status",
    "band_member_availabilities": "id, band_member_id, date, status",
}


@dataclass(frozen=True)
class Loaded:
    """A database the generator filled, and what it printed."""

    url: str
    engine: Engine
    output: str


def _checksums(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {
            table: connection.scalar(
                text(
                    f"SELECT md5(string_agg(concat_ws('|', {cols}), ',' ORDER BY id)) FROM {table}"
                )
            )
            for table, cols in CHECKSUMS.items()
        }


@pytest.fixture(scope="module")
def admin_url() -> str:
    """The maintenance database throwaway databases are created from."""
    url = pg_admin_url()
    if not pg_reachable(url):
        unavailable("PostgreSQL is not reachable")
    return url


@pytest.fixture(scope="module")
def loaded(admin_url: str) -> Iterator[list[Loaded]]:
    """Two migrated databases filled at XS with the same seed, one per job count."""
    made: list[Loaded] = []
    try:
        for jobs in (2, 1):
            url = create_pg_database(admin_url, prefix="bsa_bench")
            made.append(Loaded(url, create_engine(url), ""))
            upgrade(url)
            out = io.StringIO()
            generate(url, "XS", SEED, jobs=jobs, out=out)
            made[-1] = Loaded(url, made[-1].engine, out.getvalue())
        yield made
    finally:
        for database in made:
            database.engine.dispose()
            drop_pg_database(admin_url, database.url)


@pytest.mark.postgres
def test_row_counts_match_the_scale(loaded: list[Loaded]) -> None:
    with loaded[0].engine.connect() as connection:
        count = {
            table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in (
                "venues", "users", "bands", "events", "event_applications",
                "venue_availabilities", "band_availabilities", "band_member_availabilities",
                "venue_staff", "venue_operating_hours", "band_members",
            )
        }  # fmt: skip
    assert count["venues"] == XS.venues
    assert count["users"] == XS.users
    assert count["bands"] == XS.bands
    assert count["events"] == XS.events
    assert count["event_applications"] == XS.applications
    assert count["venue_availabilities"] == XS.venue_availability
    assert count["band_availabilities"] == XS.band_availability
    assert count["band_member_availabilities"] == XS.member_availability
    assert count["venue_staff"] == XS.staff_users
    assert 4 * XS.venues <= count["venue_operating_hours"] <= 7 * XS.venues
    assert 2 * XS.bands <= count["band_members"] <= 5 * XS.bands
    assert "event_applications" in loaded[0].output
    assert "rows/s" in loaded[0].output


@pytest.mark.postgres
def test_same_seed_same_data(loaded: list[Loaded]) -> None:
    first, second = (_checksums(database.engine) for database in loaded)
    assert first == second
    assert all(first.values())


@pytest.mark.postgres
def test_the_data_is_realistic(loaded: list[Loaded]) -> None:
    with loaded[0].engine.connect() as connection:
        rows = connection.execute(text("SELECT status, count(*) FROM events GROUP BY status"))
        statuses: dict[str, int] = {status: count for status, count in rows}
        zones = connection.scalar(text("SELECT count(DISTINCT timezone) FROM venues"))
        hours = connection.execute(
            text("SELECT min(n), max(n) FROM (SELECT count(*) n FROM venue_operating_hours "
                 "GROUP BY venue_id) per_venue")
        ).one()  # fmt: skip
        # Not a database rule, but a booking rule: no band accepted for two overlapping
        # confirmed shows.
        double_booked = connection.scalar(
            text(
                "SELECT count(*) FROM event_applications a JOIN events e ON e.id = a.event_id "
                "JOIN event_applications b ON b.band_id = a.band_id AND b.id < a.id "
                "JOIN events f ON f.id = b.event_id "
                "WHERE a.status = 'accepted' AND b.status = 'accepted' "
                "AND e.status = 'confirmed' AND f.status = 'confirmed' "
                "AND e.starts_at < f.ends_at AND f.starts_at < e.ends_at"
            )
        )
        span = connection.execute(text("SELECT min(starts_at), max(starts_at) FROM events")).one()
    assert set(statuses) == {"confirmed", "hold", "draft", "cancelled"}
    assert 0.45 < statuses["confirmed"] / XS.events < 0.65
    assert zones >= 4
    assert hours[0] >= 4
    assert hours[1] <= 7
    assert double_booked == 0
    assert (span[1] - span[0]).days > 9 * 365


@pytest.mark.postgres
def test_known_logins_sign_in(loaded: list[Loaded]) -> None:
    engine = create_engine(normalize_database_url(loaded[0].url))
    try:
        sessions = sessionmaker(engine)
        for email in (ADMIN_EMAIL, MANAGER_EMAIL):
            outcome = attempt_sign_in(sessions, email, BENCH_PASSWORD, remote_addr=None)
            assert outcome.user_id is not None, email
        with engine.connect() as connection:
            manager_of = connection.execute(
                text("SELECT s.venue_id, s.role FROM venue_staff s JOIN users u "
                     "ON u.id = s.user_id WHERE u.email = :email"),
                {"email": MANAGER_EMAIL},
            ).all()  # fmt: skip
        assert manager_of == [(1, "manager")]
    finally:
        engine.dispose()
    assert MANAGER_EMAIL in loaded[0].output


@pytest.mark.postgres
def test_sequences_continue_after_the_generated_ids(loaded: list[Loaded]) -> None:
    engine = create_engine(normalize_database_url(loaded[1].url))
    try:
        # Flushed, then rolled back on close: the other tests keep seeing generated data.
        with Session(engine) as session:
            venue = Venue(name="New Room", city="Berlin", timezone="Europe/Berlin", capacity=90)
            session.add(venue)
            session.flush()
            assert venue.id == XS.venues + 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_refuses_a_database_with_rows(loaded: list[Loaded]) -> None:
    with pytest.raises(UnsuitableTargetError, match="already has rows"):
        generate(loaded[0].url, "XS", SEED, out=io.StringIO())


@pytest.mark.postgres
def test_refuses_an_unmigrated_database(admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = create_pg_database(admin_url, prefix="bsa_bench")
    try:
        assert main(["--scale", "XS", "--database-url", url]) == 1
    finally:
        drop_pg_database(admin_url, url)
    assert "alembic upgrade head" in capsys.readouterr().err


def test_prefetch_passes_items_and_errors_through() -> None:
    assert list(prefetch(iter(range(10)), depth=2)) == list(range(10))

    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("generator broke")

    with pytest.raises(RuntimeError, match="generator broke"):
        list(prefetch(failing()))


def test_prefetch_stops_its_thread_when_the_consumer_stops() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    items = prefetch(endless(), depth=2)
    assert next(items) == 0
    items.close()  # what a failed COPY does to the loop that feeds it
    settled = len(produced)
    assert settled <= 5
    assert not any(t.name == "bench-rows" and t.is_alive() for t in threading.enumerate())
