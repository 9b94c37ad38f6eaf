"""A bounded load generator for real ``serve`` processes, and the checks of what it wrote.

:func:`seed_load_world` adds what the sessions work on (two venues, users, draft events,
pending applications) next to the demo data. :func:`run_load` signs in N sessions (one
thread and one cookie jar each, requests alternating between the servers) and drives
them for T seconds with a weighted mix of list, details and calendar pages, event title
edits, venue day marks and booking decisions. Every answer is a :class:`Sample`; every
acknowledged write (a 302/303) is a :class:`Write` with what it wrote and when.
:func:`verify` then compares the writes with the database and the audit log.

Commit order: for one row, the audit entries' ids follow commit order. Every write
updates (or deletes, or inserts under a unique key) the row *before* inserting its audit
entry in the same transaction, so a second writer of the row waits for the first to
commit before it draws its audit id. ``occurred_at`` is ``now()``, the *start* of the
transaction, and cannot order writes that overlapped.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx2
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from admin_app.passwords import hash_password
from models import (
    AuditEntry,
    Band,
    Event,
    EventApplication,
    User,
    Venue,
    VenueAvailability,
    VenueStaff,
)

LOAD_PASSWORD = "load-test password " + "q" * 8
LOAD_ZONE = "Europe/Berlin"
DAY_STATUSES = ("open", "closed", "hold", "clear")
MARK_DAYS = 6  # day marks go to few dates, so that sessions collide on them
STALE_WORDS = "since you opened it"
REQUEST_TIMEOUT = 60.0
SIGN_IN_LIMIT = 4  # sign-ins at once before the timed phase (see run_load)

# (operation, weight): reads dominate, as in a console.
MIX: tuple[tuple[str, int], ...] = (
    ("list", 30),
    ("details", 15),
    ("calendar", 15),
    ("edit", 20),
    ("day", 10),
    ("decide", 8),
    ("event_decision", 2),
)
LISTS = ("/admin/event/list", "/admin/event-application/list", "/admin/band/list")


# --- the world the sessions work on ------------------------------------------------------


@dataclass(frozen=True)
class LoadWorld:
    """Ids of the rows :func:`seed_load_world` added."""

    emails: tuple[str, ...]  # one per session
    venue_ids: tuple[int, ...]
    event_ids: tuple[int, ...]
    own_events: dict[int, tuple[int, ...]]  # session index -> its own events
    application_ids: tuple[int, ...]
    band_ids: tuple[int, ...]
    month: str  # YYYY-MM of the events and the day marks
    mark_days: tuple[date, ...]


def load_month(today: date | None = None) -> date:
    """The first day of the month the load works in: two months ahead."""
    start = (today or datetime.now(UTC).date()).replace(day=1)
    return (start + timedelta(days=64)).replace(day=1)


def seed_load_world(
    engine: Engine, sessions: int, *, events_per_session: int = 2, bands_per_event: int = 2
) -> LoadWorld:
    """Two venues, ``sessions`` users (even ones superusers, odd ones staff at both venues),
    draft events on distinct venue/day/slot (so confirming never clashes at the venue) and
    pending applications from the demo bands. Needs the demo data (bands) first."""
    first = load_month()
    password_hash = hash_password(LOAD_PASSWORD)  # one argon2 hash, shared by every user
    with Session(engine) as session:
        band_ids = tuple(session.scalars(select(Band.id).order_by(Band.id)))
        if len(band_ids) < bands_per_event:
            raise ValueError("seed the demo data first: the load needs its bands")
        venues = [Venue(name=f"Load Hall {key}", city="Berlin", timezone=LOAD_ZONE) for key in "AB"]
        session.add_all(venues)
        session.flush()
        emails = tuple(f"load{index:02d}@example.com" for index in range(sessions))
        for index, email in enumerate(emails):
            superuser = index % 2 == 0
            user = User(
                email=email,
                full_name=f"Load user {index}",
                password_hash=password_hash,
                is_superuser=superuser,
            )
            session.add(user)
            session.flush()
            if not superuser:
                session.add_all(
                    VenueStaff(venue_id=v.id, user_id=user.id, role="staff") for v in venues
                )
        own: dict[int, list[int]] = defaultdict(list)
        event_ids, application_ids = [], []
        for number in range(sessions * events_per_session):
            venue = venues[number % 2]
            day = first + timedelta(days=(number // 2) % 28)
            slot = number // 56  # 56 events fill the two venues' 28 days once
            starts = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(
                hours=3 * slot
            )
            event = Event(
                venue_id=venue.id,
                title=f"Load event {number}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                status="draft",
            )
            session.add(event)
            session.flush()
            event_ids.append(event.id)
            own[number % sessions].append(event.id)
            for offset in range(bands_per_event):
                band_id = band_ids[(number + offset) % len(band_ids)]
                application = EventApplication(event_id=event.id, band_id=band_id)
                session.add(application)
                session.flush()
                application_ids.append(application.id)
        session.commit()
        return LoadWorld(
            emails=emails,
            venue_ids=tuple(v.id for v in venues),
            event_ids=tuple(event_ids),
            own_events={key: tuple(value) for key, value in own.items()},
            application_ids=tuple(application_ids),
            band_ids=band_ids,
            month=f"{first:%Y-%m}",
            mark_days=tuple(first + timedelta(days=3 + 4 * k) for k in range(MARK_DAYS)),
        )


# --- what the generator records ----------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One request and its answer."""

    session: int
    op: str
    method: str
    url: str
    status: int  # 0: no answer (connection error or timeout)
    seconds: float
    snippet: str = ""  # the start of the body, kept for unexpected answers only


