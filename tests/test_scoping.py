"""The scoping rules at function level: every role, model and action, own and foreign rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_app.scoping import (
    ACTIONS,
    Scope,
    ScopeError,
    can,
    can_any,
    check_assignment,
    load_scope,
    lookup_filter,
    scope_statement,
)
from models import (
    AuditEntry,
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Base,
    Event,
    EventApplication,
    LoginFailure,
    User,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)
from tests.worlds import rows
from tests.worlds.rows import utc

ALL: frozenset[str] = frozenset(ACTIONS)
READ: frozenset[str] = frozenset({"list", "view", "export"})
NONE: frozenset[str] = frozenset()
VENUE_CHILDREN = (VenueOperatingHours, VenueAvailability, Event, EventApplication)
BAND_MODELS = (Band, BandMember, BandAvailability, BandMemberAvailability)
HIDDEN_FROM_STAFF = (User, AuditEntry, LoginFailure)
EVERY_MODEL: tuple[type[Base], ...] = (
    Venue,
    VenueStaff,
    *VENUE_CHILDREN,
    *BAND_MODELS,
    *HIDDEN_FROM_STAFF,
)


@dataclass
class World:
    """Three venues (A, B, C), one row of each kind per venue, and five people."""

    venues: dict[str, Venue]
    events: dict[str, Event]
    rows: dict[type[Base], dict[str | None, Base]]  # model -> venue letter (None: no venue)
    scopes: dict[str, Scope]
    users: dict[str, User]


@pytest.fixture
def world(db_session: Session) -> World:
    s = db_session
    users = {
        name: rows.user(
            s,
            f"{name}@example.com",
            password=None,
            full_name=name.title(),
            superuser=name == "root",
        )
        for name in ("manager_a", "staff_a", "staff_ab", "nobody", "staff_c", "inactive", "root")
    }
    users["inactive"].is_active = False
    venues = {k: rows.venue(s, f"Venue {k}", city="Berlin", timezone="UTC") for k in "ABC"}
    band = rows.band(s, "The Testers")
    roles = [
        ("manager_a", "A", "manager"),
        ("staff_a", "A", "staff"),
        ("staff_ab", "A", "staff"),
        ("staff_ab", "B", "staff"),
        ("staff_c", "C", "manager"),
        ("inactive", "A", "staff"),
    ]
    staff_rows: dict[str | None, Base] = {}
    for name, letter, role in roles:
        staff_rows.setdefault(letter, rows.staff(s, venues[letter], users[name], role))
    member = rows.member(s, band, users["nobody"])
    may_day = date(2026, 5, 1)
    audit = AuditEntry(action="create", actor_email="root@example.com")
    failure = LoginFailure(email="x@example.com")
    s.add_all([audit, failure])
    by_model: dict[type[Base], dict[str | None, Base]] = {
        Venue: {letter: venue for letter, venue in venues.items()},
        VenueStaff: staff_rows,
        VenueOperatingHours: {},
        VenueAvailability: {},
        Event: {},
        EventApplication: {},
        Band: {None: band},
        BandMember: {None: member},
        BandAvailability: {None: rows.band_day(s, band, may_day, "available")},
        BandMemberAvailability: {None: rows.member_day(s, member, may_day, "available")},
        User: {None: users["nobody"]},
        AuditEntry: {None: audit},
        LoginFailure: {None: failure},
    }
    for key, place in venues.items():
        show = rows.event(
            s, place, utc(2026, 5, 1, 20), utc(2026, 5, 1, 23), title=f"Show {key}", status="draft"
        )
        by_model[VenueOperatingHours][key] = rows.opening_hours(s, place, 4, opens=18, closes=2)
        by_model[VenueAvailability][key] = rows.venue_day(s, place, may_day, "open")
        by_model[Event][key] = show
        by_model[EventApplication][key] = rows.application(s, show, band)
    s.flush()
    scopes: dict[str, Scope] = {}
    for name, person in users.items():
        scope = load_scope(s, person.id)
        if scope is not None:
            scopes[name] = scope
    events = {key: show for key, show in by_model[Event].items() if isinstance(show, Event) and key}
    return World(venues=venues, events=events, rows=by_model, scopes=scopes, users=users)


# What each persona may do: per model, (actions on an own row, actions without a row).
# Foreign rows allow nothing; rows of no venue (bands, users...) count as own.
Rules = dict[type[Base], tuple[frozenset[str], frozenset[str]]]
STAFF_RULES: Rules = {
    Venue: (READ | {"edit"}, frozenset({"list", "export"})),
    VenueStaff: (READ, frozenset({"list", "export"})),
    **{model: (ALL, frozenset({"list", "export", "create"})) for model in VENUE_CHILDREN},
    **{model: (READ, frozenset({"list", "export"})) for model in BAND_MODELS},
    **{model: (NONE, NONE) for model in HIDDEN_FROM_STAFF},
}
MANAGER_RULES: Rules = STAFF_RULES | {VenueStaff: (ALL, frozenset({"list", "export", "create"}))}
ROOT_RULES: Rules = {
    model: (ALL, frozenset({"list", "export", "create"})) for model in EVERY_MODEL
} | {AuditEntry: (READ, frozenset({"list", "export"}))}
NOBODY_RULES: Rules = {model: (NONE, NONE) for model in EVERY_MODEL}
PERSONAS: dict[str, tuple[Rules, str]] = {
    # persona: (rules, own venues)
    "root": (ROOT_RULES, "ABC"),
    "manager_a": (MANAGER_RULES, "A"),
    "staff_a": (STAFF_RULES, "A"),
    "staff_ab": (STAFF_RULES, "AB"),
    "nobody": (NOBODY_RULES, ""),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda m: m.__name__)
def test_can_matrix(world: World, persona: str, model: type[Base]) -> None:
    rules, own_venues = PERSONAS[persona]
    on_own_row, without_row = rules[model]
    scope = world.scopes[persona]
    assert {a for a in ACTIONS if can(scope, a, model)} == without_row
    for venue, row in world.rows[model].items():
        mine = venue is None or venue in own_venues
        allowed = {a for a in ACTIONS if can(scope, a, model, row)}
        assert allowed == (on_own_row if mine else NONE), (persona, model.__name__, venue)


def test_can_refuses_unknown_actions_and_mismatched_rows(world: World) -> None:
    root = world.scopes["root"]
    with pytest.raises(ValueError, match="unknown action"):
        can(root, "approve", Event)
    assert not can(root, "view", Event, world.rows[Venue]["A"])


def test_detached_application_without_its_event_is_not_anyones(
    world: World, db_session: Session
) -> None:
    application = world.rows[EventApplication]["A"]
    db_session.expire(application)
    db_session.expunge(application)
    assert not can(world.scopes["staff_a"], "view", EventApplication, application)
    assert can(world.scopes["root"], "view", EventApplication, application)


def test_load_scope(world: World, db_session: Session) -> None:
    manager = world.scopes["manager_a"]
    ids = {k: v.id for k, v in world.venues.items()}
    assert manager.venue_ids == {ids["A"]}
    assert manager.managed_venue_ids == {ids["A"]}
    assert manager.email == "manager_a@example.com"
    assert world.scopes["staff_ab"].venue_ids == {ids["A"], ids["B"]}
    assert world.scopes["staff_ab"].managed_venue_ids == set()
    assert world.scopes["root"].is_superuser
    assert not world.scopes["nobody"].is_staff
    assert "inactive" not in world.scopes  # deactivated: no scope at all
    assert load_scope(db_session, 10**9) is None


# Visible row counts per persona: three venues, one row of each child kind per venue,
# venue staff rows A:4, B:1, C:1, one row of each venue-less kind.
COUNTS = {
    "root": {Venue: 3, VenueStaff: 6, VenueOperatingHours: 3, Event: 3, EventApplication: 3},
    "manager_a": {Venue: 1, VenueStaff: 4, VenueOperatingHours: 1, Event: 1, EventApplication: 1},
    "staff_ab": {Venue: 2, VenueStaff: 5, VenueOperatingHours: 2, Event: 2, EventApplication: 2},
    "nobody": {Venue: 0, VenueStaff: 0, VenueOperatingHours: 0, Event: 0, EventApplication: 0},
}


@pytest.mark.parametrize("persona", COUNTS)
def test_scope_statement_row_counts(world: World, db_session: Session, persona: str) -> None:
    scope = world.scopes[persona]
    is_staff = persona != "nobody"

    def count(model: type[Base]) -> int:
        stmt = scope_statement(model, select(func.count()).select_from(model), scope)
        return int(db_session.scalar(stmt) or 0)

    assert {model: count(model) for model in COUNTS[persona]} == COUNTS[persona]
    assert count(VenueAvailability) == COUNTS[persona][VenueOperatingHours]
    for band_model in BAND_MODELS:
        assert count(band_model) == (1 if is_staff else 0)
    users = db_session.scalar(select(func.count()).select_from(User))
    expected_hidden = {User: users, AuditEntry: 1, LoginFailure: 1} if persona == "root" else {}
    for hidden in HIDDEN_FROM_STAFF:
        assert count(hidden) == expected_hidden.get(hidden, 0)


def test_scope_statement_keeps_one_row_per_application_when_joined(
    world: World, db_session: Session
) -> None:
    stmt = select(EventApplication).join(EventApplication.event).order_by(Event.title)
    rows = db_session.scalars(
        scope_statement(EventApplication, stmt, world.scopes["staff_ab"])
    ).all()
    assert [row.event.title for row in rows] == ["Show A", "Show B"]


def test_check_assignment(world: World, db_session: Session) -> None:
    a, b = world.venues["A"], world.venues["B"]
    event_a, event_b = world.events["A"], world.events["B"]
    staff, manager, root = (world.scopes[k] for k in ("staff_a", "manager_a", "root"))
    allowed: list[tuple[Scope, type[Base], dict[str, object]]] = [
        (staff, Event, {"venue_id": a.id}),
        (staff, Event, {"venue": str(a.id)}),  # SQLAdmin posts relation pks as strings
        (staff, VenueAvailability, {"venue": a}),
        (staff, Event, {"title": "no venue given: not being changed"}),
        (staff, Venue, {"name": "Renamed"}),
        (staff, EventApplication, {"event_id": event_a.id}),
        (manager, VenueStaff, {"venue_id": a.id}),
        (root, Event, {"venue_id": b.id}),
        (root, Band, {"name": "X"}),
    ]
    for scope, model, values in allowed:
        check_assignment(db_session, scope, model, values)
    refused: list[tuple[Scope, type[Base], dict[str, object], str]] = [
        (staff, Event, {"venue_id": b.id}, "a venue you work for"),
        (staff, VenueOperatingHours, {"venue": str(b.id)}, "a venue you work for"),
        (staff, Event, {"venue_id": None}, "a venue you work for"),
        (staff, Event, {"venue": "nonsense"}, "not a valid choice"),
        (staff, EventApplication, {"event": event_b}, "a venue you work for"),
        (staff, EventApplication, {"event_id": 10**9}, "a venue you work for"),
        (staff, VenueStaff, {"venue_id": a.id}, "manage the staff of"),
        (manager, VenueStaff, {"venue_id": b.id}, "manage the staff of"),
        (staff, Band, {"name": "X"}, "cannot change Band"),
        (world.scopes["nobody"], Event, {"venue_id": a.id}, "a venue you work for"),
    ]
    for scope, model, values, message in refused:
        with pytest.raises(ScopeError, match=message):
            check_assignment(db_session, scope, model, values)


def _picked(session: Session, scope: Scope, target: type[Base], **kw: type[Base]) -> list[str]:
    rows = session.scalars(select(target).where(lookup_filter(scope, target, **kw))).all()
    return sorted(str(getattr(row, "name", None) or getattr(row, "email", "")) for row in rows)


def test_lookup_filter(world: World, db_session: Session) -> None:
    s = db_session
    staff, manager, both = (world.scopes[k] for k in ("staff_a", "manager_a", "staff_ab"))
    assert _picked(s, staff, Venue) == ["Venue A"]
    assert _picked(s, both, Venue) == ["Venue A", "Venue B"]
    assert _picked(s, staff, Venue, for_model=VenueStaff) == []
    assert _picked(s, manager, Venue, for_model=VenueStaff) == ["Venue A"]
    assert _picked(s, world.scopes["root"], Venue, for_model=VenueStaff) == [
        "Venue A",
        "Venue B",
        "Venue C",
    ]
    assert _picked(s, staff, Band) == ["The Testers"]
    assert _picked(s, world.scopes["nobody"], Band) == []
    # Colleagues only: people with a role at one of their venues, never the directory.
    assert _picked(s, staff, User) == [
        f"{name}@example.com" for name in ("inactive", "manager_a", "staff_a", "staff_ab")
    ]
    assert _picked(s, world.scopes["nobody"], User) == []
    titles = db_session.scalars(select(Event.title).where(lookup_filter(both, Event))).all()
    assert sorted(titles) == ["Show A", "Show B"]


def test_can_any_answers_before_a_row_is_known(world: World) -> None:
    staff, manager, root, nobody = (
        world.scopes[k] for k in ("staff_a", "manager_a", "root", "nobody")
    )
    assert can_any(staff, "edit", Event)
    assert can_any(staff, "delete", EventApplication)
    assert can_any(staff, "edit", Venue)
    assert not can_any(staff, "delete", Venue)
    assert not can_any(staff, "edit", VenueStaff)
    assert can_any(manager, "delete", VenueStaff)
    assert not can_any(staff, "view", User)
    assert not can_any(nobody, "list", Band)
    assert can_any(root, "delete", Venue)
    assert not can_any(root, "edit", AuditEntry)
    with pytest.raises(ValueError, match="unknown action"):
        can_any(root, "approve", Event)
