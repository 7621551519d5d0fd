"""Examples for the anonymity gate: the four shapes of breakdown Rapport shows, and misuse."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.analytics.suppression import (
    Cell,
    Decision,
    Measure,
    SuppressionPolicy,
    SuppressionReason,
    check_complement,
    suppress,
)
from rapport.domain.org import PersonKind

POLICY = SuppressionPolicy()
BELOW = SuppressionReason.BELOW_THRESHOLD
COMPLEMENT = SuppressionReason.COMPLEMENTARY


def hidden(decisions: dict[str, Decision]) -> dict[str, SuppressionReason | None]:
    return {key: d.reason for key, d in decisions.items() if d.suppressed}


def employee_scores(cells: list[Cell], **kwargs: object) -> dict[str, Decision]:
    return suppress(cells, POLICY, audience="employee", measure="scores", **kwargs)  # type: ignore[arg-type]


# --- case 1: the unit tree -----------------------------------------------------------------


def test_region_with_one_small_store_hides_the_next_smallest_store() -> None:
    decisions = employee_scores(
        [
            Cell("north", 40),
            Cell("north/s1", 20, "north"),
            Cell("north/s2", 17, "north"),
            Cell("north/s3", 3, "north"),
        ]
    )
    assert hidden(decisions) == {"north/s3": BELOW, "north/s2": COMPLEMENT}
    assert decisions["north"].revealed
    assert decisions["north/s1"].revealed


def test_responses_attached_to_the_region_itself_count_as_hidden() -> None:
    # 3 people answer at region level: with every store shown, north - stores = those 3.
    cells = [
        Cell("north", 40),
        Cell("north/s1", 15, "north"),
        Cell("north/s2", 12, "north"),
        Cell("north/s3", 10, "north"),
    ]
    assert hidden(employee_scores(cells)) == {"north/s3": COMPLEMENT}


def test_a_large_enough_remainder_protects_a_single_small_store() -> None:
    cells = [
        Cell("north", 40),
        Cell("north/s1", 20, "north"),
        Cell("north/s2", 17, "north"),
        Cell("north/s3", 2, "north"),  # 2 + 1 at region level: still too few
    ]
    assert hidden(employee_scores(cells)) == {"north/s3": BELOW, "north/s2": COMPLEMENT}
    cells[1] = Cell("north/s1", 15, "north")  # now 2 + 6 at region level are hidden together
    assert hidden(employee_scores(cells)) == {"north/s3": BELOW}


def test_a_hidden_region_does_not_hide_its_visible_stores_from_the_company() -> None:
    # south is hidden to protect the company remainder, but its stores are visible, so the
    # company's gap must be measured past south, through to its stores.
    cells = [
        Cell("acme", 100),
        Cell("acme/north", 90, "acme"),
        Cell("acme/south", 8, "acme"),
        Cell("acme/south/s1", 8, "acme/south"),
    ]
    assert hidden(employee_scores(cells)) == {
        "acme/south": COMPLEMENT,
        "acme/south/s1": COMPLEMENT,
    }


def test_a_group_exactly_covered_by_visible_subgroups_is_hidden_with_them() -> None:
    cells = [
        Cell("r", 16),  # 2 respondents at r itself
        Cell("r/a", 6, "r"),
        Cell("r/a/team", 6, "r/a"),  # r/a is exactly its team: hiding r/a alone is useless
        Cell("r/b", 8, "r"),
    ]
    assert hidden(employee_scores(cells)) == {"r/a": COMPLEMENT, "r/a/team": COMPLEMENT}


def test_ties_are_broken_by_key_whatever_the_input_order() -> None:
    cells = [
        Cell("u", 24),
        Cell("u/b", 10, "u"),
        Cell("u/a", 10, "u"),
        Cell("u/c", 4, "u"),
    ]
    assert hidden(employee_scores(cells)) == {"u/c": BELOW, "u/a": COMPLEMENT}
    assert employee_scores(cells[::-1]) == employee_scores(cells)


def test_one_hidden_child_is_never_the_only_hidden_part_of_a_shown_parent() -> None:
    cells = [Cell("u", 30), *(Cell(f"u/{i}", n, "u") for i, n in enumerate([9, 8, 7, 4, 2]))]
    decisions = employee_scores(cells)
    hidden_n = sum(d.n for d in decisions.values() if d.suppressed)
    assert hidden(decisions) == {"u/3": BELOW, "u/4": BELOW}
    assert hidden_n >= 5


# --- case 2: a filtered view against the unfiltered unit ------------------------------------


@pytest.mark.parametrize(
    ("cashiers", "shown", "reason"),
    [(17, False, COMPLEMENT), (15, True, None), (20, True, None), (4, False, BELOW)],
)
def test_filtered_view_is_shown_only_if_its_complement_is_safe(
    cashiers: int, shown: bool, reason: SuppressionReason | None
) -> None:
    unit = employee_scores([Cell("x", 20)])["x"]
    view = employee_scores([Cell("x?role=cashier", cashiers, "x")], within=[unit])
    assert view["x?role=cashier"].revealed is shown
    assert view["x?role=cashier"].reason is reason
    assert check_complement(cashiers, 20, POLICY) is shown


def test_check_complement_uses_the_measure_threshold() -> None:
    assert check_complement(8, 16, POLICY)
    assert not check_complement(8, 16, POLICY, measure=Measure.COMMENTS)
    assert check_complement(10, 10, POLICY, measure="comments")


@pytest.mark.parametrize(("group", "parent"), [(-1, 5), (6, 5), (True, 5), (2, 2.0)])
def test_check_complement_rejects_impossible_counts(group: object, parent: object) -> None:
    with pytest.raises(ValueError, match="n_"):
        check_complement(group, parent, POLICY)  # type: ignore[arg-type]


# --- case 3: attribute bands within a unit ---------------------------------------------------


def test_tenure_bands_within_a_unit() -> None:
    unit = employee_scores([Cell("acme/north/s1", 20)])["acme/north/s1"]
    bands = [
        Cell("s1?tenure=<1y", 6, "acme/north/s1"),
        Cell("s1?tenure=1-3y", 12, "acme/north/s1"),
        Cell("s1?tenure=3y+", 2, "acme/north/s1"),
    ]
    decisions = employee_scores(bands, within=[unit])
    assert hidden(decisions) == {"s1?tenure=3y+": BELOW, "s1?tenure=<1y": COMPLEMENT}


def test_breakdown_of_a_hidden_group_is_hidden_entirely() -> None:
    tree = employee_scores(
        [Cell("r", 22), Cell("r/a", 12, "r"), Cell("r/b", 7, "r"), Cell("r/c", 3, "r")]
    )
    assert tree["r/b"].reason is COMPLEMENT
    bands = employee_scores(
        [Cell("r/b?band=1", 7, "r/b")], within=[tree["r/b"]]
    )  # 7 of 7: would rebuild r/b
    assert hidden(bands) == {"r/b?band=1": COMPLEMENT}


# --- case 4: periods under a total ---------------------------------------------------------


def test_months_under_the_year() -> None:
    cells = [
        Cell("2024", 60),
        Cell("2024-01", 20, "2024"),
        Cell("2024-02", 20, "2024"),
        Cell("2024-03", 16, "2024"),
        Cell("2024-04", 4, "2024"),
    ]
    assert hidden(employee_scores(cells)) == {"2024-04": BELOW, "2024-03": COMPLEMENT}


# --- policy, audiences, measures ------------------------------------------------------------


@pytest.mark.parametrize("setting", ["min_scores", "min_comments"])
@pytest.mark.parametrize("value", [2, 1, 0, -5])
def test_thresholds_below_three_are_rejected(setting: str, value: int) -> None:
    with pytest.raises(ValueError, match=f"SuppressionPolicy.{setting} must be at least 3"):
        SuppressionPolicy(**{setting: value})  # type: ignore[arg-type]


def test_threshold_of_three_is_the_floor_and_allowed() -> None:
    policy = SuppressionPolicy(min_scores=3, min_comments=3)
    assert policy.threshold("scores") == policy.threshold(Measure.COMMENTS) == 3


def test_thresholds_must_be_integers() -> None:
    with pytest.raises(TypeError, match="min_scores"):
        SuppressionPolicy(min_scores=5.5)  # type: ignore[arg-type]


def test_employee_protection_cannot_be_switched_off() -> None:
    with pytest.raises(ValueError, match="protected_audiences must include 'employee'"):
        SuppressionPolicy(protected_audiences=frozenset({PersonKind.CUSTOMER}))


def test_customer_results_pass_through_unsuppressed() -> None:
    cells = [Cell("north", 6), Cell("north/s1", 5, "north"), Cell("north/s2", 1, "north")]
    decisions = suppress(cells, POLICY, audience=PersonKind.CUSTOMER, measure="scores")
    assert all(d.revealed and d.reason is None for d in decisions.values())
    assert decisions["north/s2"].audience is PersonKind.CUSTOMER


def test_the_survey_audience_enum_is_accepted() -> None:
    from rapport.domain.survey import Audience

    decisions = suppress([Cell("u", 2)], POLICY, audience=Audience.EMPLOYEE, measure="scores")
    assert decisions["u"].audience is PersonKind.EMPLOYEE
    assert decisions["u"].suppressed


def test_customer_protection_can_be_switched_on() -> None:
    policy = SuppressionPolicy(protected_audiences=frozenset({"employee", "customer"}))  # type: ignore[arg-type]
    decisions = suppress([Cell("key-account", 2)], policy, audience="customer", measure="scores")
    assert decisions["key-account"].reason is BELOW


def test_comments_need_bigger_groups_than_scores() -> None:
    cells = [Cell("u", 7)]
    assert suppress(cells, POLICY, audience="employee", measure="scores")["u"].revealed
    comments = suppress(cells, POLICY, audience="employee", measure="comments")["u"]
    assert comments.reason is BELOW
    assert comments.measure is Measure.COMMENTS


def test_configured_threshold_is_used() -> None:
    policy = SuppressionPolicy(min_scores=8)
    decisions = suppress([Cell("u", 7)], policy, audience="employee", measure="scores")
    assert decisions["u"].reason is BELOW


# --- misuse is refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([Cell("s1", 5, "north")], "names parent 'north', which is neither"),
        ([Cell("a", 5), Cell("a", 6)], "key 'a' appears more than once"),
        ([Cell("u", 10), Cell("u/a", 6, "u"), Cell("u/b", 6, "u")], "add up to 12"),
        ([Cell("a", 5, "b"), Cell("b", 5, "a")], "cycle"),
    ],
)
def test_inconsistent_hierarchies_are_refused(cells: list[Cell], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        employee_scores(cells)


@pytest.mark.parametrize(
    ("key", "n", "parent"),
    [("", 5, None), ("a", -1, None), ("a", True, None), ("a", 2.0, None), ("a", 5, "a")],
)
def test_malformed_cells_are_refused(key: str, n: int, parent: str | None) -> None:
    with pytest.raises(ValueError, match=r"Cell|n must be"):
        Cell(key, n, parent)


def test_unknown_audience_and_measure_are_refused() -> None:
    with pytest.raises(ValueError, match="audience must be one of 'customer', 'employee'"):
        suppress([Cell("u", 9)], POLICY, audience="staff", measure="scores")
    with pytest.raises(ValueError, match="measure"):
        suppress([Cell("u", 9)], POLICY, audience="employee", measure="verbatims")


def test_within_decisions_must_match_the_call() -> None:
    comments = suppress([Cell("u", 12)], POLICY, audience="employee", measure="comments")["u"]
    with pytest.raises(ValueError, match="made for employee comments, not employee scores"):
        employee_scores([Cell("u?band=1", 6, "u")], within=[comments])
    customer = suppress([Cell("u", 12)], POLICY, audience="customer", measure="scores")["u"]
    with pytest.raises(ValueError, match="customer"):
        employee_scores([Cell("u?band=1", 6, "u")], within=[customer])


def test_a_key_cannot_be_both_a_cell_and_a_within_parent() -> None:
    unit = employee_scores([Cell("u", 12)])["u"]
    with pytest.raises(ValueError, match="key 'u' appears more than once"):
        employee_scores([Cell("u", 12)], within=[unit])


def test_numpy_counts_are_accepted_as_plain_ints() -> None:
    cell = Cell("u", np.int64(7))  # type: ignore[arg-type]
    assert type(cell.n) is int


def test_results_keep_input_order_and_counts() -> None:
    cells = [Cell("z", 9), Cell("a", 9)]
    decisions = employee_scores(cells)
    assert list(decisions) == ["z", "a"]
    assert decisions["z"] == Decision("z", 9, True, None, Measure.SCORES, PersonKind.EMPLOYEE)
