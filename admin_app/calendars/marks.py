"""Setting one day's mark: a venue open/closed/hold, or a band available/unavailable/tentative.

One row per owner and date (``UNIQUE(owner, date)``): setting a status creates or updates
that row, clearing deletes it. Every change is checked against the scoping rules and
audited in the caller's transaction. The functions flush but never commit.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from admin_app import conflicts
from admin_app.audit import Actor, record_change, snapshot
from admin_app.booking import NeedsOverride, NotFound, lock_venue, with_override
from admin_app.db import lock_writes_on_sqlite
from admin_app.scoping import Scope, ScopeError, can, scope_statement
from models import (
    AVAILABILITY_STATUSES,
    VENUE_DAY_STATUSES,
    Band,
    BandAvailability,
    Venue,
    VenueAvailability,
)

# What a form sends to remove the day's mark (the day falls back to the usual hours).
CLEAR = "clear"
NOTE_MAX_LENGTH = 500

M = TypeVar("M", VenueAvailability, BandAvailability)


class MarkError(ValueError):
    """The submitted status or note cannot be stored; the message says why."""


def _clean(status: str, note: str | None, allowed: tuple[str, ...]) -> tuple[str, str | None]:
    if status != CLEAR and status not in allowed:
        choices = ", ".join((*allowed, CLEAR))
        raise MarkError(f"{status!r} is not a day status: choose one of {choices}.")
    cleaned = (note or "").strip() or None
    if cleaned is not None and len(cleaned) > NOTE_MAX_LENGTH:
        raise MarkError(f"The note is too long: at most {NOTE_MAX_LENGTH} characters.")
    return status, cleaned


def _owner_key(model: type[M]) -> str:
    return "venue_id" if model is VenueAvailability else "band_id"


def _existing(session: Session, model: type[M], owner_id: int, day: date) -> M | None:
    owner_column = getattr(model, _owner_key(model))
    # FOR UPDATE on PostgreSQL: a colleague's change to the same day waits for ours
    # instead of slipping in between our read and our write (SQLite ignores it: its
    # single writer lock serialises the writes).
    return session.scalar(
        select(model).where(owner_column == owner_id, model.date == day).with_for_update()
    )


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise ScopeError("You cannot change the availability of this day.")


def _apply(
    session: Session,
    actor: Scope,
    model: type[M],
    owner_id: int,
    day: date,
    status: str,
    note: str | None,
    remote_addr: str | None,
    override: list[str] | None = None,
) -> M | None:
    """Create, update or delete the row of ``(owner_id, day)``; audited (with the
    ``override`` reasons, when the change was made over them).

    Runs in a savepoint and retries once when a colleague stored or removed the same day
    between our read and our write (their insert trips the unique constraint, their
    delete leaves our update matching no row): the second read sees their change.
    """
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                return _apply_once(
                    session, actor, model, owner_id, day, status, note, remote_addr, override
                )
        except (IntegrityError, StaleDataError):
            if attempt == 2:
                raise MarkError(
                    "Someone else changed this day at the same moment. Try again."
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _apply_once(
    session: Session,
    actor: Scope,
    model: type[M],
    owner_id: int,
    day: date,
    status: str,
    note: str | None,
    remote_addr: str | None,
    override: list[str] | None = None,
) -> M | None:
    row = _existing(session, model, owner_id, day)
    if status == CLEAR:
        if row is None:
            return None  # nothing to clear: not an error, and nothing to audit
        _refuse_unless(can(actor, "delete", model, row))
        before = snapshot(row)
        session.delete(row)
        session.flush()
        record_change(session, Actor.of(actor, remote_addr), "delete", row, before, after={})
        return None
    if row is not None:
        _refuse_unless(can(actor, "edit", model, row))
        before = snapshot(row)
        row.status, row.note = status, note
        session.flush()
        entry = record_change(session, Actor.of(actor, remote_addr), "update", row, before)
        if override:
            with_override(entry, override)
        return row
    row = model(**{_owner_key(model): owner_id}, date=day, status=status, note=note)
    _refuse_unless(can(actor, "create", model, row))
    session.add(row)
    session.flush()
    entry = record_change(session, Actor.of(actor, remote_addr), "create", row, {})
    if override:
        with_override(entry, override)
    return row


CLOSE_ANYWAY = 'Use "Close anyway" to mark it closed all the same.'


def _stranded(session: Session, venue: Venue, day: date, status: str, override: bool) -> list[str]:
    """Closing ``day`` with holds or a confirmed show on it: refused (NeedsOverride, listing
    them) unless ``override``; the shows overridden, for the audit entry."""
    if status != "closed":
        return []
    current = session.scalar(
        select(VenueAvailability.status).where(
            VenueAvailability.venue_id == venue.id, VenueAvailability.date == day
        )
    )
    if current == "closed":
        return []  # already closed: a new note strands nothing new
    shows = [show.describe() for show in conflicts.shows_on_night(session, venue, day)]
    if shows and not override:
        listed = "; ".join(shows)
        raise NeedsOverride(
            f"{day:%a %d %b %Y} has {len(shows)} show{'s' if len(shows) != 1 else ''} "
            f"booked: {listed}. {CLOSE_ANYWAY}",
            shows,
        )
    return shows


def set_venue_day(
    session: Session,
    actor: Scope,
    venue_id: int,
    day: date,
    status: str,
    note: str | None = None,
    *,
    remote_addr: str | None = None,
    override: bool = False,
) -> VenueAvailability | None:
    """Mark ``day`` at the venue open, closed or hold (with a note), or clear the mark.

    Closing a day with holds or a confirmed show on it is refused (NeedsOverride, listing
    them) unless ``override`` ("close anyway"), which the audit entry records. Raises
    NotFound for a venue ``actor`` may not see, ScopeError when they may see but not
    change it, MarkError for a status or note that cannot be stored.
    """
    status, note = _clean(status, note, VENUE_DAY_STATUSES)
    lock_writes_on_sqlite(session)
    venue = session.scalar(scope_statement(Venue, select(Venue).where(Venue.id == venue_id), actor))
    if venue is None:
        raise NotFound(f"Venue {venue_id} was not found.")
    if status == "closed":
        # The venue lock every schedule write takes: a hold placed meanwhile waits, so the
        # shows listed are all of them.
        lock_venue(session, venue.id)
    stranded = _stranded(session, venue, day, status, override)
    return _apply(
        session, actor, VenueAvailability, venue.id, day, status, note, remote_addr, stranded
    )


def set_band_day(
    session: Session,
    actor: Scope,
    band_id: int,
    day: date,
    status: str,
    note: str | None = None,
    *,
    remote_addr: str | None = None,
) -> BandAvailability | None:
    """Mark the band available, unavailable or tentative on ``day``, or clear the mark.

    Raises as :func:`set_venue_day` does; venue staff may read bands but not mark them.
    """
    status, note = _clean(status, note, AVAILABILITY_STATUSES)
    lock_writes_on_sqlite(session)
    band = session.scalar(scope_statement(Band, select(Band).where(Band.id == band_id), actor))
    if band is None:
        raise NotFound(f"Band {band_id} was not found.")
    return _apply(session, actor, BandAvailability, band.id, day, status, note, remote_addr)
