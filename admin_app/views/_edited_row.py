"""Form choices that depend on the row an edit form is for (an event's status: only the
moves the rules allow from the status it has).

SQLAdmin builds the edit form without the row (``Form(data=...)`` on GET,
``Form(formdata)`` on POST) and offers no hook for a field's choices per row. What it does
offer is ``get_object_for_edit(request)``, which loads the row on GET and POST alike just
before the form is built: a view hands the row to :func:`remember` there, and
:class:`RowChoicesField` reads it in ``process``, which WTForms runs as the form is built.
The row is kept in a context variable, so it belongs to this request alone (each request
runs in its own context), as ``_errors`` keeps the form a request validated.

Rejected: choices from the posted value (wrong when a refused form is shown again);
narrowing the field in the template (a form changed while it is rendered); overriding
SQLAdmin's ``edit`` route (a copy of all of it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from wtforms import SelectField
from wtforms.utils import unset_value

# The row the edit form of the request being answered is for; None on a create form.
_edited_row: ContextVar[Any] = ContextVar("console_edited_row", default=None)


def remember(row: Any) -> Any:
    """Make ``row`` the one this request's edit form is for; returns it."""
    _edited_row.set(row)
    return row


class RowChoicesField(SelectField):  # type: ignore[misc]
    """A select offering ``offered(row)`` for the row being edited (None: a new row).

    A posted value outside them is not refused here (``validate_choice`` is off): the save
    refuses it with the rule's own words, the one place that rule is checked.
    """

    def __init__(self, *args: Any, offered: Callable[[Any], Iterable[str]], **kwargs: Any) -> None:
        super().__init__(*args, validate_choice=False, **kwargs)
        self.offered = offered

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Read the value as usual; offer the choices the edited row allows."""
        super().process(formdata, data, extra_filters)
        self.choices = [(value, value) for value in self.offered(_edited_row.get())]
