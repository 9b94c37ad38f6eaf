"""Reading a bulk selection and wording its summary (the deciding itself is tested over
HTTP in test_decisions_http.py and under races in test_decisions_races.py)."""

from __future__ import annotations

import pytest

from admin_app.booking_bulk import (
    MAX_SELECTED,
    SUMMARY_REFUSALS,
    BulkOutcome,
    Selected,
    SelectionError,
    parse_selection,
)


def test_a_selection_is_deduplicated_in_id_order_with_versions() -> None:
    selection = parse_selection(["12:3", "4", " 12:5 ", "", "x1", "7:", "-3", "9:a"])
    assert selection.rows == (Selected(4, None), Selected(7, None), Selected(12, 3))
    assert selection.unreadable == ("x1", "-3", "9:a")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "Select at least one application"),
        (["", " "], "Select at least one application"),
        ([str(n) for n in range(MAX_SELECTED + 1)], f"decide at most {MAX_SELECTED} at a time"),
    ],
)
def test_a_selection_refused_as_a_whole(values: list[str], message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        parse_selection(values)


def test_exactly_the_cap_is_allowed() -> None:
    assert len(parse_selection([str(n) for n in range(1, MAX_SELECTED + 1)]).rows) == MAX_SELECTED


def test_the_summary_names_the_first_refusals_and_counts_the_rest() -> None:
    outcome = BulkOutcome(done=["A → X", "B → Y", "C → Z"])
    assert outcome.summary("Accepted") == "Accepted 3."
    outcome.refused = [("Band X → Event Y", "Band X is already booked elsewhere at that time.")]
    outcome.refused.append(("#99", "not found"))
    assert outcome.summary("Accepted") == (
        "Accepted 3. Refused 2: Band X → Event Y: Band X is already booked elsewhere at that "
        "time; #99: not found."
    )
    outcome.refused = [(f"#{n}", "not found") for n in range(SUMMARY_REFUSALS + 5)]
    text = outcome.summary("Rejected")
    assert text.startswith(f"Rejected 3. Refused {SUMMARY_REFUSALS + 5}: #0: not found;")
    assert text.endswith("; and 5 more.")
    assert f"#{SUMMARY_REFUSALS}:" not in text
