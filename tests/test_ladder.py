"""The hold ladder as booking rules: ranks, promotion, release after a confirmation, expiry.

On SQLite and PostgreSQL, through admin_app.ladder / admin_app.holds / admin_app.booking,
with real commits (the committed ``site`` world; the ``engine`` fixture clears it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from admin_app import booking, holds, ladder
from admin_app.calendars.match import place_hold
from admin_app.scoping import Scope, load_scope
from models import AuditEntry, Event, User
from tests.worlds import rows
from tests.worlds.site import BERLIN, Site, at, build_site

NIGHT = date(2030, 4, 12)  # a Friday; venue A opens 20:00-23:00 every night
LATER = datetime(2030, 1, 1, tzinfo=UTC)  # "now" for the tests: before every hold


@pytest.fixture
def site(engine: Engine) -> Site:
    """The committed venues, band and users."""
    return build_site(engine)


def scope_of(engine: Engine, email: str) -> Scope:
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        assert user_id is not None
        scope = load_scope(session, user_id)
    assert scope is not None
    return scope


def add_hold(
    engine: Engine,
    venue_id: int,
    title: str,
    rank: int,
    *,
    day: date = NIGHT,
    hour: int = 20,
    hours: int = 3,
    expires: datetime | None = None,
    band: str | None = None,
) -> int:
    starts_at = at(BERLIN, day, hour)
    with rows.committed(engine) as session:
        hold = rows.event(
            session,
            venue_id,
            starts_at,
            starts_at + timedelta(hours=hours),
            title=title,
            status="hold",
            hold_rank=rank,
            hold_expires_at=expires,
        )
        if band is not None:
            rows.application(session, hold, rows.band(session, band), "accepted")
    return hold.id


def ladder_of(engine: Engine, ids: list[int]) -> list[tuple[str, str, int | None]]:
    with Session(engine) as session:
        found = session.execute(
            select(Event.title, Event.status, Event.hold_rank)
            .where(Event.id.in_(ids))
            .order_by(Event.id)
        ).all()
    return [(title, status, rank) for title, status, rank in found]


def audit_changes(engine: Engine, action: str) -> list[tuple[str | None, str | None, Any]]:
    """``(object_id, actor_email, changes)`` of the entries with ``action``, oldest first."""
    with Session(engine) as session:
        found = session.execute(
            select(AuditEntry.object_id, AuditEntry.actor_email, AuditEntry.changes)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        ).all()
    return [(object_id, email, changes) for object_id, email, changes in found]


def test_a_new_hold_takes_the_next_free_rank_of_its_night(engine: Engine, site: Site) -> None:
    """Two bands held on one night get 1 and 2; the next night starts again at 1, and a
    hold starting late (past midnight it ends) stays on the night it starts."""
    staff = scope_of(engine, site.staff_a)
    with rows.committed(engine) as session:
        other = rows.band(session, "Second Band").id
        third = rows.band(session, "Third Band").id
    with rows.committed(engine) as session:
        first = place_hold(session, staff, site.venue_a, site.band, NIGHT, now=LATER)
        second = place_hold(session, staff, site.venue_a, other, NIGHT, now=LATER)
        next_night = place_hold(
            session, staff, site.venue_a, third, NIGHT + timedelta(days=1), now=LATER
        )
    assert (first.hold_rank, second.hold_rank, next_night.hold_rank) == (1, 2, 1)
    late = add_hold(engine, site.venue_a, "Late", 3, hour=23, hours=4)  # 23:00-03:00
    with Session(engine) as session:
        assert ladder.next_free_rank(session, site.venue_a, BERLIN, NIGHT) == 4
        assert ladder.next_free_rank(session, site.venue_a, BERLIN, NIGHT + timedelta(1)) == 2
        event = session.get_one(Event, late)
        event.hold_rank = None
        assert ladder.place_on_ladder(session, event, BERLIN) == 3  # its own rank is free again


def test_a_rank_already_taken_on_the_night_is_refused_by_name(engine: Engine, site: Site) -> None:
    taken = add_hold(engine, site.venue_a, "First Choice", 1)
    add_hold(engine, site.venue_b, "Elsewhere", 2)  # another venue's ladder
    with Session(engine) as session:
        new = Event(
            venue_id=site.venue_a,
            title="Newcomer",
            starts_at=at(BERLIN, NIGHT, 21),
            ends_at=at(BERLIN, NIGHT, 23),
            status="hold",
            hold_rank=1,
        )
        with pytest.raises(ladder.RankRefused) as refused:
            ladder.place_on_ladder(session, new, BERLIN)
        assert str(refused.value) == (
            f'Hold 1 on Fri 12 Apr 2030 is already "First Choice" (event {taken}); two holds '
            "cannot share a rank on one night. Leave the rank empty for the next free one (2)."
        )
        new.hold_rank = 2
        assert ladder.place_on_ladder(session, new, BERLIN) == 2
        new.hold_rank = 0
        with pytest.raises(ladder.RankRefused, match="A hold rank is 1 or more"):
            ladder.place_on_ladder(session, new, BERLIN)


def test_cancelling_a_hold_moves_the_holds_below_it_up(engine: Engine, site: Site) -> None:
    ids = [add_hold(engine, site.venue_a, f"Hold {n}", n) for n in (1, 2, 3)]
    other_night = add_hold(engine, site.venue_a, "Next night", 2, day=NIGHT + timedelta(days=1))
    staff = scope_of(engine, site.staff_a)

    with rows.committed(engine) as session:
        booking.cancel_event(session, ids[0], staff)

    assert ladder_of(engine, [*ids, other_night]) == [
        ("Hold 1", "cancelled", None),
        ("Hold 2", "hold", 1),
        ("Hold 3", "hold", 2),
        ("Next night", "hold", 2),
    ]
    promoted = audit_changes(engine, "promote_hold")
    assert [(pk, email) for pk, email, _ in promoted] == [
        (str(ids[1]), site.staff_a),
        (str(ids[2]), site.staff_a),
    ]
    assert [changes["hold_rank"] for _, _, changes in promoted] == [[2, 1], [3, 2]]


def test_confirming_leaves_the_ladder_then_one_click_releases_the_others(
    engine: Engine, site: Site
) -> None:
    """Confirming hold 1 releases nothing; the offer lists the overlapping holds; releasing
    them cancels each with the reason, and a hold of that night that does not overlap
    (an afternoon set) moves up past them."""
    first = add_hold(engine, site.venue_a, "Headliner", 1, band="Band X")
    second = add_hold(engine, site.venue_a, "Backup", 2, hour=21)
    afternoon = add_hold(engine, site.venue_a, "Matinee", 3, hour=14, hours=2)
    third = add_hold(engine, site.venue_a, "Long shot", 4, hour=22)
    manager = scope_of(engine, site.manager_a)

    with rows.committed(engine) as session:
        booking.confirm_event(session, first, manager)
    ids = [first, second, afternoon, third]
    assert ladder_of(engine, ids) == [
        ("Headliner", "confirmed", None),
        ("Backup", "hold", 2),
        ("Matinee", "hold", 3),
        ("Long shot", "hold", 4),
    ]

    with Session(engine) as session:
        offer = holds.release_offer(session, manager, first)
        assert holds.release_offer(session, scope_of(engine, site.staff_b), first) is None
    assert offer is not None
    assert [(hold.id, hold.rank) for hold in offer.holds] == [(second, 2), (third, 4)]
    assert offer.label == "Release 2 other holds on this night"
    assert offer.reason == "released: Band X confirmed for this night"

    with rows.committed(engine) as session:
        released = holds.release_other_holds(
            session, first, manager, [second, third], remote_addr="10.0.0.7"
        )
    assert sorted(hold.id for hold in released) == [second, third]
    assert ladder_of(engine, ids) == [
        ("Headliner", "confirmed", None),
        ("Backup", "cancelled", None),
        ("Matinee", "hold", 2),  # rank 1 stays the confirmed show's: confirming moves nobody
        ("Long shot", "cancelled", None),
    ]
    entries = audit_changes(engine, "release_hold")
    assert [(pk, email) for pk, email, _ in entries] == [
        (str(second), site.manager_a),
        (str(third), site.manager_a),
    ]
    for _, _, changes in entries:
        assert changes["status"] == ["hold", "cancelled"]
        assert changes["reason"] == "released: Band X confirmed for this night"
    assert [changes["hold_rank"] for _, _, changes in audit_changes(engine, "promote_hold")] == [
        [3, 2]
    ]
    with Session(engine) as session:
        assert holds.release_offer(session, manager, first) is None  # nothing left to offer


def test_release_takes_only_the_listed_holds_and_refuses_an_unconfirmed_event(
    engine: Engine, site: Site
) -> None:
    first = add_hold(engine, site.venue_a, "Headliner", 1)
    listed = add_hold(engine, site.venue_a, "Listed", 2)
    newcomer = add_hold(engine, site.venue_a, "Placed since", 3)
    manager = scope_of(engine, site.manager_a)
    with (
        Session(engine) as session,
        pytest.raises(booking.StaleObject, match="is not a confirmed event"),
    ):
        holds.release_other_holds(session, first, manager, [listed])
    with Session(engine) as session, pytest.raises(booking.NotFound):
        holds.release_other_holds(session, first, scope_of(engine, site.staff_b), [listed])
    with rows.committed(engine) as session:
        booking.confirm_event(session, first, manager)
        holds.release_other_holds(session, first, manager, [listed])
    assert ladder_of(engine, [listed, newcomer]) == [
        ("Listed", "cancelled", None),
        ("Placed since", "hold", 2),
    ]


def test_expired_holds_are_released_once_and_the_ladder_moves_up(
    engine: Engine, site: Site
) -> None:
    now = datetime(2030, 4, 1, 12, tzinfo=UTC)
    lapsed = add_hold(engine, site.venue_a, "Lapsed", 1, expires=now - timedelta(minutes=1))
    below = add_hold(engine, site.venue_a, "Below", 2, expires=now + timedelta(days=1))
    lapsed_b = add_hold(engine, site.venue_b, "Lapsed B", 1, expires=now)
    sessions = sessionmaker(engine)  # what the CLI hands over

    assert holds.release_expired_holds(sessions, now=now) == 2
    assert holds.release_expired_holds(sessions, now=now) == 0  # idempotent
    assert ladder_of(engine, [lapsed, below, lapsed_b]) == [
        ("Lapsed", "cancelled", None),
        ("Below", "hold", 1),
        ("Lapsed B", "cancelled", None),
    ]
    expired = audit_changes(engine, "expire_hold")
    assert sorted(pk or "" for pk, _, _ in expired) == sorted([str(lapsed), str(lapsed_b)])
    assert {email for _, email, _ in expired} == {"system: release-expired-holds"}
    reasons = {changes["reason"] for _, _, changes in expired}
    assert "expired: hold lapsed at Mon 01 Apr 2030 13:59 (Europe/Berlin)" in reasons
    assert audit_changes(engine, "promote_hold") == [
        (str(below), "system: release-expired-holds", {"hold_rank": [2, 1]})
    ]
    with Session(engine) as session:
        event = session.get_one(Event, below)
        assert not holds.is_expired(event, now)
        assert holds.is_expired(event, now + timedelta(days=2))


def test_an_expiry_belongs_to_holds_only(engine: Engine, site: Site) -> None:
    """Confirmed or cancelled, an event keeps no expiry (the audit entry keeps the old one)."""
    expires = datetime(2030, 4, 10, tzinfo=UTC)
    kept = add_hold(engine, site.venue_a, "Kept", 1, expires=expires)
    dropped = add_hold(engine, site.venue_a, "Dropped", 2, hour=14, hours=2, expires=expires)
    manager = scope_of(engine, site.manager_a)
    with rows.committed(engine) as session:
        booking.confirm_event(session, kept, manager)
        booking.cancel_event(session, dropped, manager)
    with Session(engine) as session:
        expiries = session.scalars(
            select(Event.hold_expires_at).where(Event.id.in_([kept, dropped]))
        )
        assert list(expiries) == [None, None]
    (cancelled,) = [changes for pk, _, changes in audit_changes(engine, "cancel")]
    assert cancelled["hold_expires_at"] == [expires.isoformat(), None]
