"""A rehearsed Heroku-style deploy, driven by the Procfile itself, plus the deploy files.

The PostgreSQL tests do what the host does: hand a fresh database over as
``DATABASE_URL=postgres://…``, run the ``release:`` line through a shell, then the ``web:``
line with ``PORT`` and ``WEB_CONCURRENCY``. Requests go to the dyno as Heroku's router
sends them: plain HTTP with ``X-Forwarded-Proto: https`` and the client's address appended
to ``X-Forwarded-For`` (after whatever the client wrote there itself), which the web line
trusts one hop deep (``TRUSTED_PROXY_HOPS`` defaults to 1 in production). The
browser speaks HTTPS to the router, so it does send the ``Secure`` session cookie; a client
talking plain HTTP to the dyno would not, so the tests pass that cookie on by hand.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx2
import pytest
from alembic.script import ScriptDirectory
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from admin_app import outbox
from admin_app.schema_guard import alembic_config
from tests.pooler_support import running_pgbouncer
from tests.smtp_support import smtp_server
from tests.support import ROOT, free_port, fresh_database, upgrade

# Real processes: left out of `make test-fast` (see the e2e marker).
pytestmark = pytest.mark.e2e

# The client's real address, as the router appends it, and a forged one the client wrote.
CLIENT_ADDRESS = "203.0.113.7"
FORGED_ADDRESS = "10.6.6.6"
START_TIMEOUT = 60  # seconds; Heroku gives a web dyno 60 s to bind $PORT (R10)
LOCK_TIMEOUT = 1.0  # seconds: the release's MIGRATION_LOCK_TIMEOUT in the lock rehearsal


def procfile(app_dir: Path = ROOT) -> dict[str, str]:
    """The process types of a Procfile, as the host reads it: ``name: command``."""
    processes = {}
    for line in (app_dir / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def revisions() -> tuple[str, str]:
    """(previous, newest): the code's head and the revision before it."""
    script = ScriptDirectory.from_config(alembic_config())
    (head,) = script.get_heads()
    down = script.get_revision(head).down_revision
    assert isinstance(down, str), "the rehearsal expects a linear history"
    return down, head


def current_revision(database_url: str) -> str | None:
    """The revision the database records."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            value = connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()
    return None if value is None else str(value)


@dataclass
class Host:
    """One app on a Heroku-style host: its config vars and the folder of its slug."""

    database_url: str  # the SQLAlchemy URL the tests use themselves
    env: dict[str, str]
    app_dir: Path = ROOT

    def run(self, process: str, *, stdin: str | None = None, **extra: str) -> Result:
        """Run a Procfile line (or any command) to completion, through a shell, as a one-off."""
        command = procfile(self.app_dir).get(process, process)
        started = time.monotonic()
        completed = subprocess.run(
            ["/bin/bash", "-c", command],
            cwd=self.app_dir,
            env={**self.env, **extra},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(
            completed.returncode, completed.stdout + completed.stderr, time.monotonic() - started
        )


@dataclass(frozen=True)
class Result:
    """How a one-off process ended."""

    code: int
    output: str
    seconds: float


def host_for(database_url: str, tmp_path: Path) -> Host:
    """Config vars as the host sets them, for a database created by the tests."""
    heroku_url = make_url(database_url).set(drivername="postgres")
    return Host(
        database_url=database_url,
        env={
            # The buildpack puts its Python first on PATH; here that is this test's venv.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "DATABASE_URL": heroku_url.render_as_string(hide_password=False),
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
        },
    )


@dataclass
class Web:
    """A running ``web:`` process (and its workers) on ``port``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        """Everything the process group has printed so far."""
        return self.log.read_text(errors="replace")

    def client(self) -> httpx2.Client:
        """A client that talks to the dyno the way the router does."""
        return httpx2.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": f"{FORGED_ADDRESS}, {CLIENT_ADDRESS}",
            },
            timeout=10,
        )

    def get(self, path: str) -> httpx2.Response:
        """One GET through a fresh client."""
        with self.client() as client:
            return client.get(path)


