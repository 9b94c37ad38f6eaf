"""Who may see and change which rows: every scoping rule of the console, in one place.

Superusers see and change everything (the audit log is append-only even for them). Venue
staff see and change their venues and what hangs off them (hours, open/closed days,
events, applications to those events); they may edit their venue's details but not create
or delete venues; they read bands, members and band availability; users, the audit log
and sign-in throttling are out of their sight. Managers also add and remove the staff of
the venues they manage: a colleague from the picker, or anyone with an active account
named by their exact email address (:func:`staff_user_by_email`), so that the user
directory itself is never browsable; or anyone at all, by inviting them by email
(:func:`may_invite`; :mod:`admin_app.invites` creates the account). Anything not listed
here is denied.

Pure SQLAlchemy, no HTTP: SQLAdmin views, shell pages, feeds, the booking rules and the
tests all call these functions, so a rule is never written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVarTuple

from sqlalchemy import ColumnElement, Select, false, inspect, select, true
from sqlalchemy.orm import LoaderCriteriaOption, Session, with_loader_criteria

from admin_app.accounts import normalize_email
from models import (
    AuditEntry,
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Base,
    Event,
    EventApplication,
    StaffInvite,
    User,
    Venue,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)

Action = Literal["list", "view", "create", "edit", "delete", "export"]
ACTIONS: tuple[Action, ...] = ("list", "view", "create", "edit", "delete", "export")
READ_ACTIONS = frozenset({"list", "view", "export"})
# Actions about one existing row: without that row (a miss, a foreign pk) they are denied.
ROW_ACTIONS = frozenset({"view", "edit", "delete"})

# Staff read these whole tables and change none of them.
READ_ONLY_FOR_STAFF: frozenset[type[Base]] = frozenset(
    {Band, BandMember, BandAvailability, BandMemberAvailability}
)
# Rows that belong to one venue through a venue_id column; staff of that venue own them.
VENUE_CHILDREN: frozenset[type[Base]] = frozenset({VenueOperatingHours, VenueAvailability, Event})


def _by_venue_id(entity: Any, venues: list[int]) -> ColumnElement[bool]:
    return entity.venue_id.in_(venues)  # type: ignore[no-any-return]


# Which rows of each venue's model belong to one of ``venues``; ``entity`` is the model or
# an alias of it (the same rule, applied to a joined eager load).
_AT_VENUES: dict[type[Base], Callable[[Any, list[int]], ColumnElement[bool]]] = {
    Venue: lambda entity, venues: entity.id.in_(venues),
    VenueStaff: _by_venue_id,
    **dict.fromkeys(VENUE_CHILDREN, _by_venue_id),
    # A subquery rather than a join: the caller's statement may already join events
    # (sorting, eager loading) and must keep exactly one row per application.
    EventApplication: lambda entity, venues: entity.event_id.in_(
        select(Event.id).where(Event.venue_id.in_(venues))
    ),
}

Ts = TypeVarTuple("Ts")


NO_SUCH_USER = "No active user with that email; invite them instead (Venues → Staff invites)."


class ScopeError(PermissionError):
    """The user may not do this; the message says why, in plain words."""


@dataclass(frozen=True)
class Scope:
    """What one signed-in user may reach: computed once per request by :func:`load_scope`."""

    user_id: int
    email: str
    is_superuser: bool
    venue_ids: frozenset[int] = frozenset()
    managed_venue_ids: frozenset[int] = frozenset()

    @property
    def is_staff(self) -> bool:
        """True for anyone with a role at one venue or more."""
        return bool(self.venue_ids)


def load_scope(session: Session, user_id: int) -> Scope | None:
    """The scope of an active user; None for an unknown or deactivated one.

    A user without any role gets an empty scope, which sees and changes nothing.
    """
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    roles = session.execute(
        select(VenueStaff.venue_id, VenueStaff.role).where(VenueStaff.user_id == user_id)
    ).all()
    return scope_of(user.id, user.email, user.is_superuser, [(v, r) for v, r in roles])


def scope_of(user_id: int, email: str, is_superuser: bool, roles: list[tuple[int, str]]) -> Scope:
    """The scope of a user with these ``(venue id, role)`` pairs."""
    return Scope(
        user_id=user_id,
        email=email,
        is_superuser=is_superuser,
        venue_ids=frozenset(venue_id for venue_id, _ in roles),
        managed_venue_ids=frozenset(venue_id for venue_id, role in roles if role == "manager"),
    )


def visible_clause(model: type[Base], scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause selecting the rows of ``model`` that ``scope`` may see."""
    if scope.is_superuser:
        return true()
    if not scope.is_staff:
        return false()
    if model in READ_ONLY_FOR_STAFF:
        return true()
    if model in _AT_VENUES:
        return _AT_VENUES[model](model, sorted(scope.venue_ids))
    return false()


