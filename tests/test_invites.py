"""Issue 14 item 5: a manager invites a person; the link sets a password once and signs
them in; used, expired and withdrawn links say so; only managers of the venue invite and
withdraw; every change is audited and guarded against cross-site requests."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.access_log import redact_path
from admin_app.app import create_app
from admin_app.demo import DEMO_INVITEE, seed_demo
from admin_app.errors import UNAVAILABLE_MESSAGE
from admin_app.invites import pending
from admin_app.passwords import verify_password
from admin_app.scoping import Scope
from models import AuditEntry, StaffInvite, User, VenueStaff
from tests.auth_support import SAME_ORIGIN, add_user, is_signed_in, sign_in
from tests.console_views_support import count_statements, delete
from tests.invite_support import (
    GOOD_PASSWORD,
    expire,
    invites_of,
    link_on,
    path_of,
    role_at,
    send_invite,
    set_password,
    user_by_email,
)
from tests.support import free_port, make_settings
from tests.worlds import rows
from tests.worlds.three_venues import MANAGER_A, ROOT, STAFF_A, World, seed_world

NEWCOMER = "new.bartender@example.com"
MANAGER_B = "manager.b@example.com"
ASK_AGAIN = "Ask the venue&#39;s manager to send you a new invite."


def fresh_browser(app: Starlette) -> TestClient:
    """Another browser with no cookies (the invited person's)."""
    return TestClient(app, base_url="http://testserver")


def invited(client: TestClient, engine: Engine, world: World, **fields: str) -> str:
    """Manager A invites NEWCOMER to venue A; the link from the answer page."""
    sign_in(client, MANAGER_A)
    response = send_invite(client, world.venues["A"], NEWCOMER, **fields)
    assert response.status_code == 200, response.text
    return link_on(response.text)


def actions(engine: Engine) -> list[tuple[str, str | None, str | None]]:
    """(action, object type, actor) of every audit entry, oldest first."""
    with Session(engine) as session:
        found = session.execute(
            select(AuditEntry.action, AuditEntry.object_type, AuditEntry.actor_email).order_by(
                AuditEntry.id
            )
        ).all()
    return [(action, kind, actor) for action, kind, actor in found if action != "seed"]


def test_manager_invites_a_new_person(client: TestClient, engine: Engine) -> None:
    world = seed_world(engine)
    sign_in(client, MANAGER_A)
    form = client.get(f"/admin/invites?venue={world.venues['A']}")
    assert form.status_code == 200
    assert "Alpha Hall" in form.text
    assert "Beta Club" not in form.text

    response = send_invite(client, world.venues["A"], f" {NEWCOMER.upper()} ", full_name="Nia Bar")
    assert response.status_code == 200, response.text
    link = link_on(response.text)
    assert "Email is not set up: no message was sent." in response.text
    assert "Send this link to new.bartender@example.com yourself" in response.text
    assert 'id="copy-invite-link"' in response.text

    user = user_by_email(engine, NEWCOMER)
    assert user is not None
    assert (user.is_active, user.password_hash, user.full_name) == (False, None, "Nia Bar")
    assert role_at(engine, world.venues["A"], NEWCOMER) == "staff"
    [invite] = invites_of(engine, NEWCOMER)
    token = link.rsplit("/", 1)[1]
    assert invite.token_digest == hashlib.sha256(token.encode()).hexdigest() != token
    assert invite.expires_at - invite.created_at == timedelta(hours=72)
    assert invite.invited_by_id == world.users["manager_a"]
    assert (invite.accepted_at, invite.revoked_at, invite.role) == (None, None, "staff")
    assert actions(engine) == [
        ("create", "User", MANAGER_A),
        ("create", "VenueStaff", MANAGER_A),
        ("invite", "StaffInvite", MANAGER_A),
    ]

    # Shown once: no other page carries the token.
    again = client.get("/admin/invites")
    assert token not in again.text
    assert NEWCOMER in again.text
    assert "expires" in again.text
    venue_page = client.get(f"/admin/venue/details/{world.venues['A']}")
    assert token not in venue_page.text
    assert "invited, not yet active" in venue_page.text
    assert "link expires" in venue_page.text
    assert "Withdraw invite" in venue_page.text
    staff_list = client.get(f"/admin/venue-staff/list?venue_id={world.venues['A']}")
    assert "staff (invited, not yet active)" in staff_list.text
    assert token not in staff_list.text


def test_the_link_sets_a_password_once_and_signs_in(
    client: TestClient, engine: Engine, app: Starlette
) -> None:
    world = seed_world(engine)
    link = invited(client, engine, world)
    person = fresh_browser(app)

    opened = person.get(path_of(link))
    assert opened.status_code == 200
    assert "Alpha Hall" in opened.text
    assert NEWCOMER in opened.text
    assert opened.headers["cache-control"] == "no-store"

    weak = set_password(person, link, "short")
    assert weak.status_code == 400
    assert "The password must be at least 10 characters long." in weak.text
    mine = set_password(person, link, "new.bartender-rocks")
    assert mine.status_code == 400
    assert "The password must not contain your email address." in mine.text
    differ = set_password(person, link, GOOD_PASSWORD, GOOD_PASSWORD + "x")
    assert differ.status_code == 400
    assert "The two passwords do not match." in differ.text
    user = user_by_email(engine, NEWCOMER)
    assert user is not None
    assert (user.is_active, user.password_hash) == (False, None)
    assert invites_of(engine, NEWCOMER)[0].accepted_at is None
    assert not is_signed_in(person)

    done = set_password(person, link, GOOD_PASSWORD)
    assert done.status_code == 303
    assert done.headers["location"].startswith("http://testserver/admin/")
    assert is_signed_in(person)
    assert person.get("/admin/event/list").status_code == 200
    user = user_by_email(engine, NEWCOMER)
    assert user is not None
    assert user.is_active
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    [invite] = invites_of(engine, NEWCOMER)
    assert invite.accepted_at is not None
    assert invite.revoked_at is None
    assert actions(engine)[-3:] == [
        ("activate", "User", NEWCOMER),
        ("accept_invite", "StaffInvite", NEWCOMER),
        ("sign_in", "User", NEWCOMER),
    ]

    # Second use, from any browser: a clear page, and nothing changes.
    for browser in (person, fresh_browser(app)):
        again = browser.get(path_of(link))
        assert again.status_code == 410
        assert "This invite link has already been used." in again.text
        assert ASK_AGAIN in again.text
        reused = set_password(browser, link, "another-password-77")
        assert reused.status_code == 410
    user = user_by_email(engine, NEWCOMER)
    assert user is not None
    assert verify_password(user.password_hash, GOOD_PASSWORD)


def test_an_expired_link_gives_a_clear_page(
    client: TestClient, engine: Engine, app: Starlette
) -> None:
    world = seed_world(engine)
    link = invited(client, engine, world)
    expire(engine, invites_of(engine, NEWCOMER)[0].id)
    person = fresh_browser(app)
    page = person.get(path_of(link))
    assert page.status_code == 410
    assert "This invite link has expired." in page.text
    assert ASK_AGAIN in page.text
    assert set_password(person, link, GOOD_PASSWORD).status_code == 410
    user = user_by_email(engine, NEWCOMER)
    assert user is not None
    assert (user.is_active, user.password_hash) == (False, None)
    # The manager sees it as expired, and can send a new link.
    listing = client.get("/admin/invites")
    assert "expired" in listing.text
    fresh = link_on(send_invite(client, world.venues["A"], NEWCOMER).text)
    assert set_password(person, fresh, GOOD_PASSWORD).status_code == 303


def test_unknown_links_give_a_clear_page(client: TestClient, engine: Engine) -> None:
    for path in ("/invite/nonsense", "/invite/" + "A" * 43, "/invite/" + "%00" * 3):
        page = client.get(path)
        assert page.status_code in (400, 404), path
    page = client.get("/invite/" + "A" * 43)
    assert "This invite link is not valid." in page.text
    assert ASK_AGAIN in page.text
    assert "Go to sign-in" in page.text


def test_withdrawing_an_invite(client: TestClient, engine: Engine, app: Starlette) -> None:
    world = seed_world(engine)
    link = invited(client, engine, world)
    [invite] = invites_of(engine, NEWCOMER)
    response = client.post(
        f"/admin/invites/{invite.id}/revoke", headers=SAME_ORIGIN, follow_redirects=False
    )
    assert response.status_code == 303
    [invite] = invites_of(engine, NEWCOMER)
    assert invite.revoked_at is not None
    assert invite.accepted_at is None
    assert role_at(engine, world.venues["A"], NEWCOMER) is None
    # The account stays, inactive and without a password: it can never sign in.
    user = user_by_email(engine, NEWCOMER)
    assert user is not None
    assert (user.is_active, user.password_hash) == (False, None)
    assert actions(engine)[-2:] == [
        ("revoke_invite", "StaffInvite", MANAGER_A),
        ("delete", "VenueStaff", MANAGER_A),
    ]
    page = fresh_browser(app).get(path_of(link))
    assert page.status_code == 410
    assert "This invite was withdrawn by the venue." in page.text
    assert ASK_AGAIN in page.text
    # From the venue page's button, the answer goes back to the venue page.
    second = link_on(send_invite(client, world.venues["A"], NEWCOMER).text)
    [_, reissued] = invites_of(engine, NEWCOMER)
    back = client.post(
        f"/admin/invites/{reissued.id}/revoke",
        data={"return_to": "venue"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert back.headers["location"].endswith(f"/admin/venue/details/{world.venues['A']}")
    assert fresh_browser(app).get(path_of(second)).status_code == 410
    twice = client.post(f"/admin/invites/{invite.id}/revoke", headers=SAME_ORIGIN)
    assert twice.status_code == 409
    assert "This invite was already withdrawn." in twice.text
    assert "No open invites." in client.get("/admin/invites").text


def test_inviting_again_replaces_the_link(
    client: TestClient, engine: Engine, app: Starlette
) -> None:
    world = seed_world(engine)
    first = invited(client, engine, world)
    second_page = send_invite(client, world.venues["A"], NEWCOMER, role="manager")
    assert second_page.status_code == 200
    second = link_on(second_page.text)
    assert "Their earlier invite link no longer works." in second_page.text
    old, new = invites_of(engine, NEWCOMER)
    assert old.revoked_at is not None
    assert new.revoked_at is None
    assert role_at(engine, world.venues["A"], NEWCOMER) == "manager"
    person = fresh_browser(app)
    assert person.get(path_of(first)).status_code == 410
    assert set_password(person, second, GOOD_PASSWORD).status_code == 303
    assert client.get("/admin/invites").text.count('data-testid="pending-invite"') == 0


def test_existing_accounts_are_added_without_a_link(client: TestClient, engine: Engine) -> None:
    world = seed_world(engine)
    colleague = add_user(engine, "known.person@example.com")
    sign_in(client, MANAGER_A)
    added = send_invite(client, world.venues["A"], "known.person@example.com")
    assert added.status_code == 303
    assert role_at(engine, world.venues["A"], "known.person@example.com") == "staff"
    assert invites_of(engine, "known.person@example.com") == []
    assert colleague

    already = send_invite(client, world.venues["A"], STAFF_A)
    assert already.status_code == 400
    assert f"{STAFF_A} already works at Alpha Hall (as staff)." in already.text

    add_user(engine, "gone@example.com", active=False)
    refused = send_invite(client, world.venues["A"], "gone@example.com")
    assert refused.status_code == 400
    assert "is deactivated; only an administrator can restore it." in refused.text
    assert role_at(engine, world.venues["A"], "gone@example.com") is None

    with rows.committed(engine) as session:
        rows.user(session, "ops.nopass@example.com", password=None, superuser=True)
    ops = send_invite(client, world.venues["A"], "ops.nopass@example.com")
    assert ops.status_code == 400
    assert "is an administrator account without a password" in ops.text
    assert invites_of(engine, "ops.nopass@example.com") == []
    assert role_at(engine, world.venues["A"], "ops.nopass@example.com") is None

    bad = send_invite(client, world.venues["A"], "not-an-address")
    assert bad.status_code == 400
    assert "is not a valid email address." in bad.text
    role = send_invite(client, world.venues["A"], NEWCOMER, role="owner")
    assert role.status_code == 400
    assert user_by_email(engine, NEWCOMER) is None


def test_a_band_member_without_a_password_gets_a_link(
    client: TestClient, engine: Engine, app: Starlette
) -> None:
    world = seed_world(engine)
    sign_in(client, MANAGER_A)
    with rows.committed(engine) as session:
        rows.user(session, "drummer@example.com", password=None)
    response = send_invite(client, world.venues["A"], "drummer@example.com")
    link = link_on(response.text)
    assert "An account was created" not in response.text
    assert set_password(fresh_browser(app), link, GOOD_PASSWORD).status_code == 303


def test_only_managers_of_the_venue_invite_and_withdraw(
    client: TestClient, engine: Engine, app: Starlette
) -> None:
    world = seed_world(engine)
    with rows.committed(engine) as session:
        rows.user(session, MANAGER_B, venue=world.venues["B"], role="manager")
    invited(client, engine, world)
    [invite] = invites_of(engine, NEWCOMER)
    before = actions(engine)

    staff = fresh_browser(app)
    sign_in(staff, STAFF_A)
    assert staff.get("/admin/invites").status_code == 403
    assert "/admin/invites" not in staff.get("/admin/event/list").text
    venue_page = staff.get(f"/admin/venue/details/{world.venues['A']}")
    assert "Invite someone" not in venue_page.text
    assert "Withdraw invite" not in venue_page.text
    assert "invited, not yet active" in venue_page.text
    assert send_invite(staff, world.venues["A"], "x.y@example.com").status_code == 403
    revoke = f"/admin/invites/{invite.id}/revoke"
    assert staff.post(revoke, headers=SAME_ORIGIN).status_code == 403

    other = fresh_browser(app)
    sign_in(other, MANAGER_B)
    refused = send_invite(other, world.venues["A"], "x.y@example.com")
    assert refused.status_code == 403
    assert "You can only invite people to a venue you manage." in refused.text
    assert other.post(revoke, headers=SAME_ORIGIN).status_code == 404
    assert NEWCOMER not in other.get("/admin/invites").text

    manager = fresh_browser(app)
    sign_in(manager, MANAGER_A)
    for venue in ("B", "C"):
        assert send_invite(manager, world.venues[venue], "x.y@example.com").status_code == 403
    assert user_by_email(engine, "x.y@example.com") is None
    assert invites_of(engine, NEWCOMER)[0].revoked_at is None
    assert actions(engine) == before

    # A manager may invite a manager, as they may add one; superusers invite anywhere.
    root = fresh_browser(app)
    sign_in(root, ROOT)
    made = send_invite(root, world.venues["C"], "boss.c@example.com", role="manager")
    assert made.status_code == 200
    assert role_at(engine, world.venues["C"], "boss.c@example.com") == "manager"


def test_cross_site_posts_are_refused(client: TestClient, engine: Engine, app: Starlette) -> None:
    world = seed_world(engine)
    link = invited(client, engine, world)
    [invite] = invites_of(engine, NEWCOMER)
    person = fresh_browser(app)
    data = {"password": GOOD_PASSWORD, "repeated": GOOD_PASSWORD}
    for headers in ({"Origin": "https://evil.example"}, {}):
        forged = person.post(path_of(link), data=data, headers=headers)
        assert forged.status_code == 403
        assert (
            client.post(
                "/admin/invites/send",
                data={"venue": str(world.venues["A"]), "email": "x.y@example.com"},
                headers=headers,
            ).status_code
            == 403
        )
        assert client.post(f"/admin/invites/{invite.id}/revoke", headers=headers).status_code == 403
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.email == NEWCOMER))
        row = session.get(StaffInvite, invite.id)
        assert user is not None
        assert row is not None
        assert (user.is_active, user.password_hash, row.accepted_at, row.revoked_at) == (
            False, None, None, None,
        )  # fmt: skip
    assert user_by_email(engine, "x.y@example.com") is None


def test_the_demo_has_one_open_invite(db_session: Session) -> None:
    logins = seed_demo(db_session)
    assert logins.invite_link is not None
    assert logins.invite_link.startswith("http://127.0.0.1:8000/invite/")
    scope = Scope(user_id=0, email="ops@example.com", is_superuser=True)
    [open_invite] = pending(db_session, scope)
    assert (open_invite.email, open_invite.venue_name) == (DEMO_INVITEE[0], "The Blue Lantern")
    assert not open_invite.expired
    invitee = db_session.scalar(select(User).where(User.email == DEMO_INVITEE[0]))
    assert invitee is not None
    assert (invitee.is_active, invitee.password_hash) == (False, None)
    # Seeding again changes nothing and shows no link (it was shown once).
    assert seed_demo(db_session).invite_link is None
    assert len(pending(db_session, scope)) == 1


def test_the_link_page_answers_503_while_the_database_is_away() -> None:
    settings = make_settings(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    app = create_app(settings)
    # No lifespan: its schema check refuses to start without a database.
    browser = TestClient(app, base_url="http://testserver")
    try:
        page = browser.get("/invite/" + "A" * 43, headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert UNAVAILABLE_MESSAGE in page.text
        form = {"password": GOOD_PASSWORD, "repeated": GOOD_PASSWORD}
        posted = browser.post("/invite/" + "A" * 43, data=form, headers=SAME_ORIGIN)
        assert posted.status_code == 503
    finally:
        browser.close()
        app.state.engine.dispose()


def test_bad_input_is_refused_with_a_reason(client: TestClient, engine: Engine) -> None:
    world = seed_world(engine)
    sign_in(client, ROOT)
    cases = [
        ({"venue": "abc"}, 400, "Choose a venue."),
        ({"venue": "99999999"}, 400, "There is no such venue."),
        ({"venue": "9" * 40}, 400, "Choose a venue."),
        ({"email": "x" * 400 + "@example.com"}, 400, "is not a valid email address."),
        ({"email": ""}, 400, "An email address is required."),
        ({"full_name": "N" * 201}, 400, "The name may be at most 200 characters long."),
        ({"role": "superuser"}, 400, "The role must be one of: manager, staff."),
    ]
    for fields, status, message in cases:
        data = {"venue": str(world.venues["A"]), "email": NEWCOMER, **fields}
        response = client.post("/admin/invites/send", data=data, headers=SAME_ORIGIN)
        assert response.status_code == status, (fields, response.text[:300])
        assert message in response.text.replace("&#39;", "'"), fields
    for invite_id in ("abc", "0", "9" * 40, "-1"):
        response = client.post(f"/admin/invites/{invite_id}/revoke", headers=SAME_ORIGIN)
        assert response.status_code == 404, invite_id
    for token in ("x" * 44, "<script>", "a b", "é" * 43):
        assert client.get(f"/invite/{token}").status_code == 404
    assert user_by_email(engine, NEWCOMER) is None
    assert actions(engine) == []


def test_pages_cost_the_same_statements_with_more_invites(
    client: TestClient, engine: Engine
) -> None:
    world = seed_world(engine)
    sign_in(client, MANAGER_A)
    pages = ["/admin/invites", f"/admin/venue/details/{world.venues['A']}"]

    def costs() -> list[int]:
        found = []
        for url in pages:
            with count_statements(client) as statements:
                assert client.get(url).status_code == 200
            found.append(len(statements))
        return found

    assert send_invite(client, world.venues["A"], "one@example.com").status_code == 200
    few = costs()
    for number in range(2, 8):
        assert send_invite(client, world.venues["A"], f"p{number}@example.com").status_code == 200
    assert client.get("/admin/invites").text.count('data-testid="pending-invite"') == 7
    assert costs() == few


def test_invite_tokens_never_reach_the_log() -> None:
    token = "A" * 43
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert redact_path(f"/invite/{token}") == f"/invite/redacted-{digest[:8]}"
    assert redact_path(f"/INVITE/{token}?x=1") == f"/INVITE/redacted-{digest[:8]}?x=1"


def test_removing_an_invitee_from_the_staff_ends_the_link(
    client: TestClient, engine: Engine, app: Starlette
) -> None:
    world = seed_world(engine)
    link = invited(client, engine, world)
    with Session(engine) as session:
        staff_id = session.scalar(select(VenueStaff.id).join(User).where(User.email == NEWCOMER))
    assert staff_id is not None
    deleted = delete(client, "venue-staff", staff_id)
    assert deleted.status_code == 200, deleted.text
    assert role_at(engine, world.venues["A"], NEWCOMER) is None
    assert "No open invites." in client.get("/admin/invites").text
    page = fresh_browser(app).get(path_of(link))
    assert page.status_code == 410
    assert "This invite was withdrawn by the venue." in page.text


def test_deactivated_staff_are_marked_inactive(client: TestClient, engine: Engine) -> None:
    world = seed_world(engine)
    with Session(engine) as session, session.begin():
        person = session.scalar(select(User).where(User.email == STAFF_A))
        assert person is not None
        person.is_active = False
    sign_in(client, MANAGER_A)
    staff_list = client.get(f"/admin/venue-staff/list?venue_id={world.venues['A']}")
    assert "staff (inactive)" in staff_list.text
    venue_page = client.get(f"/admin/venue/details/{world.venues['A']}")
    assert 'data-testid="standing">inactive</span>' in venue_page.text
    assert "Withdraw invite" not in venue_page.text
