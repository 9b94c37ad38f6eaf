"""The console beside stock SQLAdmin: one interleaved run (``bench.run --baseline stock``).

Both apps run as their own web process (one worker, same server flags, same database):
the console signed in as the superuser, stock SQLAdmin (bench/stock_app.py) with no
authentication. Each list page is requested by the two in turn (console, stock, then
stock, console, alternating the lead), so a change in the machine's load hits both alike.
Per page: p50/p95 beside each other and their ratio, statements, transactions (BEGINs)
and pool checkouts per request, and the HTML size. Then throughput on events p1 with
``clients`` concurrent clients per app, in an A-B-B-A order of half windows.
"""

from __future__ import annotations

import http.client
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import psycopg

from admin_app.settings import normalize_database_url
from bench import _report
from bench._client import Client, Reply
from bench._server import peak_rss_bytes, web_process
from bench.generate import ADMIN_EMAIL, BENCH_PASSWORD

APPS = ("console", "stock")
WARM_UP = 5
PAGE_SIZE = 25  # both apps' default list page size
TABLES = ("venues", "users", "bands", "events", "event_applications")
ROW_ESTIMATE = b"SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)"
THROUGHPUT_PATH = "/admin/event/list"


@dataclass(frozen=True)
class Page:
    """One list page, at the same path in both apps."""

    name: str
    path: str


def pages(deep_page: int, search: str) -> list[Page]:
    """The list pages compared, in the order they are run."""
    return [
        Page("events list p1", "/admin/event/list"),
        Page(f"events list page {deep_page}", f"/admin/event/list?page={deep_page}"),
        Page("events search title", f"/admin/event/list?search={search}"),
        Page("applications list p1", "/admin/event-application/list"),
        Page("users search", "/admin/user/list?search=smith"),
    ]


@dataclass
class _Sample:
    """What one app answered for one page."""

    seconds: list[float] = field(default_factory=list)
    statements: set[int] = field(default_factory=set)
    transactions: set[int] = field(default_factory=set)
    checkouts: set[int] = field(default_factory=set)
    kib: set[float] = field(default_factory=set)

    def add(self, reply: Reply) -> None:
        self.seconds.append(reply.seconds)
        for counts, value in (
            (self.statements, reply.statements),
            (self.transactions, reply.transactions),
            (self.checkouts, reply.checkouts),
        ):
            if value is not None:
                counts.add(value)
        self.kib.add(round(len(reply.body) / 1024, 1))

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.seconds),
            **_report.summary_ms(self.seconds),
            "statements": sorted(self.statements),
            "transactions": sorted(self.transactions),
            "checkouts": sorted(self.checkouts),
            "html_kib": sorted(self.kib),
        }


class LoadSampler:
    """The machine's 1-minute load average, sampled every few seconds in a thread."""

    def __init__(self, every: float = 5.0) -> None:
        self.values: list[float] = []
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-load", daemon=True)

    def _run(self) -> None:
        while True:
            self.values.append(os.getloadavg()[0])
            if self._stop.wait(self._every):
                return

    @contextmanager
    def running(self) -> Iterator[LoadSampler]:
        """Sample until the block ends."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def summary(self) -> dict[str, float]:
        """min / mean / max of the samples."""
        return {
            "min": round(min(self.values), 2),
            "mean": round(sum(self.values) / len(self.values), 2),
            "max": round(max(self.values), 2),
        }


def _database_facts(database_url: str) -> tuple[str, dict[str, int], int]:
    """The server version, estimated rows per table and the exact event count."""
    url = normalize_database_url(database_url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        version = str(connection.execute(b"SHOW server_version").fetchone()[0])  # type: ignore[index]
        scale = {
            table: int(connection.execute(ROW_ESTIMATE, (table,)).fetchone()[0])  # type: ignore[index]
            for table in TABLES
        }
        events = int(connection.execute(b"SELECT count(*) FROM events").fetchone()[0])  # type: ignore[index]
    return version, scale, events


def _interleaved(clients: dict[str, Client], page: Page, requests: int) -> dict[str, _Sample]:
    samples = {app: _Sample() for app in APPS}
    for number in range(WARM_UP + requests):
        # Alternate which app goes first, so neither always follows the other's work.
        for app in APPS if number % 2 == 0 else APPS[::-1]:
            reply = clients[app].request("GET", page.path)
            if reply.status != 200:
                raise RuntimeError(f"{app} {page.name}: HTTP {reply.status} for {page.path}")
            if number >= WARM_UP:
                samples[app].add(reply)
    return samples


def _hammer(port: int, cookie: str | None, seconds: float) -> tuple[int, int]:
    """One client's requests until the deadline: (answered 200, errors)."""
    client = Client(port)
    client.cookie = cookie
    done = errors = 0
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            try:
                reply = client.request("GET", THROUGHPUT_PATH)
            except (OSError, http.client.HTTPException):
                # A refused, reset or timed-out request: counted, then a fresh connection.
                errors += 1
                client.close()
                client = Client(port)
                client.cookie = cookie
                continue
            if reply.status == 200:
                done += 1
            else:
                errors += 1
    finally:
        client.close()
    return done, errors


