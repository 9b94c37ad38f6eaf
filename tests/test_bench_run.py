"""The benchmark harness, run small: it works end to end, and statement counts stay flat.

No timings are asserted: only that every page answers, that each page runs the same number
of statements on every request, whatever the page size and the data size, that the
statement counting is off unless asked for, that the transaction count matches the
transactions PostgreSQL sees, and that the stock SQLAdmin baseline run reports both apps.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from admin_app import instrumentation
from admin_app.app import create_app
from admin_app.settings import normalize_database_url
from bench._report import baseline_table, comparison, percentile, table
from bench.generate import generate
from bench.run import main as run_main
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
def xs_database() -> Iterator[str]:
    """A throwaway database generated at scale XS."""
    admin_url = pg_admin_url()
    if not pg_reachable(admin_url):
        unavailable("PostgreSQL is not reachable")
    url = create_pg_database(admin_url, prefix="bsa_benchrun")
    try:
        upgrade(url)
        generate(url, "XS", 7, jobs=1, out=io.StringIO())
        yield url
    finally:
        drop_pg_database(admin_url, url)


@pytest.fixture(scope="module")
def xs_results(xs_database: str) -> dict[str, Any]:
    """The harness run against the XS database."""
    return run_benchmark(xs_database, requests=REQUESTS, name="xs", deep_page=50)


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


# --- the stock SQLAdmin baseline (bench.run --baseline stock) ---

COMPARED_PAGES = 5


@pytest.fixture(scope="module")
def xs_comparison(xs_database: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``python -m bench.run --baseline stock`` against the XS database, read from its JSON."""
    out = tmp_path_factory.mktemp("baseline") / "baseline.json"
    argv = ["--database-url", xs_database, "--baseline", "stock", "--requests", str(REQUESTS)]
    # More pages than the data has: the run goes to the deepest page instead.
    argv += ["--deep-page", "100000", "--throughput-seconds", "1", "--out", str(out)]
    assert run_main(argv) == 0
    results: dict[str, Any] = json.loads(out.read_text())
    return results


@pytest.mark.postgres
def test_baseline_times_both_apps_on_every_list_page(
    xs_database: str, xs_comparison: dict[str, Any]
) -> None:
    engine = create_engine(normalize_database_url(xs_database))
    with engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
    engine.dispose()
    deepest = math.ceil(events / 25)
    assert xs_comparison["deep_page"] == deepest
    rows = {row["name"]: row for row in xs_comparison["pages"]}
    assert len(rows) == COMPARED_PAGES
    assert f"events list page {deepest}" in rows
    for name, row in rows.items():
        for app in ("console", "stock"):
            side = row[app]
            assert side["requests"] == REQUESTS, (name, app)
            assert 0 < side["p50_ms"] <= side["p95_ms"] <= side["max_ms"], (name, app)
            # One value each: every request of a page runs the same SQL.
            assert len(side["statements"]) == 1, (name, app)
            assert side["statements"][0] >= 1, (name, app)
            assert len(side["transactions"]) == 1, (name, app)
            assert side["transactions"][0] >= 1, (name, app)
            assert side["html_kib"][0] > 5, (name, app)  # a whole list page, not an error
        # Stock SQLAdmin counts in one session and lists in another: two BEGINs.
        assert row["stock"]["transactions"] == [2], name
        assert row["p50_ratio"] == round(row["console"]["p50_ms"] / row["stock"]["p50_ms"], 2)


@pytest.mark.postgres
def test_baseline_measures_throughput_of_both(xs_comparison: dict[str, Any]) -> None:
    speed = xs_comparison["throughput"]
    assert speed["clients"] == 8
    for app in ("console", "stock"):
        assert speed[app]["requests"] > 0, app
        assert speed[app]["errors"] == 0, app
        assert speed[app]["requests_per_s"] > 0, app
    assert set(xs_comparison["web_peak_rss_mb"]) == {"console", "stock"}
    assert xs_comparison["machine"]["load_average_1min_during"]["max"] >= 0
    report = baseline_table(xs_comparison)
    assert "| events list p1 |" in report
    assert "| stock |" in report


def _transactions_app(engine: Engine) -> Starlette:
    sessions = sessionmaker(engine)

    def xids(session: Session) -> list[int]:
        return [session.execute(text("SELECT txid_current()")).scalar_one() for _ in range(2)]

    def one_session(_request: Request) -> Response:
        with sessions() as session:
            return JSONResponse(xids(session))

    def two_sessions(_request: Request) -> Response:
        found: list[int] = []
        for _ in range(2):
            with sessions() as session:
                found.append(session.execute(text("SELECT txid_current()")).scalar_one())
        return JSONResponse(found)

    def autocommit(_request: Request) -> Response:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT 1"))
        return JSONResponse([])

    app = Starlette(
        routes=[
            Route("/one", one_session),
            Route("/two", two_sessions),
            Route("/autocommit", autocommit),
        ]
    )
    instrumentation.install(app, engine, {instrumentation.ENABLE_VAR: "1"})
    return app


@pytest.mark.postgres
def test_transactions_header_counts_the_begins_postgresql_sees(xs_database: str) -> None:
    # Pre-ping as the app's engine does: its SELECT 1 runs in autocommit, so no BEGIN.
    engine = create_engine(normalize_database_url(xs_database), pool_pre_ping=True)
    try:
        with TestClient(_transactions_app(engine)) as client:
            client.get("/one")  # a first checkout is fresh and skips the ping
            replies = {path: client.get(path) for path in ("/one", "/two", "/autocommit")}
    finally:
        engine.dispose()

    def header(path: str, name: str) -> int:
        return int(replies[path].headers[name])

    one, two = replies["/one"].json(), replies["/two"].json()
    # One transaction id seen twice: one BEGIN. Two ids: two.
    assert len(set(one)) == 1
    assert header("/one", instrumentation.TRANSACTIONS_HEADER) == 1
    assert len(set(two)) == 2
    assert header("/two", instrumentation.TRANSACTIONS_HEADER) == 2
    assert header("/autocommit", instrumentation.TRANSACTIONS_HEADER) == 0
    assert header("/autocommit", instrumentation.COUNT_HEADER) == 1
    assert header("/one", instrumentation.CHECKOUTS_HEADER) == 1
    assert header("/two", instrumentation.CHECKOUTS_HEADER) == 2
