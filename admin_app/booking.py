"""The rules of booking decisions, called alike by console views, the CLI and the tests.

Applications go pending → accepted | rejected | withdrawn; a decided application can be
reopened (back to pending, its decision cleared) by staff of its venue, and decided again.
Events go draft | hold → confirmed, and draft | hold | confirmed → cancelled. A venue
never has two overlapping confirmed events; a band is never accepted for two overlapping
confirmed events. Every decision records who and when, bumps the row's version, and is
audited in the caller's transaction, and queues its notifications in that transaction too
(:mod:`admin_app.notifications`). The functions flush but never commit: the caller
commits (or rolls back) the decision together with anything else it did.

Concurrency. On PostgreSQL every decision locks its rows before checking anything, always
in the same order (the venue when a confirmed event is written, then the event, then the
bands by id, then the application), so two staff deciding at the same instant are
serialised and the later one sees the earlier one's commit; the exclusion constraint on
events backs the venue rule. On SQLite there are no row locks: each decision first takes
the database's single writer lock (see :func:`admin_app.db.lock_writes_on_sqlite`), which
serialises decisions just as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import exc, select
from sqlalchemy.orm import Session

from admin_app import ladder, notifications
from admin_app.audit import Actor, record_change, snapshot
from admin_app.db import lock_writes_on_sqlite
from admin_app.localtime import format_local_range
from admin_app.rules import clash_message, find_confirmed_clash
from admin_app.scoping import Scope, can
from models import AuditEntry, Band, Event, EventApplication, User, Venue
from models.base import IdMixin

# SQLSTATE of an exclusion constraint violation (excl_events_venue_confirmed_no_overlap).
EXCLUSION_VIOLATION = "23P01"
# Audit verbs, by the status a decision moves a row to.
AUDIT_ACTIONS = {
    "accepted": "accept",
    "rejected": "reject",
    "withdrawn": "withdraw",
    "confirmed": "confirm",
    "cancelled": "cancel",
}

R = TypeVar("R", bound=IdMixin)


class BookingError(Exception):
    """A refused decision; ``str(error)`` is a plain sentence to show the user."""


class NotFound(BookingError):
    """No such row, or one this user may not decide (the same answer, so a foreign row's
    existence is not revealed)."""


class InvalidTransition(BookingError):
    """The row's current status does not allow this decision."""


class StaleObject(BookingError):
    """The row changed since the user opened it (optimistic locking)."""


class BandDoubleBooked(BookingError):
    """The band is already accepted for an overlapping confirmed event."""

    def __init__(self, message: str, clash_event_id: int) -> None:
        super().__init__(message)
        self.clash_event_id = clash_event_id


class NeedsOverride(BookingError):
    """Allowed only with an explicit "anyway" (a closed day, outside the opening hours, a
    band accepted elsewhere at that time): ``reasons`` are the plain sentences to show,
    and the same again is done with ``override=True``, which the audit entry records."""

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


def with_override(entry: AuditEntry, reasons: list[str]) -> None:
    """Note in an audit entry that its change was made over ``reasons`` ("... anyway")."""
    entry.changes = {**(entry.changes or {}), "override": [None, reasons]}


class VenueClash(BookingError):
    """The venue already has an overlapping confirmed event."""

    def __init__(self, message: str, clash_event_id: int | None) -> None:
        super().__init__(message)
        self.clash_event_id = clash_event_id


def describe_event(event: Event) -> str:
    """'"Title" at Venue, Sat 05 Dec 2026 20:00-23:00 (Europe/Berlin)': on the venue's clock."""
    venue = event.venue
    when = format_local_range(event.starts_at, event.ends_at, venue.timezone)
    return f'"{event.title}" at {venue.name}, {when}'


def _lock(session: Session, model: type[R], ids: Iterable[int]) -> list[R]:
    """Lock rows in id order (FOR NO KEY UPDATE) and reload them from the database."""
    stmt = (
        select(model)
        .where(model.id.in_(sorted(set(ids))))
        .order_by(model.id)
        # NO KEY UPDATE still excludes other deciders, but lets rows that merely reference
        # these ones (a new application's foreign key check) go ahead.
        .with_for_update(key_share=True)
        # Objects already in the session keep stale attributes unless told to reload.
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt))


