"""Reading rows for the views: through the request's one session, off the event loop.

SQLAdmin's own readers open a session of their own per call; these borrow the request's
(:mod:`admin_app.request_session`), so a page's reads share one transaction.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from sqladmin import ModelView
from sqladmin.helpers import get_primary_keys, object_identifier_values
from sqlalchemy import Row, Select, select

from admin_app.request_session import source_of


async def entities(view: ModelView, stmt: Select[Any]) -> list[Any]:
    """The ORM objects ``stmt`` selects, each once (joined eager loads repeat rows)."""

    def read() -> list[Any]:
        with source_of(view.session_maker)() as session:
            return list(session.scalars(stmt).unique())

    return await anyio.to_thread.run_sync(read)


async def rows(view: ModelView, stmt: Select[Any]) -> list[Row[Any]]:
    """The result rows of ``stmt`` (any columns)."""

    def read() -> list[Row[Any]]:
        with source_of(view.session_maker)() as session:
            return list(session.execute(stmt))

    return await anyio.to_thread.run_sync(read)


def by_identifier(model: Any, identifier: str) -> Select[Any]:
    """The select of one row of ``model`` by its URL identifier, as SQLAdmin's URLs give it
    (the key's values, typed by their columns; composite keys joined as SQLAdmin joins them)."""
    keys = get_primary_keys(model)
    values = object_identifier_values(identifier, model)
    return select(model).where(*(key == value for key, value in zip(keys, values, strict=True)))
