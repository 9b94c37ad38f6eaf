"""How the audit log reads: the one place that turns stored entries into words.

:mod:`admin_app.audit` decides what an entry stores (codes, class names, JSON values);
this module shows it as the object's own pages would: action codes as words, class names
as words, and each change as a before → after row per field with the field's label,
times on the venue's clock (zone named), and related rows by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Time, inspect
from sqlalchemy.orm import Mapper, Session

from admin_app.localtime import format_local
from admin_app.views._audit_zones import Clocks, is_key, model_named, zones_of
from models import AuditEntry, Base

ACTION_WORDS = {
    "create": "Created",
    "update": "Changed",
    "edit": "Changed",
    "delete": "Deleted",
    "sign_in": "Signed in",
    "sign_in_failed": "Failed to sign in",
    "change_password": "Changed their password",
    "set_notifications": "Changed notification settings",
    "issue_feed_token": "Issued a feed URL",
    "revoke_feed_token": "Revoked the feed URL",
    "accept": "Accepted",
    "reject": "Rejected",
    "withdraw": "Marked withdrawn by the band",
    "reopen": "Reopened (back to pending)",
    "confirm": "Confirmed",
    "cancel": "Cancelled",
    "hold": "Placed a hold",
    "release_hold": "Released a hold",
    "expire_hold": "Hold expired",
    "promote_hold": "Moved a hold up the ladder",
    "invite": "Invited",
    "accept_invite": "Invite accepted",
    "revoke_invite": "Withdrew an invite",
    "activate": "Activated the account",
    "retry_message": "Retried a message",
}
# Words for class names that splitting the name would not give well.
TYPE_WORDS = {"User": "Person", "EventApplication": "Application", "VenueStaff": "Venue staff"}
# Fields an entry carries that are no column: notes the booking rules add.
NOTE_LABELS = {"reason": "Reason", "override": "Done anyway, over"}
EMPTY = "—"
HIDDEN_FIELDS = frozenset({"id"})


def action_words(code: str | None) -> str:
    """``"issue_feed_token"`` → ``"Issued a feed URL"``; an unknown code, in plain words."""
    if not code:
        return ""
    return ACTION_WORDS.get(code) or code.replace("_", " ").capitalize()


def type_words(class_name: str | None) -> str:
    """``"EventApplication"`` → ``"Application"``, ``"OpeningHours"`` → ``"Opening hours"``."""
    if not class_name:
        return ""
    if class_name in TYPE_WORDS:
        return TYPE_WORDS[class_name]
    return re.sub(r"(?<!^)(?=[A-Z])", " ", class_name).capitalize()


@dataclass(frozen=True)
class FieldChange:
    """One row of an entry's table: the field's label, its value before and after."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ShownEntry:
    """An audit entry as people read it."""

    id: int
    when: str
    action: str
    actor: str
    object_type: str
    object_id: str
    object_repr: str
    remote_addr: str
    changes: list[FieldChange]


def _label(mapper: Mapper[Any] | None, key: str, labels: Mapping[str, str]) -> str:
    if key in NOTE_LABELS:
        return NOTE_LABELS[key]
    if key in labels:
        return labels[key]
    if mapper is not None:
        # "venue_id" reads as the relation it holds ("Venue"), with that relation's label.
        for relation in mapper.relationships:
            if any(column.key == key for column in relation.local_columns):
                return labels.get(relation.key) or relation.key.replace("_", " ").capitalize()
    return key.removesuffix("_id").replace("_", " ").capitalize()


