"""What a delete takes with it, said in words for the delete modal of a details page.

The database's ``ON DELETE CASCADE`` foreign keys decide what goes with a row; this module
reads them from the metadata (so a new cascade is listed without code here) and counts the
rows each one would remove.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from models import Base


def _words(table_name: str, count: int) -> str:
    """``event_applications``, 1 → "1 event application"; ``venue_staff``, 2 → "2 venue staff
    rows"."""
    words = table_name.replace("_", " ")
    if words.endswith("s"):
        return f"{count} {words[:-1] if count == 1 else words}"
    return f"{count} {words} {'row' if count == 1 else 'rows'}"


def what_goes_with(session: Session, obj: Any) -> list[str]:
    """Per cascading table with rows pointing at ``obj``, their count ("2 event applications")."""
    table = inspect(obj).mapper.local_table
    identity = inspect(obj).identity
    if identity is None or len(identity) != 1:
        return []
    found: list[str] = []
    for other in Base.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is table and (key.ondelete or "").upper() == "CASCADE":
                count = session.scalar(
                    select(func.count()).select_from(other).where(key.parent == identity[0])
                )
                if count:
                    found.append(_words(other.name, int(count)))
    return found
