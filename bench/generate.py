"""Fill a freshly migrated PostgreSQL database with realistic, deterministic data.

    python -m bench.generate --scale L --database-url postgresql://... [--seed N]

The rows are a pure function of (scale, seed); they are streamed in with COPY, against
the real schema (every index, check, foreign key and the exclusion constraint in place),
in one transaction, followed by ANALYZE.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import psycopg
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from admin_app.passwords import hash_password
from admin_app.schema_guard import SchemaState, check_schema
from admin_app.settings import normalize_database_url
from bench._load import Progress, load
from bench._scales import SCALES
from bench._tables import World
from models import Base

DEFAULT_SEED = 20261121
# The password of every generated login (superuser, managers, staff). It only ever exists
# in throwaway benchmark databases; it is hashed once per run and the hash reused, since
# an argon2 hash per row would take longer than the whole load.
BENCH_PASSWORD = "rehearsal-room-42"  # noqa: S105
ADMIN_EMAIL = "bench-admin@example.com"
MANAGER_EMAIL = "bench-manager@example.com"


class UnsuitableTargetError(RuntimeError):
    """The target is not a freshly migrated database: not at head, or already holding rows."""


def libpq_url(database_url: str) -> str:
    """``database_url`` (postgres://, postgresql://, postgresql+psycopg://) as libpq takes it."""
    url = make_url(normalize_database_url(database_url))
    if url.get_backend_name() != "postgresql":
        raise ValueError("the generator needs a PostgreSQL database")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def check_target(database_url: str) -> None:
    """Refuse a database that is not at the migration head or that already has rows."""
    engine = create_engine(normalize_database_url(database_url))
    try:
        status = check_schema(engine)
    finally:
        engine.dispose()
    if status.state is not SchemaState.AT_HEAD:
        # The rows are written for the schema at head; any other revision would fail
        # half-way or load columns that mean something else.
        raise UnsuitableTargetError(status.message)
    with psycopg.connect(libpq_url(database_url)) as connection:
        for table in Base.metadata.sorted_tables:
            query = sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(table.name))
            found = connection.execute(query).fetchone()
            if found and found[0]:
                raise UnsuitableTargetError(
                    f"{table.name} already has rows: generate into a freshly migrated database"
                )


def generate(
    database_url: str,
    scale: str,
    seed: int = DEFAULT_SEED,
    *,
    jobs: int = 2,
    out: TextIO = sys.stdout,
) -> dict[str, tuple[int, float]]:
    """Load ``scale`` into the database at ``database_url``; return rows and seconds per step."""
    check_target(database_url)
    world = World(SCALES[scale], seed, hash_password(BENCH_PASSWORD))
    started = time.perf_counter()
    print(f"scale {scale}, seed {seed}, {jobs} job(s)", file=out, flush=True)
    url = libpq_url(database_url)
    timings = load(lambda: psycopg.connect(url), world, Progress(out), jobs)
    total = time.perf_counter() - started
    rows = sum(count for count, _ in timings.values())
    print(
        f"{'total':<28} {rows:>11,} rows {rows / total:>11,.0f} rows/s {total:>8.1f} s",
        file=out,
        flush=True,
    )
    print(
        f"logins (password {BENCH_PASSWORD!r}): {ADMIN_EMAIL} (superuser), "
        f"{MANAGER_EMAIL} (manager of venue 1), bench-staff-<id>@example.com (staff)",
        file=out,
        flush=True,
    )
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=list(SCALES), default="XS")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="defaults to $DATABASE_URL"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--jobs",
        type=int,
        choices=(1, 2),
        default=2,
        help="load the two independent lanes of tables at once (2) or in turn",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    try:
        generate(args.database_url, args.scale, args.seed, jobs=args.jobs)
    except (UnsuitableTargetError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
