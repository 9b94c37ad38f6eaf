"""The People area: the user view, its password handling, and what it never shows."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from admin_app.accounts import create_user
from admin_app.passwords import verify_password
from models import Band, BandMember, User, Venue, VenueStaff
from tests.auth_support import PASSWORD, post_login
from tests.console_views_support import (
    ADMIN_EMAIL,
    assert_same_statement_count,
    delete,
    post_form,
    sign_in_superuser,
)

NEW_PASSWORD = "a much better passphrase"


def assert_no_password_hash(text: str) -> None:
    """Neither the column nor an argon2 hash appears in a page or export."""
    assert "password_hash" not in text
    assert "$argon2" not in text


def add_people(engine: Engine, count: int) -> list[int]:
    """``count`` users without passwords (band members who never sign in)."""
    with Session(engine) as session:
        users = [
            User(email=f"person{i:02d}@example.com", full_name=f"Person {i:02d}")
            for i in range(count)
        ]
        session.add_all(users)
        session.commit()
        return [user.id for user in users]


def user_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def get_user(engine: Engine, email: str) -> User | None:
    with Session(engine) as session:
        return session.scalar(select(User).where(User.email == email))


def test_list_search_sort_and_filter(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    with Session(engine) as session:
        session.add_all(
            [
                User(email="alice@example.com", full_name="Alice Archer"),
                User(email="bob@example.com", full_name="Bob Baker", is_active=False),
            ]
        )
        session.commit()

    listing = client.get("/admin/user/list")
    assert listing.status_code == 200
    assert "alice@example.com" in listing.text
    assert "Bob Baker" in listing.text
    assert_no_password_hash(listing.text)

    found = client.get("/admin/user/list", params={"search": "ARCHER"})
    assert "alice@example.com" in found.text
    assert "bob@example.com" not in found.text

    by_email = client.get("/admin/user/list", params={"sortBy": "email", "sort": "desc"})
    assert by_email.status_code == 200
    order = [by_email.text.index(email) for email in (ADMIN_EMAIL, "bob@example.com")]
    assert order[0] < order[1]
    assert client.get("/admin/user/list", params={"sortBy": "password_hash"}).status_code == 400

    inactive = client.get("/admin/user/list", params={"is_active": "false"})
    assert "bob@example.com" in inactive.text
    assert "alice@example.com" not in inactive.text
    superusers = client.get("/admin/user/list", params={"is_superuser": "true"})
    assert ADMIN_EMAIL in superusers.text
    assert "alice@example.com" not in superusers.text


def test_detail_links_memberships_and_venue_roles(client: TestClient, engine: Engine) -> None:
    admin_id = sign_in_superuser(client, engine)
    with Session(engine) as session:
        band = Band(name="The <Loud> Ones")
        venue = Venue(name="Blue Room", city="Oslo", timezone="Europe/Oslo")
        member = BandMember(band=band, user_id=admin_id, instrument="drums")
        role = VenueStaff(venue=venue, user_id=admin_id, role="manager")
        session.add_all([member, role])
        session.commit()
        member_id, role_id = member.id, role.id

    response = client.get(f"/admin/user/details/{admin_id}")
    assert response.status_code == 200
    assert f'/admin/band-member/details/{member_id}"' in response.text
    assert f'/admin/venue-staff/details/{role_id}"' in response.text
    assert "The &lt;Loud&gt; Ones (drums)" in response.text
    assert "Blue Room (manager)" in response.text
    assert_no_password_hash(response.text)


def test_create_normalises_email_and_hashes_password(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    form = client.get("/admin/user/create")
    assert form.status_code == 200
    assert 'name="password_confirm"' in form.text
    assert "password_hash" not in form.text

    response = post_form(
        client,
        "/admin/user/create",
        {
            "email": "  New.Person@Example.COM ",
            "full_name": "New Person",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    user = get_user(engine, "new.person@example.com")
    assert user is not None
    assert user.full_name == "New Person"
    assert user.is_active
    assert not user.is_superuser
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.session_version == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"email": "OPS@Example.com"}, "already", id="duplicate-email-other-case"),
        pytest.param({"email": "not-an-email"}, "not a valid email", id="invalid-email"),
        pytest.param({"password": "short", "password_confirm": "short"}, "at least", id="weak"),
        pytest.param({"password_confirm": NEW_PASSWORD + "x"}, "do not match", id="mismatch"),
        pytest.param({"password": "", "password_confirm": ""}, "required", id="no-password"),
        pytest.param({"full_name": "x" * 10_000}, "", id="too-long"),
    ],
)
def test_create_rejects_bad_input(
    client: TestClient, engine: Engine, changes: dict[str, str], message: str
) -> None:
    sign_in_superuser(client, engine)
    data = {
        "email": "someone@example.com",
        "full_name": "Someone",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        "is_active": "y",
    }
    response = post_form(client, "/admin/user/create", {**data, **changes})
    assert response.status_code == 400
    assert message in response.text
    assert 'class="invalid-feedback' in response.text or "alert-danger" in response.text
    assert user_count(engine) == 1


def test_edit_password_ends_other_sessions_and_new_password_works(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    with Session(engine) as session:
        target = create_user(
            session, email="dana@example.com", password=PASSWORD, is_superuser=True
        )
        session.commit()
        target_id = target.id
    # Dana is signed in elsewhere; changing her password must end that session.
    elsewhere = TestClient(client.app, base_url="http://testserver")
    assert post_login(elsewhere, "dana@example.com", PASSWORD).status_code == 302
    assert elsewhere.get("/admin/user/list", follow_redirects=False).status_code == 200

    response = post_form(
        client,
        f"/admin/user/edit/{target_id}",
        {
            "email": "dana@example.com",
            "full_name": "Dana",
            "is_active": "y",
            "is_superuser": "y",
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = get_user(engine, "dana@example.com")
    assert user is not None
    assert user.session_version == 2
    assert verify_password(user.password_hash, NEW_PASSWORD)

    assert elsewhere.get("/admin/user/list", follow_redirects=False).status_code == 302
    assert post_login(elsewhere, "dana@example.com", PASSWORD).status_code == 400
    assert post_login(elsewhere, "dana@example.com", NEW_PASSWORD).status_code == 302


def test_edit_with_blank_password_keeps_it(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    (user_id,) = add_people(engine, 1)
    edit_page = client.get(f"/admin/user/edit/{user_id}")
    assert edit_page.status_code == 200
    assert 'name="new_password"' in edit_page.text

    response = post_form(
        client,
        f"/admin/user/edit/{user_id}",
        {"email": "Renamed@Example.com", "full_name": "Renamed", "is_active": "y"},
    )
    assert response.status_code == 302
    user = get_user(engine, "renamed@example.com")
    assert user is not None
    assert user.full_name == "Renamed"
    assert user.password_hash is None
    assert user.session_version == 1


def test_edit_rejects_weak_new_password(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    (user_id,) = add_people(engine, 1)
    response = post_form(
        client,
        f"/admin/user/edit/{user_id}",
        {
            "email": "person00@example.com",
            "full_name": "Person 00",
            "is_active": "y",
            "new_password": "person00-secret",
            "new_password_confirm": "person00-secret",
        },
    )
    assert response.status_code == 400
    assert "must not contain your email" in response.text
    user = get_user(engine, "person00@example.com")
    assert user is not None
    assert user.password_hash is None
    assert user.session_version == 1


def test_deactivating_bumps_session_version(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    (user_id,) = add_people(engine, 1)
    response = post_form(
        client,
        f"/admin/user/edit/{user_id}",
        {"email": "person00@example.com", "full_name": "Person 00"},
    )
    assert response.status_code == 302
    user = get_user(engine, "person00@example.com")
    assert user is not None
    assert not user.is_active
    assert user.session_version == 2


def test_own_password_change_keeps_this_session(client: TestClient, engine: Engine) -> None:
    admin_id = sign_in_superuser(client, engine)
    own = {"email": ADMIN_EMAIL, "full_name": "Ops", "is_active": "y", "is_superuser": "y"}
    response = post_form(
        client,
        f"/admin/user/edit/{admin_id}",
        {**own, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/admin/user/list", follow_redirects=False).status_code == 200

    # Switching yourself off would lock you out: refused, nothing saved.
    response = post_form(client, f"/admin/user/edit/{admin_id}", {**own, "is_active": ""})
    assert response.status_code == 400
    user = get_user(engine, ADMIN_EMAIL)
    assert user is not None
    assert user.is_active
    assert user.session_version == 2


def test_delete(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    (user_id,) = add_people(engine, 1)
    assert delete(client, "user", user_id).status_code == 200
    assert get_user(engine, "person00@example.com") is None
    assert user_count(engine) == 1


def test_csv_export_never_contains_the_password(client: TestClient, engine: Engine) -> None:
    sign_in_superuser(client, engine)
    add_people(engine, 2)
    response = client.get("/admin/user/export/csv")
    assert response.status_code == 200
    header, *rows = response.text.splitlines()
    assert header == "ID,Email,Full name,Active,Superuser,Created"
    assert_no_password_hash(response.text)
    assert len(rows) == 3
    assert any(",person01@example.com,Person 01,yes,no," in row for row in rows)

    # The export follows the list's filters.
    superusers = client.get("/admin/user/export/csv", params={"is_superuser": "true"})
    assert superusers.status_code == 200
    assert [row.split(",")[1] for row in superusers.text.splitlines()[1:]] == [ADMIN_EMAIL]


def test_list_statement_count_does_not_grow_with_page_size(
    client: TestClient, engine: Engine
) -> None:
    sign_in_superuser(client, engine)
    add_people(engine, 30)
    assert_same_statement_count(client, "/admin/user/list")