def _window(port: int, cookie: str | None, clients: int, seconds: float) -> dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda _: _hammer(port, cookie, seconds), range(clients)))
    return {
        "requests": sum(done for done, _ in results),
        "errors": sum(errors for _, errors in results),
        "seconds": time.perf_counter() - started,
    }


def throughput(
    ports: dict[str, int], cookies: dict[str, str | None], clients: int, seconds: float
) -> dict[str, Any]:
    """Requests/s on events p1 with ``clients`` concurrent clients, ``seconds`` per app."""
    totals = {app: {"requests": 0.0, "errors": 0.0, "seconds": 0.0} for app in APPS}
    # A-B-B-A halves: a drift in the machine's load over the run is shared evenly.
    for app in (*APPS, *APPS[::-1]):
        window = _window(ports[app], cookies[app], clients, seconds / 2)
        for key, value in window.items():
            totals[app][key] += value
    result: dict[str, Any] = {"clients": clients, "seconds_per_app": seconds}
    for app, total in totals.items():
        result[app] = {
            "requests": int(total["requests"]),
            "errors": int(total["errors"]),
            "seconds": round(total["seconds"], 2),
            "requests_per_s": round(total["requests"] / total["seconds"], 2),
        }
    result["ratio"] = round(
        result["console"]["requests_per_s"] / max(result["stock"]["requests_per_s"], 0.01), 2
    )
    return result


def _ratio(console: float, stock: float) -> float:
    return round(console / max(stock, 0.01), 2)


def run_comparison(
    database_url: str,
    *,
    requests: int,
    name: str,
    deep_page: int = 2000,
    search: str = "lantern",
    clients: int = 8,
    throughput_seconds: float = 15.0,
    progress: TextIO | None = None,
) -> dict[str, Any]:
    """Run both apps side by side against ``database_url``; return the results as a dict."""
    database_url = normalize_database_url(database_url)
    version, scale, events = _database_facts(database_url)
    # The deepest page the data has, if it has fewer pages than asked for.
    deep_page = max(1, min(deep_page, math.ceil(events / PAGE_SIZE)))
    results: dict[str, Any] = {
        "name": name,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": _report.machine(version),
        "scale_rows": scale,
        "requests_per_page": requests,
        "warm_up_requests": WARM_UP,
        "deep_page": deep_page,
        "pages": [],
    }
    say: Callable[[str], None] = (
        (lambda line: print(line, file=progress, flush=True)) if progress else (lambda _: None)
    )
    sampler = LoadSampler()
    with (
        sampler.running(),
        tempfile.TemporaryDirectory(prefix="bench-compare-") as folder,
        ExitStack() as stack,
    ):
        web = {
            app: stack.enter_context(web_process(database_url, Path(folder), app)) for app in APPS
        }
        http = {app: Client(web[app].port) for app in APPS}
        http["console"].sign_in(ADMIN_EMAIL, BENCH_PASSWORD)
        for page in pages(deep_page, search):
            samples = _interleaved(http, page, requests)
            row: dict[str, Any] = {"name": page.name, "path": page.path}
            row.update({app: samples[app].summary() for app in APPS})
            row["p50_ratio"] = _ratio(row["console"]["p50_ms"], row["stock"]["p50_ms"])
            row["p95_ratio"] = _ratio(row["console"]["p95_ms"], row["stock"]["p95_ms"])
            results["pages"].append(row)
            say(_report.compare_line(row))
        cookies = {app: http[app].cookie for app in APPS}
        ports = {app: web[app].port for app in APPS}
        results["throughput"] = throughput(ports, cookies, clients, throughput_seconds)
        say(_report.throughput_line(results["throughput"]))
        results["web_peak_rss_mb"] = {
            app: round(peak_rss_bytes(web[app].pid) / 1024 / 1024, 1) for app in APPS
        }
        for client in http.values():
            client.close()
    results["machine"]["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    results["machine"]["load_average_1min_during"] = sampler.summary()
    return results