class _Formatter:
    """Formats the values of one kind of object; remembers related rows' names."""

    def __init__(self, session: Session, mapper: Mapper[Any] | None) -> None:
        self.session = session
        self.mapper = mapper
        self.names: dict[tuple[type[Any], Any], str] = {}

    def value(self, key: str, raw: Any, zone_name: str) -> str:
        """``raw`` as the object's pages show it; times on the clock of ``zone_name``."""
        if raw is None or raw == "":
            return EMPTY
        if isinstance(raw, list):
            return "; ".join(self.value(key, item, zone_name) for item in raw)
        column = self.mapper.columns.get(key) if self.mapper is not None else None
        if column is None:
            return str(raw)
        if column.foreign_keys:
            return self._related(column, raw)
        # A TypeDecorator (UTCDateTime) is its impl's kind of value.
        kind = getattr(column.type, "impl", column.type)
        try:
            if isinstance(kind, Boolean):
                return "Yes" if raw else "No"
            if isinstance(kind, DateTime):
                return format_local(datetime.fromisoformat(str(raw)), zone_name)
            if isinstance(kind, Time):
                return f"{time.fromisoformat(str(raw)):%H:%M}"
            if isinstance(kind, Date):
                return f"{date.fromisoformat(str(raw)):%a %d %b %Y}"
        except ValueError:  # an older entry in another shape: as stored
            return str(raw)
        return str(raw)

    def _related(self, column: Any, raw: Any) -> str:
        [foreign_key] = list(column.foreign_keys)[:1]
        target = next(
            (
                mapper.class_
                for mapper in Base.registry.mappers
                if foreign_key.column.table in mapper.tables
            ),
            None,
        )
        if target is None:
            return str(raw)
        if not is_key(raw):  # not a key this row could have had: as stored
            return str(raw)
        raw = int(raw)
        if (target, raw) not in self.names:
            row = self.session.get(target, raw)
            self.names[(target, raw)] = (
                str(row) if row is not None else f"{type_words(target.__name__)} {raw} (deleted)"
            )
        return self.names[(target, raw)]


def shown_entries(
    session: Session,
    entries: Sequence[AuditEntry],
    labels_of: Mapping[str, Mapping[str, str]] | None = None,
    earlier: Sequence[AuditEntry] = (),
) -> list[ShownEntry]:
    """``entries`` as people read them (in the same order). ``labels_of`` gives, per class
    name, the labels its console view shows for its fields; ``earlier``, older entries of
    the same object that tell which venue's clock the shown ones read on (see
    :mod:`admin_app.views._audit_zones`)."""
    formatters: dict[str, _Formatter] = {}
    for class_name in {entry.object_type or "" for entry in entries}:
        model = model_named(class_name)
        formatters[class_name] = _Formatter(session, inspect(model) if model else None)
    clocks = zones_of(session, entries, earlier)
    labels_of = labels_of or {}
    return [
        _shown(entry, formatters[entry.object_type or ""], clocks[entry.id], labels_of)
        for entry in entries
    ]


def rows_of_one_id(entries: Sequence[ShownEntry], actions: Sequence[str]) -> list[list[ShownEntry]]:
    """``entries`` (newest first, ``actions`` their stored codes) cut into one list per row
    that had this id: SQLite may give a new row the id of a deleted one, and its history
    must not read as the old row's. A deletion followed by newer entries ends a row."""
    rows: list[list[ShownEntry]] = [[]]
    for entry, action in zip(entries, actions, strict=True):
        if action == "delete" and rows[-1]:
            rows.append([])
        rows[-1].append(entry)
    return rows


def _pairs(changes: Mapping[str, Any]) -> Iterable[tuple[str, Any, Any]]:
    for key, value in changes.items():
        # {"field": [before, after]}; a note (a hold's release reason) is stored bare.
        if isinstance(value, list) and len(value) == 2:
            yield key, value[0], value[1]
        else:
            yield key, None, value


def _shown(
    entry: AuditEntry,
    formatter: _Formatter,
    clocks: Clocks,
    labels_of: Mapping[str, Mapping[str, str]],
) -> ShownEntry:
    labels = labels_of.get(entry.object_type or "", {})
    rows = [
        FieldChange(
            _label(formatter.mapper, key, labels),
            formatter.value(key, before, clocks.before),
            formatter.value(key, after, clocks.after),
        )
        for key, before, after in _pairs(entry.changes or {})
        # The key is in the entry's heading already; a new row's would only repeat it.
        if key not in HIDDEN_FIELDS
    ]
    return ShownEntry(
        id=entry.id,
        when=format_local(entry.occurred_at, clocks.after),
        action=action_words(entry.action),
        actor=entry.actor_email or "(nobody signed in)",
        object_type=type_words(entry.object_type),
        object_id=entry.object_id or "",
        object_repr=entry.object_repr or "",
        remote_addr=entry.remote_addr or "",
        changes=rows,
    )