@dataclass(frozen=True)
class Write:
    """An acknowledged write (302/303): what it wrote, and when it was sent and answered.

    ``kind``: "title" (key event id, value the title), "day" (key (venue id, ISO date),
    value (status, note); status "clear" removes the mark), "decide" (key application id,
    value accepted/rejected), "event_decision" (key event id, value confirmed/cancelled).
    """

    kind: str
    key: Any
    value: Any
    session: int
    sent: float  # time.monotonic() before the request
    answered: float  # time.monotonic() after the answer


@dataclass
class LoadResult:
    """Everything one run saw."""

    sessions: int
    duration: float  # seconds of the driving phase (sign-in excluded)
    samples: list[Sample] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)  # acceptable refusals by kind
    problems: list[str] = field(default_factory=list)  # unexpected answers
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def acknowledge(self, write: Write) -> None:
        with self.lock:
            self.writes.append(write)

    def refuse(self, kind: str) -> None:
        with self.lock:
            self.refusals[kind] += 1

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    @property
    def server_errors(self) -> list[Sample]:
        """Answers of 500 and above, and requests that got no answer at all."""
        return [s for s in self.samples if s.status >= 500 or s.status == 0]

    def summary(self) -> dict[str, Any]:
        """Requests, throughput, latency percentiles (ms), writes and statuses."""
        timed = [s for s in self.samples if s.op != "sign_in"]  # sign-in is before the clock
        latencies = sorted(s.seconds for s in timed)
        return {
            "sessions": self.sessions,
            "duration_s": round(self.duration, 1),
            "requests": len(timed),
            "requests_per_s": round(len(timed) / self.duration, 1) if self.duration else 0,
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "max_ms": round((latencies[-1] if latencies else 0) * 1000, 1),
            "writes_acknowledged": dict(Counter(w.kind for w in self.writes)),
            "refusals": dict(self.refusals),
            "statuses": dict(sorted(Counter(s.status for s in self.samples).items())),
            "by_op_p95_ms": {
                op: round(percentile(sorted(s.seconds for s in timed if s.op == op), 95) * 1000, 1)
                for op in sorted({s.op for s in timed})
            },
            "sign_in": _sign_in_figures(self.samples),
            "5xx": len(self.server_errors),
        }


def _sign_in_figures(samples: Sequence[Sample]) -> dict[str, Any]:
    signs = [s for s in samples if s.op == "sign_in"]
    latencies = sorted(s.seconds for s in signs)
    return {
        "count": len(signs),
        "statuses": dict(sorted(Counter(s.status for s in signs).items())),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "max_ms": round((latencies[-1] if latencies else 0) * 1000, 1),
    }


