"""Settings read from the environment (12-factor), in one place.

Every other module — the app, the CLI and ``alembic/env.py`` — gets its configuration from
here, so the rules below (URL normalisation, refusing placeholder secrets) hold everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from starlette.datastructures import Secret

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "admin.sqlite3"
# Good enough to sign cookies on a laptop; refused outright when APP_ENV=production.
DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-change-me-in-production"  # noqa: S105
MIN_PRODUCTION_SECRET_LENGTH = 32

# More routers than this in front of one app is a misconfiguration, not a deployment.
MAX_PROXY_HOPS = 10
AppEnv = Literal["development", "production"]
# What sits between the app and PostgreSQL: nothing (or a session pooler), or a pooler
# that lends a server connection for one transaction only (PgBouncer in transaction mode).
Pooler = Literal["none", "transaction"]
PasswordHashing = Literal["standard", "fast"]
# Without SMTP_URL, mail goes to the log (development needs nothing); MAIL_FROM's default
# is only good for that.
DEFAULT_MAIL_FROM = "Band Scheduling Admin <no-reply@localhost>"
SMTP_SCHEMES = ("smtp", "smtps")
DEFAULT_SMTP_TIMEOUT = 20.0
DEFAULT_OUTBOX_LEASE = 300.0
DEFAULT_WORKER_POLL = 5.0


class SettingsError(ValueError):
    """The environment describes a configuration the app must not start with."""


def normalize_database_url(url: str) -> str:
    """Return ``url`` with PostgreSQL schemes pinned to the psycopg 3 driver.

    Heroku-style hosts hand out ``postgres://`` (an alias SQLAlchemy dropped in 1.4), and
    plain ``postgresql://`` would pick whatever driver SQLAlchemy defaults to.
    """
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The database URL: ``DATABASE_URL`` normalised, or the embedded SQLite file."""
    env = os.environ if environ is None else environ
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    return normalize_database_url(raw)


def app_database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The URL web, worker and CLI processes use: the pooler's, when there is one.

    ``DATABASE_CONNECTION_POOL_URL`` is the name Heroku gives a server-side PgBouncer
    (``heroku pg:connection-pooling:attach DATABASE_URL --as DATABASE_CONNECTION_POOL``);
    ``DATABASE_URL`` stays the direct URL, which the release phase (``alembic/env.py``,
    :func:`migration_database_url_from_env`) always uses: migrations set session timeouts and build
    indexes outside a transaction, neither of which survives a transaction pooler.
    """
    env = os.environ if environ is None else environ
    pooled = env.get("DATABASE_CONNECTION_POOL_URL", "").strip()
    return normalize_database_url(pooled) if pooled else database_url_from_env(env)


def pooler_from_env(environ: Mapping[str, str] | None = None) -> Pooler:
    """What is in front of the app's URL: ``DATABASE_POOLER``, else ``transaction`` when
    ``DATABASE_CONNECTION_POOL_URL`` is set (Heroku's pooler is PgBouncer in transaction
    mode) and ``none`` otherwise.

    ``transaction`` makes the engine keep nothing in the database session between
    transactions (``admin_app.db.build_engine``): no server-side prepared statements.
    """
    env = os.environ if environ is None else environ
    default = "transaction" if env.get("DATABASE_CONNECTION_POOL_URL", "").strip() else "none"
    pooler = env.get("DATABASE_POOLER", default).strip().lower() or default
    if pooler not in ("none", "transaction"):
        raise SettingsError(f"DATABASE_POOLER must be 'none' or 'transaction', not {pooler!r}")
    return pooler  # type: ignore[return-value]  # checked against the Literal above


def migration_database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The direct URL migrations run on (``DATABASE_URL``), refused if it is the pooler's.

    ``DATABASE_POOLER=transaction`` without ``DATABASE_CONNECTION_POOL_URL`` says that
    ``DATABASE_URL`` itself goes through the pooler.
    """
    env = os.environ if environ is None else environ
    if (
        pooler_from_env(env) == "transaction"
        and not env.get("DATABASE_CONNECTION_POOL_URL", "").strip()
    ):
        raise SettingsError(
            "DATABASE_POOLER=transaction says DATABASE_URL goes through a transaction "
            "pooler; migrations need a direct connection: set DATABASE_URL to the direct "
            "URL and DATABASE_CONNECTION_POOL_URL to the pooler's"
        )
    return database_url_from_env(env)


@dataclass(frozen=True)
class MigrationTimeouts:
    """PostgreSQL timeouts for ``alembic upgrade``: a release that cannot get its lock fails
    fast instead of queueing every venue's reads and writes behind it."""

    lock_timeout: str = "5s"
    statement_timeout: str = "15min"


