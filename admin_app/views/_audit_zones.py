"""Which clock an audit entry is read on: its venue's, as the object's own pages show it.

An entry about a venue, or a row that belongs to one (an event, staff, opening hours,
day marks, an application through its event), reads in that venue's zone; anything of no
venue (people, bands, sign-ins) in UTC. The venue is the one *at the time*: the venue the
entry records (a create or delete records every field, a move records the venue it left
and the one it went to: the values before the move read on the old venue's clock), else
the one an earlier entry of the same object given with it recorded, else the object's
venue now.

A batch of entries costs a fixed number of statements (one per kind of object, plus two),
however many entries there are: the audit list asks for a page of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry, Base, Event, Venue

UTC_ZONE = "UTC"
# A reference to a venue, directly or through an event: ("venue" | "event", id).
Ref = tuple[str, int]
# A row of a venue keeps it in ``venue_id``; an application, through its event.
OWNER_FIELDS = (("venue_id", "venue"), ("event_id", "event"))


@dataclass(frozen=True)
class Clocks:
    """The zones an entry reads in: ``after`` for its time and new values, ``before`` for
    the values it replaced (they differ when the entry moved the row to another venue)."""

    before: str
    after: str


def is_key(value: Any) -> bool:
    """True for a plain integer key (``7`` or ``"7"``) that fits a BIGINT column."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 18


def model_named(class_name: str | None) -> type[Base] | None:
    """The mapped class called ``class_name`` (as :func:`admin_app.audit.record` names it)."""
    for mapper in Base.registry.mappers:
        if mapper.class_.__name__ == class_name:
            return mapper.class_
    return None


def _key(value: Any) -> int | None:
    return int(str(value)) if value is not None and is_key(value) else None


def _recorded(entry: AuditEntry) -> tuple[Ref | None, Ref | None]:
    """The venue (or event) the entry itself records, before and after it."""
    if entry.object_type == "Venue":
        found = _key(entry.object_id)
        ref = ("venue", found) if found is not None else None
        return ref, ref
    changes = entry.changes or {}
    for field, kind in OWNER_FIELDS:
        pair = changes.get(field)
        if isinstance(pair, list) and len(pair) == 2:
            before_id, after_id = _key(pair[0]), _key(pair[1])
            before = (kind, before_id) if before_id is not None else None
            # A delete records only where the row was: it reads on that clock.
            return before, (kind, after_id) if after_id is not None else before
    return None, None


def _current_refs(
    session: Session, objects: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Ref]:
    """The venue (or event) each object belongs to now: one statement per kind."""
    ids_by_type: dict[str, set[int]] = {}
    for class_name, object_id in objects:
        found = _key(object_id)
        if found is not None:
            ids_by_type.setdefault(class_name, set()).add(found)
    refs: dict[tuple[str, str], Ref] = {}
    for class_name, ids in ids_by_type.items():
        table: Any = getattr(model_named(class_name), "__table__", None)
        for field, kind in OWNER_FIELDS:
            if table is not None and field in table.c:
                stmt = select(table.c.id, table.c[field]).where(table.c.id.in_(ids))
                rows = session.execute(stmt)
                refs.update({(class_name, str(row[0])): (kind, row[1]) for row in rows})
                break
    return refs


def _refs_at_the_time(
    session: Session, entries: Sequence[AuditEntry], earlier: Sequence[AuditEntry]
) -> dict[int, tuple[Ref, Ref]]:
    """Each entry's venue (or event) reference before and after it, where one is known."""
    timeline = sorted({e.id: e for e in [*entries, *earlier]}.values(), key=_order)
    last: dict[tuple[str, str], Ref] = {}
    refs: dict[int, tuple[Ref, Ref]] = {}
    for entry in timeline:
        obj = (entry.object_type or "", entry.object_id or "")
        own_before, own_after = _recorded(entry)
        after = own_after or last.get(obj)
        if after is not None:
            last[obj] = after
            refs[entry.id] = (own_before or after, after)
    unknown = {
        (e.object_type, e.object_id or "") for e in entries if e.object_type and e.id not in refs
    }
    current = _current_refs(session, unknown) if unknown else {}
    for entry in entries:
        now = current.get((entry.object_type or "", entry.object_id or ""))
        if entry.id not in refs and now is not None:
            refs[entry.id] = (now, now)
    return refs


def zones_of(
    session: Session, entries: Sequence[AuditEntry], earlier: Sequence[AuditEntry] = ()
) -> dict[int, Clocks]:
    """Each entry's clocks by entry id. ``earlier``: more entries of the same objects (not
    shown) whose records say which venue the shown ones were made at."""
    refs = _refs_at_the_time(session, entries, earlier)
    all_refs = [ref for pair in refs.values() for ref in pair]
    event_ids = {ref_id for kind, ref_id in all_refs if kind == "event"}
    venue_of_event: dict[int, int] = {}
    if event_ids:
        stmt = select(Event.id, Event.venue_id).where(Event.id.in_(event_ids))
        venue_of_event = {event_id: venue_id for event_id, venue_id in session.execute(stmt)}

    def venue(ref: Ref) -> int | None:
        kind, ref_id = ref
        return ref_id if kind == "venue" else venue_of_event.get(ref_id)

    venue_ids = {venue(ref) for ref in all_refs} - {None}
    zones: dict[int | None, str] = {}
    if venue_ids:
        stmt_zones = select(Venue.id, Venue.timezone).where(Venue.id.in_(venue_ids))
        zones = {venue_id: zone_name for venue_id, zone_name in session.execute(stmt_zones)}

    def zone(ref: Ref | None) -> str:
        return (zones.get(venue(ref)) if ref is not None else None) or UTC_ZONE

    clocks: dict[int, Clocks] = {}
    for entry in entries:
        before, after = refs.get(entry.id, (None, None))
        clocks[entry.id] = Clocks(before=zone(before), after=zone(after))
    return clocks


def _order(entry: AuditEntry) -> tuple[Any, int]:
    return entry.occurred_at, entry.id
