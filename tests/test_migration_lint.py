"""scripts/lint-migrations: squawk passes the real history and fails unsafe migrations.

The unsafe migrations are written into a temporary copy of the alembic folder, never into
the real alembic/versions; the copy is linted through ALEMBIC_CONFIG.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from tests.support import ROOT

# Real processes: left out of `make test-fast` (see the e2e marker).
pytestmark = pytest.mark.e2e

LINT = ROOT / "scripts" / "lint-migrations"
# squawk's tty reporter colours its output and hyperlinks rule names even into a pipe.
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\")

# One migration per unsafe pattern the lint exists for, each on an existing table, with the
# squawk rule that must name it.
UNSAFE = {
    "require-concurrent-index-creation": (
        'op.create_index("ix_events_description", "events", ["description"])'
    ),
    "adding-required-field": (
        'op.add_column("bands", sa.Column("country", sa.String(2), nullable=False))'
    ),
    "adding-not-nullable-field": 'op.alter_column("bands", "genre", nullable=False)',
    "changing-column-type": (
        'op.alter_column("bands", "city", type_=sa.String(200), existing_type=sa.String(100))'
    ),
    "adding-field-with-default": (
        'op.add_column("bands", sa.Column("token", sa.Uuid(), '
        'server_default=sa.text("gen_random_uuid()")))'
    ),
}

# The safe way to index an existing table: outside the transaction, concurrently, rerunnable.
SAFE_INDEX = """
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_events_title_lower",
            "events",
            [sa.text("lower(title)")],
            postgresql_concurrently=True,
            if_not_exists=True,
        )
"""


def run_lint(config: Path | None = None) -> tuple[int, str]:
    """Run the lint (on ``config``'s alembic folder if given); exit code and plain output."""
    env = dict(os.environ)
    env.pop("ALEMBIC_CONFIG", None)
    if config is not None:
        env["ALEMBIC_CONFIG"] = str(config)
    result = subprocess.run(
        [str(LINT)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    return result.returncode, ANSI.sub("", result.stdout + result.stderr)


def findings(output: str) -> set[tuple[str, str]]:
    """(file, rule) pairs from squawk's tty report: a warning line, then its location."""
    pairs: set[tuple[str, str]] = set()
    rule = None
    for line in output.splitlines():
        warning = re.match(r"(?:warning|error)\[([a-z0-9-]+)\]", line)
        if warning:
            rule = warning.group(1)
            continue
        location = re.search(r"╭▸ (?:\./)?([\w.-]+\.sql):\d+", line)
        if location and rule:
            pairs.add((location.group(1).removesuffix(".sql"), rule))
            rule = None
    return pairs


@pytest.fixture
def alembic_copy(tmp_path: Path) -> Path:
    """alembic.ini and alembic/ copied to a temporary folder; returns the copy's ini."""
    shutil.copy2(ROOT / "alembic.ini", tmp_path / "alembic.ini")
    shutil.copytree(
        ROOT / "alembic", tmp_path / "alembic", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path / "alembic.ini"


def add_migration(ini: Path, slug: str, body: str, header: str = "") -> str:
    """Write a migration on top of the copy's head; returns its file stem."""
    (head,) = ScriptDirectory.from_config(Config(str(ini))).get_heads()
    revision = uuid.uuid4().hex[:12]
    lines = [
        f'"""{slug}"""',
        header,
        "import sqlalchemy as sa",
        "from alembic import op",
        "",
        f"revision = {revision!r}",
        f"down_revision = {head!r}",
        "branch_labels = None",
        "depends_on = None",
        "",
        "",
        "def upgrade() -> None:",
        textwrap.indent(textwrap.dedent(body).strip(), "    "),
        "",
        "",
        "def downgrade() -> None:",
        "    pass",
        "",
    ]
    stem = f"{revision}_{slug}"
    (ini.parent / "alembic" / "versions" / f"{stem}.py").write_text("\n".join(lines))
    return stem


def test_real_history_passes_and_every_file_is_linted() -> None:
    code, output = run_lint()
    files = sorted((ROOT / "alembic" / "versions").glob("*.py"))
    assert f"rendered {len(files)} migration(s)" in output, output
    assert code == 0, output
    assert "Found 0 issues" in output, output


def test_unsafe_migrations_fail_with_squawks_rule(alembic_copy: Path) -> None:
    stems = {
        rule: add_migration(alembic_copy, rule.replace("-", "_"), op) for rule, op in UNSAFE.items()
    }
    safe = add_migration(alembic_copy, "safe_concurrent_index", SAFE_INDEX)

    code, output = run_lint(alembic_copy)

    assert code != 0, output
    found = findings(output)
    for rule, stem in stems.items():
        assert (stem, rule) in found, f"{rule} not reported for {stem}:\n{output}"
    assert not [pair for pair in found if pair[0] == safe], output


def test_suppression_needs_a_reason_and_then_holds(alembic_copy: Path) -> None:
    rule = "require-concurrent-index-creation"
    index = UNSAFE[rule]
    bare = add_migration(alembic_copy, "bare_ignore", index, header=f"# squawk-ignore-file: {rule}")

    code, output = run_lint(alembic_copy)
    assert code != 0
    assert f"{bare}.py" in output, output
    assert "the reason is required" in output, output

    (alembic_copy.parent / "alembic" / "versions" / f"{bare}.py").unlink()
    reasoned = add_migration(
        alembic_copy,
        "reasoned_ignore",
        index,
        header=f"# squawk-ignore-file: {rule} -- events is tiny in this test copy",
    )
    code, output = run_lint(alembic_copy)
    assert (reasoned, rule) not in findings(output), output


def test_a_file_alembic_cannot_load_as_a_revision_fails(alembic_copy: Path) -> None:
    stray = alembic_copy.parent / "alembic" / "versions" / "helpers_not_a_revision.py"
    stray.write_text('"""Not a migration: no revision identifiers."""\n')

    code, output = run_lint(alembic_copy)

    assert code != 0
    assert "helpers_not_a_revision.py" in output, output
