"""What the calendar pages show and do, as plain functions over a session (no HTTP).

The handlers in :mod:`admin_app.pages.calendar` parse the request, call one of these in a
worker thread, and render the result. Each page runs a fixed number of statements:
the calendar builders' own (see :mod:`admin_app.calendars`) plus one for the venue picker
(its capped list, the current venue and any venue search, together) and, when a band
search is typed, one for the band search.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, Select, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from admin_app import calendars, feed_tokens
from admin_app.booking import NeedsOverride, NotFound
from admin_app.calendars import Month, MonthError, marks, parse_month, today_in
from admin_app.db import lock_writes_on_sqlite
from admin_app.scoping import Scope, ScopeError, can, scope_statement
from models import Band, Venue

BAND_SEARCH_LIMIT = 20
# The venue picker lists at most this many venues by name (the current one always among
# them); a user who may see more finds the others with the venue search.
VENUE_PICKER_LIMIT = 50
VENUE_SEARCH_LIMIT = 20
# Longest search text looked up; longer input is cut rather than refused.
SEARCH_MAX_LENGTH = 100
LIKE_ESCAPE = "\\"
# What each part of the venue picker's statement contributes (its ``kind`` column).
_LISTED, _CURRENT, _FOUND = 1, 2, 3


class PageError(Exception):
    """A request the page cannot answer: shown inside the layout with ``status_code``."""

    def __init__(
        self, status_code: int, message: str, anyway: tuple[str, dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        # A refusal that an explicit "... anyway" lifts: the button's label and the fields
        # to post again (with override=1) to the same address.
        self.anyway = anyway


@dataclass(frozen=True)
class Choice:
    """One entry of a venue or band picker."""

    id: int
    name: str
    detail: str
    timezone: str | None = None
    feed_since: datetime | None = None


def parse_id(text: str | None, what: str) -> int:
    """A path or form id as an int; anything else is a 404 in plain words."""
    if text is not None and text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise PageError(404, f"There is no {what} {text or '(none given)'!r}.")


def parse_month_param(text: str | None, default: date) -> Month:
    """``?month=YYYY-MM`` (the month of ``default`` when absent); a 400 when malformed."""
    if not text:
        return Month.of(default)
    try:
        return parse_month(text)
    except MonthError as error:
        raise PageError(400, str(error)) from None


def parse_day(text: str | None) -> date:
    """A posted ``YYYY-MM-DD`` date; a 400 when missing or malformed."""
    try:
        day = date.fromisoformat(text or "")
        Month.of(day)  # the same year range as the calendar pages
    except (ValueError, MonthError):
        raise PageError(400, f"{text or '(none given)'!r} is not a date: use YYYY-MM-DD.") from None
    return day


def search_words(text: str | None) -> str:
    """Search text as looked up: trimmed, and cut at :data:`SEARCH_MAX_LENGTH`."""
    return (text or "").strip()[:SEARCH_MAX_LENGTH]


def contains_pattern(text: str | None) -> str | None:
    """An ILIKE pattern (escape :data:`LIKE_ESCAPE`) for "contains ``text``", None for no text.

    LIKE wildcards typed by the user (``%``, ``_``, the escape itself) match literally.
    """
    words = search_words(text)
    if not words:
        return None
    escaped = (
        words.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _choice(venue: Venue) -> Choice:
    return Choice(venue.id, venue.name, venue.city, venue.timezone, venue.feed_token_created_at)


@dataclass(frozen=True)
class VenuePicker:
    """The venue picker: a capped list by name, and the venue search's answer."""

    options: list[Choice]  # at most VENUE_PICKER_LIMIT, by name, the current venue included
    more: bool  # the user may see venues that are not in ``options``
    query: str  # the venue search text, as looked up ("" for none)
    found: list[Choice]  # at most VENUE_SEARCH_LIMIT venues matching ``query``, by name
    current: Choice | None  # the venue asked for, when the user may see it

    @property
    def searchable(self) -> bool:
        """Whether to offer the venue search (only when the list does not show them all)."""
        return self.more or bool(self.query)


def _picker_part(scope: Scope, kind: int, stmt: Select[int]) -> Select[int, int]:
    part = scope_statement(Venue, stmt, scope).subquery()
    return select(part.c.id, literal_column(str(kind), Integer).label("kind"))


