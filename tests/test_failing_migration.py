"""A release whose migration fails half-way: nothing of it stays, and the web keeps serving.

The failing migration is written into a temporary copy of the alembic folder (never into
the real alembic/versions) and run with ``alembic -c <copy>/alembic.ini upgrade head`` as
the release phase would, while a real ``python -m admin_app serve`` is running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool, text

from tests.browser import run_admin, running_server
from tests.support import ROOT, fresh_database

# Real processes: left out of `make test-fast` (see the e2e marker).
pytestmark = pytest.mark.e2e

PASSWORD = "release drill " + "q" * 12

# Creates a table, adds a column, fills it for nobody, then adds a CHECK the existing
# rows violate: PostgreSQL refuses at the last step, after two pieces of DDL succeeded.
FAILING_UPGRADE = """
def upgrade() -> None:
    op.create_table(
        "tour_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.add_column("bands", sa.Column("country", sa.String(2), nullable=True))
    op.create_check_constraint("ck_bands_country_set", "bands", "country IS NOT NULL")


def downgrade() -> None:
    op.drop_constraint("ck_bands_country_set", "bands", type_="check")
    op.drop_column("bands", "country")
    op.drop_table("tour_notes")
"""


def copy_alembic(tmp_path: Path) -> tuple[Path, str]:
    """alembic.ini and alembic/ copied to ``tmp_path``; the copy's ini and its head."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "alembic.ini", tmp_path / "alembic.ini")
    shutil.copytree(
        ROOT / "alembic", tmp_path / "alembic", ignore=shutil.ignore_patterns("__pycache__")
    )
    ini = tmp_path / "alembic.ini"
    (head,) = ScriptDirectory.from_config(Config(str(ini))).get_heads()
    return ini, head


def add_failing_migration(ini: Path, down_revision: str) -> str:
    """Write the half-way-failing migration on top of ``down_revision``; its revision."""
    revision = uuid.uuid4().hex[:12]
    source = "\n".join(
        [
            '"""Fails half-way: a CHECK that existing bands violate."""',
            "import sqlalchemy as sa",
            "from alembic import op",
            "",
            f"revision = {revision!r}",
            f"down_revision = {down_revision!r}",
            "branch_labels = None",
            "depends_on = None",
            FAILING_UPGRADE,
        ]
    )
    (ini.parent / "alembic" / "versions" / f"{revision}_fails_half_way.py").write_text(source)
    return revision


def alembic(ini: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``alembic -c ini <args>`` as the release phase runs it (DATABASE_URL set)."""
    env = {k: v for k, v in os.environ.items() if k not in {"ALEMBIC_CONFIG", "DATABASE_URL"}}
    return subprocess.run(
        # The venv's own alembic: `make test` does not put the venv's bin on PATH.
        [str(Path(sys.executable).parent / "alembic"), "-c", str(ini), *args],
        cwd=ROOT,
        env={**env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def pg_database(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty PostgreSQL database."""
    with fresh_database("postgresql", tmp_path) as url:
        yield url


@pytest.mark.postgres
def test_a_migration_failing_half_way_leaves_the_previous_revision_and_web_serving(
    pg_database: str, tmp_path: Path
) -> None:
    ini, head = copy_alembic(tmp_path / "release")
    release = alembic(ini, pg_database, "upgrade", head)
    assert release.returncode == 0, release.stderr
    assert (
        run_admin(
            "create-user",
            "ops@example.com",
            "--superuser",
            "--password-stdin",
            database_url=pg_database,
            stdin=PASSWORD + "\n",
        ).returncode
        == 0
    )
    engine = create_engine(pg_database, poolclass=pool.NullPool)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO bands (name) VALUES ('Existing band')"))
    failing = add_failing_migration(ini, head)

    with running_server(pg_database, tmp_path) as server:
        with httpx2.Client(base_url=server.url, headers={"Origin": server.url}) as browser:
            login = browser.post(
                "/admin/login", data={"username": "ops@example.com", "password": PASSWORD}
            )
            assert login.status_code == 302, login.text

            upgrade = alembic(ini, pg_database, "upgrade", "head")

            assert upgrade.returncode != 0, upgrade.stdout + upgrade.stderr
            assert "ck_bands_country_set" in upgrade.stderr, upgrade.stderr
            assert "CheckViolation" in upgrade.stderr, upgrade.stderr
            current = alembic(ini, pg_database, "current")
            assert current.returncode == 0, current.stderr
            assert head in current.stdout, current.stdout
            assert failing not in current.stdout, current.stdout
            # The web process, started before, noticed nothing.
            assert browser.get("/healthz").status_code == 200
            page = browser.get("/admin/band/list")
            assert page.status_code == 200, server.output()
            assert "Existing band" in page.text
        assert "Traceback" not in server.output(), server.output()

    try:
        schema = inspect(engine)
        assert "tour_notes" not in schema.get_table_names()
        assert "country" not in {column["name"] for column in schema.get_columns("bands")}
        assert "ck_bands_country_set" not in {
            check["name"] for check in schema.get_check_constraints("bands")
        }
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
            assert connection.scalar(text("SELECT count(*) FROM bands")) == 1
    finally:
        engine.dispose()