@contextmanager
def web_process(host: Host, tmp_path: Path, *, wait: bool = True) -> Iterator[Web]:
    """Start the ``web:`` line with PORT and WEB_CONCURRENCY=2; kill its group afterwards."""
    port = free_port()
    log = tmp_path / f"web-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["/bin/bash", "-c", procfile(host.app_dir)["web"]],
            cwd=host.app_dir,
            env={**host.env, "PORT": str(port), "WEB_CONCURRENCY": "2"},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: uvicorn's workers die with it
        )
    web = Web(process, port, log)
    try:
        if wait:
            wait_until_serving(web)
        yield web
    finally:
        stop(process)


def wait_until_serving(web: Web) -> None:
    """Poll /healthz until the server answers (any status); fail if the process dies."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if web.process.poll() is not None:
            pytest.fail(f"web exited with {web.process.returncode}:\n{web.output()}")
        try:
            web.get("/healthz")
        except httpx2.TransportError:
            time.sleep(0.2)
            continue
        return
    pytest.fail(f"web did not answer within {START_TIMEOUT}s:\n{web.output()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The parent is gone; make sure no worker of its group outlived it.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return


def sign_in(web: Web, email: str, password: str) -> httpx2.Response:
    """Sign in as a browser behind the router would, then open the console's index."""
    origin = f"https://127.0.0.1:{web.port}"
    with web.client() as client:
        assert client.get("/admin/").status_code in (302, 303)  # not signed in yet
        login = client.post(
            "/admin/login",
            data={"username": email, "password": password},
            headers={"Origin": origin},
        )
        assert login.status_code in (302, 303), login.text
        # Proxy headers are trusted: the app knows it is served over https.
        assert login.headers["location"].startswith(origin + "/admin"), login.headers
        set_cookie = login.headers.get_list("set-cookie")
        session = [c for c in set_cookie if c.startswith("band_admin_session=")]
        assert session, set_cookie
        assert "secure" in session[-1].lower(), "production cookies must be Secure"
        assert "httponly" in session[-1].lower()
        cookie = session[-1].split(";", 1)[0]
        client.cookies.clear()
        return client.get("/admin/", headers={"Cookie": cookie})


