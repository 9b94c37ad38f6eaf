"""The benchmark harness, run small: it works end to end, and statement counts stay flat.

No timings are asserted: only that every page answers, that each page runs the same number
of statements on every request, whatever the page size and the data size, and that the
statement counting is off unless asked for.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import instrumentation
from admin_app.app import create_app
from bench._report import comparison, percentile, table
from bench.generate import generate
from bench.run import run_benchmark
from tests.support import (
    create_pg_database,
    drop_pg_database,
    make_settings,
    pg_admin_url,
    pg_reachable,
    unavailable,
    upgrade,
)

# Real processes: left out of `make test-fast` (see the e2e marker).
pytestmark = pytest.mark.e2e

REQUESTS = 3


@pytest.fixture(scope="module")
def xs_results() -> Iterator[dict[str, Any]]:
    """The harness run against a throwaway database generated at scale XS."""
    admin_url = pg_admin_url()
    if not pg_reachable(admin_url):
        unavailable("PostgreSQL is not reachable")
    url = create_pg_database(admin_url, prefix="bsa_benchrun")
    try:
        upgrade(url)
        generate(url, "XS", 7, jobs=1, out=io.StringIO())
        yield run_benchmark(url, requests=REQUESTS, name="xs", deep_page=50)
    finally:
        drop_pg_database(admin_url, url)


def _by_name(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in results["scenarios"]}


@pytest.mark.postgres
def test_every_scenario_answers_and_has_a_floor(xs_results: dict[str, Any]) -> None:
    rows = _by_name(xs_results)
    assert len(rows) == 15
    for name, row in rows.items():
        assert row["requests"] == REQUESTS, name
        assert row["p50_ms"] <= row["p95_ms"] <= row["max_ms"], name
        # The floor replays exactly the statements the sampled request ran.
        floor = row["floor"]
        assert floor["statements"] == floor["sampled_request_statements"] >= 1, name
    assert xs_results["web_peak_rss_mb"] > 0
    assert xs_results["scale_rows"]["events"] > 0
    assert "| events list p1 |" in table(xs_results)
    assert "| sign-in |" in comparison(xs_results, xs_results)


@pytest.mark.postgres
def test_statements_are_constant_per_page(xs_results: dict[str, Any]) -> None:
    rows = _by_name(xs_results)
    # The same count on every request of a page (one value recorded)...
    for name, row in rows.items():
        assert len(row["statements"]) == 1, (name, row["statements"])
    # ...and in the page size: 25 and 100 rows run the same statements (no query per row).
    assert rows["events list p1"]["statements"] == rows["events list pageSize=100"]["statements"]
    assert rows["events list p1"]["statements"] == rows["events deep page"]["statements"]


@pytest.mark.postgres
def test_statements_do_not_grow_with_the_data(xs_results: dict[str, Any]) -> None:
    admin_url = pg_admin_url()
    url = create_pg_database(admin_url, prefix="bsa_benchrun")
    engine: Engine = create_engine(url)
    try:
        upgrade(url)
        generate(url, "XS", 7, jobs=1, out=io.StringIO())
        with engine.begin() as connection:
            # Twice the events and applications of venue 1: more rows on every page.
            connection.execute(
                text(
                    "INSERT INTO events (venue_id, title, starts_at, ends_at, status) "
                    "SELECT venue_id, title || ' again', starts_at + interval '3650 days', "
                    "ends_at + interval '3650 days', 'draft' FROM events WHERE venue_id = 1"
                )
            )
            connection.execute(text("ANALYZE"))
        bigger = _by_name(run_benchmark(url, requests=REQUESTS, name="xs+", deep_page=50))
    finally:
        engine.dispose()
        drop_pg_database(admin_url, url)
    for name, row in _by_name(xs_results).items():
        assert bigger[name]["statements"] == row["statements"], name


def _app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, enabled: bool) -> Starlette:
    if enabled:
        monkeypatch.setenv(instrumentation.ENABLE_VAR, "1")
    else:
        monkeypatch.delenv(instrumentation.ENABLE_VAR, raising=False)
    url = f"sqlite:///{tmp_path / 'stats.sqlite3'}"
    upgrade(url)
    return create_app(make_settings(url))


def test_no_statement_header_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with TestClient(_app(monkeypatch, tmp_path, enabled=False)) as client:
        response = client.get("/admin/login")
    assert response.status_code == 200
    assert instrumentation.COUNT_HEADER not in response.headers
    assert instrumentation.REQUEST_HEADER not in response.headers


def test_statement_header_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with TestClient(_app(monkeypatch, tmp_path, enabled=True)) as client:
        response = client.get("/admin/login")
    assert response.status_code == 200
    assert int(response.headers[instrumentation.COUNT_HEADER]) >= 0
    assert int(response.headers[instrumentation.REQUEST_HEADER]) >= 1


def test_parameters_survive_the_log() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    values = [datetime(2026, 11, 21, 19, tzinfo=UTC), date(2026, 11, 21), Decimal("1.5"), "x", 3]
    encoded = instrumentation.encode_value({"p": values})
    assert instrumentation.decode_value(encoded) == {"p": values}
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
