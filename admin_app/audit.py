"""The audit trail: one function every change goes through, in the same transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

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


class Who(Protocol):
    """Anyone the console knows by id and email (a request's Scope, for one)."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def email(self) -> str | None: ...


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the log keeps them: the user (None when nobody is signed in,
    a failed sign-in), the email they are known by, and the client's address."""

    user_id: int | None
    email: str | None
    remote_addr: str | None = None

    @classmethod
    def of(cls, who: Who, remote_addr: str | None = None) -> Actor:
        """The actor for a signed-in ``who`` (their :class:`~admin_app.scoping.Scope`)."""
        return cls(who.user_id, who.email, remote_addr)


# Columns every write moves by itself: an entry never lists them.
BOOKKEEPING_FIELDS = frozenset({"updated_at", "version"})


def record(
    session: Session,
    actor: Actor,
    action: str,
    obj: Base | None = None,
    *,
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """Add an audit entry to ``session``; it commits (or rolls back) with the change itself.

    ``obj`` names the row (type, key, text); the ``object_*`` arguments name one that is
    not at hand (or override the text). Every change the console makes comes here.
    """
    if obj is not None:
        identity = inspect(obj).identity
        object_type = object_type or type(obj).__name__
        object_id = object_id or (",".join(str(part) for part in identity) if identity else None)
        object_repr = object_repr or str(obj)
    entry = AuditEntry(
        action=action,
        actor_id=actor.user_id,
        actor_email=actor.email[:320] if actor.email else None,
        object_type=object_type,
        object_id=object_id,
        object_repr=(object_repr or "")[:300] or None,
        changes=changes,
        remote_addr=actor.remote_addr,
    )
    session.add(entry)
    return entry


def record_change(
    session: Session,
    actor: Actor,
    action: str,
    obj: Base,
    before: dict[str, Any],
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record ``obj``'s change from ``before`` (a :func:`snapshot`; empty for a new row) to
    ``after`` (its snapshot now unless given; empty for a deleted row), field by field."""
    now = snapshot(obj) if after is None else after
    changes = {
        key: value for key, value in diff(before, now).items() if key not in BOOKKEEPING_FIELDS
    }
    return record(session, actor, action, obj, changes=changes)
