"""One console change = one transaction: apply the form, check it, write it, audit it.

SQLAdmin's own ``Query`` commits the change and leaves auditing to a best-effort backend
afterwards. Here the row and its audit entry commit together or not at all, and a
refusal (a rule, a constraint, a stale edit) rolls everything back and comes out as a
:class:`~admin_app.views._errors.ConsoleFormError` the form can show.

These functions run in a worker thread (the console's sessions are synchronous); the
view's async hooks are called back on the event loop, as SQLAdmin does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.from_thread
from sqlalchemy import ForeignKeyConstraint, exists, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.requests import Request

from admin_app import sqladmin_internals as internals
from admin_app.audit import record_change, snapshot
from admin_app.booking import with_override
from admin_app.errors import is_database_unavailable
from admin_app.request_scope import request_actor
from admin_app.request_session import undone_on_error
from admin_app.views import _reading
from admin_app.views._errors import ConsoleFormError, translate
from models import Base

if TYPE_CHECKING:
    from admin_app.views.base import ConsoleModelView

GONE = "This record no longer exists, or you may not change it."
STALE = (
    "Someone else changed this record since you opened it. Reload it and make your change again."
)


def _load(view: ConsoleModelView, session: Session, request: Request, pk: str) -> Any:
    """The row ``pk`` as the signed-in user may see it (scoping applies), or refuse."""
    stmt = view.scope_statement(request, _reading.by_identifier(view.model, pk))
    # As stored now, even if the request already loaded it (the form's object): the audit's
    # "before" and the checks must not see an earlier read.
    obj = session.scalars(stmt.execution_options(populate_existing=True)).first()
    if obj is None:
        raise ConsoleFormError(GONE)
    return obj


def column_values(obj: Base) -> dict[str, Any]:
    """The object's column values as Python values (for messages about a conflict)."""
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


def save(view: ConsoleModelView, request: Request, pk: str | None, data: dict[str, Any]) -> Any:
    """Create (``pk`` None) or update one row from form ``data``; audit it; commit."""
    is_created = pk is None
    # The request's session (admin_app.request_session): this save commits it, or undoes
    # everything it did when it refuses.
    with (
        view.session_maker() as borrowed,
        undone_on_error(borrowed) as session,
        session.no_autoflush,
    ):
        # No autoflush until the explicit flush below: the checks' queries must not flush
        # a half-applied form (SQLAdmin's own sessions run without autoflush too).
        obj = view.model() if is_created else _load(view, session, request, str(pk))
        before = {} if is_created else snapshot(obj)
        view.check_save(session, obj, request, data, is_created)  # permissions first
        anyio.from_thread.run(view.on_model_change, data, obj, is_created, request)
        # SQLAdmin's own attribute setter: it resolves relationship ids the same way its
        # forms produce them.
        internals.set_attributes(view, session, obj, data)
        if is_created:
            session.add(obj)
        actor = request_actor(request)
        if hasattr(obj, "updated_by_id"):
            obj.updated_by_id = actor.user_id
        view.before_save(session, obj, request, is_created)
        values = column_values(obj)
        try:
            session.flush()
            entry = record_change(session, actor, "create" if is_created else "update", obj, before)
            if overridden := view.audit_override(request):
                with_override(entry, overridden)
            view.after_flush(session, obj, before, is_created)
            session.commit()
        except StaleDataError:
            session.rollback()
            raise ConsoleFormError(STALE) from None
        except DBAPIError as exc:
            session.rollback()
            if is_database_unavailable(exc):
                raise  # an outage, not a refused value: the console answers 503
            raise translate(exc, session, values, view.constraint_messages) from exc
        except StatementError as exc:  # a value the driver could not even send
            session.rollback()
            raise ConsoleFormError("A value could not be stored: check its format.") from exc
    after = anyio.from_thread.run(view.after_model_change, data, obj, is_created, request)
    internals.store_after_change_response(request, after)
    return obj


def delete(view: ConsoleModelView, request: Request, pk: str) -> str:
    """Delete one row and audit it in the same transaction; how the row named itself."""
    with view.session_maker() as borrowed, undone_on_error(borrowed) as session:
        obj = _load(view, session, request, pk)
        label = str(obj)  # read while its relations can still be loaded
        refusal = view.deletion_refusal(obj)  # on the row as it is now, in this transaction
        if refusal:
            raise ConsoleFormError(refusal)
        anyio.from_thread.run(view.on_model_delete, obj, request)
        record_change(session, request_actor(request), "delete", obj, snapshot(obj), after={})
        session.delete(obj)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            reason = delete_blocker(session, obj, view.name.lower())
            raise ConsoleFormError(
                reason or "This record is still in use: it cannot be deleted."
            ) from None
    anyio.from_thread.run(view.after_model_delete, obj, request)
    return label


def delete_blocker(session: Session, obj: Base, noun: str) -> str | None:
    """Why ``obj`` cannot be deleted (rows that refer to it without cascading), or None."""
    mapper = inspect(type(obj))
    table = mapper.local_table
    blockers = []
    for other in Base.metadata.sorted_tables:
        for constraint in other.constraints:
            if not isinstance(constraint, ForeignKeyConstraint):
                continue
            if constraint.referred_table is not table or constraint.ondelete in (
                "CASCADE",
                "SET NULL",
            ):
                continue
            conditions = [
                element.parent == getattr(obj, mapper.get_property_by_column(element.column).key)
                for element in constraint.elements
            ]
            if session.scalar(select(exists().where(*conditions))):
                blockers.append(other.name.replace("_", " "))
    if not blockers:
        return None
    return f"Can't delete this {noun}: it has {' and '.join(blockers)}."