def _picker_rows(
    session: Session, scope: Scope, current_id: int | None, query: str | None
) -> tuple[VenuePicker, Venue | None]:
    """The picker and the current venue's row, in one statement whatever is asked.

    A UNION ALL of the venue ids wanted (the first ``VENUE_PICKER_LIMIT + 1`` by name, the
    current venue, the search matches), each tagged with its part, joined back to venues:
    never a query per venue, never the whole table.
    """
    by_name = (Venue.name, Venue.id)
    parts = [
        _picker_part(
            scope, _LISTED, select(Venue.id).order_by(*by_name).limit(VENUE_PICKER_LIMIT + 1)
        )
    ]
    if current_id is not None:
        parts.append(_picker_part(scope, _CURRENT, select(Venue.id).where(Venue.id == current_id)))
    pattern = contains_pattern(query)
    if pattern is not None:
        matching = or_(
            Venue.name.ilike(pattern, escape=LIKE_ESCAPE),
            Venue.city.ilike(pattern, escape=LIKE_ESCAPE),
        )
        parts.append(
            _picker_part(
                scope,
                _FOUND,
                select(Venue.id).where(matching).order_by(*by_name).limit(VENUE_SEARCH_LIMIT),
            )
        )
    picks = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("picks")
    rows = session.execute(
        select(Venue, picks.c.kind).join(picks, picks.c.id == Venue.id).order_by(*by_name)
    ).all()
    listed = [venue for venue, kind in rows if kind == _LISTED]
    current = next((venue for venue, kind in rows if kind == _CURRENT), None)
    shown = {venue.id for venue in listed[:VENUE_PICKER_LIMIT]}
    if current is not None and current.id not in shown:
        # Keep within the cap: the current venue takes the last place by name.
        shown = {venue.id for venue in listed[: VENUE_PICKER_LIMIT - 1]} | {current.id}
    options: list[Choice] = []
    for venue, kind in rows:  # already by name (the database's collation)
        if venue.id in shown and kind in (_LISTED, _CURRENT):
            shown.discard(venue.id)  # each venue once
            options.append(_choice(venue))
    picker = VenuePicker(
        options=options,
        more=len(listed) > len(options),
        query=search_words(query) if pattern is not None else "",
        found=[_choice(venue) for venue, kind in rows if kind == _FOUND],
        current=_choice(current) if current is not None else None,
    )
    return picker, current


def visible_venues(
    session: Session, scope: Scope, current_id: int | None = None, query: str | None = None
) -> VenuePicker:
    """The venue picker for ``scope`` (one statement): at most :data:`VENUE_PICKER_LIMIT`
    venues by name with ``current_id`` among them when visible, and up to
    :data:`VENUE_SEARCH_LIMIT` venues whose name or city contains ``query``."""
    return _picker_rows(session, scope, current_id, query)[0]


def search_bands(session: Session, scope: Scope, text: str | None) -> list[Choice]:
    """Up to :data:`BAND_SEARCH_LIMIT` bands whose name contains ``text`` (none for no text)."""
    pattern = contains_pattern(text)
    if pattern is None:
        return []
    rows = session.execute(
        scope_statement(
            Band,
            select(Band.id, Band.name, Band.city, Band.genre)
            .where(Band.name.ilike(pattern, escape=LIKE_ESCAPE))
            .order_by(Band.name, Band.id)
            .limit(BAND_SEARCH_LIMIT),
            scope,
        )
    )
    return [
        Choice(row.id, row.name, " · ".join(part for part in (row.genre, row.city) if part))
        for row in rows
    ]


def venue_page(
    session: Session,
    scope: Scope,
    venue_id: int,
    month_text: str | None,
    venue_query: str | None = None,
) -> dict[str, Any]:
    """The venue calendar's template context (venue_month plus the picker)."""
    picker, venue = _picker_rows(session, scope, venue_id, venue_query)
    if venue is None or picker.current is None:
        raise PageError(404, f"Venue {venue_id} was not found.")
    month = parse_month_param(month_text, today_in(venue.timezone))
    try:
        venue_month = calendars.venue_month(session, scope, venue_id, month)
    except NotFound as error:
        raise PageError(404, str(error)) from None
    return {
        "cal": venue_month,
        "today_month": Month.of(venue_month.today),
        "picker": picker,
        "venue_choice": picker.current,
        "can_edit": can(scope, "edit", Venue, venue),
        "feed_mark": feed_tokens.fingerprint(venue),
    }


def band_page(
    session: Session,
    scope: Scope,
    band_id: int,
    month_text: str | None,
    query: str | None,
    venue_query: str | None = None,
) -> dict[str, Any]:
    """The band calendar's template context (band_month, band search, venues to match at)."""
    # A band has no clock of its own; its default month is the current one in UTC.
    today = datetime.now(UTC).date()
    month = parse_month_param(month_text, today)
    try:
        band_month = calendars.band_month(session, scope, band_id, month)
    except NotFound as error:
        raise PageError(404, str(error)) from None
    # For the feed card and the edit check (band_month keeps no reference to the row).
    band = session.get(Band, band_id)
    return {
        "cal": band_month,
        "today": today,
        "today_month": Month.of(today),
        "band": band,
        "query": query or "",
        "found": search_bands(session, scope, query),
        "picker": visible_venues(session, scope, query=venue_query),
        "can_edit": band is not None and can(scope, "edit", Band, band),
        "feed_mark": feed_tokens.fingerprint(band) if band is not None else "none",
    }


