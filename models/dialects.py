"""Schema objects that exist on one database only, and how autogenerate should see them.

A PostgreSQL-only index (a pg_trgm GIN index) is declared with
``.ddl_if(dialect="postgresql")``: ``create_all`` honours that, Alembic's autogenerate does
not. :func:`include_object_for` tells autogenerate (``alembic check``, the models-vs-migrations
test) to leave such an object out when comparing with another database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def include_object_for(dialect_name: str) -> IncludeObject:
    """An Alembic ``include_object`` hook that skips objects meant for other dialects."""

    def include_object(
        obj: Any, _name: str | None, _type: str, reflected: bool, _compare_to: Any
    ) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        if reflected or condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect_name in ((wanted,) if isinstance(wanted, str) else tuple(wanted))

    return include_object
