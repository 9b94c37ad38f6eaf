"""One invite link used from several browsers at once, and used while it is withdrawn:
real commits on separate connections; exactly one outcome wins, the rest are told why."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from admin_app import invite_links, invites
from admin_app.scoping import load_scope
from models import StaffInvite, User, UserSession, VenueStaff
from tests.invite_support import GOOD_PASSWORD
from tests.worlds import rows

RACERS = 8


def _race(db_url: str, calls: list[Callable[[sessionmaker[Session]], object]]) -> list[object]:
    """Run each call in its own thread with its own connections, all released at once."""
    sqlite = make_url(db_url).get_backend_name() == "sqlite"
    racing_engine = create_engine(
        db_url, poolclass=NullPool, connect_args={"timeout": 60} if sqlite else {}
    )
    maker = sessionmaker(racing_engine, expire_on_commit=False)
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[sessionmaker[Session]], object]) -> object:
        barrier.wait(timeout=30)
        try:
            return call(maker)
        except (invite_links.InviteGone, invites.InviteError) as refused:
            return refused

    try:
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(run, calls))
    finally:
        racing_engine.dispose()


def _invite(engine: Engine) -> tuple[str, int, int]:
    """A manager's venue and one fresh invite there: (token, invite id, manager id)."""
    with rows.committed(engine) as session:
        venue = rows.venue(session, "Race Hall")
        manager = rows.user(session, "boss@example.com", venue=venue, role="manager")
        scope = load_scope(session, manager.id)
        assert scope is not None
        done = invites.invite(
            session,
            scope,
            venue_id=venue.id,
            email="racer@example.com",
            link_for=lambda token: token,
        )
        assert done.token is not None
        invite_id = session.scalar(select(StaffInvite.id))
        assert invite_id is not None
        return done.token, invite_id, manager.id


def _accept(token: str) -> Callable[[sessionmaker[Session]], object]:
    def call(maker: sessionmaker[Session]) -> object:
        return invite_links.accept(
            maker, token, password=GOOD_PASSWORD, repeated=GOOD_PASSWORD, remote_addr=None
        )

    return call


def test_one_link_used_in_many_browsers_at_once(db_url: str, engine: Engine) -> None:
    token, invite_id, _ = _invite(engine)
    outcomes = _race(db_url, [_accept(token)] * RACERS)
    won = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, invite_links.InviteGone)]
    assert len(won) == 1
    assert len(refused) == RACERS - 1
    assert {gone.message for gone in refused} == {invite_links.USED_LINK}
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.email == "racer@example.com"))
        assert user is not None
        assert user.is_active
        invite = session.get(StaffInvite, invite_id)
        assert invite is not None
        assert invite.accepted_at is not None
        # One signed-in session: the winner's.
        assert session.scalar(select(func.count()).where(UserSession.user_id == user.id)) == 1


def test_a_link_used_while_it_is_withdrawn(db_url: str, engine: Engine) -> None:
    token, invite_id, manager_id = _invite(engine)

    def withdraw(maker: sessionmaker[Session]) -> object:
        with maker.begin() as session:
            scope = load_scope(session, manager_id)
            assert scope is not None
            return invites.revoke(session, scope, invite_id)

    outcomes = _race(db_url, [_accept(token), withdraw])
    with Session(engine) as session:
        invite = session.get(StaffInvite, invite_id)
        user = session.scalar(select(User).where(User.email == "racer@example.com"))
        assert invite is not None
        assert user is not None
        role = session.scalar(select(VenueStaff.role).where(VenueStaff.user_id == user.id))
    if isinstance(outcomes[0], dict):  # the link won: the withdrawal was refused
        assert isinstance(outcomes[1], invites.InviteError)
        assert invite.accepted_at is not None
        assert invite.revoked_at is None
        assert (user.is_active, role) == (True, "staff")
    else:  # the withdrawal won: the link says so, and opened nothing
        assert isinstance(outcomes[0], invite_links.InviteGone)
        assert invite.revoked_at is not None
        assert invite.accepted_at is None
        assert (user.is_active, user.password_hash, role) == (False, None, None)


def test_two_venues_invite_one_new_person_at_once(db_url: str, engine: Engine) -> None:
    managers = []
    with rows.committed(engine) as session:
        for name in ("East Hall", "West Hall"):
            venue = rows.venue(session, name)
            boss = rows.user(session, f"boss@{name.split()[0].lower()}.example.com")
            rows.staff(session, venue, boss, "manager")
            managers.append((boss.id, venue.id))

    def inviter(manager_id: int, venue_id: int) -> Callable[[sessionmaker[Session]], object]:
        def call(maker: sessionmaker[Session]) -> object:
            with maker.begin() as session:
                scope = load_scope(session, manager_id)
                assert scope is not None
                return invites.invite(
                    session,
                    scope,
                    venue_id=venue_id,
                    email="wanted@example.com",
                    link_for=lambda token: token,
                )

        return call

    outcomes = _race(db_url, [inviter(*pair) for pair in managers])
    assert all(isinstance(outcome, invites.Invited) for outcome in outcomes), outcomes
    assert sorted(isinstance(o, invites.Invited) and o.created_account for o in outcomes) == [
        False,
        True,
    ]
    with Session(engine) as session:
        [user_id] = session.scalars(select(User.id).where(User.email == "wanted@example.com"))
        venues = set(
            session.scalars(select(VenueStaff.venue_id).where(VenueStaff.user_id == user_id))
        )
        assert venues == {venue_id for _, venue_id in managers}
        open_links = session.scalar(
            select(func.count()).where(
                StaffInvite.user_id == user_id, StaffInvite.revoked_at.is_(None)
            )
        )
        assert open_links == 2
