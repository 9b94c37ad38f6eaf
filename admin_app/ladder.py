"""The hold ladder of a venue's night: 1st hold, 2nd hold, 3rd hold...

A night is the venue's local date a show starts on (a show past midnight belongs to the
night it started). On one venue-night no two holds share a rank; a new hold takes the next
free rank, one after the lowest-placed hold (the ladder's bottom), unless a rank is asked
for. When a hold leaves the ladder because it is released, cancelled or expires, the holds
below it move up one rank each, audited ("promote_hold"). Confirming a hold does not move
the others: they stay where they are, behind the confirmed show, until someone releases
them (see :mod:`admin_app.holds`), as in the tools venues use (Prism's "clear other holds"
is an offer, never automatic).

Every function here reads and writes under the venue's lock, which the caller takes first
(:func:`admin_app.booking.lock_venue`): two staff placing holds at once then get different
ranks, and a promotion never interleaves with a new hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin_app.audit import Actor, record_change, snapshot
from admin_app.localtime import local_midnight_utc, night_of
from models import Event

PROMOTE_ACTION = "promote_hold"


class RankRefused(ValueError):
    """The rank asked for cannot be given; ``str(error)`` says why, naming the holder."""


def night_span(day: date, zone_name: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of the venue-night ``day`` as UTC instants (DST-exact midnights)."""
    return local_midnight_utc(day, zone_name), local_midnight_utc(
        day + timedelta(days=1), zone_name
    )


def holds_on_night(
    session: Session, venue_id: int, zone_name: str, day: date, *, exclude_id: int | None = None
) -> list[Event]:
    """The holds of one venue-night, best rank first (the caller holds the venue lock)."""
    lower, upper = night_span(day, zone_name)
    stmt = (
        select(Event)
        .where(
            Event.venue_id == venue_id,
            Event.status == "hold",
            Event.starts_at >= lower,
            Event.starts_at < upper,
        )
        .order_by(Event.hold_rank, Event.id)
        # Ranks may have moved since these rows were loaded (another request's promotion).
        .execution_options(populate_existing=True)
    )
    if exclude_id is not None:
        stmt = stmt.where(Event.id != exclude_id)
    return list(session.scalars(stmt))


def next_free_rank(
    session: Session, venue_id: int, zone_name: str, day: date, *, exclude_id: int | None = None
) -> int:
    """The rank a new hold on the venue-night gets: one after the lowest-placed hold."""
    lower, upper = night_span(day, zone_name)
    stmt = select(func.max(Event.hold_rank)).where(
        Event.venue_id == venue_id,
        Event.status == "hold",
        Event.starts_at >= lower,
        Event.starts_at < upper,
    )
    if exclude_id is not None:
        stmt = stmt.where(Event.id != exclude_id)
    return int(session.scalar(stmt) or 0) + 1


def place_on_ladder(session: Session, event: Event, zone_name: str) -> int:
    """Give the hold ``event`` its rank on its venue-night, or refuse the one it asks for.

    No rank asked for: the next free one. A rank asked for is kept if no other hold of
    that night has it; otherwise :class:`RankRefused` names the hold that has it. The
    caller holds the venue lock (:func:`admin_app.booking.lock_venue`).
    """
    # Not flushed while asking: the event may not be valid yet (a hold without its rank).
    with session.no_autoflush:
        return _place(session, event, zone_name)


def _place(session: Session, event: Event, zone_name: str) -> int:
    day = night_of(event.starts_at, zone_name)
    # A new event has no id yet; None excludes nothing.
    own_id = event.id
    if event.hold_rank is None:
        event.hold_rank = next_free_rank(session, event.venue_id, zone_name, day, exclude_id=own_id)
        return event.hold_rank
    if event.hold_rank < 1:
        raise RankRefused("A hold rank is 1 or more (1 for the first hold).")
    for other in holds_on_night(session, event.venue_id, zone_name, day, exclude_id=own_id):
        if other.hold_rank == event.hold_rank:
            free = next_free_rank(session, event.venue_id, zone_name, day, exclude_id=own_id)
            raise RankRefused(
                f'Hold {event.hold_rank} on {day:%a %d %b %Y} is already "{other.title}" '
                f"(event {other.id}); two holds cannot share a rank on one night. "
                f"Leave the rank empty for the next free one ({free})."
            )
    return event.hold_rank


def promote_below(
    session: Session,
    venue_id: int,
    zone_name: str,
    day: date,
    vacated: Iterable[int],
    actor: Actor,
    *,
    exclude_id: int | None = None,
) -> list[Event]:
    """Move the holds of one venue-night up past the ranks ``vacated`` (holds that left
    the ladder): each by the number of vacated ranks above it, each change audited.

    The holds that moved, best rank first; the caller flushes. The caller holds the venue
    lock and has flushed the holds that left (they are no longer holds), or names the one
    that left unflushed (a form being saved) as ``exclude_id``.
    """
    gone = sorted(vacated)
    moved = []
    for hold in holds_on_night(session, venue_id, zone_name, day, exclude_id=exclude_id):
        rank = hold.hold_rank or 0
        new_rank = rank - sum(1 for old in gone if old < rank)
        if new_rank == rank:
            continue
        before = snapshot(hold)
        hold.hold_rank = new_rank
        hold.updated_by_id = actor.user_id
        record_change(session, actor, PROMOTE_ACTION, hold, before)
        moved.append(hold)
    # Not flushed here: a form being saved flushes (and reports errors) in one place.
    return moved


def promote_after(session: Session, left: Iterable[tuple[Event, int]], actor: Actor) -> int:
    """Promote the ladders that ``left`` (holds with the rank each had) were on; how many
    holds moved. The caller holds the venue lock of each."""
    by_night: dict[tuple[int, str, date], list[int]] = {}
    for event, rank in left:
        zone_name = event.venue.timezone
        key = (event.venue_id, zone_name, night_of(event.starts_at, zone_name))
        by_night.setdefault(key, []).append(rank)
    moved = 0
    for (venue_id, zone_name, day), ranks in sorted(by_night.items()):
        moved += len(promote_below(session, venue_id, zone_name, day, ranks, actor))
    return moved