def sign_in_addresses(host: Host) -> list[str]:
    """The addresses the audit log recorded for sign-ins."""
    engine = create_engine(host.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.scalars(
                text("SELECT remote_addr FROM audit_log WHERE action = 'sign_in'")
            ).all()
    finally:
        engine.dispose()
    return [str(row) for row in rows]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    """A fresh throwaway PostgreSQL database handed to the host as DATABASE_URL."""
    with fresh_database("postgresql", tmp_path) as url:
        yield host_for(url, tmp_path)


@pytest.mark.postgres
def test_first_deploy_release_then_web_then_sign_in(host: Host, tmp_path: Path) -> None:
    _previous, head = revisions()

    release = host.run("release")
    assert release.code == 0, release.output
    assert current_revision(host.database_url) == head

    password = secrets.token_urlsafe(24)
    created = host.run(
        "python -m admin_app create-user ops@example.com --superuser --password-stdin",
        stdin=password + "\n",
    )
    assert created.code == 0, created.output

    with web_process(host, tmp_path) as web:
        health = web.get("/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok"
        assert health.json()["head"] == [head]

        index = sign_in(web, "ops@example.com", password)
        assert index.status_code == 200, index.text
        # The address the router appended is the one audited and logged, never the
        # client's own entry.
        assert sign_in_addresses(host) == [CLIENT_ADDRESS]
        # A feed's URL is its secret: the access log names the feed by a fingerprint.
        token = secrets.token_urlsafe(32)
        assert web.get(f"/feeds/venue/{token}.ics").status_code == 404
        log = web.output()
        assert f'{CLIENT_ADDRESS}:0 - "GET /feeds/venue/redacted-' in log, log
        assert token not in log
        assert FORGED_ADDRESS not in log

        # WEB_CONCURRENCY=2 is honoured: two worker processes served.
        workers = set(re.findall(r"Started server process \[(\d+)\]", web.output()))
        assert len(workers) == 2, web.output()


@pytest.mark.postgres
def test_forgotten_release_web_refuses_to_start(host: Host, tmp_path: Path) -> None:
    previous, _head = revisions()
    upgrade(host.database_url, previous)

    env = {"PORT": str(free_port()), "WEB_CONCURRENCY": "2"}
    web = host.run("web", **env)

    assert web.code != 0, web.output
    assert "alembic upgrade head" in web.output, web.output


@pytest.mark.postgres
def test_rollback_previous_release_warns_and_serves_on_newer_schema(
    host: Host, tmp_path: Path
) -> None:
    _previous, head = revisions()
    password = secrets.token_urlsafe(24)
    assert host.run("release").code == 0
    created = host.run(
        "python -m admin_app create-user ops@example.com --superuser --password-stdin",
        stdin=password + "\n",
    )
    assert created.code == 0, created.output

    # The rollback: the previous release's slug runs against the schema the newest
    # migration left behind, which expand/contract promises it can still use.
    old = Host(host.database_url, host.env, previous_release(tmp_path))
    with web_process(old, tmp_path) as web:
        health = web.get("/healthz")
        assert health.status_code == 503, health.text
        assert health.json()["status"] == "ahead"
        assert health.json()["current"] == [head]
        assert "ahead of the code" in web.output()
        assert sign_in(web, "ops@example.com", password).status_code == 200


@pytest.mark.postgres
def test_rollback_release_phase_accepts_a_newer_database(host: Host, tmp_path: Path) -> None:
    _previous, head = revisions()
    assert host.run("release").code == 0

    old = Host(host.database_url, host.env, previous_release(tmp_path))
    rollback = old.run("release")

    assert rollback.code == 0, rollback.output
    assert current_revision(host.database_url) == head  # nothing is downgraded


def previous_release(tmp_path: Path) -> Path:
    """A slug of the previous release: the code as it was before the newest migration.

    From git (the commit before the one that added the newest migration), so the slug's
    code matches its schema: code that reads what the newest migration adds (a table, a
    column) is not in it. Without that history (the migration not yet committed), this
    code without its newest migration stands in.
    """
    previous, head = revisions()
    slug = tmp_path / "previous-release"
    slug.mkdir()
    if _export_release_before(head, slug) and _slug_head(slug) == previous:
        return slug
    shutil.rmtree(slug)
    ignore = shutil.ignore_patterns("__pycache__", f"{head}_*.py")
    for name in ("admin_app", "models", "alembic"):
        shutil.copytree(ROOT / name, slug / name, ignore=ignore)
    for name in ("alembic.ini", "Procfile"):
        shutil.copy2(ROOT / name, slug / name)
    return slug


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False)


def _export_release_before(head: str, slug: Path) -> bool:
    """Write the tree of the commit before ``head``'s migration was added into ``slug``."""
    added = _git(
        "log", "-1", "--format=%H", "--diff-filter=A", "--", f"alembic/versions/{head}_*.py"
    )
    commit = added.stdout.decode().strip()
    if added.returncode != 0 or not commit:
        return False
    paths = ["admin_app", "models", "alembic", "alembic.ini", "Procfile"]
    archive = _git("archive", "--format=tar", f"{commit}^", *paths)
    if archive.returncode != 0:  # no parent in a shallow clone
        return False
    subprocess.run(["tar", "-x", "-C", str(slug)], input=archive.stdout, check=True)
    return True


def _slug_head(slug: Path) -> str | None:
    heads = ScriptDirectory(str(slug / "alembic")).get_heads()
    return heads[0] if len(heads) == 1 else None


def tables_the_newest_migration_alters(host: Host) -> list[str]:
    """Existing tables named by the newest migration's DDL (offline SQL), alembic_version aside."""
    previous, head = revisions()
    rendered = host.run(f"alembic upgrade {previous}:{head} --sql")
    assert rendered.code == 0, rendered.output
    named = re.findall(
        r"(?:ALTER TABLE|\bON|REFERENCES|DROP TABLE|UPDATE)\s+(?:ONLY\s+)?\"?(\w+)",
        rendered.output,
    )
    engine = create_engine(host.database_url)
    existing = set(inspect(engine).get_table_names())
    engine.dispose()
    return sorted({name for name in named if name in existing} - {"alembic_version"})


@pytest.mark.postgres
def test_release_that_cannot_get_its_lock_fails_fast_while_old_web_serves(
    host: Host, tmp_path: Path
) -> None:
    previous, head = revisions()
    upgrade(host.database_url, previous)
    old = Host(host.database_url, host.env, previous_release(tmp_path))

    # Hold the lock the newest migration needs. A migration that only creates new tables
    # needs none on existing ones; then the lock blocks its final step, the version bump,
    # in a mode (SHARE) that still lets the web processes read alembic_version.
    altered = tables_the_newest_migration_alters(host)
    statement = (
        f'LOCK TABLE "{altered[0]}" IN ACCESS EXCLUSIVE MODE'
        if altered
        else "LOCK TABLE alembic_version IN SHARE MODE"
    )
    database = make_url(host.database_url).database
    holder = create_engine(host.database_url)
    watcher = create_engine(host.database_url, isolation_level="AUTOCOMMIT")
    with web_process(old, tmp_path) as web, holder.connect() as locker, watcher.connect() as peek:
        before = web.get("/healthz")
        assert before.status_code == 200, before.text
        assert before.json()["head"] == [previous]  # it really is the previous release

        locker.execute(text(statement))
        release = subprocess.Popen(
            ["/bin/bash", "-c", procfile()["release"]],
            cwd=ROOT,
            env={**host.env, "MIGRATION_LOCK_TIMEOUT": f"{LOCK_TIMEOUT:g}s"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        started = time.monotonic()
        first_wait: float | None = None
        served_while_waiting = []
        try:
            while release.poll() is None and time.monotonic() - started < 60:
                waiting = peek.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = :db AND wait_event_type = 'Lock'"
                    ),
                    {"db": database},
                )
                if waiting:
                    first_wait = first_wait or time.monotonic()
                    served_while_waiting.append(web.get("/healthz").status_code)
                time.sleep(0.05)
            output, _ = release.communicate(timeout=60)
            ended = time.monotonic()
        finally:
            if release.poll() is None:
                os.killpg(release.pid, signal.SIGKILL)
                release.wait()
        locker.rollback()

        assert release.returncode != 0, output
        assert "lock timeout" in output, output
        assert first_wait is not None, "the release never waited on the lock"
        # It gave up after MIGRATION_LOCK_TIMEOUT, not after env.py's 5 s default.
        waited = ended - first_wait
        assert LOCK_TIMEOUT * 0.8 <= waited < 4.5, f"waited {waited:.1f}s for the lock"
        assert set(served_while_waiting) == {200}, served_while_waiting
        assert current_revision(host.database_url) == previous
        assert web.get("/healthz").status_code == 200

    holder.dispose()
    watcher.dispose()
    # With the lock gone, the retried release goes through.
    retried = host.run("release")
    assert retried.code == 0, retried.output
    assert current_revision(host.database_url) == head


# --- the files the host reads ---------------------------------------------------------


def pinned(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements or constraints file, by canonical name."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"{path.name}: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version.strip()
    return pins


def runtime_closure() -> set[str]:
    """Every distribution the runtime dependencies pull in here (extras and markers applied)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(spec) for spec in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for spec in metadata.requires(name) or []:
            child = Requirement(spec)
            extras = requirement.extras or {""}
            if child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in extras
            ):
                todo.append(child)
    return seen


def test_requirements_pin_every_runtime_dependency() -> None:
    requirements = pinned(ROOT / "requirements.txt")
    constraints = pinned(ROOT / "constraints.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in requirements, f"requirements.txt does not pin {name}"
        assert requirement.specifier.contains(requirements[name]), (name, requirements[name])
    missing = runtime_closure() - set(requirements)
    assert not missing, f"requirements.txt lacks what the runtime pulls in: {sorted(missing)}"
    # The deploy installs what CI tested: the same versions as constraints.txt.
    drift = {n: (v, constraints.get(n)) for n, v in requirements.items() if constraints.get(n) != v}
    assert not drift, f"requirements.txt and constraints.txt disagree: {drift}"
    assert canonicalize_name(project["name"]) not in requirements


def test_python_version_is_pinned_where_the_buildpack_looks() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    assert version == "3.11"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["mypy"]["python_version"] == version


def test_app_json_and_procfile_agree() -> None:
    app = json.loads((ROOT / "app.json").read_text())
    processes = procfile()

    assert "alembic upgrade head" in processes["release"]  # migrations are the release step
    assert "$PORT" in processes["web"]
    assert set(app["formation"]) <= set(processes) - {"release"}
    assert app["formation"]["web"]["quantity"] >= 1
    assert [pack["url"] for pack in app["buildpacks"]] == ["heroku/python"]
    plans = [addon["plan"] if isinstance(addon, dict) else addon for addon in app["addons"]]
    assert any(plan.split(":")[0] == "heroku-postgresql" for plan in plans)
    assert app["env"]["APP_ENV"]["value"] == "production"
    assert app["env"]["SECRET_KEY"]["generator"] == "secret"
    assert "DATABASE_URL" not in app["env"]  # the add-on sets (and rotates) it


@pytest.mark.postgres
def test_web_and_worker_through_the_pooler_release_direct(host: Host, tmp_path: Path) -> None:
    """Heroku with its pooler attached: DATABASE_URL direct (the release), the pool URL beside
    it (web and worker). The worker line delivers a queued message and stops on SIGTERM."""
    with running_pgbouncer() as bouncer, smtp_server() as mail:
        pooled = make_url(bouncer.url_for(host.database_url)).set(drivername="postgres")
        host.env.update(
            DATABASE_CONNECTION_POOL_URL=pooled.render_as_string(hide_password=False),
            SMTP_URL=mail.url,
            MAIL_FROM="Lantern Hall <bookings@lantern.example>",
            WORKER_POLL_SECONDS="0.2",
        )
        release = host.run("release")
        assert release.code == 0, release.output
        engine = create_engine(host.database_url)
        with Session(engine) as session, session.begin():
            outbox.enqueue(
                session, key="event:1:confirmed", kind="event_confirmed",
                recipients=["ana@band.example"], subject="Confirmed: Late Show", text="On.",
            )  # fmt: skip
        log = tmp_path / "worker.log"
        with log.open("wb") as sink, web_process(host, tmp_path) as web:
            worker = subprocess.Popen(
                ["/bin/bash", "-c", procfile()["worker"]],
                cwd=ROOT, env=host.env, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                deadline = time.monotonic() + 60
                while not mail.handler.received and time.monotonic() < deadline:
                    assert worker.poll() is None, log.read_text()
                    time.sleep(0.2)
                health = web.get("/healthz").json()
                os.killpg(worker.pid, signal.SIGTERM)
                assert worker.wait(timeout=30) == 0, log.read_text()
            finally:
                stop(worker)
        with engine.connect() as connection:
            status = connection.execute(text("SELECT status FROM outbox_messages")).scalar()
        engine.dispose()
        database = make_url(host.database_url).database
        pooler_log = bouncer.output()

    assert [item.message["Subject"] for item in mail.handler.received] == ["Confirmed: Late Show"]
    assert status == "sent"
    assert health["status"] == "ok"
    assert "stopping" in log.read_text()
    # Web and worker connected through the pooler; the release did not need it.
    assert f"login attempt: db={database} " in pooler_log