def hide_other_venues(scope: Scope) -> list[LoaderCriteriaOption]:
    """Statement options keeping rows of venues ``scope`` may not see out of everything the
    statement loads: related rows (a band's applications), joins and subqueries
    (``Band.applications.any()`` in a filter's choices), not only its main rows.
    """
    if scope.is_superuser:
        return []
    venues = sorted(scope.venue_ids) if scope.is_staff else []
    return [_hide_rows(model, at_venues, venues) for model, at_venues in _AT_VENUES.items()]


def _hide_rows(
    model: type[Base], at_venues: Callable[[Any, list[int]], ColumnElement[bool]], venues: list[int]
) -> LoaderCriteriaOption:
    # A lambda, so that SQLAlchemy can apply the rule to aliases of ``model`` too (joined
    # eager loads); ``venues`` becomes a bound parameter of each statement.
    return with_loader_criteria(
        model, lambda entity: at_venues(entity, venues), include_aliases=True
    )


def scope_statement(model: type[Base], stmt: Select[*Ts], scope: Scope) -> Select[*Ts]:
    """Restrict a SELECT of ``model`` (list, details, edit form, count) to visible rows."""
    if scope.is_superuser:
        return stmt
    return stmt.where(visible_clause(model, scope))


def owning_venue_id(obj: Base) -> int | None:
    """The venue a row hangs off (None for rows of no venue, or an unknown one).

    An application's venue is its event's: the event is lazy-loaded when the object is
    still in a session; a detached application whose event was never loaded gives None,
    which the callers treat as "not yours".
    """
    if isinstance(obj, Venue):
        return obj.id
    if isinstance(obj, VenueStaff | VenueOperatingHours | VenueAvailability | Event):
        return obj.venue_id
    if isinstance(obj, EventApplication):
        state = inspect(obj)
        if "event" in state.unloaded and state.session is None:
            return None
        return obj.event.venue_id if obj.event is not None else None
    return None


def _staff_model_may(scope: Scope, action: str, model: type[Base]) -> bool:
    """The model-level half of a staff permission (before looking at a row)."""
    if model in READ_ONLY_FOR_STAFF:
        return action in READ_ACTIONS
    if model is Venue:
        return action in READ_ACTIONS or action == "edit"
    if model is VenueStaff:
        return action in READ_ACTIONS or bool(scope.managed_venue_ids)
    return model in VENUE_CHILDREN or model is EventApplication


def _staff_row_may(scope: Scope, action: str, model: type[Base], obj: Base) -> bool:
    """The row-level half: is this row one of theirs, for this action?"""
    if model in READ_ONLY_FOR_STAFF:
        return True
    venue_id = owning_venue_id(obj)
    if model is VenueStaff and action not in READ_ACTIONS:
        return venue_id in scope.managed_venue_ids
    return venue_id in scope.venue_ids


def can(scope: Scope, action: str, model: type[Base], obj: Base | None = None) -> bool:
    """May ``scope`` do ``action`` on ``model`` (and on the row ``obj``, when given)?

    ``view``/``edit``/``delete`` are about one row: without it (``obj=None``, what SQLAdmin
    passes for a pk it could not find) they are denied. ``create`` with an unsaved ``obj``
    also checks the venue it would belong to; :func:`check_assignment` does the same for
    submitted form values.
    """
    _check_action(action)
    if obj is not None and not isinstance(obj, model):
        return False
    if action in ROW_ACTIONS and obj is None:
        return False
    if not can_any(scope, action, model):
        return False
    return obj is None or scope.is_superuser or _staff_row_may(scope, action, model, obj)


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")


def can_any(scope: Scope, action: str, model: type[Base]) -> bool:
    """May ``scope`` do ``action`` to some rows of ``model``, before any row is known?

    The row-less question of menus, buttons and relation pickers (may this user edit
    events at all?). It never answers for one row: pair it with :func:`can` on the row.
    """
    _check_action(action)
    if scope.is_superuser:
        # The audit trail is evidence: nobody rewrites it, not even ops.
        return model is not AuditEntry or action in READ_ACTIONS
    return scope.is_staff and _staff_model_may(scope, action, model)


