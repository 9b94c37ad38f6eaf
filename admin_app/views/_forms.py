"""What every console form says before it is sent: which relations must be picked.

SQLAdmin's converter leaves a relation picker unmarked even when its foreign key cannot be
empty, so a form sent without it came back with a database refusal instead of the usual
"required" star and message next to the field. Every form gets them here, the event
form's venue included.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import MANYTOONE
from wtforms import Form
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired


def require_relations(form: type[Form], model: type[Any]) -> None:
    """Give each many-to-one picker of ``form`` whose foreign key is NOT NULL an
    InputRequired validator ("Pick the venue."), unless it has one already."""
    for relation in inspect(model).relationships:
        if relation.direction is not MANYTOONE or any(c.nullable for c in relation.local_columns):
            continue
        field = getattr(form, relation.key, None)
        if not isinstance(field, UnboundField):
            continue
        validators = list(field.kwargs.get("validators") or ())
        if any(isinstance(v, InputRequired | DataRequired) for v in validators):
            continue
        label = field.kwargs.get("label") or (field.args[0] if field.args else relation.key)
        noun = str(label).replace("_", " ").lower()
        field.kwargs["validators"] = [InputRequired(f"Pick the {noun}."), *validators]
