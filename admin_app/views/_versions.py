"""No lost updates: an edit form carries the version of the row it was opened with.

Models with a ``version_id_col`` (events, applications) get a hidden ``version`` field.
Saving compares the submitted version with the row's current one and refuses a stale form
with the name of whoever changed the row meanwhile; SQLAlchemy's own check (``UPDATE ...
WHERE version = ...``) then covers a change that lands between that comparison and the
write.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from wtforms import Form, HiddenField

from admin_app.views._errors import ConsoleFormError
from models import Base, User

VERSION_FIELD = "version"
MISSING = "This form is out of date (it carries no version). Reload the page and try again."


def is_versioned(model: type[Base]) -> bool:
    """True when ``model`` uses optimistic locking (a ``version_id_col``)."""
    return inspect(model).version_id_col is not None


def with_version_field(form: type[Form]) -> type[Form]:
    """``form`` plus the hidden field that carries the row's version."""
    return type(form.__name__, (form,), {VERSION_FIELD: HiddenField()})


def stale_message(session: Session, obj: Any, noun: str) -> str:
    """The refusal of a stale edit of ``obj``, naming who changed it last."""
    who = None
    if getattr(obj, "updated_by_id", None) is not None:
        who = session.scalar(select(User.email).where(User.id == obj.updated_by_id))
    return (
        f"This {noun} was changed by {who or 'someone else'} since you opened it. "
        "Reload the page to see that change, then make yours again."
    )


def check_version(
    session: Session, obj: Any, data: MutableMapping[str, Any], *, is_created: bool, noun: str
) -> None:
    """Take the submitted version out of ``data``; refuse an edit made from a stale form.

    The version is never copied onto the row: SQLAlchemy moves it on with every update.
    """
    submitted = data.pop(VERSION_FIELD, None)
    if is_created:
        return
    try:
        expected = int(str(submitted))
    except ValueError:
        raise ConsoleFormError(MISSING) from None
    if obj.version != expected:
        raise ConsoleFormError(stale_message(session, obj, noun))
