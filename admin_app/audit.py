"""The audit trail: one function every change goes through, in the same transaction."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from models import AuditEntry, Base

# Never copied into the log: the entry only says that the field changed.
REDACTED_FIELDS = frozenset({"password_hash"})
REDACTED = "(hidden)"
_FINGERPRINT_PREFIX = "fingerprint:"


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fingerprint(value: Any) -> str | None:
    # Lets diff() tell that a secret changed without the secret (or its hash) ever
    # reaching the log: only this short digest is compared, and diff() never emits it.
    if value is None:
        return None
    return _FINGERPRINT_PREFIX + hashlib.sha256(str(value).encode()).hexdigest()[:16]


def snapshot(obj: Base) -> dict[str, Any]:
    """The object's column values as JSON-safe data; secrets only as a fingerprint."""
    mapper = inspect(type(obj))
    return {
        attr.key: (
            _fingerprint(getattr(obj, attr.key))
            if attr.key in REDACTED_FIELDS
            else _json_safe(getattr(obj, attr.key))
        )
        for attr in mapper.column_attrs
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each field whose value differs (secrets hidden)."""
    changes: dict[str, list[Any]] = {}
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key in REDACTED_FIELDS:
            old = None if old is None else REDACTED
            new = None if new is None else REDACTED + " (changed)"
        changes[key] = [old, new]
    return changes


def record(
    session: Session,
    *,
    action: str,
    actor_id: int | None,
    actor_email: str | None,
    obj: Base | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    changes: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEntry:
    """Add an audit entry to ``session``; it commits (or rolls back) with the change itself."""
    if obj is not None:
        identity = inspect(obj).identity
        object_type = object_type or type(obj).__name__
        object_id = object_id or (",".join(str(part) for part in identity) if identity else None)
        object_repr = object_repr or str(obj)
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        actor_email=actor_email,
        object_type=object_type,
        object_id=object_id,
        object_repr=(object_repr or "")[:300] or None,
        changes=changes,
        remote_addr=remote_addr,
    )
    session.add(entry)
    return entry