@dataclass(frozen=True)
class Settings:
    """Typed, validated configuration of one app instance."""

    database_url: str
    secret_key: Secret = field(repr=False)
    app_env: AppEnv = "development"
    port: int = 8000
    # "fast" only for test runs (cheap argon2 parameters); refused in production.
    password_hashing: PasswordHashing = "standard"  # noqa: S105 - a profile name
    # How many routers in front of the app append to X-Forwarded-For (Heroku: 1); the
    # client's address is the one the outermost of them appended (admin_app.proxy).
    trusted_proxy_hops: int = 0
    # "transaction": a transaction pooler (PgBouncer) is in front of database_url.
    database_pooler: Pooler = "none"
    # smtp://user:pass@host:587 (STARTTLS) or smtps://…:465; None: mail goes to the log.
    smtp_url: Secret | None = field(default=None, repr=False)
    mail_from: str = DEFAULT_MAIL_FROM
    # Seconds one SMTP conversation may take; under Heroku's 30 s between SIGTERM and
    # SIGKILL, so a worker told to stop can finish the message it is sending.
    smtp_timeout: float = DEFAULT_SMTP_TIMEOUT
    # How long a worker's claim on a message lasts: longer than any one delivery can take,
    # so only a worker that died loses its claim (and the message is sent again).
    outbox_lease_seconds: float = DEFAULT_OUTBOX_LEASE
    # How often an idle worker looks for due messages.
    worker_poll_seconds: float = DEFAULT_WORKER_POLL
    # Where people reach the console (https://admin.example.com): links in notifications,
    # which have none without it (no request tells a worker where the console lives).
    public_base_url: str | None = None

    @property
    def is_production(self) -> bool:
        """True when running behind the real router: secure cookies, no debug pages."""
        return self.app_env == "production"

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded default database."""
        return self.database_url.startswith("sqlite")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from the environment, refusing unsafe production setups."""
    env = os.environ if environ is None else environ
    app_env = env.get("APP_ENV", "development").strip().lower() or "development"
    if app_env not in ("development", "production"):
        raise SettingsError(f"APP_ENV must be 'development' or 'production', not {app_env!r}")

    secret = env.get("SECRET_KEY", "").strip()
    if app_env == "production":
        if not secret or secret == DEVELOPMENT_SECRET_KEY:
            raise SettingsError("SECRET_KEY must be set to a private random value in production")
        if len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise SettingsError(
                f"SECRET_KEY must be at least {MIN_PRODUCTION_SECRET_LENGTH} characters "
                "in production"
            )
        if not env.get("DATABASE_URL", "").strip():
            raise SettingsError("DATABASE_URL must be set in production")

    port_text = env.get("PORT", "8000").strip() or "8000"
    try:
        port = int(port_text)
    except ValueError:
        raise SettingsError(f"PORT must be a number, not {port_text!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"PORT must be between 1 and 65535, not {port}")

    hashing = env.get("PASSWORD_HASHING", "standard").strip().lower() or "standard"
    if hashing not in ("standard", "fast"):
        raise SettingsError(f"PASSWORD_HASHING must be 'standard' or 'fast', not {hashing!r}")
    if hashing == "fast" and app_env == "production":
        raise SettingsError("PASSWORD_HASHING=fast is for test runs only, never production")

    hops_default = "1" if app_env == "production" else "0"
    hops_text = env.get("TRUSTED_PROXY_HOPS", hops_default).strip() or hops_default
    # isascii too: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (hops_text.isascii() and hops_text.isdigit()) or int(hops_text) > MAX_PROXY_HOPS:
        raise SettingsError(
            f"TRUSTED_PROXY_HOPS must be a whole number from 0 to {MAX_PROXY_HOPS} (the "
            f"routers in front of the app; Heroku: 1), not {hops_text!r}"
        )

    smtp_url, mail_from = _mail_from_env(env)
    return Settings(
        database_url=app_database_url_from_env(env),
        secret_key=Secret(secret or DEVELOPMENT_SECRET_KEY),
        app_env=app_env,  # type: ignore[arg-type]  # checked against the Literal above
        port=port,
        password_hashing=hashing,  # type: ignore[arg-type]  # checked against the Literal above
        trusted_proxy_hops=int(hops_text),
        database_pooler=pooler_from_env(env),
        smtp_url=smtp_url,
        mail_from=mail_from,
        smtp_timeout=_positive_seconds(env, "SMTP_TIMEOUT", DEFAULT_SMTP_TIMEOUT),
        outbox_lease_seconds=_positive_seconds(env, "OUTBOX_LEASE_SECONDS", DEFAULT_OUTBOX_LEASE),
        worker_poll_seconds=_positive_seconds(env, "WORKER_POLL_SECONDS", DEFAULT_WORKER_POLL),
        public_base_url=_public_base_url(env),
    )


def _mail_from_env(env: Mapping[str, str]) -> tuple[Secret | None, str]:
    """``SMTP_URL`` (checked, kept secret: it holds the password) and ``MAIL_FROM``."""
    raw = env.get("SMTP_URL", "").strip()
    mail_from = env.get("MAIL_FROM", "").strip()
    if not raw:
        return None, mail_from or DEFAULT_MAIL_FROM
    parts = urlsplit(raw)
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
        raise SettingsError(
            "SMTP_URL must look like smtp://user:password@host:587 (STARTTLS) or "
            "smtps://user:password@host:465 (TLS from the start)"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise SettingsError("SMTP_URL has a port that is not a number") from None
    if "@" not in parseaddr(mail_from)[1]:
        raise SettingsError(
            "MAIL_FROM must be set to the sender's address (e.g. "
            "'Lantern Hall <bookings@example.com>') when SMTP_URL is set"
        )
    return Secret(raw), mail_from


def _public_base_url(env: Mapping[str, str]) -> str | None:
    """``PUBLIC_BASE_URL`` without a trailing slash, or None."""
    raw = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise SettingsError(
            f"PUBLIC_BASE_URL must look like https://admin.example.com, not {raw!r}"
        )
    return raw


def _positive_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:  # an hour is beyond any sane timeout
        raise SettingsError(f"{name} must be a number of seconds from 0 to 3600, not {text!r}")
    return value


def migration_timeouts(environ: Mapping[str, str] | None = None) -> MigrationTimeouts:
    """Timeouts for migrations, overridable with MIGRATION_LOCK_TIMEOUT / _STATEMENT_TIMEOUT."""
    env = os.environ if environ is None else environ
    default = MigrationTimeouts()
    return MigrationTimeouts(
        lock_timeout=env.get("MIGRATION_LOCK_TIMEOUT", default.lock_timeout),
        statement_timeout=env.get("MIGRATION_STATEMENT_TIMEOUT", default.statement_timeout),
    )