def _check_version(
    session: Session, obj: Event | EventApplication, expected_version: int | None, noun: str
) -> None:
    if expected_version is None or obj.version == expected_version:
        return
    who = None
    if obj.updated_by_id is not None:
        who = session.scalar(select(User.email).where(User.id == obj.updated_by_id))
    raise StaleObject(
        f"This {noun} was changed by {who or 'someone else'} since you opened it. "
        "Reload it and try again."
    )


def _band_clash(session: Session, band_id: int, event: Event) -> Event | None:
    """A confirmed event overlapping ``event`` that the band is already accepted for."""
    stmt = (
        select(Event)
        .join(EventApplication, EventApplication.event_id == Event.id)
        .where(
            EventApplication.band_id == band_id,
            EventApplication.status == "accepted",
            Event.id != event.id,
            Event.status == "confirmed",
            # Half-open ranges, like the venue rule: back-to-back shows may touch.
            Event.starts_at < event.ends_at,
            Event.ends_at > event.starts_at,
        )
        .order_by(Event.starts_at, Event.id)
        .limit(1)
    )
    return session.scalar(stmt)


def _band_booked(band: Band, clash: Event, actor: Scope) -> str:
    """Why ``band`` cannot play: where it is booked, named only if ``actor`` may see it.

    The refusal stands either way; another venue's private event (its title, venue and
    times) is not shown to staff who may not open it.
    """
    if can(actor, "view", Event, clash):
        return f"{band.name} is already booked for {describe_event(clash)}."
    return f"{band.name} is already booked elsewhere at that time."


def check_band_clashes_for_event(
    session: Session, event: Event, actor: Scope, *, refusal: str = ""
) -> None:
    """Refuse (:class:`BandDoubleBooked`) if a band accepted for ``event`` is already accepted
    for another confirmed event overlapping ``event``'s times as they are in the session
    (unsaved changes included).

    Locks those bands first, in id order, so an acceptance elsewhere at the same instant
    waits for this transaction (or this check sees its commit). The caller holds the
    event's lock, which keeps new acceptances for ``event`` out meanwhile. ``refusal``
    starts the message ("Cannot confirm: ").
    """
    band_ids = session.scalars(
        select(EventApplication.band_id).where(
            EventApplication.event_id == event.id, EventApplication.status == "accepted"
        )
    )
    for band in _lock(session, Band, band_ids):
        clash = _band_clash(session, band.id, event)
        if clash is not None:
            raise BandDoubleBooked(refusal + _band_booked(band, clash, actor), clash.id)


def lock_venue(session: Session, venue_id: int) -> None:
    """Make schedule writes at one venue wait for each other, until this transaction ends.

    Every write that a rule about the venue's nights depends on takes it first: a hold
    placed (two staff picking the same night must not both get "hold 1"), a confirmation,
    a confirmed event saved from its form. PostgreSQL: the venue row, FOR NO KEY UPDATE,
    so inserts that merely reference the venue (their foreign key check takes KEY SHARE)
    go on. SQLite: its single writer lock, taken before anything is read.
    """
    lock_writes_on_sqlite(session)
    session.execute(select(Venue.id).where(Venue.id == venue_id).with_for_update(key_share=True))


def lock_venue_schedule(session: Session, event: Event) -> None:
    """Take the locks for saving ``event`` as confirmed; call it before the clash checks.

    Without them, two overlapping confirmed writes at one venue both pass the clash check
    (neither sees the other's uncommitted row), then meet in the exclusion constraint,
    where each waits for the other and PostgreSQL aborts one as a deadlock. Locking the
    venue row serialises confirmed writes per venue, so the later writer sees the earlier
    one's commit and is refused by name. The venue comes first, then the event itself
    (a new event has no row yet), as in :func:`confirm_event`. ``event`` is not reloaded:
    a form's unsaved changes stay.
    """
    lock_venue(session, event.venue_id)
    if event.id is not None:
        session.execute(
            select(Event.id).where(Event.id == event.id).with_for_update(key_share=True)
        )


