"""Command line: ``python -m admin_app <command>`` (also installed as ``band-admin``)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence

from admin_app import passwords
from admin_app.accounts import AccountError, create_user
from admin_app.db import build_engine, build_sessionmaker
from admin_app.demo import seed_demo
from admin_app.holds import release_expired_holds
from admin_app.schema_guard import SchemaState, check_schema
from admin_app.settings import Settings, SettingsError, load_settings
from models import STAFF_ROLES

EXIT_OK, EXIT_ERROR, EXIT_AHEAD = 0, 1, 3


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AccountError("No terminal to ask for a password: pipe it in with --password-stdin.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise AccountError("The two passwords do not match.")
    return first


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    """Create a user who can sign in to the console."""
    sessions = build_sessionmaker(build_engine(settings), public_base_url=settings.public_base_url)
    try:
        password = _read_password(args.password_stdin)
        with sessions.begin() as session:
            user = create_user(
                session,
                email=args.email,
                password=password,
                full_name=args.name or "",
                is_superuser=args.superuser,
                venue_id=args.venue,
                role=args.role,
            )
            kind = "superuser" if user.is_superuser else (args.role or "user")
            print(f"Created {kind} {user.email} (id {user.id}).")
    except AccountError as exc:
        return _fail(str(exc))
    return EXIT_OK


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Fill the database with demo data and print the demo logins."""
    if settings.is_production:
        return _fail("seed-demo refuses to run with APP_ENV=production.")
    engine = build_engine(settings)
    status = check_schema(engine)
    if status.state is not SchemaState.AT_HEAD:
        return _fail(status.message)
    with build_sessionmaker(engine, public_base_url=settings.public_base_url).begin() as session:
        logins = seed_demo(session)
    print("Demo data is in place. Sign in at http://127.0.0.1:8000/admin/ with:")
    print(f"  superuser:           {logins.superuser[0]} / {logins.superuser[1]}")
    print(f"  venue manager:       {logins.manager[0]} / {logins.manager[1]}")
    print(f"  venue staff:         {logins.staff[0]} / {logins.staff[1]}")
    if logins.invite_link:
        print(f"An open staff invite (shown only now): {logins.invite_link}")
    return EXIT_OK


def cmd_check_schema(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 when the database is at head, non-zero (with the reason) otherwise."""
    status = check_schema(build_engine(settings))
    print(status.message, file=sys.stdout if status.state is SchemaState.AT_HEAD else sys.stderr)
    return {SchemaState.AT_HEAD: EXIT_OK, SchemaState.BEHIND: EXIT_ERROR}.get(
        status.state, EXIT_AHEAD
    )


def cmd_release_expired_holds(settings: Settings, args: argparse.Namespace) -> int:
    """Cancel every hold past its expiry and move up the holds below it (audited)."""
    engine = build_engine(settings)
    status = check_schema(engine)
    if status.state is SchemaState.BEHIND:
        return _fail(status.message)
    try:
        released = release_expired_holds(
            build_sessionmaker(engine, public_base_url=settings.public_base_url)
        )
    finally:
        engine.dispose()
    print(f"Released {released} expired hold{'' if released == 1 else 's'}.")
    return EXIT_OK


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the console; refuse to start when migrations are missing."""
    import uvicorn  # imported here: the other commands do not need a server

    status = check_schema(build_engine(settings))
    if status.state is SchemaState.BEHIND:
        return _fail(f"refusing to start: {status.message}")
    uvicorn.run(
        "admin_app.asgi:app",
        host=args.host,
        port=args.port or settings.port,
        # workers=None lets uvicorn read WEB_CONCURRENCY, as Heroku-style hosts set it.
        workers=None,
        # Off: uvicorn would take X-Forwarded-For's left-most entry, which the client
        # writes. admin_app.proxy reads the headers by TRUSTED_PROXY_HOPS instead.
        proxy_headers=False,
        access_log=True,
    )
    return EXIT_OK


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Deliver queued notifications until SIGTERM (with --once: what is due now, then exit)."""
    from datetime import timedelta

    from admin_app.mail import transport_for
    from admin_app.worker import Worker

    engine = build_engine(settings)
    status = check_schema(engine)
    if status.state is SchemaState.BEHIND:
        return _fail(f"refusing to start: {status.message}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sessions = build_sessionmaker(engine, public_base_url=settings.public_base_url)

    def expired_holds() -> int:
        return release_expired_holds(sessions)

    worker = Worker(
        sessions=sessions,
        transport=transport_for(settings),
        mail_from=settings.mail_from,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        poll_seconds=settings.worker_poll_seconds,
        # Expired holds are released every pass too: a scheduler needs nothing else.
        jobs=[expired_holds],
    )
    if args.once:
        worker.run_jobs()
        print(f"Attempted {worker.drain()} message(s).")
        return EXIT_OK
    worker.stop_on_signals()
    worker.run()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(prog="band-admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create-user", help=cmd_create_user.__doc__)
    create.add_argument("email")
    create.add_argument("--name", help="full name (defaults to the part before @)")
    create.add_argument("--superuser", action="store_true", help="may see and change everything")
    create.add_argument("--venue", type=int, metavar="VENUE_ID", help="give a role at this venue")
    create.add_argument("--role", choices=STAFF_ROLES, help="the role at --venue")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(handler=cmd_create_user)

    seed = commands.add_parser("seed-demo", help=cmd_seed_demo.__doc__)
    seed.set_defaults(handler=cmd_seed_demo)

    check = commands.add_parser("check-schema", help=cmd_check_schema.__doc__)
    check.set_defaults(handler=cmd_check_schema)

    work = commands.add_parser("worker", help=cmd_worker.__doc__)
    work.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    work.set_defaults(handler=cmd_worker)
    expire = commands.add_parser("release-expired-holds", help=cmd_release_expired_holds.__doc__)
    expire.set_defaults(handler=cmd_release_expired_holds)

    serve = commands.add_parser("serve", help=cmd_serve.__doc__)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help="defaults to $PORT, then 8000")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    passwords.use_profile(settings.password_hashing)
    return int(args.handler(settings, args))
