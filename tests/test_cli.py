"""``python -m admin_app``: create-user, seed-demo and check-schema, run as real subprocesses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, insert, select, text

from admin_app.demo import DEMO_MANAGER, DEMO_STAFF, DEMO_SUPERUSER
from admin_app.passwords import check_password_strength, verify_password
from admin_app.schema_guard import code_heads
from models import Base, User, Venue, VenueStaff
from tests.browser import run_admin
from tests.support import upgrade

# Real processes: left out of `make test-fast` (see the e2e marker).
pytestmark = pytest.mark.e2e

EngineFor = Callable[[str], Engine]
PASSWORD = "correct horse battery staple"


def _users(engine: Engine) -> list[tuple[str, bool, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(User.email, User.is_superuser, User.password_hash).order_by(User.id)
        )
        return [(row.email, row.is_superuser, row.password_hash) for row in rows]


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def _add_venue(engine: Engine) -> int:
    with engine.begin() as connection:
        venue_id = connection.scalar(
            insert(Venue)
            .values(name="Blue Lantern", city="Berlin", timezone="Europe/Berlin")
            .returning(Venue.id)
        )
    assert venue_id is not None
    return int(venue_id)


# -- create-user -----------------------------------------------------------------------


def test_create_superuser_from_stdin(db_url: str, engine: Engine) -> None:
    result = run_admin(
        "create-user",
        "Ops.Lead@Example.com",
        "--superuser",
        "--name",
        "Ops Lead",
        "--password-stdin",
        database_url=db_url,
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Created superuser ops.lead@example.com" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr

    [(email, is_superuser, password_hash)] = _users(engine)
    assert email == "ops.lead@example.com"
    assert is_superuser is True
    assert password_hash is not None
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    assert verify_password(password_hash, PASSWORD)
    assert not verify_password(password_hash, PASSWORD.upper())


def test_create_venue_manager(db_url: str, engine: Engine) -> None:
    venue_id = _add_venue(engine)
    result = run_admin(
        "create-user",
        "greta@example.com",
        "--venue",
        str(venue_id),
        "--role",
        "manager",
        "--password-stdin",
        database_url=db_url,
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Created manager greta@example.com" in result.stdout
    [(email, is_superuser, _)] = _users(engine)
    assert (email, is_superuser) == ("greta@example.com", False)
    with engine.connect() as connection:
        roles = connection.execute(
            select(VenueStaff.venue_id, VenueStaff.role, User.email).join(User)
        ).all()
    assert [tuple(row) for row in roles] == [(venue_id, "manager", "greta@example.com")]


def test_duplicate_email_is_refused_whatever_its_case(db_url: str, engine: Engine) -> None:
    first = run_admin(
        "create-user", "ana@example.com", "--password-stdin", database_url=db_url, stdin=PASSWORD
    )
    assert first.returncode == 0, first.stderr
    second = run_admin(
        "create-user", "ANA@Example.COM", "--password-stdin", database_url=db_url, stdin=PASSWORD
    )
    assert second.returncode == 1
    assert "error: A user with the email ana@example.com already exists." in second.stderr
    assert "Traceback" not in second.stderr
    assert [email for email, _, _ in _users(engine)] == ["ana@example.com"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--venue", "999999", "--role", "staff"], PASSWORD, "There is no venue with id 999999."),
        ([], "short1", "at least 10 characters"),
        ([], "password123", "too common"),
        ([], "", "The password is empty."),
        ([], "   \n", "The password is empty."),
        (["--venue", "1"], PASSWORD, "needs both a venue and a role"),
        (["--role", "staff"], PASSWORD, "needs both a venue and a role"),
    ],
    ids=["unknown-venue", "short", "common", "empty", "blank", "venue-no-role", "role-no-venue"],
)
def test_create_user_errors(
    db_url: str, engine: Engine, args: list[str], stdin: str, message: str
) -> None:
    result = run_admin(
        "create-user",
        "new@example.com",
        *args,
        "--password-stdin",
        database_url=db_url,
        stdin=stdin,
    )
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert _users(engine) == []
    assert _counts(engine)["venue_staff"] == 0


def test_without_a_terminal_the_password_must_come_from_stdin(db_url: str, engine: Engine) -> None:
    # stdin is a pipe here, not a terminal: there is nobody to ask.
    result = run_admin("create-user", "tty@example.com", database_url=db_url, stdin=PASSWORD)
    assert result.returncode == 1
    assert "No terminal to ask for a password" in result.stderr
    assert "--password-stdin" in result.stderr
    assert _users(engine) == []


@pytest.mark.parametrize("flag", ["--password", "--pass", "-p"])
def test_password_is_never_taken_from_argv(db_url: str, engine: Engine, flag: str) -> None:
    # Arguments end up in shell history and `ps`; argparse must not even accept an
    # abbreviation of some --password... option.
    result = run_admin(
        "create-user", "x@y.z", flag, "foo-bar-baz-123", database_url=db_url, stdin=PASSWORD
    )
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
    assert _users(engine) == []


# -- seed-demo -------------------------------------------------------------------------


def test_seed_demo_is_idempotent_and_prints_the_logins(db_url: str, engine: Engine) -> None:
    first = run_admin("seed-demo", database_url=db_url)
    assert first.returncode == 0, first.stderr
    after_first = _counts(engine)
    second = run_admin("seed-demo", database_url=db_url)
    assert second.returncode == 0, second.stderr
    assert _counts(engine) == after_first

    # Every demo table has rows (the console has something to show everywhere)...
    empty = {name for name, count in after_first.items() if count == 0}
    assert empty <= {"audit_log", "login_failures", "user_sessions"}
    # ...and the logins are printed, and work.
    for email, password in (DEMO_SUPERUSER, DEMO_MANAGER, DEMO_STAFF):
        assert f"{email} / {password}" in second.stdout
    users = {email: (superuser, hashed) for email, superuser, hashed in _users(engine)}
    assert users[DEMO_SUPERUSER[0]][0] is True
    assert users[DEMO_STAFF[0]][0] is False
    assert verify_password(users[DEMO_SUPERUSER[0]][1], DEMO_SUPERUSER[1])
    assert verify_password(users[DEMO_STAFF[0]][1], DEMO_STAFF[1])


def test_demo_logins_meet_the_password_rule() -> None:
    # A superuser who changes a demo password and types it back in must not be refused.
    for email, password in (DEMO_SUPERUSER, DEMO_MANAGER, DEMO_STAFF):
        check_password_strength(password, email=email)


def test_seed_demo_refuses_production(db_url: str, engine: Engine) -> None:
    result = run_admin("seed-demo", database_url=db_url, APP_ENV="production")
    assert result.returncode == 1
    assert "APP_ENV=production" in result.stderr
    assert sum(_counts(engine).values()) == 0


def test_seed_demo_refuses_a_database_behind(empty_db_url: str, engine_for: EngineFor) -> None:
    upgrade(empty_db_url, "e2c7d1f8a905")
    result = run_admin("seed-demo", database_url=empty_db_url)
    assert result.returncode == 1
    assert "alembic upgrade head" in result.stderr
    with engine_for(empty_db_url).connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM users")) == 0


# -- check-schema ----------------------------------------------------------------------


def test_check_schema_at_head(db_url: str) -> None:
    result = run_admin("check-schema", database_url=db_url)
    assert result.returncode == 0, result.stderr
    assert f"database is at head ({code_heads()[0]})" in result.stdout


@pytest.mark.parametrize("revision", ["e2c7d1f8a905", None], ids=["older", "empty"])
def test_check_schema_behind(empty_db_url: str, revision: str | None) -> None:
    if revision is not None:
        upgrade(empty_db_url, revision)
    result = run_admin("check-schema", database_url=empty_db_url)
    assert result.returncode == 1
    assert "behind" in result.stderr
    assert "alembic upgrade head" in result.stderr
    assert (revision or "none (empty database)") in result.stderr


def test_check_schema_ahead(empty_db_url: str, engine_for: EngineFor) -> None:
    upgrade(empty_db_url)
    with engine_for(empty_db_url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff0000dead'"))
    result = run_admin("check-schema", database_url=empty_db_url)
    assert result.returncode == 3
    assert "ahead" in result.stderr
    assert "ffff0000dead" in result.stderr
