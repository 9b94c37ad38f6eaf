"""The calendar conflict rules of admin_app.conflicts, as pure functions (no database)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from admin_app.calendars.venue import OpeningHours
from admin_app.conflicts import CLOSED_DAY, OUTSIDE_HOURS, DayRules, day_conflicts, day_reasons
from admin_app.localtime import to_utc

BERLIN = "Europe/Berlin"
NIGHT = date(2026, 12, 12)  # a Saturday
LATE = OpeningHours(time(19), time(2))  # past midnight


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(datetime.combine(day, time(hour, minute)), BERLIN)


def rules(**kw: object) -> DayRules:
    values: dict[str, object] = {"hours": LATE, "has_any_hours": True} | kw
    return DayRules(NIGHT, BERLIN, **values)  # type: ignore[arg-type]


NEXT = date(2026, 12, 13)


@pytest.mark.parametrize(
    ("start", "end", "outside"),
    [
        (at(NIGHT, 19), at(NEXT, 2), False),  # exactly the hours, across midnight
        (at(NIGHT, 23), at(NEXT, 1, 30), False),
        (at(NIGHT, 18, 30), at(NIGHT, 22), True),  # starts before opening
        (at(NIGHT, 23), at(NEXT, 2, 30), True),  # ends after closing
    ],
)
def test_hours_past_midnight(start: datetime, end: datetime, outside: bool) -> None:
    found = day_conflicts(rules(), start, end)
    assert (found != []) is outside
    if outside:
        [(kind, reason)] = found
        assert kind == OUTSIDE_HOURS
        assert reason.endswith("is outside the opening hours 19:00-02:00 (Europe/Berlin).")


def test_a_closed_mark_is_named_with_its_note() -> None:
    found = day_conflicts(rules(mark="closed", note="Private hire"), at(NIGHT, 20), at(NIGHT, 23))
    assert found == [(CLOSED_DAY, "Sat 12 Dec 2026 is marked closed (Private hire).")]
    assert day_reasons(rules(mark="closed"), at(NIGHT, 20), at(NIGHT, 23)) == [
        "Sat 12 Dec 2026 is marked closed."
    ]


def test_no_hours_that_weekday_and_what_an_open_mark_or_no_hours_at_all_mean() -> None:
    show = (at(NIGHT, 20), at(NIGHT, 23))
    assert day_reasons(rules(hours=None), *show) == [
        "The venue has no opening hours on Saturdays (Sat 12 Dec 2026)."
    ]
    # Marked open by staff: open that night, whatever the weekly hours say.
    assert day_reasons(rules(hours=None, mark="open"), *show) == []
    # A venue that never entered hours is not checked against them.
    assert day_reasons(rules(hours=None, has_any_hours=False), *show) == []


def test_the_night_the_clocks_go_forward() -> None:
    """Berlin, 29 Mar 2026: 02:00 becomes 03:00, so hours 19:00-02:30 end at 03:00."""
    night = date(2026, 3, 28)
    hours = OpeningHours(time(19), time(2, 30))
    spring = DayRules(night, BERLIN, hours=hours, has_any_hours=True)
    end = at(date(2026, 3, 29), 3)
    assert day_reasons(spring, at(night, 20), end) == []
    assert day_reasons(spring, at(night, 20), at(date(2026, 3, 29), 3, 30)) != []
