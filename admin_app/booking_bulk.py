"""Deciding many applications at once: each one as its own decision, in its own transaction.

The applications list's bulk buttons (``admin_app/views/bulk_decisions.py``) call
:func:`decide_each` with one of :mod:`admin_app.booking`'s functions
(``accept_application``, ``reject_application``, ``withdraw_application``), so every row
passes the same scope check, locks, rules and audit as a single decision.

Why a transaction per row, not one transaction with a savepoint per row:

* one refusal undoes nothing else, and a decision that was answered "done" is committed;
* a row's locks (its event, its band, itself: the order in :mod:`admin_app.booking`) are
  released before the next row is decided. With one long transaction a bulk would hold
  the locks of every row decided so far while it takes the next one's, and two people
  deciding overlapping selections could take two events' locks in opposite orders and
  deadlock; here each holds one decision's locks at a time, exactly like two people
  pressing single buttons, which the booking order already serialises;
* on SQLite a savepoint released by pysqlite can commit the caller's transaction
  (see ``booking._write_confirmation``), so savepoints are avoided there anyway.

Rows are still decided in id order, so two overlapping bulks meet their shared rows in the
same order and the outcome does not depend on the order the browser sent the ids in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from admin_app import booking
from admin_app.request_session import SessionSource
from admin_app.scoping import Scope, scope_statement
from models import Band, Event, EventApplication

# Ids per request: a page of the list holds at most 100 rows; more than this is not a
# person's selection, and each row is a transaction of its own.
MAX_SELECTED = 200
# Refusals named in the summary; the summary travels in the session cookie.
SUMMARY_REFUSALS = 10
NOT_FOUND = "not found"
ON_ITS_OWN_PAGE = "To go ahead anyway, accept it on its own page."

# booking.accept_application and friends: (session, id, actor, expected_version, *, remote_addr)
Decide = Callable[..., Any]


class SelectionError(ValueError):
    """The selection as a whole is refused (nothing selected, too many); a plain sentence."""


@dataclass(frozen=True)
class Selected:
    """One selected row: its id and, when the page sent it, the version it showed."""

    id: int
    version: int | None


@dataclass(frozen=True)
class Selection:
    """What the form selected: rows by id (deduplicated, in id order) and values that
    name no row (not an id at all)."""

    rows: tuple[Selected, ...]
    unreadable: tuple[str, ...]


def parse_selection(values: Iterable[object]) -> Selection:
    """Read the checked boxes: each ``"ID"`` or ``"ID:VERSION"``.

    Raises :class:`SelectionError` when nothing is selected or more than
    :data:`MAX_SELECTED` values are sent.
    """
    texts = [str(value).strip() for value in values]
    texts = [text for text in texts if text]
    if not texts:
        raise SelectionError("Select at least one application first (tick its box).")
    if len(texts) > MAX_SELECTED:
        raise SelectionError(
            f"{len(texts)} applications were selected; decide at most {MAX_SELECTED} at a "
            "time (narrow the list with its filters)."
        )
    rows: dict[int, Selected] = {}
    unreadable: list[str] = []
    for text in texts:
        pk, _, version = text.partition(":")
        if not pk.isdigit() or (version and not version.isdigit()) or len(text) > 40:
            unreadable.append(text[:40])
            continue
        rows.setdefault(int(pk), Selected(int(pk), int(version) if version else None))
    return Selection(tuple(rows[pk] for pk in sorted(rows)), tuple(unreadable))


@dataclass
class BulkOutcome:
    """What a bulk decision did: the rows decided, and the rows refused with why."""

    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def summary(self, done_verb: str) -> str:
        """``"Accepted 3. Refused 2: Band → Event: reason; #99: not found."``"""
        text = f"{done_verb} {len(self.done)}."
        if not self.refused:
            return text
        named = [f"{label}: {reason.rstrip('.')}" for label, reason in self.refused]
        shown = "; ".join(named[:SUMMARY_REFUSALS])
        more = len(named) - SUMMARY_REFUSALS
        tail = f"; and {more} more" if more > 0 else ""
        return f"{text} Refused {len(self.refused)}: {shown}{tail}."


def _labels(sessions: SessionSource, ids: Sequence[int], actor: Scope) -> dict[int, str]:
    """``"Band → Event"`` for each selected application the actor may see; one query.

    Rows of other venues get no label, so their refusal ("not found") says nothing about
    them.
    """
    stmt = (
        select(EventApplication.id, Band.name, Event.title)
        .join(Band, Band.id == EventApplication.band_id)
        .join(Event, Event.id == EventApplication.event_id)
        .where(EventApplication.id.in_(ids))
    )
    with sessions() as session:
        found = session.execute(scope_statement(EventApplication, stmt, actor)).all()
    return {pk: f"{band} → {title}" for pk, band, title in found}


def decide_each(
    sessions: SessionSource,
    decide: Decide,
    selection: Selection,
    actor: Scope,
    *,
    remote_addr: str | None = None,
) -> BulkOutcome:
    """Decide every selected row with ``decide``, each in its own transaction, in id order.

    A refused row (:class:`admin_app.booking.BookingError`) is rolled back and reported
    with its reason; a row that does not exist or is not the actor's is reported as
    "not found", by its number only.
    """
    outcome = BulkOutcome()
    for text in selection.unreadable:
        outcome.refused.append((f"#{text}", NOT_FOUND))
    ids = [row.id for row in selection.rows]
    labels = _labels(sessions, ids, actor) if ids else {}
    for row in selection.rows:
        label = labels.get(row.id)
        try:
            with sessions.begin() as session:
                decide(session, row.id, actor, row.version, remote_addr=remote_addr)
        except booking.NotFound:
            outcome.refused.append((f"#{row.id}", NOT_FOUND))
        except booking.NeedsOverride as warning:
            # A bulk never overrides: the "... anyway" is taken on the row's own page.
            reasons = " ".join(warning.reasons)
            outcome.refused.append((label or f"#{row.id}", f"{reasons} {ON_ITS_OWN_PAGE}"))
        except booking.BookingError as error:
            outcome.refused.append((label or f"#{row.id}", str(error)))
        else:
            outcome.done.append(label or f"#{row.id}")
    return outcome