def _ident(value: Any) -> int | None:
    """A submitted reference as an id: a model instance, an int, or a numeric string."""
    if value is None or value == "":
        return None
    if isinstance(value, Base):
        identity = inspect(value).identity
        return int(identity[0]) if identity else None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ScopeError(f"{value!r} is not a valid choice.") from None


def _submitted(values: Mapping[str, Any], name: str) -> tuple[bool, int | None]:
    """Whether ``values`` names the ``name`` relation (as ``name_id`` or ``name``), and its id."""
    for key in (f"{name}_id", name):
        if key in values:
            return True, _ident(values[key])
    return False, None


def check_assignment(
    session: Session, scope: Scope, model: type[Base], values: Mapping[str, Any]
) -> None:
    """Refuse values that would create a row for, or move a row to, someone else's venue.

    ``values`` are submitted form data: ``venue_id``/``venue`` (or ``event_id``/``event``
    for applications) as ids, numeric strings or instances. Keys that are absent are not
    being changed and are not checked; pair this with :func:`can` on the existing row.
    Raises :class:`ScopeError`.
    """
    if scope.is_superuser:
        return
    if model is Venue:
        return  # a venue has no parent; whether it may be edited at all is can()'s call
    if model is EventApplication:
        named, event_id = _submitted(values, "event")
        if not named:
            return
        venue_id = session.scalar(select(Event.venue_id).where(Event.id == event_id))
        allowed = scope.venue_ids
    elif model is VenueStaff or model in VENUE_CHILDREN:
        named, venue_id = _submitted(values, "venue")
        if not named:
            return
        allowed = scope.managed_venue_ids if model is VenueStaff else scope.venue_ids
    else:
        raise ScopeError(f"You cannot change {model.__name__} records.")
    if venue_id is None or venue_id not in allowed:
        what = "manage the staff of" if model is VenueStaff else "work for"
        raise ScopeError(f"You can only choose a venue you {what}.")


def staff_user_by_email(session: Session, scope: Scope, email: str) -> int:
    """The id of the active user whose email is exactly ``email`` (trimmed, any case).

    How a manager adds someone who is not yet a colleague to a venue's staff: the pickers
    never offer such a person, so they must know the whole address; a partial one matches
    nobody. Only managers (and superusers) may name people this way; whether the venue is
    one they manage is :func:`check_assignment`'s call. Raises :class:`ScopeError`.
    """
    if not scope.is_superuser and not scope.managed_venue_ids:
        raise ScopeError("You cannot add people to a venue's staff.")
    address = normalize_email(email)
    user_id = session.scalar(select(User.id).where(User.email == address, User.is_active.is_(True)))
    if not address or user_id is None:
        raise ScopeError(NO_SUCH_USER)
    return int(user_id)


def may_invite(scope: Scope, venue_id: int | None = None) -> bool:
    """May ``scope`` invite people to ``venue_id`` (and revoke its invites)? Without a
    venue: to some venue at all (the menu entry, the invite form).

    The rule of adding staff (:func:`check_assignment` for ``VenueStaff``): managers of
    that venue, and superusers. Staff roles are manager and staff, so a manager may invite
    either, as they may add either; nobody grants more than a manager's role.
    """
    if scope.is_superuser:
        return True
    if venue_id is None:
        return bool(scope.managed_venue_ids)
    return venue_id in scope.managed_venue_ids


def invites_clause(scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause selecting the invites ``scope`` may see and revoke."""
    if scope.is_superuser:
        return true()
    return StaffInvite.venue_id.in_(sorted(scope.managed_venue_ids))


def lookup_filter(
    scope: Scope, target_model: type[Base], for_model: type[Base] | None = None
) -> ColumnElement[bool]:
    """A WHERE clause for a relation picker offering ``target_model`` rows.

    ``for_model`` is the model being edited: a VenueStaff form offers only the venues the
    user manages. A staff user's user picker offers their colleagues (users with a role
    at one of their venues): the user directory itself stays out of their sight.
    """
    if scope.is_superuser:
        return true()
    if target_model is Venue and for_model is VenueStaff:
        return Venue.id.in_(sorted(scope.managed_venue_ids))
    if target_model is User and scope.is_staff:
        colleagues = select(VenueStaff.user_id).where(
            VenueStaff.venue_id.in_(sorted(scope.venue_ids))
        )
        return User.id.in_(colleagues)
    return visible_clause(target_model, scope)
