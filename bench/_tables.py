"""Row generators, one per table, writing COPY text rows from cheap arithmetic.

Each generator draws from its own ``random.Random`` seeded by (seed, table), so a table's
rows depend only on the seed and the scale, never on the order tables are generated in.
Ids are assigned here (1..n per table), which lets later tables point at earlier rows by
arithmetic instead of reading them back.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from bench import _words as words
from bench._calendar import DAYS, START, Calendar
from bench._scales import Scale

NULL = "\\N"  # NULL in COPY text format
CHUNK_ROWS = 20_000

# Event status mix, and the rank a hold gets (1st holds are the most common).
EVENT_STATUSES = ("confirmed", "hold", "draft", "cancelled")
EVENT_STATUS_CUM = (55, 70, 80, 100)
HOLD_RANKS = (1, 1, 1, 1, 1, 1, 2, 2, 2, 3)
# More shows at the weekend (index 0 = Monday).
WEEKDAY_WEIGHTS = (0.6, 0.7, 0.9, 1.1, 1.5, 1.6, 0.8)
# Application statuses by the status of the event: (cumulative probability, status).
# The first application of an event is the one that gets accepted, if any.
_FIRST_APPLICATION = {
    "confirmed": ((0.9, "accepted"), (1.0, "rejected")),
    "hold": ((0.3, "accepted"), (0.8, "pending"), (1.0, "withdrawn")),
    "draft": ((0.8, "pending"), (1.0, "withdrawn")),
    "cancelled": ((0.7, "rejected"), (1.0, "withdrawn")),
}
_OTHER_APPLICATION = {
    "confirmed": ((0.8, "rejected"), (1.0, "withdrawn")),
    "hold": ((0.6, "pending"), (0.85, "rejected"), (1.0, "withdrawn")),
    "draft": ((0.6, "pending"), (0.85, "rejected"), (1.0, "withdrawn")),
    "cancelled": ((0.7, "rejected"), (1.0, "withdrawn")),
}
MAX_APPLICATIONS_PER_EVENT = 8
VENUE_DAY_STATUSES = ("open", "closed", "hold")
VENUE_DAY_CUM = (70, 90, 100)
AVAILABILITY_STATUSES = ("available", "unavailable", "tentative")
AVAILABILITY_CUM = (60, 85, 100)

Chunks = Iterator[tuple[int, str]]


@dataclass
class World:
    """The scale, the seed, and what later tables need to know about earlier ones."""

    scale: Scale
    seed: int
    password_hash: str
    calendar: Calendar = field(init=False)
    venue_zone: array[int] = field(default_factory=lambda: array("b", [0]))
    member_count: int = 0
    # One entry per event (index = id - 1): its night, its slot within the night, its
    # status (index into EVENT_STATUSES) and its venue.
    event_day: array[int] = field(default_factory=lambda: array("i"))
    event_slot: array[int] = field(default_factory=lambda: array("i"))
    event_status: array[int] = field(default_factory=lambda: array("b"))
    event_venue: array[int] = field(default_factory=lambda: array("i"))
    # The most events any night has: the accepted-band rotation advances by this much.
    slots_per_night: int = 1

    def __post_init__(self) -> None:
        self.calendar = Calendar([zone for zone, _ in words.ZONES])

    def rng(self, table: str) -> random.Random:
        """The random stream of one table (string seeds hash the same in every process)."""
        # Reproducible test data, not secrets: a seeded PRNG is exactly what is wanted.
        return random.Random(f"{self.seed}:{table}")  # noqa: S311

    @property
    def first_member_user(self) -> int:
        """Users from this id on are ordinary people who play in bands."""
        return 2 * self.scale.staffed_venues + 2


def batched(lines: Iterator[str]) -> Chunks:
    """Group rows into (row count, text) chunks big enough to make COPY cheap per row."""
    while batch := list(islice(lines, CHUNK_ROWS)):
        yield len(batch), "".join(batch)


def users(world: World) -> Iterator[str]:
    """The superuser, the venue staff (who share the known password), then everyone else."""
    rng = world.rng("users")
    hashed = world.password_hash
    yield f"1\tbench-admin@example.com\tBench Admin\t{hashed}\tt\tt\n"
    yield f"2\tbench-manager@example.com\tBench Manager\t{hashed}\tt\tf\n"
    for user_id in range(3, world.first_member_user):
        yield f"{user_id}\tbench-staff-{user_id}@example.com\tStaff {user_id}\t{hashed}\tt\tf\n"
    first, last, domains = words.FIRST_NAMES, words.LAST_NAMES, words.EMAIL_DOMAINS
    for user_id in range(world.first_member_user, world.scale.users + 1):
        given = first[int(rng.random() * len(first))]
        family = last[int(rng.random() * len(last))]
        active = "f" if rng.random() < 0.02 else "t"
        email = f"{given}.{family}.{user_id}@{domains[user_id % len(domains)]}".lower()
        yield f"{user_id}\t{email}\t{given} {family}\t{NULL}\t{active}\tf\n"


def venues(world: World) -> Iterator[str]:
    """Venues spread over a handful of zones, each in a city of its zone."""
    rng = world.rng("venues")
    for venue_id in range(1, world.scale.venues + 1):
        zone_index = rng.randrange(len(words.ZONES))
        zone, cities = words.ZONES[zone_index]
        world.venue_zone.append(zone_index)
        name = f"The {rng.choice(words.ADJECTIVES)} {rng.choice(words.VENUE_KINDS)}"
        address = f"{rng.randint(1, 400)} {rng.choice(words.STREETS)}"
        capacity = rng.choice((80, 120, 200, 350, 500, 800, 1200, 2000))
        city = rng.choice(cities)
        yield f"{venue_id}\t{name}\t{city}\t{address}\t{zone}\t{capacity}\n"


def operating_hours(world: World) -> Iterator[str]:
    """Four to seven open weekdays per venue; most close after midnight."""
    rng = world.rng("venue_operating_hours")
    row_id = 0
    for venue_id in range(1, world.scale.venues + 1):
        opens = rng.choice(("18:00", "19:00", "20:00"))
        for weekday in sorted(rng.sample(range(7), rng.randint(4, 7))):
            row_id += 1
            closes = rng.choice(("23:00", "00:00", "01:00", "02:00"))
            yield f"{row_id}\t{venue_id}\t{weekday}\t{opens}\t{closes}\n"


def venue_staff(world: World) -> Iterator[str]:
    """Venue n (n <= staffed venues) has manager user 2n and staff user 2n + 1."""
    for venue_id in range(1, world.scale.staffed_venues + 1):
        yield f"{2 * venue_id - 1}\t{venue_id}\t{2 * venue_id}\tmanager\n"
        yield f"{2 * venue_id}\t{venue_id}\t{2 * venue_id + 1}\tstaff\n"


def bands(world: World) -> Iterator[str]:
    """Bands with made-up names; a few have a description."""
    rng = world.rng("bands")
    adjectives, nouns, genres = words.ADJECTIVES, words.NOUNS, words.GENRES
    cities = [city for _, zone_cities in words.ZONES for city in zone_cities]
    for band_id in range(1, world.scale.bands + 1):
        article = "The " if rng.random() < 0.5 else ""
        name = f"{article}{rng.choice(adjectives)} {rng.choice(nouns)}"
        genre = rng.choice(genres)
        description = f"A {genre} band." if rng.random() < 0.2 else NULL
        yield f"{band_id}\t{name}\t{genre}\t{rng.choice(cities)}\t{description}\n"


def band_members(world: World) -> Iterator[str]:
    """Two to five distinct members per band; a person may play in several bands."""
    rng = world.rng("band_members")
    first_user = world.first_member_user
    pool = world.scale.users - first_user + 1
    # Members are first + i * step (mod pool) for i < 5: distinct while 4 * step < pool.
    max_step = (pool - 1) // 4
    member_id = 0
    for band_id in range(1, world.scale.bands + 1):
        base = rng.randrange(pool)
        step = rng.randint(1, max_step)
        for i in range(rng.randint(2, 5)):
            member_id += 1
            user_id = first_user + (base + i * step) % pool
            instrument = words.INSTRUMENTS[(base + i) % len(words.INSTRUMENTS)]
            yield f"{member_id}\t{band_id}\t{user_id}\t{instrument}\n"
    world.member_count = member_id


def events(world: World) -> Iterator[str]:
    """Events night by night (ids follow time), at most one per venue and night.

    One event per venue and night, 19:00-21:00 local for 2-4 hours, means two events of a
    venue never overlap, so confirmed ones satisfy the exclusion constraint by design.
    """
    rng = world.rng("events")
    scale, calendar = world.scale, world.calendar
    titles = [f"{a} {n} {k}" for a in words.ADJECTIVES for n in words.NOUNS[:8]
              for k in words.EVENT_KINDS]  # fmt: skip
    first_weekday = START.weekday()
    weights = [WEEKDAY_WEIGHTS[(first_weekday + day) % 7] for day in range(DAYS)]
    total_weight = sum(weights)
    codes, cum = range(len(EVENT_STATUSES)), EVENT_STATUS_CUM
    venue_ids = range(1, scale.venues + 1)
    zone_of, show_time, at_noon = world.venue_zone, calendar.show_time, calendar.at_noon
    event_id = placed = 0
    running = 0.0
    for day in range(DAYS):
        running += weights[day]
        # Cumulative rounding: nightly counts follow the weights and sum to the target.
        tonight = round(scale.events * running / total_weight) - placed
        placed += tonight
        world.slots_per_night = max(world.slots_per_night, tonight)
        statuses = rng.choices(codes, cum_weights=cum, k=tonight)
        for slot, venue_id in enumerate(rng.sample(venue_ids, tonight)):
            event_id += 1
            code = statuses[slot]
            x, y = rng.random(), rng.random()
            shape = int(x * 9)  # start hour 19-21 and length 2-4 hours
            start_hour = 19 + shape // 3
            zone = zone_of[venue_id]
            starts = show_time(zone, day, start_hour)
            ends = show_time(zone, day, start_hour + 2 + shape % 3)
            status = EVENT_STATUSES[code]
            rank = HOLD_RANKS[int(y * 10)] if code == 1 else NULL
            title = titles[int(y * len(titles))]
            description = "Doors open 30 minutes before the show." if x > 0.9 else NULL
            created = at_noon(day - 7 - int(y * 100_000) % 170)
            world.event_day.append(day)
            world.event_slot.append(slot)
            world.event_status.append(code)
            world.event_venue.append(venue_id)
            yield (
                f"{event_id}\t{venue_id}\t{title}\t{description}\t{starts}\t{ends}\t"
                f"{status}\t{rank}\t{created}\t{created}\n"
            )


def _applications_per_event(world: World, rng: random.Random) -> bytearray:
    """A random count per event (0..8) that adds up to exactly the target."""
    count, target = world.scale.events, world.scale.applications
    high = min(MAX_APPLICATIONS_PER_EVENT, max(1, round(2 * target / count)))
    counts = bytearray(rng.choices(range(high + 1), k=count))
    missing = target - sum(counts)
    while missing:
        i = rng.randrange(count)
        if missing > 0 and counts[i] < MAX_APPLICATIONS_PER_EVENT:
            counts[i] += 1
            missing -= 1
        elif missing < 0 and counts[i] > 0:
            counts[i] -= 1
            missing += 1
    return counts


def _pick(roll: float, table: tuple[tuple[float, str], ...]) -> str:
    for threshold, status in table:
        if roll < threshold:
            return status
    return table[-1][1]


def applications(world: World) -> Iterator[str]:
    """Applications unique per (event, band), decided before the show when not pending.

    The first applicant of the event in slot s on night d is band (d * S + s) mod B + 1,
    S being the busiest night's event count. Within a night, and between neighbouring
    nights (the only ones whose shows can overlap across zones), those bands differ, so no
    band is accepted for two overlapping shows. The other applicants are the first one
    plus multiples of a per-event step, which keeps them distinct.
    """
    rng = world.rng("event_applications")
    band_count, per_night = world.scale.bands, world.slots_per_night
    if band_count < 2 * per_night or world.scale.applications > 8 * world.scale.events:
        raise ValueError("scale needs bands >= 2 x the busiest night and <= 8 applications/event")
    counts = _applications_per_event(world, rng)
    max_step = (band_count - 1) // MAX_APPLICATIONS_PER_EVENT
    staffed, at_noon, messages = world.scale.staffed_venues, world.calendar.at_noon, words.MESSAGES
    day_of, slot_of, status_of, venue_of = (
        world.event_day, world.event_slot, world.event_status, world.event_venue,
    )  # fmt: skip
    application_id = 0
    for index, count in enumerate(counts):
        if not count:
            continue
        event_id, day, event_status = index + 1, day_of[index], EVENT_STATUSES[status_of[index]]
        venue_id = venue_of[index]
        decider = str(2 * venue_id) if venue_id <= staffed else NULL
        first_band = (day * per_night + slot_of[index]) % band_count
        step = 1 + int(rng.random() * max_step)
        first_table = _FIRST_APPLICATION[event_status]
        other_table = _OTHER_APPLICATION[event_status]
        for i in range(count):
            application_id += 1
            roll, when = rng.random(), rng.random()
            status = _pick(roll, first_table if i == 0 else other_table)
            applied_day = day - 30 - int(when * 90)
            created = at_noon(applied_day)
            message = messages[int(roll * 100) % len(messages)] if when < 0.3 else NULL
            if status == "pending":
                decided = by = NULL
                updated = created
            else:
                decided = updated = at_noon(applied_day + 1 + int(when * 10_000) % 25)
                by = NULL if status == "withdrawn" else decider
            band_id = (first_band + i * step) % band_count + 1
            yield (
                f"{application_id}\t{event_id}\t{band_id}\t{status}\t{message}\t"
                f"{decided}\t{by}\t{created}\t{updated}\n"
            )


def _availability(
    rng: random.Random,
    owners: int,
    total: int,
    statuses: tuple[str, ...],
    cum_weights: tuple[int, ...],
    *,
    spread: bool,
    date_of: Callable[[int], str],
) -> Iterator[str]:
    """``total`` rows over owners 1..n, each owner on distinct dates.

    An owner with c rows gets dates start + i * stride + jitter (jitter < stride), which
    are strictly increasing, hence unique per owner. ``spread`` uses the widest stride (a
    venue's marks cover the ten years); otherwise a stride of 1-7 days packs them into
    a season, as a band's tour would.
    """
    per_owner, extra = divmod(total, owners)
    row_id = 0
    for owner in range(1, owners + 1):
        count = per_owner + (owner <= extra)
        if not count:
            continue
        widest = DAYS // count
        stride = widest if spread else 1 + int(rng.random() * min(widest, 7))
        start = int(rng.random() * (DAYS - count * stride + 1))
        marks = rng.choices(statuses, cum_weights=cum_weights, k=count)
        for i in range(count):
            row_id += 1
            day = start + i * stride + int(rng.random() * stride)
            status = marks[i]
            note = words.AVAILABILITY_NOTES[row_id % 5] if status == statuses[1] else NULL
            yield f"{row_id}\t{owner}\t{date_of(day)}\t{status}\t{note}\n"


def venue_availability(world: World) -> Iterator[str]:
    """Open / closed / held days, spread over each venue's ten years."""
    return _availability(
        world.rng("venue_availabilities"), world.scale.venues,
        world.scale.venue_availability, VENUE_DAY_STATUSES, VENUE_DAY_CUM,
        spread=True, date_of=world.calendar.date,
    )  # fmt: skip


def band_availability(world: World) -> Iterator[str]:
    """Each band's answers, packed into a season."""
    return _availability(
        world.rng("band_availabilities"), world.scale.bands,
        world.scale.band_availability, AVAILABILITY_STATUSES, AVAILABILITY_CUM,
        spread=False, date_of=world.calendar.date,
    )  # fmt: skip


def member_availability(world: World) -> Iterator[str]:
    """Each band member's answers, packed into a season."""
    return _availability(
        world.rng("band_member_availabilities"), world.member_count,
        world.scale.member_availability, AVAILABILITY_STATUSES, AVAILABILITY_CUM,
        spread=False, date_of=world.calendar.date,
    )  # fmt: skip


@dataclass(frozen=True)
class Table:
    """A table to load: its name, the columns the rows fill, and the row generator."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[World], Iterator[str]]


# Parents before children: the foreign keys are checked as rows arrive.
TABLES = (
    Table("users", ("id", "email", "full_name", "password_hash", "is_active", "is_superuser"),
          users),
    Table("venues", ("id", "name", "city", "address", "timezone", "capacity"), venues),
    Table("venue_operating_hours", ("id", "venue_id", "weekday", "opens_at", "closes_at"),
          operating_hours),
    Table("venue_staff", ("id", "venue_id", "user_id", "role"), venue_staff),
    Table("bands", ("id", "name", "genre", "city", "description"), bands),
    Table("band_members", ("id", "band_id", "user_id", "instrument"), band_members),
    Table("events", ("id", "venue_id", "title", "description", "starts_at", "ends_at",
                     "status", "hold_rank", "created_at", "updated_at"), events),
    Table("event_applications", ("id", "event_id", "band_id", "status", "message",
                                 "decided_at", "decided_by_id", "created_at", "updated_at"),
          applications),
    Table("venue_availabilities", ("id", "venue_id", "date", "status", "note"),
          venue_availability),
    Table("band_availabilities", ("id", "band_id", "date", "status", "note"),
          band_availability),
    Table("band_member_availabilities", ("id", "band_member_id", "date", "status", "note"),
          member_availability),
)  # fmt: skip