def check_confirmed(session: Session, event: Event, actor: Scope, *, refusal: str) -> None:
    """May ``event`` be confirmed, or stay confirmed with its times as they are in the
    session? The one check behind every confirmation: :func:`confirm_event` and the event
    form's save alike.

    Refuses a confirmed event of the same venue at an overlapping time
    (:class:`VenueClash`) and a band accepted for ``event`` and booked elsewhere then
    (:class:`BandDoubleBooked`, its message starting with ``refusal``). The caller holds
    :func:`lock_venue_schedule`'s locks.
    """
    if _venue_clash(session, event) is not None:
        raise _venue_clash_error(session, event)
    check_band_clashes_for_event(session, event, actor, refusal=refusal)


def _venue_clash(session: Session, event: Event) -> Event | None:
    """A confirmed event at the same venue overlapping ``event`` (the save-time rule)."""
    return find_confirmed_clash(
        session,
        venue_id=event.venue_id,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        exclude_id=event.id,
    )


def _venue_clash_error(session: Session, event: Event) -> VenueClash:
    clash = _venue_clash(session, event)
    if clash is None:  # the other confirmation was undone meanwhile; say what we know
        return VenueClash("The venue already has a confirmed event at that time.", None)
    # The same sentence the event form shows when a save would clash.
    return VenueClash(clash_message(clash), clash.id)


# Applications --------------------------------------------------------------------------


def _open_application(
    session: Session,
    application_id: int,
    actor: Scope,
    expected_version: int | None,
    *,
    decided: bool = False,
) -> EventApplication:
    """Find, lock and check an application this actor may decide: a pending one, or with
    ``decided`` one that was decided (to reopen it)."""
    lock_writes_on_sqlite(session)
    not_found = NotFound(f"Application {application_id} was not found.")
    found = session.execute(
        select(EventApplication.event_id, EventApplication.band_id).where(
            EventApplication.id == application_id
        )
    ).one_or_none()
    if found is None:
        raise not_found
    event_id, band_id = found
    _lock(session, Event, [event_id])
    _lock(session, Band, [band_id])
    applications = _lock(session, EventApplication, [application_id])
    if not applications or not can(actor, "edit", EventApplication, applications[0]):
        raise not_found
    application = applications[0]
    if (application.event_id, application.band_id) != (event_id, band_id):
        # Moved between the lookup and the locks: the locks taken are the wrong ones.
        raise StaleObject("This application was moved since you opened it. Reload it.")
    _check_version(session, application, expected_version, "application")
    if decided and application.status == "pending":
        raise InvalidTransition("This application is already pending: there is nothing to reopen.")
    if not decided and application.status != "pending":
        raise InvalidTransition(
            f"This application was already {application.status}; reopen it to decide again."
        )
    return application


def _decide(
    session: Session,
    application: EventApplication,
    status: str,
    actor: Scope,
    remote_addr: str | None,
    *,
    override: list[str] | None = None,
) -> EventApplication:
    before = snapshot(application)
    application.status = status
    application.decided_at = datetime.now(UTC)
    application.decided_by_id = actor.user_id
    application.updated_by_id = actor.user_id
    session.flush()
    action = AUDIT_ACTIONS[status]
    entry = record_change(session, Actor.of(actor, remote_addr), action, application, before)
    if override:
        with_override(entry, override)
    notifications.application_decided(session, application)
    session.flush()
    return application


def accept_application(
    session: Session,
    application_id: int,
    actor: Scope,
    expected_version: int | None = None,
    *,
    remote_addr: str | None = None,
    override: bool = False,
) -> EventApplication:
    """Accept a pending application, unless the band is booked elsewhere at that time.

    A band already accepted for another overlapping event (not both confirmed, which is
    refused) is a warning: :class:`NeedsOverride` naming it, unless ``override`` ("accept
    anyway"), which the audit entry records.
    """
    application = _open_application(session, application_id, actor, expected_version)
    event = application.event
    if event.status == "cancelled":
        raise InvalidTransition(f'The event "{event.title}" is cancelled.')
    # For an unconfirmed event the band check waits until the event is confirmed.
    if event.status == "confirmed":
        clash = _band_clash(session, application.band_id, event)
        if clash is not None:
            raise BandDoubleBooked(_band_booked(application.band, clash, actor), clash.id)
    from admin_app import conflicts  # here: conflicts reads the calendars, which use booking

    reasons = [
        _also_accepted(application.band, other, actor)
        for other in conflicts.band_overlaps(session, application.band_id, event)
    ]
    if reasons and not override:
        raise NeedsOverride(
            f'{" ".join(reasons)} Use "Accept anyway" to accept it all the same.', reasons
        )
    decided = _decide(session, application, "accepted", actor, remote_addr, override=reasons)
    return decided


