"""How many rows a list page has, without counting a million rows on every page view.

SQLAdmin counts ``SELECT count(*) FROM (<the list query>)`` on each list page; on a big
PostgreSQL table that count is most of the page's time. :func:`count_rows` instead:

* unfiltered, unsearched, unscoped list of a big table: the planner's row estimate
  (``pg_class.reltuples``, kept current by autovacuum/ANALYZE), shown as "about N";
* anything narrower (a filter, a search, a staff user's venue): the exact count, but given
  at most :data:`COUNT_TIMEOUT_MS`; past that, the planner's estimate for that query
  (``EXPLAIN``), again shown as "about N";
* SQLite (development, tests) and small tables: the exact count, as before.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

# An exact count may take this long before the pager settles for an estimate. Filtered
# counts that use an index (one venue, one status) take a few ms even at a million rows.
COUNT_TIMEOUT_MS = 30
# Below this many rows (by the planner's estimate) counting exactly is cheap enough.
EXACT_BELOW_ROWS = 50_000

AnySelect = Select[Any]


class RowEstimate(int):
    """A row count that is the planner's estimate: prints as "about 1,000,000".

    An ``int`` so the pager's arithmetic (last page, "showing 1 to 25") works unchanged;
    only its text, which SQLAdmin's list template shows, says that it is approximate.
    """

    def __str__(self) -> str:
        return f"about {int(self):,}"

    def __html__(self) -> str:
        return str(self)


def _is_whole_table(stmt: AnySelect, table_name: str) -> bool:
    # No WHERE (no filter, search or scope) and no joins (a search over a relationship
    # joins it): the rows are the whole table.
    froms = stmt.get_final_froms()
    return (
        stmt.whereclause is None
        and len(froms) == 1
        and getattr(froms[0], "name", None) == table_name
    )


def _whole_table_count(session: Session, table_name: str) -> int:
    # One statement whatever the table's size: the estimate, or (small or never analysed
    # tables) the exact count, which PostgreSQL evaluates only when the CASE needs it.
    table = session.get_bind().dialect.identifier_preparer.quote(table_name)
    # The table name is a model's, quoted by the dialect: no user input reaches the SQL.
    sql = (
        "SELECT c.reltuples::bigint, CASE WHEN c.reltuples < :exact_below "  # noqa: S608
        f"THEN (SELECT count(*) FROM {table}) END "
        "FROM pg_class c WHERE c.oid = to_regclass(:name)"
    )
    estimate, exact = session.execute(
        text(sql), {"exact_below": EXACT_BELOW_ROWS, "name": table_name}
    ).one()
    return int(exact) if exact is not None else RowEstimate(estimate)


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <stmt>`` as a statement SQLAlchemy compiles and executes.

    The statement's values (a user's search text among them) stay bound parameters: they
    are never inlined into SQL text, where a search for ``a :word`` would be read as a
    bind parameter and quoting would be ours to get right.
    """

    inherit_cache = False

    def __init__(self, statement: AnySelect) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def _plan_estimate(session: Session, stmt: AnySelect) -> int:
    plan = session.scalar(_Explain(stmt.order_by(None)))
    document = json.loads(plan) if isinstance(plan, str) else plan
    return int(document[0]["Plan"]["Plan Rows"])


def _exact(session: Session, stmt: AnySelect) -> int:
    return int(
        session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )


def count_rows(sessions: Any, stmt: AnySelect, model: Any) -> int:
    """The number of rows ``stmt`` (a list query of ``model``) returns: exact, or a
    :class:`RowEstimate`."""
    table_name = str(model.__table__.name)
    session: Session
    with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            return _exact(session, stmt)
        if _is_whole_table(stmt, table_name):
            return _whole_table_count(session, table_name)
        # In a savepoint of the request's transaction, always rolled back: that undoes the
        # SET LOCAL (the page's own query keeps the default limit) and, when the count
        # is cancelled, the error, so the request's transaction goes on.
        savepoint = session.begin_nested()
        try:
            session.execute(text(f"SET LOCAL statement_timeout = {COUNT_TIMEOUT_MS}"))
            return _exact(session, stmt)
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != "57014":  # query_canceled
                raise
        finally:
            savepoint.rollback()
        return RowEstimate(_plan_estimate(session, stmt))
