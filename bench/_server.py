"""The real web processes under test: ``python -m admin_app serve`` as production runs it,
and the stock SQLAdmin baseline (``python -m bench.stock_app``) served the same way."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class WebProcess:
    """A started web process: where it listens and where it logs its SQL."""

    pid: int
    port: int
    sql_log: Path


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set size so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _wait_healthy(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web process exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web process did not answer /healthz in {START_TIMEOUT_SECONDS} s")


# The console, or the stock SQLAdmin baseline over the same tables (bench/stock_app.py).
APPS = {"console": "admin_app serve", "stock": "bench.stock_app"}


@contextmanager
def web_process(database_url: str, workdir: Path, app: str = "console") -> Iterator[WebProcess]:
    """Run one production-configured web process (one worker) until the block ends."""
    port = free_port()
    prefix = "" if app == "console" else f"{app}-"
    sql_log = workdir / f"{prefix}statements.jsonl"
    env = {
        **os.environ,
        "APP_ENV": "production",
        # Production's argon2 parameters, whatever the calling shell (a test run) asked for.
        "PASSWORD_HASHING": "standard",
        # A fresh 43-character key per run: sessions need signing, nothing more.
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": database_url,
        "WEB_CONCURRENCY": "1",
        "BENCH_SQL_STATS": "1",
        "BENCH_SQL_LOG": str(sql_log),
    }
    command = [sys.executable, "-m", *APPS[app].split(), "--port", str(port)]
    with (workdir / f"{prefix}server.log").open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            _wait_healthy(process, port)
            yield WebProcess(pid=process.pid, port=port, sql_log=sql_log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
