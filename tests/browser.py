"""The real server in a subprocess, and a headless Chromium to drive it.

Used by the ``live_server`` and ``browser_page`` fixtures in ``conftest.py`` and by tests
that start the server themselves (start-up refusal, health of a real process).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support import ARTIFACTS, CHROMIUM, ROOT, free_port, unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Page

SERVER_START_TIMEOUT = 30.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TEST_SECRET_KEY = "live-server-test-secret-" + "z" * 32


@dataclass(frozen=True)
class LiveServer:
    """A running ``python -m admin_app serve``."""

    url: str  # base URL without a trailing slash, e.g. http://127.0.0.1:PORT
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr together)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def admin_env(database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a ``python -m admin_app`` subprocess on ``database_url``."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Only what the test says: no stray settings from the developer's shell.
        if key not in {"DATABASE_URL", "SECRET_KEY", "APP_ENV", "PORT", "WEB_CONCURRENCY"}
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=TEST_SECRET_KEY,
        APP_ENV="development",
        PYTHONUNBUFFERED="1",  # the log file shows the server's output as it happens
    )
    env.update(extra)
    if env["APP_ENV"] == "production":
        # Production refuses the tests' cheap hashing, as a real deployment would.
        env.pop("PASSWORD_HASHING", None)
    return env


def run_admin(
    *args: str,
    database_url: str,
    stdin: str | None = None,
    timeout: float = 60,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m admin_app <args>`` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "admin_app", *args],
        cwd=ROOT,
        env=admin_env(database_url, **extra_env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    """GET ``url``: (status, body), also for 4xx/5xx answers."""
    # Plain urllib: the URL is always our own http://127.0.0.1 server.
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        # The error holds the answer's socket: closed here, not by the garbage collector
        # (a ResourceWarning fails whichever test happens to be running then).
        with exc:
            return int(exc.code), exc.read().decode()


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"server exited with {server.process.returncode} before serving:\n"
                + server.output()
            )
        try:
            status, body = get(server.url + "/healthz", timeout=2)
        except OSError as exc:  # not listening yet
            last = repr(exc)
        else:
            if status == 200:
                return
            last = f"{status} {body}"
        time.sleep(0.1)
    raise AssertionError(
        f"server not healthy after {SERVER_START_TIMEOUT:.0f} s ({last}):\n" + server.output()
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # uvicorn shuts down gracefully on SIGTERM
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


PORT_ATTEMPTS = 3


def _start_server(database_url: str, log_dir: Path) -> LiveServer:
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "admin_app",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=admin_env(database_url),
            stdin=subprocess.DEVNULL,
            # A file, not a pipe: nobody reads a pipe while the test runs, and a full pipe
            # would block the server.
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return LiveServer(f"http://127.0.0.1:{port}", database_url, process, log_path)


@contextmanager
def running_server(database_url: str, log_dir: Path) -> Iterator[LiveServer]:
    """Serve ``database_url`` on a free port until the block ends; fail if it never gets up.

    The port is free when chosen, but another xdist worker may take it before the server
    binds it: a server that exits because the address is in use is started again on
    another port.
    """
    for attempt in range(1, PORT_ATTEMPTS + 1):
        server = _start_server(database_url, log_dir)
        try:
            _wait_until_healthy(server)
        except AssertionError:
            _stop(server.process)
            if attempt < PORT_ATTEMPTS and "address already in use" in server.output().lower():
                continue
            raise
        break
    try:
        yield server
    finally:
        _stop(server.process)


def require_chromium() -> None:
    """Skip locally (fail under CI=true) when Chromium or Playwright is missing."""
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("playwright is not installed")


def save_screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).removesuffix(".png")
    path = ARTIFACTS / f"{stem}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Sign in through SQLAdmin's login form and wait for the page that follows."""
    page.goto(f"{base_url}/admin/login")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(email)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