def match_page(
    session: Session,
    scope: Scope,
    venue_text: str | None,
    band_text: str | None,
    month_text: str | None,
    query: str | None,
    venue_query: str | None = None,
) -> dict[str, Any]:
    """The match page's context: pickers, and the matching dates once both are chosen."""
    venue_id = parse_id(venue_text, "venue") if venue_text else None
    picker = visible_venues(session, scope, venue_id, venue_query)
    if venue_id is not None and picker.current is None:
        raise PageError(404, f"Venue {venue_id} was not found.")
    if not picker.options:
        raise PageError(404, "You cannot see any venue, so there is nothing to match.")
    venue = picker.current or picker.options[0]
    today = today_in(venue.timezone or "UTC")
    month = parse_month_param(month_text, today)
    context: dict[str, Any] = {
        "today_month": Month.of(today),
        "picker": picker,
        "venue_choice": venue,
        "month": month,
        "query": query or "",
        "found": search_bands(session, scope, query),
        "matches": None,
    }
    if band_text:
        try:
            context["matches"] = calendars.find_matches(
                session, scope, venue.id, parse_id(band_text, "band"), month
            )
        except NotFound as error:
            raise PageError(404, str(error)) from None
    return context


def place_hold(
    session: Session, scope: Scope, venue_id: int, band_id: int, day: date, remote_addr: str | None
) -> str:
    """Hold ``day`` at the venue for the band; the sentence to show afterwards."""
    try:
        event = calendars.place_hold(
            session, scope, venue_id, band_id, day, remote_addr=remote_addr
        )
    except NotFound as error:
        raise PageError(404, str(error)) from None
    except calendars.HoldRefused as error:
        raise PageError(409, str(error)) from None
    return f"Hold {event.hold_rank} placed on {day:%a %d %b %Y}: {event.title}."


def mark_day(
    session: Session,
    scope: Scope,
    owner: type[Venue] | type[Band],
    owner_id: int,
    day: date,
    form: dict[str, str],
    remote_addr: str | None,
) -> str:
    """Set (or clear) the venue's or band's mark on ``day``; the sentence to show afterwards."""
    status = form.get("status", "")
    note = form.get("note")
    try:
        if owner is Venue:
            # Closing a day over holds or a show takes an explicit "Close anyway".
            anyway = form.get("override") == "1"
            marks.set_venue_day(
                session,
                scope,
                owner_id,
                day,
                status,
                note,
                remote_addr=remote_addr,
                override=anyway,
            )
        else:
            marks.set_band_day(session, scope, owner_id, day, status, note, remote_addr=remote_addr)
    except NeedsOverride as error:
        again = {"date": day.isoformat(), "status": status, "note": note or "", "override": "1"}
        raise PageError(409, str(error), ("Close anyway", again)) from None
    except NotFound as error:
        raise PageError(404, str(error)) from None
    except ScopeError as error:
        raise PageError(403, str(error)) from None
    except marks.MarkError as error:
        raise PageError(400, str(error)) from None
    if status == marks.CLEAR:
        return f"{day:%a %d %b %Y}: mark cleared."
    return f"{day:%a %d %b %Y} marked {status}."


@dataclass(frozen=True)
class FeedOutcome:
    """What a regenerate form did: a new ``token`` (shown once), or nothing because the form
    was ``stale`` (a resubmit) or the replacement of a working URL is not yet ``confirmed``."""

    token: str | None = None
    stale: bool = False
    needs_confirmation: bool = False
    owner_name: str = ""


def regenerate_feed(
    session: Session,
    scope: Scope,
    owner: type[Venue] | type[Band],
    owner_id: int,
    remote_addr: str | None,
    mark: str | None = None,
    confirmed: bool = False,
) -> FeedOutcome:
    """A new feed token for a venue or band ``scope`` may edit; the old URL stops working.

    ``mark`` is the :func:`feed_tokens.fingerprint` the form was drawn with: when it no
    longer matches, the form was sent again (a reload) and nothing changes. Replacing a
    working URL needs ``confirmed``. The row is locked, so two regenerates never both win.
    """
    lock_writes_on_sqlite(session)
    statement = scope_statement(owner, select(owner).where(owner.id == owner_id), scope)
    row = session.scalar(statement.with_for_update())
    if not isinstance(row, Venue | Band):
        raise PageError(404, f"{owner.__name__} {owner_id} was not found.")
    if mark is not None and mark != feed_tokens.fingerprint(row):
        return FeedOutcome(stale=True, owner_name=row.name)
    if row.feed_token_hash is not None and not confirmed:
        return FeedOutcome(needs_confirmation=True, owner_name=row.name)
    try:
        token = feed_tokens.issue_token(session, row, actor=scope, remote_addr=remote_addr)
    except ScopeError as error:
        raise PageError(403, str(error)) from None
    return FeedOutcome(token=token, owner_name=row.name)
