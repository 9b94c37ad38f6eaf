"""Password hashing (argon2id) and the minimum rules a new password must meet."""

from __future__ import annotations

import threading
from typing import Literal

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
_COMMON_PASSWORDS = frozenset(
    {
        "password", "password1", "password123", "123456789", "1234567890", "qwertyuiop",
        "iloveyou12", "letmein123", "welcome123", "admin12345", "changeme123", "passw0rd12",
    }
)  # fmt: skip

HashingProfile = Literal["standard", "fast"]
# "standard": RFC 9106's low-memory profile (argon2id, 64 MiB, 3 passes, 4 lanes), the
# one every real deployment uses. "fast": argon2-cffi's cheapest parameters, for test runs
# where hashing is not what is tested (settings refuse it in production). A stored hash
# names its own parameters, so either hasher verifies hashes made by the other.
HASHERS: dict[HashingProfile, PasswordHasher] = {
    "standard": PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY),
    "fast": PasswordHasher.from_parameters(profiles.CHEAPEST),
}
_hasher = HASHERS["standard"]
# Each hash takes 64 MiB and a core for tens of milliseconds. More at once than cores only
# queues them inside the CPU while multiplying memory (the server's thread pool runs up to
# 40 requests at a time), so a burst of sign-ins waits here instead.
_HASH_SLOTS = threading.BoundedSemaphore(4)


class WeakPasswordError(ValueError):
    """The password does not meet the minimum rules; the message says which."""


def check_password_strength(password: str, *, email: str = "") -> None:
    """Raise :class:`WeakPasswordError` when ``password`` is too easy to guess."""
    if not password.strip():
        raise WeakPasswordError("The password is empty.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )
    if password.lower() in _COMMON_PASSWORDS or len(set(password)) < 4:
        raise WeakPasswordError("The password is too common or too simple.")
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in password.lower():
        raise WeakPasswordError("The password must not contain your email address.")


def use_profile(profile: HashingProfile) -> None:
    """Hash new passwords with ``profile`` in this process (the app and CLI set it from
    :class:`admin_app.settings.Settings`)."""
    global _hasher
    _hasher = HASHERS[profile]


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    with _HASH_SLOTS:
        return _hasher.hash(password)


def hash_new_password(password: str, *, email: str = "") -> str:
    """Check ``password`` against the rules and hash it; raises :class:`WeakPasswordError`.

    Call it before opening a transaction: the hash is deliberately slow, and a pooled
    connection held across it is one other requests cannot have.
    """
    check_password_strength(password, email=email)
    return hash_password(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for users without a password."""
    if not password_hash:
        # Spend the same time as a real check so response times do not reveal which
        # accounts exist or have a password.
        hash_password(password)
        return False
    try:
        with _HASH_SLOTS:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
