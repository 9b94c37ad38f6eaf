"""Building blocks of the hostile-input tests: forms found on the rendered pages, hostile
values, raw form bodies, row counts, and the tally that RELIABILITY.md quotes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from urllib.parse import quote_plus

from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from admin_app.accounts import create_user
from models import (
    Band,
    BandAvailability,
    BandMember,
    BandMemberAvailability,
    Base,
    EventApplication,
    VenueAvailability,
    VenueOperatingHours,
    VenueStaff,
)
from tests.auth_support import PASSWORD
from tests.console_views_support import add_event, add_venue
from tests.support import ARTIFACTS
from tests.worlds.rows import utc

# Buttons are not data. Hidden inputs (the optimistic-locking ``version``) are left out:
# the page cannot show an error for a field it does not show, so a tampered one gets a
# 400 without a message; see RELIABILITY.md, "open".
SKIPPED_KINDS = frozenset({"submit", "hidden"})
_CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
_OPTION = re.compile(r'<option[^>]*value="([^"]*)"')
_MESSAGE = re.compile(
    r'class="(?:invalid-feedback|alert alert-danger)"[^>]*>\s*([^<]*\S[^<]*?)\s*<', re.DOTALL
)

# Values that broke web forms somewhere once: NUL, bidi overrides, surrogates, giant
# strings and numbers, impossible dates and times, markup and SQL.
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u200f\u202eevil\u202c",
    "\ufeff",
    "x" * 10_000,
    "🎸" * 2_000,
    "\ud800",
    "a\udfffb",
    "9" * 40,
    "-1",
    "0",
    "-9223372036854775809",
    "9223372036854775808",
    "1e309",
    "NaN",
    "-0",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "2026-02-30T25:61",
    "2026-03-29T02:30",
    "24:00",
    "99:99",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "NULL",
    "None",
    "%00",
    "..\\..\\etc\\passwd",
]

# The sweep of the default run: each of these alone in each field of each form.
CORE_HOSTILE = ["\x00", "\ud800", "x" * 10_000, "9" * 40, "2026-02-30"]

# Plausible values by control type, so that some examples are saved and the "exactly one
# new row" path is exercised too.
PLAUSIBLE = {
    "text": ["Night Owls", "Berlin", "guitar", "2026-05-01"],
    "number": ["1", "3", "250"],
    "time": ["20:00", "02:00"],
    "datetime-local": ["2026-05-01T20:00", "2026-05-01T23:30"],
    "email": ["someone@example.com"],
    # Blank first: the sweep's base form then skips argon2 (slow by design) on every
    # request; Hypothesis still draws the real passwords.
    "password": ["", PASSWORD, "a long enough passphrase"],
    "checkbox": ["y"],
}

ANY_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=60
)


@dataclass(frozen=True)
class Control:
    """One named form control as rendered: its kind and the option values it offers."""

    name: str
    kind: str
    options: tuple[str, ...] = ()


def form_controls(html: str) -> list[Control]:
    """The form's named controls (submit buttons left out), in page order, no duplicates."""
    controls: dict[str, Control] = {}
    for tag, attrs_text in _CONTROL.findall(html):
        attrs = dict(_ATTR.findall(attrs_text))
        name, kind = attrs.get("name"), attrs.get("type", tag.lower())
        if not name or kind in SKIPPED_KINDS or name in controls:
            continue
        options: tuple[str, ...] = ()
        if tag.lower() == "select":
            start = html.find(attrs_text)
            end = html.find("</select>", start)
            options = tuple(value for value in _OPTION.findall(html[start:end]) if value)
            kind = "select"
        controls[name] = Control(name, kind, options)
    return list(controls.values())


def plausible_values(control: Control, ids: tuple[str, ...]) -> list[str]:
    """Values a careful user would send to ``control``."""
    if control.kind == "select":
        return list(control.options) or list(ids)  # no options: an ajax picker of row ids
    if control.name == "date":
        return ["2026-06-01", "2026-06-02", "2027-01-31"]
    if control.name == "email":
        return ["someone@example.com", "other@example.com"]
    return PLAUSIBLE.get(control.kind, []) or ["plain words"]


