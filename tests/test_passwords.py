"""Password hashing: production parameters pinned, and the tests' cheap profile kept out of
production.

The rest of the suite hashes with argon2's cheapest parameters (``PASSWORD_HASHING=fast``,
see conftest.py); these tests are the ones that look at the real thing.
"""

from __future__ import annotations

import pytest

from admin_app import passwords
from admin_app.app import create_app
from admin_app.settings import SettingsError, load_settings
from tests.support import make_settings

PRODUCTION_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"
SECRET = "a long enough secret 42"


def test_production_parameters_are_pinned() -> None:
    settings = load_settings({"APP_ENV": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "x"})
    assert settings.password_hashing == "standard"
    passwords.use_profile(settings.password_hashing)

    stored = passwords.hash_password(SECRET)

    # RFC 9106's low-memory profile: argon2id, 64 MiB, 3 passes, 4 lanes.
    assert stored.startswith(PRODUCTION_PREFIX)
    assert passwords.verify_password(stored, SECRET)


def test_the_default_is_production_hashing(db_url: str) -> None:
    create_app(load_settings({"DATABASE_URL": db_url}))

    assert passwords.hash_password(SECRET).startswith(PRODUCTION_PREFIX)


def test_fast_hashing_is_for_tests_only() -> None:
    create_app(make_settings("sqlite://"))
    fast = passwords.hash_password(SECRET)

    assert fast.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    # A stored hash names its parameters: either profile verifies the other's hashes.
    passwords.use_profile("standard")
    assert passwords.verify_password(fast, SECRET)
    assert not passwords.verify_password(fast, SECRET + "!")


def test_fast_hashing_is_refused_in_production() -> None:
    production = {"APP_ENV": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "postgres://db"}
    with pytest.raises(SettingsError, match="PASSWORD_HASHING=fast is for test runs only"):
        load_settings({**production, "PASSWORD_HASHING": "fast"})
    assert load_settings({"PASSWORD_HASHING": "fast"}).password_hashing == "fast"


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(SettingsError, match="PASSWORD_HASHING must be 'standard' or 'fast'"):
        load_settings({"PASSWORD_HASHING": "none"})
