"""Scheduling rules the console checks before saving, on every database.

On PostgreSQL the exclusion constraint ``excl_events_venue_confirmed_no_overlap`` is the
real guarantee (two saves at the same instant cannot both pass); on SQLite, triggers of
the same name (migration 9a3a1e85b614) refuse what this check would, behind the write
lock every confirmed save takes first. Both paths word the refusal with
:func:`clash_message`, so users read the same sentence whichever caught it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from admin_app.localtime import format_local_range
from models import Event


def find_confirmed_clash(
    session: Session,
    *,
    venue_id: int,
    starts_at: datetime,
    ends_at: datetime,
    exclude_id: int | None = None,
) -> Event | None:
    """A confirmed event at ``venue_id`` whose time overlaps ``[starts_at, ends_at)``."""
    stmt = (
        select(Event)
        .options(joinedload(Event.venue))
        .where(
            Event.venue_id == venue_id,
            Event.status == "confirmed",
            # Half-open ranges, like the constraint's '[)': back-to-back shows may touch.
            Event.starts_at < ends_at,
            Event.ends_at > starts_at,
        )
        .order_by(Event.starts_at)
        .limit(1)
    )
    if exclude_id is not None:
        stmt = stmt.where(Event.id != exclude_id)
    return session.scalars(stmt).first()


def clash_message(clash: Event) -> str:
    """The refusal users read, naming the clashing event on the venue's clock."""
    when = format_local_range(clash.starts_at, clash.ends_at, clash.venue.timezone)
    return f"The venue already has a confirmed event at that time: {clash.title}, {when}."


def clash_message_for(session: Session, values: Mapping[str, Any]) -> str:
    """:func:`clash_message` for event column ``values`` the database refused to save."""
    clash = find_confirmed_clash(
        session,
        venue_id=values["venue_id"],
        starts_at=values["starts_at"],
        ends_at=values["ends_at"],
        exclude_id=values.get("id"),
    )
    if clash is None:  # the other event changed again since; say what we know
        return "The venue already has a confirmed event at that time."
    return clash_message(clash)
