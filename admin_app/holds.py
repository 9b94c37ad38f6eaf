"""Holds leaving the ladder: released on the click after a confirmation, or expired.

After an event is confirmed its page offers to release the other holds that overlap it at
that venue (:func:`release_offer`); only that click (:func:`release_other_holds`) releases
them, and only the ones the page listed. Holds may carry an expiry
(``events.hold_expires_at``); :func:`release_expired_holds` cancels every hold past it,
for ``python -m admin_app release-expired-holds`` and any worker loop alike. Each released
hold is cancelled with the reason in its audit entry, and the holds below it move up
(:mod:`admin_app.ladder`).

Locks: the venue (:func:`admin_app.booking.lock_venue`), then the confirmed event, then
the holds by id; the order every booking decision takes. Expiry works one venue per
transaction, venues in id order, each under its venue lock: runs on several machines at
once queue per venue, and the later one finds nothing left there to release.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app import ladder, notifications
from admin_app.audit import Actor, record_change, snapshot
from admin_app.booking import NotFound, StaleObject, lock_venue
from admin_app.db import lock_writes_on_sqlite
from admin_app.localtime import format_local, format_local_range
from admin_app.request_session import SessionSource
from admin_app.scoping import Scope, can
from models import Band, Event, EventApplication

RELEASE_ACTION = "release_hold"
EXPIRE_ACTION = "expire_hold"
# Who the audit log names for expiry: no user, this label.
SYSTEM_ACTOR = Actor(None, "system: release-expired-holds")


def is_expired(event: Event, now: datetime | None = None) -> bool:
    """True for a hold whose expiry has passed."""
    expires = event.hold_expires_at
    return event.status == "hold" and expires is not None and expires <= (now or _now())


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OfferedHold:
    """One hold the release offer lists."""

    id: int
    title: str
    rank: int
    when: str


@dataclass(frozen=True)
class ReleaseOffer:
    """The other holds overlapping a confirmed event, and the reason a release records."""

    event_id: int
    holds: tuple[OfferedHold, ...]
    reason: str

    @property
    def label(self) -> str:
        """The button: "Release 2 other holds on this night"."""
        count = len(self.holds)
        return f"Release {count} other hold{'s' if count != 1 else ''} on this night"


def _overlapping_holds(session: Session, event: Event, *, lock: bool = False) -> list[Event]:
    """The holds at ``event``'s venue whose times overlap it, by rank."""
    stmt = (
        select(Event)
        .where(
            Event.venue_id == event.venue_id,
            Event.status == "hold",
            Event.id != event.id,
            # Half-open ranges, like the venue rule: a hold that only touches is not over it.
            Event.starts_at < event.ends_at,
            Event.ends_at > event.starts_at,
        )
        .order_by(Event.hold_rank, Event.id)
    )
    if lock:
        # Locked in id order (the order every decision locks events in), then sorted.
        stmt = (
            stmt.order_by(None)
            .order_by(Event.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return sorted(session.scalars(stmt), key=lambda hold: (hold.hold_rank or 0, hold.id))
    return list(session.scalars(stmt))


def release_reason(session: Session, event: Event) -> str:
    """'released: Band X confirmed for this night' (the event's title when no band is in)."""
    names = list(
        session.scalars(
            select(Band.name)
            .join(EventApplication, EventApplication.band_id == Band.id)
            .where(EventApplication.event_id == event.id, EventApplication.status == "accepted")
            .order_by(Band.name)
        )
    )
    who = ", ".join(names) if names else f'"{event.title}"'
    return f"released: {who} confirmed for this night"


def release_offer(session: Session, scope: Scope, event_id: int) -> ReleaseOffer | None:
    """What a confirmed event's page offers to release, or None (nothing to offer, or the
    user may not change the event)."""
    event = session.get(Event, event_id)
    if event is None or event.status != "confirmed" or not can(scope, "edit", Event, event):
        return None
    holds = _overlapping_holds(session, event)
    if not holds:
        return None
    zone_name = event.venue.timezone
    offered = tuple(
        OfferedHold(
            hold.id,
            hold.title,
            hold.hold_rank or 0,
            format_local_range(hold.starts_at, hold.ends_at, zone_name),
        )
        for hold in holds
    )
    return ReleaseOffer(event.id, offered, release_reason(session, event))


def _cancel_hold(
    session: Session, hold: Event, actor: Actor, action: str, reason: str
) -> tuple[Event, int]:
    """Cancel one hold with ``reason`` in its audit entry; the hold and its old rank."""
    rank = hold.hold_rank or 0
    before = snapshot(hold)
    hold.status = "cancelled"
    # The expiry goes too (the audit entry keeps it, and the reason says it lapsed).
    hold.hold_rank = hold.hold_expires_at = None
    hold.updated_by_id = actor.user_id
    session.flush()
    entry = record_change(session, actor, action, hold, before)
    entry.changes = {**(entry.changes or {}), "reason": reason}
    notifications.hold_released(session, hold, reason)
    return hold, rank


def release_other_holds(
    session: Session,
    event_id: int,
    actor: Scope,
    hold_ids: Iterable[int],
    *,
    remote_addr: str | None = None,
) -> list[Event]:
    """Release (cancel, audited with the reason) the holds ``hold_ids`` that still overlap
    the confirmed event ``event_id`` at its venue; the holds below them move up.

    Only holds the page listed are released: one placed since then stays. Raises
    NotFound for an event the actor may not change, StaleObject when it is no longer
    confirmed. Flushes, never commits.
    """
    lock_writes_on_sqlite(session)
    venue_id = session.scalar(select(Event.venue_id).where(Event.id == event_id))
    if venue_id is None:
        raise NotFound(f"Event {event_id} was not found.")
    lock_venue(session, venue_id)
    event = session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if event is None or not can(actor, "edit", Event, event):
        raise NotFound(f"Event {event_id} was not found.")
    if event.venue_id != venue_id or event.status != "confirmed":
        raise StaleObject(
            f'"{event.title}" is not a confirmed event at this venue (any more): nothing was '
            "released. Reload the page."
        )
    wanted = set(hold_ids)
    who = Actor.of(actor, remote_addr)
    reason = release_reason(session, event)
    left = [
        _cancel_hold(session, hold, who, RELEASE_ACTION, reason)
        for hold in _overlapping_holds(session, event, lock=True)
        if hold.id in wanted and can(actor, "edit", Event, hold)
    ]
    ladder.promote_after(session, left, who)
    session.flush()
    return [hold for hold, _rank in left]


def release_expired_at_venue(session: Session, venue_id: int, *, now: datetime) -> int:
    """Cancel the venue's holds past their expiry (system actor) and promote its ladders;
    how many were released. Takes the venue lock; flushes, never commits."""
    lock_venue(session, venue_id)
    expired = list(
        session.scalars(
            select(Event)
            .where(
                Event.venue_id == venue_id,
                Event.status == "hold",
                Event.hold_expires_at <= now,
            )
            .order_by(Event.id)
            .with_for_update(key_share=True)
            # A run that waited for the lock must see what the other run committed.
            .execution_options(populate_existing=True)
        )
    )
    left = []
    for hold in expired:
        expires_at = hold.hold_expires_at
        assert expires_at is not None  # selected by it
        reason = f"expired: hold lapsed at {format_local(expires_at, hold.venue.timezone)}"
        left.append(_cancel_hold(session, hold, SYSTEM_ACTOR, EXPIRE_ACTION, reason))
    ladder.promote_after(session, left, SYSTEM_ACTOR)
    session.flush()
    return len(left)


def release_expired_holds(sessions: SessionSource, *, now: datetime | None = None) -> int:
    """Release every hold past its expiry, one venue per transaction; how many.

    Idempotent, and safe to run on several machines at once: each venue is done under its
    lock, and a run that waited finds those holds already released. For the CLI and a
    worker loop alike.
    """
    now = now or _now()
    with sessions() as session:
        venue_ids = sorted(
            set(
                session.scalars(
                    select(Event.venue_id).where(
                        Event.status == "hold", Event.hold_expires_at <= now
                    )
                )
            )
        )
    released = 0
    for venue_id in venue_ids:
        with sessions.begin() as session:
            released += release_expired_at_venue(session, venue_id, now=now)
    return released
