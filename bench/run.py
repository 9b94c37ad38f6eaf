"""Benchmark the real web process against a generated database (see bench/README.md).

    python -m bench.run --database-url postgresql://postgres@127.0.0.1:5432/bench_l \\
        --requests 200 --out bench/results/after.json

Starts ``python -m admin_app serve`` (APP_ENV=production, one worker, BENCH_SQL_STATS=1),
signs in as the superuser and as venue 1's manager, and times each scenario: a warm-up,
then ``--requests`` requests one after the other. Each scenario also reports its SQL
statements per request (``X-SQL-Statements``) and its floor: one sampled request's own
statements replayed straight through psycopg ``--requests`` times. The web process's peak
RSS closes the run. ``--compare before.json`` prints a before/after table.

    python -m bench.run --database-url postgresql://postgres@127.0.0.1:5432/bench_s \\
        --baseline stock --requests 100 --out bench/results/baseline-s.json

``--baseline stock`` instead runs this console beside stock SQLAdmin over the same tables
(bench/stock_app.py, bench/_compare.py): the list pages interleaved, p50/p95 side by side,
statements, transactions and HTML size per page, and throughput with ``--clients``
concurrent clients for ``--throughput-seconds`` per app.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from admin_app.feed_tokens import issue_token
from admin_app.settings import normalize_database_url
from bench import _compare, _report
from bench._client import Client
from bench._floor import replay_seconds, statements_of
from bench._server import peak_rss_bytes, web_process
from bench.generate import ADMIN_EMAIL, BENCH_PASSWORD, MANAGER_EMAIL
from models import Venue

REPORT_DATE = "2026-11-21"
WARM_UP = 5
TABLES = ("venues", "users", "bands", "events", "event_applications", "venue_availabilities")
LIST_MS, SEARCH_MS, SIGN_IN_MS = 50, 100, 300
ROW_ESTIMATE = b"SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)"


@dataclass(frozen=True)
class Scenario:
    """One page to time: who asks, how, and the p95 it should stay under."""

    name: str
    who: str  # "admin", "manager" or "anonymous"
    path: str
    target_ms: int | None
    form: dict[str, str] | None = None
    expect: int = 200


@dataclass(frozen=True)
class Fixtures:
    """Rows the scenarios point at, read from the database under test."""

    event_id: int
    band_id: int
    month: str
    feed_token: str


def _psycopg_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def prepare(database_url: str) -> Fixtures:
    """Pick an event, a band and a month at venue 1; issue venue 1 a fresh feed token."""
    engine = create_engine(normalize_database_url(database_url))
    try:
        with Session(engine) as session, session.begin():
            event_id, starts_at = session.execute(
                text("SELECT id, starts_at FROM events WHERE venue_id = 1 AND starts_at < "
                     "DATE '2026-12-01' ORDER BY starts_at DESC LIMIT 1")
            ).one()  # fmt: skip
            band_id = session.scalar(
                text("SELECT a.band_id FROM event_applications a JOIN events e "
                     "ON e.id = a.event_id WHERE e.venue_id = 1 AND e.starts_at < "
                     "DATE '2026-12-01' ORDER BY e.starts_at DESC, a.id LIMIT 1")
            )  # fmt: skip
            venue = session.get_one(Venue, 1)
            token = issue_token(session, venue)
    finally:
        engine.dispose()
    month = f"{starts_at.year:04d}-{starts_at.month:02d}"
    return Fixtures(int(event_id), int(band_id), month, token)


def scenarios(fixtures: Fixtures, deep_page: int, search: str) -> list[Scenario]:
    """The pages the issue asks about, in the order they are run."""
    event, band, month = fixtures.event_id, fixtures.band_id, fixtures.month
    login = {"username": ADMIN_EMAIL, "password": BENCH_PASSWORD}
    return [
        Scenario("events list p1", "admin", "/admin/event/list", LIST_MS),
        Scenario("events list p1 (staff)", "manager", "/admin/event/list", LIST_MS),
        Scenario("events list pageSize=100", "admin", "/admin/event/list?pageSize=100", LIST_MS),
        Scenario("events deep page", "admin", f"/admin/event/list?page={deep_page}", None),
        Scenario("events search title", "admin", f"/admin/event/list?search={search}", SEARCH_MS),
        Scenario(
            "events filter venue+status",
            "admin",
            "/admin/event/list?venue=1&status=confirmed",
            LIST_MS,
        ),
        Scenario("event detail", "admin", f"/admin/event/details/{event}", LIST_MS),
        Scenario("event edit form", "manager", f"/admin/event/edit/{event}", LIST_MS),
        Scenario("applications list", "admin", "/admin/event-application/list", LIST_MS),
        Scenario("users search", "admin", "/admin/user/list?search=smith", SEARCH_MS),
        Scenario(
            "venue calendar month", "manager", f"/admin/calendar/venue/1?month={month}", LIST_MS
        ),
        Scenario(
            "band calendar month", "admin", f"/admin/calendar/band/{band}?month={month}", LIST_MS
        ),
        Scenario(
            "match page",
            "admin",
            f"/admin/calendar/match?venue=1&band={band}&month={month}",
            LIST_MS,
        ),
        Scenario(
            "venue ICS feed", "anonymous", f"/feeds/venue/{fixtures.feed_token}.ics", SEARCH_MS
        ),
        Scenario("sign-in", "anonymous", "/admin/login", SIGN_IN_MS, form=login, expect=302),
    ]


def _measure(client: Client, scenario: Scenario, requests: int) -> tuple[list[float], set[int]]:
    method = "POST" if scenario.form is not None else "GET"
    seconds: list[float] = []
    counts: set[int] = set()
    for number in range(WARM_UP + requests):
        # A sign-in must not reuse the cookie it was just given: each one starts signed out.
        reply = client.request(method, scenario.path, scenario.form, keep_cookie=not scenario.form)
        if reply.status != scenario.expect:
            raise RuntimeError(f"{scenario.name}: HTTP {reply.status} for {scenario.path}")
        if number >= WARM_UP:
            seconds.append(reply.seconds)
            if reply.statements is not None:
                counts.add(reply.statements)
    return seconds, counts


def _floor(
    client: Client, scenario: Scenario, sql_log: Path, database_url: str, requests: int
) -> dict[str, Any]:
    method = "POST" if scenario.form is not None else "GET"
    sample = client.request(
        method, scenario.path, scenario.form, log_sql=True, keep_cookie=not scenario.form
    )
    if sample.status != scenario.expect:
        raise RuntimeError(f"{scenario.name}: HTTP {sample.status} for the logged request")
    if sample.request_number is None:
        raise RuntimeError("the web process sends no X-SQL-Request header (BENCH_SQL_STATS?)")
    statements = statements_of(sql_log, sample.request_number)
    with psycopg.connect(_psycopg_url(database_url)) as connection:
        for _ in range(WARM_UP):
            replay_seconds(connection, statements)
        seconds = [replay_seconds(connection, statements) for _ in range(requests)]
    return {
        "statements": len(statements),
        "sampled_request_statements": sample.statements,
        **_report.summary_ms(seconds),
    }


def run_benchmark(
    database_url: str,
    *,
    requests: int,
    name: str,
    deep_page: int = 2000,
    search: str = "lantern",
    progress: TextIO | None = None,
    only: Sequence[str] = (),
) -> dict[str, Any]:
    """Run every scenario (or those whose name contains one of ``only``) against a fresh
    web process; return the results as a dict."""
    database_url = normalize_database_url(database_url)
    with psycopg.connect(_psycopg_url(database_url)) as connection:
        server_version = str(connection.execute(b"SHOW server_version").fetchone()[0])  # type: ignore[index]
        scale = {
            table: int(connection.execute(ROW_ESTIMATE, (table,)).fetchone()[0])  # type: ignore[index]
            for table in TABLES
        }
        revision = connection.execute(b"SELECT version_num FROM alembic_version").fetchone()
    fixtures = prepare(database_url)
    results: dict[str, Any] = {
        "name": name,
        "date": REPORT_DATE,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": _report.machine(server_version),
        "scale_rows": scale,
        "alembic_revision": revision[0] if revision else None,
        "requests_per_scenario": requests,
        "warm_up_requests": WARM_UP,
        "scenarios": [],
    }
    with (
        tempfile.TemporaryDirectory(prefix="bench-run-") as folder,
        web_process(database_url, Path(folder)) as web,
    ):
        clients = {who: Client(web.port) for who in ("admin", "manager", "anonymous")}
        clients["admin"].sign_in(ADMIN_EMAIL, BENCH_PASSWORD)
        clients["manager"].sign_in(MANAGER_EMAIL, BENCH_PASSWORD)
        for scenario in scenarios(fixtures, deep_page, search):
            if only and not any(part in scenario.name for part in only):
                continue
            client = clients[scenario.who]
            seconds, counts = _measure(client, scenario, requests)
            floor = _floor(client, scenario, web.sql_log, database_url, requests)
            row = {
                "name": scenario.name,
                "who": scenario.who,
                "path": scenario.path,
                "target_ms": scenario.target_ms,
                "requests": len(seconds),
                **_report.summary_ms(seconds),
                "statements": sorted(counts),
                "floor": floor,
                "page_over_floor": round(
                    _report.percentile(seconds, 0.5) * 1000 / max(floor["p50_ms"], 0.01), 1
                ),
            }
            results["scenarios"].append(row)
            if progress is not None:
                print(
                    f"{row['name']:<28} p50 {row['p50_ms']:>8} p95 {row['p95_ms']:>8} "
                    f"max {row['max_ms']:>8} ms  stmts {row['statements']}  "
                    f"floor p50 {floor['p50_ms']} ms",
                    file=progress,
                    flush=True,
                )
        results["web_peak_rss_mb"] = round(peak_rss_bytes(web.pid) / 1024 / 1024, 1)
        for client in clients.values():
            client.close()
    results["machine"]["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    return results


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--name", help="a name for this run (defaults to the --out file name)")
    parser.add_argument("--deep-page", type=int, default=2000)
    parser.add_argument("--search", default="lantern", help="the events search term")
    parser.add_argument("--compare", type=Path, help="a earlier results JSON to compare with")
    parser.add_argument(
        "--baseline",
        choices=["stock"],
        help="compare the list pages with stock SQLAdmin over the same database instead",
    )
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent clients (--baseline throughput)"
    )
    parser.add_argument(
        "--throughput-seconds",
        type=float,
        default=15.0,
        help="seconds of throughput per app (--baseline)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run only the scenarios whose name contains TEXT (repeatable)",
    )
    return parser


def _write(path: Path | None, results: dict[str, Any]) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2) + "\n")


def _baseline(args: argparse.Namespace, name: str) -> int:
    results = _compare.run_comparison(
        args.database_url,
        requests=args.requests,
        name=name,
        deep_page=args.deep_page,
        search=args.search,
        clients=args.clients,
        throughput_seconds=args.throughput_seconds,
        progress=sys.stderr,
    )
    _write(args.out, results)
    print(_report.baseline_table(results))
    load = results["machine"]
    print(
        f"\nweb process peak RSS: {results['web_peak_rss_mb']} MB; load average "
        f"{load['load_average_start']} -> {load['load_average_end']}, 1-min during the run "
        f"{load['load_average_1min_during']}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print a table, and write the JSON."""
    args = build_parser().parse_args(argv)
    if not args.database_url:
        print("error: pass --database-url or set DATABASE_URL", file=sys.stderr)
        return 1
    name = args.name or (args.out.stem if args.out else REPORT_DATE)
    if args.baseline:
        return _baseline(args, name)
    results = run_benchmark(
        args.database_url,
        requests=args.requests,
        name=name,
        deep_page=args.deep_page,
        search=args.search,
        progress=sys.stderr,
        only=args.only,
    )
    _write(args.out, results)
    print(_report.table(results))
    load = results["machine"]
    print(
        f"\nweb process peak RSS: {results['web_peak_rss_mb']} MB; load average "
        f"{load['load_average_start']} -> {load['load_average_end']}"
    )
    if args.compare:
        print("\n" + _report.comparison(json.loads(args.compare.read_text()), results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