def value_for(control: Control, ids: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Hostile or random text for one control."""
    return st.one_of(st.sampled_from(HOSTILE_TEXT), ANY_TEXT)


@st.composite
def form_pairs(
    draw: st.DrawFn, controls: list[Control], ids: tuple[str, ...]
) -> list[tuple[str, str]]:
    """Name/value pairs for one submission: a plausible form with a few fields made hostile,
    missing or doubled, and sometimes an unknown field; the order sometimes shuffled."""
    hostile = draw(st.sets(st.sampled_from([c.name for c in controls]), max_size=3))
    pairs: list[tuple[str, str]] = []
    for control in controls:
        copies = draw(st.sampled_from([0, 1, 2])) if control.name in hostile else 1
        for _ in range(copies):
            source = (
                value_for(control, ids)
                if control.name in hostile and draw(st.booleans())
                else st.sampled_from(plausible_values(control, ids))
            )
            pairs.append((control.name, draw(source)))
    if draw(st.integers(0, 4)) == 0:
        extra = draw(st.sampled_from(["id", "", "save", "\x00", "x" * 300, "csrf_token"]))
        pairs.append((extra, draw(ANY_TEXT)))
    return draw(st.permutations(pairs)) if draw(st.integers(0, 4)) == 0 else pairs


def sweep(
    controls: list[Control], ids: tuple[str, ...], values: list[str]
) -> list[list[tuple[str, str]]]:
    """A plausible form with one field replaced by each of ``values``, for every field."""
    base = [(control.name, plausible_values(control, ids)[0]) for control in controls]
    return [
        [(name, value if name == control.name else plain) for name, plain in base]
        for control in controls
        for value in values
    ]


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """``application/x-www-form-urlencoded`` bytes, lone surrogates kept as raw bytes.

    A browser cannot send a lone surrogate as UTF-8; a hostile client can send the bytes
    it would be (``surrogatepass``), which are invalid UTF-8 and reach the server as such.
    """
    encoded = [
        quote_plus(name.encode("utf-8", "surrogatepass"))
        + "="
        + quote_plus(value.encode("utf-8", "surrogatepass"))
        for name, value in pairs
    ]
    return "&".join(encoded).encode("ascii")


def refusal_message(html: str) -> str | None:
    """The first error message shown on a form page, if any."""
    match = _MESSAGE.search(html)
    return match.group(1).strip() if match else None


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table, in one statement."""
    tables = [table.name for table in Base.metadata.sorted_tables]
    union = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM \"{name}\"" for name in tables)
    with engine.connect() as connection:
        return {str(name): int(count) for name, count in connection.execute(text(union))}


def seed_graph(engine: Engine) -> dict[str, int]:
    """One row of every model, for the edit forms; their ids by view identity."""
    venue_id = add_venue(engine)
    event_id = add_event(
        engine, venue_id, "Opening night", utc(2026, 5, 1, 19), utc(2026, 5, 1, 23)
    )
    with Session(engine) as session:
        user = create_user(session, email="member@example.com", password=PASSWORD)
        band = Band(name="Night Owls")
        session.add(band)
        session.flush()
        member = BandMember(band_id=band.id, user_id=user.id, instrument="bass")
        session.add(member)
        session.flush()
        rows: dict[str, Any] = {
            "user": user,
            "band": band,
            "band-member": member,
            "band-availability": BandAvailability(
                band_id=band.id, date=date(2026, 5, 2), status="available"
            ),
            "band-member-availability": BandMemberAvailability(
                band_member_id=member.id, date=date(2026, 5, 2), status="available"
            ),
            "venue-staff": VenueStaff(venue_id=venue_id, user_id=user.id, role="staff"),
            "venue-operating-hours": VenueOperatingHours(
                venue_id=venue_id, weekday=4, opens_at=time(20), closes_at=time(2)
            ),
            "venue-availability": VenueAvailability(
                venue_id=venue_id, date=date(2026, 5, 3), status="open"
            ),
            "event-application": EventApplication(
                event_id=event_id, band_id=band.id, status="pending"
            ),
        }
        session.add_all(rows.values())
        session.commit()
        ids = {name: int(row.id) for name, row in rows.items()}
    return {**ids, "venue": venue_id, "event": event_id}


@dataclass
class Tally:
    """What the hostile-input tests sent and got back, for RELIABILITY.md."""

    examples: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, form: str, status: int) -> None:
        """Count one submission to ``form`` answered with ``status``."""
        self.examples[form] += 1
        self.statuses[f"{form} {status}"] += 1

    def save(self, name: str) -> None:
        """Write the tally to test-artifacts/<name>.json."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        data = {
            "total": sum(self.examples.values()),
            "examples": dict(sorted(self.examples.items())),
            "statuses": dict(sorted(self.statuses.items())),
        }
        (ARTIFACTS / f"{name}.json").write_text(json.dumps(data, indent=2))
