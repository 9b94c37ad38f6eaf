"""Turning refused changes into plain-words form errors on the field they concern.

Two sources of refusal meet here:

* the database (unique, check, foreign key, exclusion constraints, and the triggers that
  stand in for the exclusion constraint on SQLite): the constraint name (fixed by the
  naming convention in ``models/base.py``) picks the field and message;
* the console's own checks, which raise :class:`ConsoleFormError` directly.

:class:`ConsoleForm` is the WTForms base class of every console form. It remembers the form
being validated, so that an error raised later while saving can still be shown under its
field with the user's input kept. (NUL characters never get this far:
:mod:`admin_app.input_guard` refuses them in every request.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError
from wtforms import Form

from models import Base

GENERIC_CONFLICT = "The change could not be saved: it conflicts with data already stored."

# A message may be a plain string or built from the values that were being saved
# (e.g. to name the event a new one clashes with): ``(session, values) -> str``.
MessageFactory = Callable[[Any, Mapping[str, Any]], str]
ConstraintMessage = tuple[str | None, str | MessageFactory]

# Constraint name → (form field, message). Fields are form field names, which for a
# relationship is the relationship (``venue``), not the column (``venue_id``).
CONSTRAINT_MESSAGES: dict[str, ConstraintMessage] = {
    "uq_users_email": ("email", "A user with this email address already exists."),
    "ck_users_email_lowercase": ("email", "The email address must be lower-case."),
    "uq_band_members_band_id_user_id": ("user", "This person is already in this band."),
    "uq_band_availabilities_band_id_date": (
        "date",
        "This band already has an entry for that date.",
    ),
    "uq_band_member_availabilities_band_member_id_date": (
        "date",
        "This member already has an entry for that date.",
    ),
    "ck_band_availabilities_status": ("status", "Choose a valid status."),
    "ck_band_member_availabilities_status": ("status", "Choose a valid status."),
    "ck_venues_capacity_positive": ("capacity", "The capacity must be greater than zero."),
    "ck_venues_timezone_not_empty": ("timezone", "Choose the venue's time zone."),
    "uq_venue_staff_venue_id_user_id": ("user", "This person already works at this venue."),
    "ck_venue_staff_role": ("role", "Choose a valid role (manager or staff)."),
    "uq_venue_operating_hours_venue_id_weekday": (
        "weekday",
        "This venue already has hours for that weekday.",
    ),
    "ck_venue_operating_hours_weekday_range": ("weekday", "Choose a weekday (Monday-Sunday)."),
    "uq_venue_availabilities_venue_id_date": (
        "date",
        "This venue already has an entry for that date.",
    ),
    "ck_venue_availabilities_status": ("status", "Choose open, closed or hold."),
    "ck_events_ends_after_start": ("ends_at", "The event must end after it starts."),
    "ck_events_status": ("status", "Choose a valid status."),
    "ck_events_hold_rank": (
        "hold_rank",
        "A hold needs a hold rank of 1 or more; other statuses take no hold rank.",
    ),
    "uq_event_applications_event_id_band_id": (
        "band",
        "This band has already applied to this event.",
    ),
    "ck_event_applications_status": ("status", "Choose a valid status."),
    "ck_event_applications_decided_at": ("status", "A decided application needs a decision time."),
    "fk_events_venue_id_venues": ("venue", "The selected venue no longer exists."),
    "fk_event_applications_event_id_events": ("event", "The selected event no longer exists."),
    "fk_event_applications_band_id_bands": ("band", "The selected band no longer exists."),
    "fk_venue_staff_user_id_users": ("user", "The selected person no longer exists."),
    "fk_venue_staff_venue_id_venues": ("venue", "The selected venue no longer exists."),
}

_current_form: ContextVar[Form | None] = ContextVar("console_current_form", default=None)


class ConsoleFormError(Exception):
    """A change refused for a reason the user can fix; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ConsoleForm(Form):  # type: ignore[misc]
    """Base class of every console form: remembers itself for :func:`show_on_form`."""

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        """Run the field validators; remember this form for saving."""
        _current_form.set(self)
        valid: bool = super().validate(extra_validators)
        return valid


def show_on_form(error: ConsoleFormError) -> None:
    """Put ``error`` under its field of the form this request validated, if it has one."""
    form = _current_form.get()
    if form is None or error.field is None or error.field not in form:
        return
    field = form[error.field]
    # Validation turned ``errors`` into a list; a field never validated still has a tuple.
    field.errors = [*field.errors, error.message]


def _sqlite_constraint_name(message: str) -> str | None:
    """The constraint a SQLite error message names, looked up in the metadata if needed."""
    # EXCLUDE: SQLite's no-overlap triggers word their refusal this way, naming the
    # PostgreSQL exclusion constraint they stand in for (migration 9a3a1e85b614).
    if match := re.search(r"(?:CHECK|EXCLUDE) constraint failed: (\w+)", message):
        return match.group(1)
    if match := re.search(r"UNIQUE constraint failed: ([\w., ]+)", message):
        # SQLite names the columns, not the constraint: find the constraint over them.
        pairs = [part.strip().split(".", 1) for part in match.group(1).split(",")]
        table = Base.metadata.tables.get(pairs[0][0])
        columns = {pair[1] for pair in pairs if len(pair) == 2}
        for constraint in table.constraints if table is not None else ():
            if (
                isinstance(constraint, UniqueConstraint | CheckConstraint)
                and {column.name for column in constraint.columns} == columns
            ):
                return str(constraint.name)
    return None


def constraint_name(exc: DBAPIError) -> str | None:
    """The name of the constraint behind a database error, on PostgreSQL or SQLite."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    return _sqlite_constraint_name(str(exc.orig))


def not_null_field(exc: DBAPIError) -> str | None:
    """The column a NOT NULL violation is about, if the error says."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "column_name", None):
        return str(diag.column_name)
    match = re.search(r"NOT NULL constraint failed: \w+\.(\w+)", str(exc.orig))
    return match.group(1) if match else None


def translate(
    exc: DBAPIError,
    session: Any,
    values: Mapping[str, Any],
    extra: Mapping[str, ConstraintMessage] | None = None,
) -> ConsoleFormError:
    """A plain-words :class:`ConsoleFormError` for a database error raised while saving.

    ``session`` must be usable again (rolled back); ``values`` are the column values that
    were being saved, for messages that describe the conflict.
    """
    name = constraint_name(exc)
    messages = {**CONSTRAINT_MESSAGES, **(extra or {})}
    if name is not None and name in messages:
        field, message = messages[name]
        text = message if isinstance(message, str) else message(session, values)
        return ConsoleFormError(text, field)
    if isinstance(exc, IntegrityError) and (column := not_null_field(exc)):
        return ConsoleFormError("This field is required.", column.removesuffix("_id"))
    if isinstance(exc, IntegrityError):
        return ConsoleFormError(GENERIC_CONFLICT + (f" ({name})" if name else ""))
    return ConsoleFormError("The database refused a value: check the lengths and formats.")