def percentile(ordered: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of already sorted values (0 for none)."""
    if not ordered:
        return 0.0
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


# --- reading forms -----------------------------------------------------------------------


@dataclass
class HtmlForm:
    """One ``<form>``: its action, and the values a browser would submit (buttons apart)."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = HtmlForm(action=values.get("action", ""))
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = values.get("name")
        if tag == "input" and name:
            kind = values.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                form.buttons.append((name, values.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in values:
                    form.fields[name] = values.get("value", "on")
            elif kind != "file":
                form.fields[name] = values.get("value", "")
        elif tag == "button" and name:
            form.buttons.append((name, values.get("value", "")))
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, False
            # SQLAdmin's ajax pickers have no <option>: the script fills them from data-json.
            picked = json.loads(values.get("data-json") or "[]")
            if picked and isinstance(picked[0], dict):
                self._first_option = str(picked[0].get("id", ""))
        elif tag == "option" and self._select is not None:
            value = values.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in values:
                form.fields[self._select] = value
                self._selected = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif form is None:
            return
        elif tag == "select" and self._select is not None:
            if not self._selected and self._first_option is not None:
                form.fields[self._select] = self._first_option
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            form.fields[self._textarea] = "".join(self._text).removeprefix("\n")
            self._textarea = None


def html_forms(page: str) -> list[HtmlForm]:
    """Every form of ``page`` with what a browser would submit."""
    parser = _FormParser()
    parser.feed(page)
    parser.close()
    return parser.forms


def form_with(page: str, *names: str) -> HtmlForm | None:
    """The first form that has every field in ``names``."""
    return next((f for f in html_forms(page) if all(n in f.fields for n in names)), None)


# --- one session -------------------------------------------------------------------------


class _Session:
    """One signed-in browser: its own cookie jar, alternating between the servers."""

    def __init__(
        self, index: int, bases: Sequence[str], world: LoadWorld, result: LoadResult, seed: int
    ) -> None:
        self.index = index
        self.bases = list(bases)
        self.world = world
        self.result = result
        self.rng = random.Random(seed * 1000 + index)  # noqa: S311  # load pattern, not a secret
        self.turn = index  # which server the next request goes to
        self.writes = 0
        self.client = httpx2.Client(timeout=REQUEST_TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def _base(self) -> str:
        base = self.bases[self.turn % len(self.bases)]
        self.turn += 1
        return base

    def request(
        self, op: str, method: str, path: str, data: dict[str, str] | None = None
    ) -> tuple[int, str, float, float]:
        """(status, body, sent, answered); status 0 when no answer came."""
        base = self._base()
        headers = {"Origin": base} if method == "POST" else {}
        sent = time.monotonic()
        started = time.perf_counter()
        try:
            response = self.client.request(method, base + path, data=data, headers=headers)
            status, body = response.status_code, response.text
        except httpx2.HTTPError as error:
            status, body = 0, f"{type(error).__name__}: {error}"
        seconds = time.perf_counter() - started
        answered = time.monotonic()
        snippet = body[:300] if status >= 500 or status == 0 else ""
        self.result.add(Sample(self.index, op, method, base + path, status, seconds, snippet))
        return status, body, sent, answered

    def expect(self, op: str, status: int, wanted: int, path: str, body: str) -> bool:
        if status == wanted:
            return True
        self.result.problem(f"{op} {path}: {status} (wanted {wanted}): {_text_of(body)[:200]}")
        return False

    def sign_in(self) -> bool:
        email = self.world.emails[self.index]
        data = {"username": email, "password": LOAD_PASSWORD}
        status, body, _, _ = self.request("sign_in", "POST", "/admin/login", data)
        return self.expect("sign_in", status, 302, "/admin/login", body)

    def step(self) -> None:
        op = self.rng.choices([name for name, _ in MIX], [weight for _, weight in MIX])[0]
        getattr(self, "op_" + op)()

    def _event(self) -> int:
        own = self.world.own_events.get(self.index, ())
        if own and self.rng.random() < 0.6:
            return self.rng.choice(own)
        return self.rng.choice(self.world.event_ids)  # shared: sessions collide here

    def _get(self, op: str, path: str) -> str | None:
        status, body, _, _ = self.request(op, "GET", path)
        return body if self.expect(op, status, 200, path, body) else None

    def op_list(self) -> None:
        path = self.rng.choice(LISTS)
        if self.rng.random() < 0.3:
            path += "?search=Load"
        self._get("list", path)

    def op_details(self) -> None:
        choice = self.rng.random()
        if choice < 0.4:
            path = f"/admin/event/details/{self._event()}"
        elif choice < 0.7:
            path = f"/admin/event-application/details/{self.rng.choice(self.world.application_ids)}"
        else:
            path = f"/admin/band/details/{self.rng.choice(self.world.band_ids)}"
        self._get("details", path)

    def op_calendar(self) -> None:
        venue = self.rng.choice(self.world.venue_ids)
        self._get("calendar", f"/admin/calendar/venue/{venue}?month={self.world.month}")

    def op_edit(self) -> None:
        event_id = self._event()
        path = f"/admin/event/edit/{event_id}"
        page = self._get("edit_form", path)
        if page is None:
            return
        form = form_with(page, "title", "version")
        if form is None:
            self.result.problem(f"{path}: no edit form with a version")
            return
        if self.rng.random() < 0.3:
            time.sleep(self.rng.random() * 0.5)  # a user typing: others may save meanwhile
        self.writes += 1
        title = f"Load event {event_id} s{self.index} w{self.writes}"
        data = {**form.fields, "title": title, "save": "Save"}
        status, body, sent, answered = self.request("edit_save", "POST", path, data)
        if status == 302:
            self.result.acknowledge(Write("title", event_id, title, self.index, sent, answered))
        elif status == 400 and STALE_WORDS in body:
            self.result.refuse("stale_edit")
        else:
            self.result.problem(f"edit {path}: {status}: {_alert_of(body)}")

    def op_day(self) -> None:
        venue = self.rng.choice(self.world.venue_ids)
        page = self._get("calendar", f"/admin/calendar/venue/{venue}?month={self.world.month}")
        if page is None:
            return
        day = self.rng.choice(self.world.mark_days)
        status_value = self.rng.choice(DAY_STATUSES)
        self.writes += 1
        note = "" if status_value == "clear" else f"s{self.index} w{self.writes}"
        path = f"/admin/calendar/venue/{venue}/day"
        data = {"date": day.isoformat(), "status": status_value, "note": note}
        status, body, sent, answered = self.request("day_save", "POST", path, data)
        if status == 303:
            key = (venue, day.isoformat())
            value = (status_value, note or None)
            self.result.acknowledge(Write("day", key, value, self.index, sent, answered))
        else:
            self.result.problem(f"day {path} {data}: {status}: {_text_of(body)[:200]}")

    def _decide(self, kind: str, identity: str, pk: int, choices: Sequence[str]) -> None:
        page = self._get("details", f"/admin/{identity}/details/{pk}")
        if page is None:
            return
        form = form_with(page, "version")
        decide_path = f"/admin/{identity}/decide/{pk}"
        # Decisions only: the load never reopens one, so each application is decided at
        # most once and the checks below can hold every acknowledgement to account.
        offered = [
            value
            for name, value in (form.buttons if form is not None else [])
            if name == "decision" and value in DECISION_OUTCOMES
        ]
        if form is None or not form.action.endswith(decide_path) or not offered:
            # Nothing to decide any more: a decision from an old page must be refused.
            version, decision = "1", self.rng.choice(choices)
        else:
            version, decision = form.fields["version"], self.rng.choice(offered)
        data = {"version": version, "decision": decision}
        status, body, sent, answered = self.request(kind, "POST", decide_path, data)
        if status == 303:
            value = DECISION_OUTCOMES[decision]
            self.result.acknowledge(Write(kind, pk, value, self.index, sent, answered))
        elif status == 400 and 'data-testid="decision-error"' in body:
            self.result.refuse(kind)
        else:
            self.result.problem(f"{kind} {decide_path}: {status}: {_text_of(body)[:200]}")

    def op_decide(self) -> None:
        pk = self.rng.choice(self.world.application_ids)
        self._decide("decide", "event-application", pk, ("accept", "reject"))

    def op_event_decision(self) -> None:
        # Mostly confirmations; a cancellation is final, so they stay rare.
        choices = ("confirm",) if self.rng.random() < 0.7 else ("cancel",)
        self._decide("event_decision", "event", self._event(), choices)


# A decision button's value → the status it stores (and the audit action's name).
DECISION_OUTCOMES = {
    "accept": "accepted",
    "reject": "rejected",
    "withdraw": "withdrawn",
    "confirm": "confirmed",
    "cancel": "cancelled",
}


def _text_of(body: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def _alert_of(body: str) -> str:
    """The messages of a refused form (alerts and field errors), or the start of the text."""
    found = re.findall(r'class="[^"]*(?:alert|invalid-feedback)[^"]*"[^>]*>(.*?)</', body, re.S)
    return "; ".join(_text_of(item) for item in found if item.strip()) or _text_of(body)[:200]


def run_load(
    bases: Sequence[str],
    world: LoadWorld,
    *,
    sessions: int,
    seconds: float,
    seed: int = 7,
    sign_in_limit: int | None = SIGN_IN_LIMIT,
    on_tick: Callable[[LoadResult], None] | None = None,
) -> LoadResult:
    """Sign ``sessions`` users in, then drive them for ``seconds``; every answer recorded.

    At most ``sign_in_limit`` sign-ins run at once (None: all together, a burst), so the
    timed phase measures steady use rather than a crowd of argon2 checks.
    """
    result = LoadResult(sessions=sessions, duration=seconds)
    workers = [_Session(index, bases, world, result, seed) for index in range(sessions)]
    gate = threading.BoundedSemaphore(sign_in_limit or sessions)
    clock: list[float] = []  # [start, deadline], set as the barrier opens

    def start_clock() -> None:
        now = time.monotonic()
        clock.extend((now, now + seconds))

    signed_in = threading.Barrier(sessions + 1, action=start_clock)

    def work(worker: _Session) -> None:
        try:
            ok = False
            try:
                with gate:
                    ok = worker.sign_in()
            finally:
                signed_in.wait()  # every session starts the timed phase together
            while ok and time.monotonic() < clock[1]:
                worker.step()
        except Exception:  # a bug in the generator must show, not hang the test
            where = traceback.format_exc(limit=-2).strip().replace("\n", " | ")
            result.problem(f"session {worker.index} crashed: {where}")
        finally:
            worker.close()

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    signed_in.wait(timeout=REQUEST_TIMEOUT * 2)
    started = clock[0]
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT * 3)
        if on_tick is not None:
            on_tick(result)
    result.duration = time.monotonic() - started
    if any(thread.is_alive() for thread in threads):
        result.problem("a session was still running long after the deadline")
    return result


def sign_in_burst(bases: Sequence[str], world: LoadWorld) -> LoadResult:
    """Every user of ``world`` signs in at the same moment (a barrier), once."""
    sessions = len(world.emails)
    result = LoadResult(sessions=sessions, duration=0.0)
    workers = [_Session(index, bases, world, result, 0) for index in range(sessions)]
    together = threading.Barrier(sessions)

    def work(worker: _Session) -> None:
        try:
            together.wait(timeout=REQUEST_TIMEOUT)
            worker.sign_in()
        finally:
            worker.close()

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    result.duration = time.monotonic() - started
    return result


# --- checking the database against the acknowledged writes -------------------------------


@dataclass(frozen=True)
class AuditRow:
    """One audit entry, as the checks read it."""

    id: int
    action: str
    object_type: str
    object_id: str
    changes: dict[str, list[Any]]


def _entries(session: Session) -> list[AuditRow]:
    types = ("Event", "EventApplication", "VenueAvailability")
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type.in_(types)).order_by(AuditEntry.id)
    )
    return [
        AuditRow(row.id, row.action, row.object_type or "", row.object_id or "", row.changes or {})
        for row in rows
    ]


def _new(entry: AuditRow, key: str) -> Any:
    pair = entry.changes.get(key)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


def _old(entry: AuditRow, key: str) -> Any:
    pair = entry.changes.get(key)
    return pair[0] if isinstance(pair, list) and len(pair) == 2 else None


def _real_time_order(
    label: str, acked: Sequence[Write], audit_id: Callable[[Write], int | None]
) -> list[str]:
    """A write answered before another was sent must have committed first."""
    problems = []
    for first in acked:
        for second in acked:
            if first.answered < second.sent:
                a, b = audit_id(first), audit_id(second)
                if a is not None and b is not None and a > b:
                    problems.append(
                        f"{label}: {first.value!r} was acknowledged before {second.value!r} "
                        f"was sent, yet committed after it (audit {a} > {b})"
                    )
    return problems


def _definitely_last(acked: Sequence[Write]) -> Write | None:
    """The write sent after every other one on the row was answered, if there is one."""
    for write in acked:
        if all(other is write or other.answered < write.sent for other in acked):
            return write
    return None


def check_titles(
    world: LoadWorld, writes: Sequence[Write], entries: Sequence[AuditRow], titles: dict[int, str]
) -> list[str]:
    """Every acknowledged title is audited once; each event holds its last committed title."""
    problems: list[str] = []
    ids = {str(pk): pk for pk in world.event_ids}
    audited: dict[tuple[int, str], list[int]] = defaultdict(list)
    last: dict[int, tuple[int, str]] = {}
    for entry in entries:
        if entry.object_type != "Event" or entry.action != "update" or entry.object_id not in ids:
            continue
        event_id = ids[entry.object_id]
        extra = set(entry.changes) - {"title", "updated_by_id"}
        if extra:
            problems.append(f"event {event_id}: a title edit also changed {sorted(extra)}")
        title = _new(entry, "title")
        if isinstance(title, str):
            audited[(event_id, title)].append(entry.id)
            last[event_id] = (entry.id, title)
    acked = [w for w in writes if w.kind == "title"]
    acked_keys = {(w.key, w.value) for w in acked}
    for write in acked:
        count = len(audited.get((write.key, write.value), []))
        if count != 1:
            problems.append(
                f"event {write.key}: acknowledged title {write.value!r} audited {count} times"
            )
    for (event_id, title), entry_ids in audited.items():
        if (event_id, title) not in acked_keys:
            problems.append(
                f"event {event_id}: title {title!r} committed (audit {entry_ids}) "
                "but never acknowledged"
            )
    by_event: dict[int, list[Write]] = defaultdict(list)
    for write in acked:
        by_event[write.key].append(write)
    for number, event_id in enumerate(world.event_ids):
        expected = last[event_id][1] if event_id in last else f"Load event {number}"
        if titles.get(event_id) != expected:
            problems.append(
                f"lost update: event {event_id} holds {titles.get(event_id)!r}, but the last "
                f"committed title (audit order) is {expected!r}"
            )
        rows = by_event.get(event_id, [])

        def audit_id(write: Write) -> int | None:
            found = audited.get((write.key, write.value))
            return found[0] if found else None

        problems += _real_time_order(f"event {event_id}", rows, audit_id)
        final = _definitely_last(rows)
        if final is not None and titles.get(event_id) != final.value:
            problems.append(
                f"lost update: event {event_id} holds {titles.get(event_id)!r}, not "
                f"{final.value!r}, the title saved after every other save was answered"
            )
    return problems


Mark = tuple[str, str | None]  # (status, note)


def check_days(
    world: LoadWorld,
    writes: Sequence[Write],
    entries: Sequence[AuditRow],
    marks: dict[tuple[int, str], Mark],
) -> list[str]:
    """Every acknowledged day mark is audited once; the audit trail replays to the database;
    each day holds the effect of its last committed change."""
    problems: list[str] = []
    venues = set(world.venue_ids)
    row_key: dict[str, tuple[int, str]] = {}
    replay: dict[tuple[int, str], Mark | None] = {}
    note_ids: dict[str, list[int]] = defaultdict(list)
    last_entry: dict[tuple[int, str], AuditRow] = {}
    for entry in entries:
        if entry.object_type != "VenueAvailability":
            continue
        if entry.action == "create":
            venue, day = _new(entry, "venue_id"), _new(entry, "date")
        elif entry.action == "delete":
            venue, day = _old(entry, "venue_id"), _old(entry, "date")
        else:
            venue, day = row_key.get(entry.object_id, (None, None))
        if venue not in venues:
            continue
        key = (int(venue), str(day))
        row_key[entry.object_id] = key
        last_entry[key] = entry
        state = replay.get(key)
        if entry.action == "delete":
            replay[key] = None
            continue
        if entry.action == "create" or state is None:
            state = (str(_new(entry, "status")), _new(entry, "note"))
        else:
            status = _new(entry, "status") if "status" in entry.changes else state[0]
            note = _new(entry, "note") if "note" in entry.changes else state[1]
            state = (str(status), note)
        replay[key] = state
        if "note" in entry.changes and _new(entry, "note"):
            note_ids[str(_new(entry, "note"))].append(entry.id)
    acked = [w for w in writes if w.kind == "day"]
    acked_notes = {w.value[1] for w in acked if w.value[0] != "clear"}
    for write in acked:
        status, note = write.value
        if status != "clear" and len(note_ids.get(str(note), [])) != 1:
            problems.append(
                f"day {write.key}: acknowledged mark {write.value} audited "
                f"{len(note_ids.get(str(note), []))} times"
            )
    for note, entry_ids in note_ids.items():
        if note not in acked_notes:
            problems.append(
                f"day mark {note!r} committed (audit {entry_ids}) but never acknowledged"
            )
    for key in set(replay) | set(marks):
        if replay.get(key) != marks.get(key):
            problems.append(
                f"day {key}: the database holds {marks.get(key)}, the audit trail replays to "
                f"{replay.get(key)}"
            )
    by_key: dict[tuple[int, str], list[Write]] = defaultdict(list)
    for write in acked:
        by_key[write.key].append(write)
    for key, rows in by_key.items():
        ending = last_entry.get(key)
        if (
            ending is not None
            and ending.action == "delete"
            and not any(w.value[0] == "clear" for w in rows)
        ):
            problems.append(f"day {key}: deleted (audit {ending.id}) by no acknowledged clear")

        def audit_id(write: Write) -> int | None:
            found = note_ids.get(str(write.value[1]))
            return found[0] if found and write.value[0] != "clear" else None

        problems += _real_time_order(f"day {key}", rows, audit_id)
        final = _definitely_last(rows)
        if final is not None:
            wanted = None if final.value[0] == "clear" else final.value
            if marks.get(key) != wanted:
                problems.append(
                    f"lost update: day {key} holds {marks.get(key)}, not {wanted}, the mark "
                    "set after every other change was answered"
                )
    return problems


def check_decisions(
    world: LoadWorld,
    writes: Sequence[Write],
    entries: Sequence[AuditRow],
    applications: dict[int, str],
    statuses: dict[int, str],
) -> list[str]:
    """Decisions are audited: one acknowledged decision per application at most (the load
    never reopens one), the stored status is it, and event confirmations/cancellations are
    all audited."""
    problems: list[str] = []
    actions = DECISION_OUTCOMES
    audited: dict[tuple[str, int], list[str]] = defaultdict(list)
    for entry in entries:
        if entry.action in actions and entry.object_id.isdigit():
            audited[(entry.object_type, int(entry.object_id))].append(actions[entry.action])
    decided: dict[int, list[str]] = defaultdict(list)
    for write in writes:
        if write.kind == "decide":
            decided[write.key].append(write.value)
    for pk in world.application_ids:
        acked = decided.get(pk, [])
        logged = audited.get(("EventApplication", pk), [])
        if len(acked) > 1:
            problems.append(f"application {pk}: decided twice {acked} (the load never reopens)")
        expected = acked[-1] if acked else "pending"
        if applications.get(pk) != expected:
            problems.append(
                f"application {pk}: stored {applications.get(pk)!r}, acknowledged {acked}"
            )
        if logged != acked:
            problems.append(f"application {pk}: audited {logged}, acknowledged {acked}")
    changed: dict[int, list[str]] = defaultdict(list)
    for write in writes:
        if write.kind == "event_decision":
            changed[write.key].append(write.value)
    for pk in world.event_ids:
        acked = changed.get(pk, [])
        logged = audited.get(("Event", pk), [])
        if sorted(logged) != sorted(acked):
            problems.append(f"event {pk}: audited {logged}, acknowledged {acked}")
        expected = logged[-1] if logged else "draft"  # the last one committed
        if statuses.get(pk) != expected:
            problems.append(f"event {pk}: status {statuses.get(pk)!r}, last committed {expected!r}")
    return problems


def verify(engine: Engine, world: LoadWorld, result: LoadResult) -> list[str]:
    """Everything the acknowledged writes promise, checked against the database."""
    with Session(engine) as session:
        entries = _entries(session)
        events = session.execute(
            select(Event.id, Event.title, Event.status).where(Event.id.in_(world.event_ids))
        ).all()
        applications: dict[int, str] = {
            pk: status
            for pk, status in session.execute(
                select(EventApplication.id, EventApplication.status).where(
                    EventApplication.id.in_(world.application_ids)
                )
            )
        }
        marks = {
            (row.venue_id, row.date.isoformat()): (row.status, row.note)
            for row in session.scalars(
                select(VenueAvailability).where(VenueAvailability.venue_id.in_(world.venue_ids))
            )
        }
    titles = {pk: title for pk, title, _ in events}
    statuses = {pk: status for pk, _, status in events}
    return [
        *check_titles(world, result.writes, entries, titles),
        *check_days(world, result.writes, entries, marks),
        *check_decisions(world, result.writes, entries, applications, statuses),
    ]
