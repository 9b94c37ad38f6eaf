"""Is the database at the revision this code expects? The web process checks, never migrates."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from admin_app.settings import PROJECT_ROOT

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


class SchemaState(enum.Enum):
    """How the database revision relates to this code's migration head."""

    AT_HEAD = "at_head"
    BEHIND = "behind"  # the release phase (alembic upgrade head) has not run
    AHEAD = "ahead"  # a newer release migrated it: what a rollback produces


@dataclass(frozen=True)
class SchemaStatus:
    """The outcome of one check, with a message for people."""

    state: SchemaState
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def message(self) -> str:
        """One line that says what is wrong and what to do."""
        current = ", ".join(self.current) or "none (empty database)"
        heads = ", ".join(self.heads)
        if self.state is SchemaState.AT_HEAD:
            return f"database is at head ({heads})"
        if self.state is SchemaState.BEHIND:
            return (
                f"database is behind the code (at {current}, code expects {heads}): "
                "run `alembic upgrade head`"
            )
        return (
            f"database is ahead of the code (at {current}, which this code does not know; "
            f"code head {heads}): serving anyway, as after a rollback"
        )


def alembic_config() -> Config:
    """The project's Alembic configuration, found by path, not by working directory."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return config


@lru_cache(maxsize=1)
def _known_revisions() -> tuple[frozenset[str], tuple[str, ...]]:
    # The scripts do not change while a process runs: read them once, not per /healthz.
    script = ScriptDirectory.from_config(alembic_config())
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return known, tuple(sorted(script.get_heads()))


def code_heads() -> tuple[str, ...]:
    """The head revision(s) this code's migrations lead to."""
    return _known_revisions()[1]


def check_schema(engine: Engine) -> SchemaStatus:
    """Compare the database's revision with the migration scripts' head(s)."""
    known, heads = _known_revisions()
    with engine.connect() as connection:
        current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    if current == heads:
        state = SchemaState.AT_HEAD
    elif any(revision not in known for revision in current):
        state = SchemaState.AHEAD
    else:
        state = SchemaState.BEHIND
    return SchemaStatus(state=state, current=current, heads=heads)
