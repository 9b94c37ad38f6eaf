"""A real PgBouncer in transaction pool mode in front of the test PostgreSQL.

Started as an ordinary process of the test (never the system service) with a generated
ini on a free port, and stopped by its PID. Debian's ``pgbouncer`` package is 1.18: it
cannot carry protocol-level prepared statements across clients (that came in 1.21), which
is exactly the pooler a Heroku-style host puts in front of its databases.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support import free_port, pg_admin_url, unavailable

START_TIMEOUT = 10.0
PORT_ATTEMPTS = 3
# Fewer server connections than the app's clients hold (two processes x 5-10, plus the
# tests' own): every transaction really is handed to whichever server connection is free.
SERVER_POOL_SIZE = 4


@dataclass(frozen=True)
class PgBouncer:
    """A running pgbouncer: where it listens and what it printed."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def url_for(self, database_url: str) -> str:
        """``database_url`` (a direct URL of the test server) through this pooler."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def output(self) -> str:
        """Everything pgbouncer logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def pgbouncer_binary() -> str:
    """The pgbouncer executable (Debian installs it in /usr/sbin); skip/fail without it."""
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        unavailable("pgbouncer is not installed (apt-get install pgbouncer)")
    assert found is not None
    return found


def _ini(port: int, folder: Path) -> str:
    return f"""\
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
pool_mode = transaction
default_pool_size = {SERVER_POOL_SIZE}
max_client_conn = 200
auth_type = trust
auth_file = {folder / "users.txt"}
"""


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _start(binary: str, folder: Path) -> PgBouncer:
    port = free_port()
    ini = folder / "pgbouncer.ini"
    ini.write_text(_ini(port, folder))
    log_path = folder / f"pgbouncer-{port}.log"
    command = [binary]
    if os.geteuid() == 0:
        # pgbouncer refuses to run as root; the folder is readable by the user it becomes.
        command += ["-u", "postgres"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, str(ini)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    return PgBouncer(port, process, log_path)


@contextmanager
def running_pgbouncer() -> Iterator[PgBouncer]:
    """PgBouncer (transaction mode) in front of 127.0.0.1:5432 until the block ends."""
    binary = pgbouncer_binary()
    user = make_url(pg_admin_url()).username or "postgres"
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)  # pgbouncer runs as postgres when the tests run as root
    (folder / "users.txt").write_text(f'"{user}" ""\n')
    # The port is free when chosen, but another xdist worker may take it first: a pooler
    # that exits because the address is in use is started again on another port.
    for attempt in range(1, PORT_ATTEMPTS + 1):
        bouncer = _start(binary, folder)
        if _started(bouncer):
            break
        _stop(bouncer)
        if attempt == PORT_ATTEMPTS or "address already in use" not in bouncer.output().lower():
            shutil.rmtree(folder, ignore_errors=True)
            raise AssertionError("pgbouncer did not start:\n" + bouncer.output())
    try:
        yield bouncer
    finally:
        _stop(bouncer)
        shutil.rmtree(folder, ignore_errors=True)


def _started(bouncer: PgBouncer) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while not _listening(bouncer.port):
        if bouncer.process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _stop(bouncer: PgBouncer) -> None:
    if bouncer.process.poll() is None:
        bouncer.process.terminate()  # SIGTERM: pgbouncer closes its connections and exits
        try:
            bouncer.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            bouncer.process.kill()
            bouncer.process.wait(timeout=10)