def _also_accepted(band: Band, other: Any, actor: Scope) -> str:
    """Where ``band`` is already accepted (``other``: a conflicts.Booked), named only if
    ``actor`` may see that venue."""
    if actor.is_superuser or other.venue_id in actor.venue_ids:
        return f"{band.name} is already accepted for {other.describe()}."
    return f"{band.name} is already accepted elsewhere at an overlapping time."


def reject_application(
    session: Session,
    application_id: int,
    actor: Scope,
    expected_version: int | None = None,
    *,
    remote_addr: str | None = None,
) -> EventApplication:
    """Reject a pending application."""
    application = _open_application(session, application_id, actor, expected_version)
    return _decide(session, application, "rejected", actor, remote_addr)


def withdraw_application(
    session: Session,
    application_id: int,
    actor: Scope,
    expected_version: int | None = None,
    *,
    remote_addr: str | None = None,
) -> EventApplication:
    """Record that the band withdrew its pending application."""
    application = _open_application(session, application_id, actor, expected_version)
    return _decide(session, application, "withdrawn", actor, remote_addr)


def reopen_application(
    session: Session,
    application_id: int,
    actor: Scope,
    expected_version: int | None = None,
    *,
    remote_addr: str | None = None,
) -> EventApplication:
    """Put a decided (accepted, rejected or withdrawn) application back to pending.

    Its decision (who and when) is cleared, as the CHECK on applications requires of a
    pending one; the audit entry ("reopen") keeps what it was. Refused for a cancelled
    event, where nothing can be decided any more. Reopening an acceptance never breaks a
    booking rule (the band simply stops being booked), so no clash check is needed; the
    locks are the same as a decision's, so a decision racing the reopen waits for it.
    """
    application = _open_application(session, application_id, actor, expected_version, decided=True)
    event = application.event
    if event.status == "cancelled":
        raise InvalidTransition(f'The event "{event.title}" is cancelled.')
    before = snapshot(application)
    application.status = "pending"
    application.decided_at = None
    application.decided_by_id = None
    application.updated_by_id = actor.user_id
    session.flush()
    record_change(session, Actor.of(actor, remote_addr), "reopen", application, before)
    session.flush()
    return application


# Events --------------------------------------------------------------------------------


def _open_event(
    session: Session,
    event_id: int,
    actor: Scope,
    expected_version: int | None,
    *,
    for_confirmation: bool = False,
) -> Event:
    """Find, lock and check an event this actor may decide.

    With ``for_confirmation`` its venue is locked first: see
    :func:`lock_venue_schedule`.
    """
    lock_writes_on_sqlite(session)
    venue_id = None
    if for_confirmation:
        venue_id = session.scalar(select(Event.venue_id).where(Event.id == event_id))
        if venue_id is not None:
            lock_venue(session, venue_id)
    locked = _lock(session, Event, [event_id])
    if not locked or not can(actor, "edit", Event, locked[0]):
        raise NotFound(f"Event {event_id} was not found.")
    event = locked[0]
    if for_confirmation and event.venue_id != venue_id:
        # Moved between the lookup and the locks: the venue locked is the wrong one.
        raise StaleObject("This event was moved to another venue since you opened it. Reload it.")
    _check_version(session, event, expected_version, "event")
    return event


