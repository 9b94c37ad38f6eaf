"""CSV export that is safe to open in a spreadsheet.

Each cell holds what the list page shows for that column (formatters applied, HTML
stripped). A cell a spreadsheet would run as a formula (starting with ``= + - @``, tab or
carriage return) is prefixed with an apostrophe, the OWASP-recommended neutralisation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from starlette.responses import StreamingResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# (row, column name) -> the value shown in the list for that cell.
CellReader = Callable[[Any, str], Awaitable[Any]]


def cell_text(value: Any) -> str:
    """The plain text of a list cell: HTML removed, collections joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value.striptags()
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(cell_text(item) for item in value)
    return str(value)


def escape_formula(text: str) -> str:
    """Neutralise a cell that a spreadsheet would evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([escape_formula(value) for value in values])
    return buffer.getvalue()


def csv_response(
    *,
    name: str,
    headers: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[Any],
    read_cell: CellReader,
) -> StreamingResponse:
    """Stream ``rows`` as a CSV attachment named after ``name`` and the current time."""

    async def lines() -> AsyncIterator[str]:
        yield _line(headers)
        for row in rows:
            yield _line([cell_text(await read_cell(row, column)) for column in columns])

    slug = "".join(char if char.isalnum() else "_" for char in name.lower()).strip("_")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d_%H-%M-%S")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}_{stamp}.csv"'},
    )
