"""Settings from the environment: URL normalisation, defaults, and production refusals."""

from __future__ import annotations

import pytest

from admin_app.mail import SmtpTransport, transport_for
from admin_app.settings import (
    DEFAULT_SQLITE_PATH,
    DEVELOPMENT_SECRET_KEY,
    MIN_PRODUCTION_SECRET_LENGTH,
    PROJECT_ROOT,
    SettingsError,
    database_url_from_env,
    load_settings,
    normalize_database_url,
)

STRONG_SECRET = "s3cr3t-" + "k" * 40
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": STRONG_SECRET,
    "DATABASE_URL": "postgres://app:pw@db.example.com:5432/bands",
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d?sslmode=require", "postgresql+psycopg://u:p@h/d?sslmode=require"),
        ("  postgres://u@h/d\n", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///var/x.sqlite3", "sqlite:///var/x.sqlite3"),
        ("sqlite:////abs/path/x.sqlite3", "sqlite:////abs/path/x.sqlite3"),
    ],
)
def test_normalize_database_url(raw: str, expected: str) -> None:
    assert normalize_database_url(raw) == expected


def test_heroku_style_url_reaches_settings_normalised() -> None:
    settings = load_settings({"DATABASE_URL": "postgres://u:p@h:5432/d"})
    assert settings.database_url == "postgresql+psycopg://u:p@h:5432/d"
    assert not settings.is_sqlite


@pytest.mark.parametrize("environ", [{}, {"DATABASE_URL": ""}, {"DATABASE_URL": "   "}])
def test_default_database_is_sqlite_under_var(environ: dict[str, str]) -> None:
    url = database_url_from_env(environ)
    assert url == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert DEFAULT_SQLITE_PATH.parent == PROJECT_ROOT / "var"
    settings = load_settings(environ)
    assert settings.is_sqlite
    assert settings.app_env == "development"
    assert not settings.is_production
    assert settings.port == 8000


def test_development_falls_back_to_the_development_key() -> None:
    assert str(load_settings({}).secret_key) == DEVELOPMENT_SECRET_KEY


def test_production_with_everything_set_loads() -> None:
    settings = load_settings({**PRODUCTION, "PORT": "5123"})
    assert settings.is_production
    assert str(settings.secret_key) == STRONG_SECRET
    assert settings.database_url == "postgresql+psycopg://app:pw@db.example.com:5432/bands"
    assert settings.port == 5123


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "SECRET_KEY must be set"),
        ("", "SECRET_KEY must be set"),
        ("   ", "SECRET_KEY must be set"),
        (DEVELOPMENT_SECRET_KEY, "SECRET_KEY must be set"),
        ("x" * (MIN_PRODUCTION_SECRET_LENGTH - 1), "at least"),
    ],
    ids=["missing", "empty", "blank", "development-key", "short"],
)
def test_production_refuses_unsafe_secret(secret: str | None, message: str) -> None:
    environ = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    if secret is not None:
        environ["SECRET_KEY"] = secret
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


def test_production_accepts_a_secret_of_exactly_the_minimum_length() -> None:
    settings = load_settings({**PRODUCTION, "SECRET_KEY": "y" * MIN_PRODUCTION_SECRET_LENGTH})
    assert len(str(settings.secret_key)) == MIN_PRODUCTION_SECRET_LENGTH


@pytest.mark.parametrize("database_url", [None, "", "  "])
def test_production_refuses_missing_database_url(database_url: str | None) -> None:
    environ = {key: value for key, value in PRODUCTION.items() if key != "DATABASE_URL"}
    if database_url is not None:
        environ["DATABASE_URL"] = database_url
    with pytest.raises(SettingsError, match="DATABASE_URL must be set"):
        load_settings(environ)


@pytest.mark.parametrize("app_env", ["staging", "prod", "test"])
def test_unknown_app_env_is_refused(app_env: str) -> None:
    with pytest.raises(SettingsError, match="APP_ENV"):
        load_settings({"APP_ENV": app_env})


def test_app_env_is_case_insensitive() -> None:
    assert load_settings({**PRODUCTION, "APP_ENV": " Production "}).is_production


@pytest.mark.parametrize("port", ["http", "80.5", "0", "-1", "65536"])
def test_bad_port_is_refused(port: str) -> None:
    with pytest.raises(SettingsError, match="PORT"):
        load_settings({"PORT": port})


def test_secret_never_appears_in_repr() -> None:
    settings = load_settings(PRODUCTION)
    assert STRONG_SECRET not in repr(settings)
    assert STRONG_SECRET not in str(settings)
    assert STRONG_SECRET not in repr(settings.secret_key)
    # The value is still there for the code that signs cookies.
    assert str(settings.secret_key) == STRONG_SECRET


def test_trusted_proxy_hops_default_to_herokus_one_router_in_production() -> None:
    assert load_settings(PRODUCTION).trusted_proxy_hops == 1
    assert load_settings({}).trusted_proxy_hops == 0  # a laptop has no router in front
    assert load_settings({**PRODUCTION, "TRUSTED_PROXY_HOPS": "2"}).trusted_proxy_hops == 2
    assert load_settings({**PRODUCTION, "TRUSTED_PROXY_HOPS": "0"}).trusted_proxy_hops == 0


@pytest.mark.parametrize("hops", ["-1", "one", "1.5", "11", "²"])
def test_bad_trusted_proxy_hops_are_refused(hops: str) -> None:
    with pytest.raises(SettingsError, match="TRUSTED_PROXY_HOPS must be a whole number from 0"):
        load_settings({"TRUSTED_PROXY_HOPS": hops})


MAIL = {"SMTP_URL": "smtp://mailer:s3cret%21@mail.example:2525", "MAIL_FROM": "Hall <b@h.example>"}


def test_mail_settings_read_the_smtp_server_and_keep_its_password_out_of_repr() -> None:
    settings = load_settings(MAIL)

    transport = SmtpTransport.from_url(str(settings.smtp_url), settings.smtp_timeout)
    assert (transport.host, transport.port, transport.implicit_tls) == ("mail.example", 2525, False)
    assert (transport.username, transport.password) == ("mailer", "s3cret!")
    assert "s3cret" not in repr(settings)
    assert settings.mail_from == "Hall <b@h.example>"
    assert SmtpTransport.from_url("smtps://mail.example", 5).port == 465
    assert SmtpTransport.from_url("smtps://mail.example", 5).implicit_tls


def test_without_smtp_url_mail_goes_to_the_log() -> None:
    settings = load_settings({})
    assert settings.smtp_url is None
    assert transport_for(settings).logs_only


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({**MAIL, "SMTP_URL": "http://mail.example"}, "SMTP_URL must look like"),
        ({**MAIL, "SMTP_URL": "smtp://"}, "SMTP_URL must look like"),
        ({**MAIL, "SMTP_URL": "smtp://mail.example:port"}, "port that is not a number"),
        ({**MAIL, "MAIL_FROM": ""}, "MAIL_FROM must be set"),
        ({**MAIL, "MAIL_FROM": "bookings"}, "MAIL_FROM must be set"),
        ({**MAIL, "SMTP_TIMEOUT": "soon"}, "SMTP_TIMEOUT must be a number of seconds"),
        ({**MAIL, "SMTP_TIMEOUT": "0"}, "SMTP_TIMEOUT must be a number of seconds"),
        ({"OUTBOX_LEASE_SECONDS": "-5"}, "OUTBOX_LEASE_SECONDS must be"),
    ],
)
def test_bad_mail_settings_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)
