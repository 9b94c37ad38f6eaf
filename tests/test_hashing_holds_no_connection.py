"""argon2 runs with no pooled connection held: "change my password" and the user forms.

Each hash or check costs ~250 ms at production parameters; a connection held across it is
one fewer for every other request, and a burst of them drains the pool (as sign-in did
before it was fixed). The hasher is wrapped to record how many of the app's pooled
connections are checked out at the moment it runs.
"""

from __future__ import annotations

from typing import Literal, cast

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import passwords
from admin_app.passwords import verify_password
from models import User
from tests.auth_support import PASSWORD, SAME_ORIGIN, add_user, is_signed_in, load_user, sign_in
from tests.console_views_support import post_form, sign_in_superuser

NEW_PASSWORD = "a much better passphrase"


class PoolWatchingHasher(PasswordHasher):
    """argon2's cheapest hasher that notes the app pool's checked-out connections per call."""

    def __init__(self, engine: Engine) -> None:
        cheapest = profiles.CHEAPEST
        super().__init__(
            time_cost=cheapest.time_cost,
            memory_cost=cheapest.memory_cost,
            parallelism=cheapest.parallelism,
            hash_len=cheapest.hash_len,
            salt_len=cheapest.salt_len,
            type=cheapest.type,
        )
        self.engine = engine
        self.checked_out: list[int] = []

    def _note(self) -> None:
        self.checked_out.append(self.engine.pool.checkedout())  # type: ignore[attr-defined]

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._note()
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self._note()
        return super().verify(hash, password)


@pytest.fixture
def hasher(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> PoolWatchingHasher:
    """The app's password hasher for this test, watching the app's own pool."""
    app = cast(Starlette, client.app)
    watching = PoolWatchingHasher(app.state.engine)
    monkeypatch.setitem(passwords.HASHERS, "fast", watching)
    passwords.use_profile("fast")
    return watching


def test_change_my_password_checks_and_hashes_with_no_connection_held(
    client: TestClient, engine: Engine, hasher: PoolWatchingHasher
) -> None:
    user_id = add_user(engine, "staff@example.com", staff=True)
    sign_in(client, "staff@example.com")
    hasher.checked_out.clear()

    response = client.post(
        "/admin/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD},
        headers=SAME_ORIGIN,
    )
    during_the_request = list(hasher.checked_out)

    assert response.status_code == 200, response.text
    assert "Your password has been changed" in response.text
    assert is_signed_in(client)
    assert verify_password(load_user(engine, user_id).password_hash, NEW_PASSWORD)
    assert during_the_request == [0, 0]  # the current password checked, the new one hashed


@pytest.mark.parametrize("form", ["create", "edit"])
def test_user_forms_hash_with_no_connection_held(
    client: TestClient, engine: Engine, hasher: PoolWatchingHasher, form: str
) -> None:
    sign_in_superuser(client, engine)
    fields = {"email": "new@example.com", "full_name": "New Person", "is_active": "y"}
    if form == "create":
        url = "/admin/user/create"
        fields |= {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    else:
        url = f"/admin/user/edit/{add_user(engine, 'new@example.com')}"
        fields |= {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    hasher.checked_out.clear()

    response = post_form(client, url, fields)
    during_the_request = list(hasher.checked_out)

    assert response.status_code == 302, response.text
    assert during_the_request == [0]
    with Session(engine) as session:
        stored = session.scalar(select(User.password_hash).where(User.email == "new@example.com"))
    assert verify_password(stored, NEW_PASSWORD)