def _write_confirmation(session: Session, event: Event, actor: Scope) -> None:
    """Write the confirmation; turn the exclusion constraint's refusal into VenueClash."""

    def write() -> None:
        event.status = "confirmed"
        event.hold_rank = None  # the CHECK allows a rank on holds only
        event.hold_expires_at = None  # an expiry, like a rank, is a hold's only
        event.updated_by_id = actor.user_id
        session.flush()

    if session.get_bind().dialect.name != "postgresql":
        # The write lock taken first means the overlap triggers cannot fire here (the
        # clash check already ran under it). No savepoint: pysqlite would commit the
        # caller's transaction when releasing one that opened it.
        write()
        return
    try:
        # A savepoint keeps the caller's transaction usable after the refusal, so the
        # clashing event (committed by a concurrent confirmation) can be looked up. The
        # change is made inside it, so its rollback also expires the refused values.
        with session.begin_nested():
            write()
    except exc.IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        raise _venue_clash_error(session, event) from error


def confirm_event(
    session: Session,
    event_id: int,
    actor: Scope,
    expected_version: int | None = None,
    *,
    remote_addr: str | None = None,
    override: bool = False,
) -> Event:
    """Confirm a draft or held event (clearing its hold rank), unless it would clash.

    On a night the venue marked closed, or outside its opening hours, it is refused
    (:class:`NeedsOverride`, naming the mark or the hours) unless ``override`` ("confirm
    anyway"), which the audit entry records.
    """
    event = _open_event(session, event_id, actor, expected_version, for_confirmation=True)
    if event.status not in ("draft", "hold"):
        raise InvalidTransition(f"A {event.status} event cannot be confirmed.")
    # New acceptances for this event wait for its lock, so the bands checked are all of them.
    check_confirmed(session, event, actor, refusal="Cannot confirm: ")
    reasons = check_calendar(session, event, override=override, refusal="Cannot confirm: ")
    before = snapshot(event)
    _write_confirmation(session, event, actor)
    entry = record_change(session, Actor.of(actor, remote_addr), "confirm", event, before)
    if reasons:
        with_override(entry, reasons)
    notifications.event_confirmed(session, event)
    session.flush()
    return event


CONFIRM_ANYWAY = 'Use "Confirm anyway" to confirm it all the same.'


def check_calendar(session: Session, event: Event, *, override: bool, refusal: str) -> list[str]:
    """Does confirmed ``event`` (times as in the session) sit on a night its venue marked
    closed, or outside its opening hours? Refuses (:class:`NeedsOverride`, its message
    starting with ``refusal``) unless ``override``; returns the reasons overridden ([]
    when there were none), for the audit entry."""
    from admin_app import conflicts  # here: conflicts reads the calendars, which use booking

    venue = session.get(Venue, event.venue_id)
    if venue is None:
        return []
    reasons = conflicts.schedule_reasons(session, venue, event.starts_at, event.ends_at)
    if reasons and not override:
        raise NeedsOverride(f"{refusal}{' '.join(reasons)} {CONFIRM_ANYWAY}", reasons)
    return reasons


def deletion_refusal(event: Event) -> str | None:
    """Why ``event`` may not be deleted, or None. A confirmed show is cancelled first:
    cancelling tells its bands and the venue's staff, a delete would tell nobody."""
    if event.status == "confirmed":
        return (
            "A confirmed show cannot be deleted: cancel it first (its bands and the venue's "
            "staff are told), then delete it."
        )
    return None


def cancel_event(
    session: Session,
    event_id: int,
    actor: Scope,
    expected_version: int | None = None,
    *,
    remote_addr: str | None = None,
) -> Event:
    """Cancel a draft, held or confirmed event; its applications are left as they are.

    A cancelled hold leaves its night's ladder: the holds below it move up one rank.
    """
    # The venue is locked first (as for a confirmation): the ladder below a hold moves.
    event = _open_event(session, event_id, actor, expected_version, for_confirmation=True)
    if event.status == "cancelled":
        raise InvalidTransition("This event is already cancelled.")
    vacated = event.hold_rank if event.status == "hold" else None
    before = snapshot(event)
    event.status = "cancelled"
    event.hold_rank = event.hold_expires_at = None
    event.updated_by_id = actor.user_id
    session.flush()
    record_change(session, Actor.of(actor, remote_addr), "cancel", event, before)
    notifications.event_cancelled(session, event)
    if vacated is not None:
        ladder.promote_after(session, [(event, vacated)], Actor.of(actor, remote_addr))
    session.flush()
    return event
