"""The audit diff: changed fields only, secrets visible as 'changed' but never as values."""

from __future__ import annotations

import json

from admin_app.audit import diff, snapshot
from admin_app.passwords import hash_password
from models import User


def _user(password_hash: str | None) -> User:
    return User(
        id=1, email="a@example.com", full_name="A", password_hash=password_hash, is_active=True
    )


def test_diff_lists_only_changed_fields() -> None:
    before = snapshot(_user(None))
    after_user = _user(None)
    after_user.full_name = "B"
    assert diff(before, snapshot(after_user)) == {"full_name": ["A", "B"]}


def test_password_change_shows_as_changed_without_the_hash() -> None:
    old_hash, new_hash = hash_password("first-password-1"), hash_password("second-password-2")
    changes = diff(snapshot(_user(old_hash)), snapshot(_user(new_hash)))

    assert changes == {"password_hash": ["(hidden)", "(hidden) (changed)"]}
    logged = json.dumps(changes)
    assert old_hash not in logged
    assert new_hash not in logged
    assert "fingerprint" not in logged


def test_setting_a_first_password_and_deleting_a_user_hide_the_hash() -> None:
    hashed = hash_password("first-password-1")
    assert diff(snapshot(_user(None)), snapshot(_user(hashed)))["password_hash"] == [
        None,
        "(hidden) (changed)",
    ]
    deleted = diff(snapshot(_user(hashed)), {})
    assert deleted["password_hash"] == ["(hidden)", None]
    assert hashed not in json.dumps(deleted)
