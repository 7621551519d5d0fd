"""The metrics service on SQLite and PostgreSQL: permissions, suppression, scope, errors."""

from __future__ import annotations

import pytest

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.comment_emotions import EKMAN_EMOTIONS
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.errors import NotFound, PermissionDenied, ValidationFailed
from rapport.services import metrics
from tests.integration.test_metrics_data import seed

#: The seeded employees answer in January and February 2026: reported by closed quarter, all
#: of them fall in 2026-Q1, so by-unit figures count every one of them.
POLICY = SuppressionPolicy(period="quarter")
MONTHLY = SuppressionPolicy(period="month")
MANAGER = Principal("user", 2, "north@example.com", Role.MANAGER, unit_path="acme/north")
VIEWER = Principal("user", 3, "viewer", Role.VIEWER)


@pytest.fixture
def engine(db):
    seed(db)
    analytics = OperationalEngine(db.engine)
    yield analytics
    analytics.dispose()


def by_unit(result: metrics.MetricResult) -> dict[str, metrics.ResultRow]:
    return {row.unit_code: row for row in result.rows}


def test_employee_units_are_suppressed_over_the_whole_tree(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "enps", by=["unit"])
    rows = by_unit(metrics.compute(engine, SYSTEM, request, POLICY))
    assert {c: (r.n, r.suppressed, r.reason) for c, r in rows.items()} == {
        "acme": (40, False, None),
        "north": (20, False, None),
        "north-1": (12, False, None),
        "north-2": (6, True, "complementary"),
        "north-3": (2, True, "below_threshold"),
        "south": (20, False, None),
        "south-1": (20, False, None),
    }
    hidden = rows["north-3"]
    assert (hidden.value, hidden.lower, hidden.upper, hidden.detail) == (None, None, None, {})
    assert rows["north-1"].value is not None and rows["north-1"].lower is not None


def test_a_manager_sees_their_subtree_with_the_same_decisions(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "hearts", by=["unit"])
    everyone = by_unit(metrics.compute(engine, SYSTEM, request, POLICY))
    mine = by_unit(metrics.compute(engine, MANAGER, request, POLICY))
    assert set(mine) == {"north", "north-1", "north-2", "north-3"}
    for code, row in mine.items():
        assert row == everyone[code]


def test_a_manager_without_unit_grouping_gets_their_own_unit(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "enps", period="month")
    rows = metrics.compute(engine, MANAGER, request, MONTHLY).rows
    assert {r.unit_code for r in rows} == {"north"}
    assert [r.period_label for r in rows] == ["2026-01", "2026-02"]
    assert sum(r.n for r in rows) == 20


def test_a_manager_cannot_ask_for_another_subtree(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "enps", unit="south")
    with pytest.raises(PermissionDenied):
        metrics.compute(engine, MANAGER, request, POLICY)


def test_unit_by_month_hides_a_store_month_that_a_region_month_would_expose(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "enps", by=["unit"], period="month")
    result = metrics.compute(engine, VIEWER, request, MONTHLY)
    assert result.closed_period == "month"
    cell = {(r.unit_code, r.period_label): r for r in result.rows}
    # Each closed month is decided on its own (nothing is summed over months, so no unit
    # total over time is there to subtract a month from). north-3's two answers fall one in
    # each month: hidden, and so must be enough of north's stores in each month that north's
    # month minus its shown stores is 0 or ≥ 5.
    assert {p for _, p in cell} == {"2026-01", "2026-02"}
    for month in ("2026-01", "2026-02"):
        region = cell[("north", month)]
        shown = [cell[(s, month)] for s in ("north-1", "north-2", "north-3")]
        gap = region.n - sum(s.n for s in shown if not s.suppressed)
        assert region.suppressed or gap == 0 or gap >= 5
        assert cell[("north-3", month)].suppressed


def test_employee_results_need_the_policy_grain_and_one_survey(engine) -> None:
    for grain in ("week", "month", "year"):
        request = metrics.MetricRequest("employee-relationship", "enps", period=grain)
        with pytest.raises(ValidationFailed) as caught:
            metrics.compute(engine, SYSTEM, request, POLICY)
        assert caught.value.errors[0].location == "period"
    across = metrics.MetricRequest(None, "enps", audience="employee")
    with pytest.raises(ValidationFailed) as caught:
        metrics.compute(engine, SYSTEM, across, POLICY)
    assert caught.value.errors[0].location == "survey"


def test_a_window_selects_whole_closed_periods(engine) -> None:
    """``since``/``until`` pick the months they overlap; they never cut one."""
    from datetime import UTC, datetime

    request = metrics.MetricRequest("employee-relationship", "enps", by=["unit"])
    jan = metrics.MetricRequest(
        "employee-relationship", "enps", by=["unit"],
        since=datetime(2026, 1, 20, 13, 5, tzinfo=UTC), until=datetime(2026, 1, 21, tzinfo=UTC),
    )  # fmt: skip
    rows = metrics.compute(engine, VIEWER, jan, MONTHLY).rows
    assert {r.period_label for r in rows} == {"2026-01"}
    assert by_unit(metrics.compute(engine, VIEWER, jan, MONTHLY))["acme"].n == 20
    latest = metrics.compute(engine, VIEWER, request, MONTHLY).rows  # no window: latest month
    assert {r.period_label for r in latest} == {"2026-02"}


def test_customers_are_not_suppressed_but_flagged_as_too_few(engine) -> None:
    request = metrics.MetricRequest("customer-relationship", "nps", by=["unit"])
    result = metrics.compute(engine, SYSTEM, request, POLICY)
    rows = by_unit(result)
    assert result.anonymity_threshold is None
    assert not any(r.suppressed for r in rows.values())
    assert rows["south-1"].n == 3 and rows["south-1"].value is not None
    assert rows["south-1"].sufficiency == "not_enough_responses"
    assert rows["north-2"].sufficiency == "no_responses" and rows["north-2"].value is None


def test_without_a_survey_audiences_are_never_mixed(engine) -> None:
    request = metrics.MetricRequest(None, "responses")
    rows = metrics.compute(engine, SYSTEM, request, POLICY).rows
    assert {(r.audience, r.n) for r in rows} == {("customer", 33), ("employee", 40)}
    # Employee figures are never summed across surveys (one survey minus the sum would
    # give the others): shown per survey only.
    employee = next(r for r in rows if r.audience == "employee")
    assert (employee.suppressed, employee.reason) == (True, "cross_survey")


def test_emotion_shares_and_attribute_breakdown(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "emotions", attribute="role")
    rows = metrics.compute(engine, SYSTEM, request, POLICY).rows
    calm = {r.attribute: r for r in rows if r.emotion == "calm"}
    assert calm["cashier"].value == 100.0
    assert calm["cashier"].n + calm["advisor"].n == 40


def test_compare_two_units_and_refuse_nested_ones(engine) -> None:
    request = metrics.MetricRequest("customer-relationship", "csat_top2")
    found = metrics.compare(
        engine, SYSTEM, request, {"unit": "north-1"}, {"unit": "south-1"}, POLICY
    )
    assert found.difference is not None and found.difference.p_value is not None
    assert found.difference.estimate == pytest.approx(found.first.value - found.second.value)
    with pytest.raises(ValidationFailed):
        metrics.compare(engine, SYSTEM, request, {"unit": "north"}, {"unit": "north-1"}, POLICY)


def test_compare_two_periods_and_a_hidden_group(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "hearts", period="month")
    found = metrics.compare(
        engine, SYSTEM, request, {"period": "2026-02"}, {"period": "2026-01"}, MONTHLY
    )
    assert found.difference is not None and found.difference.method == "welch_t_test"
    hidden = metrics.compare(
        engine, SYSTEM, metrics.MetricRequest("employee-relationship", "enps"),
        {"unit": "north-3"}, {"unit": "south-1"}, POLICY,
    )  # fmt: skip
    assert (hidden.difference, hidden.suppressed, hidden.reason) == (None, True, "below_threshold")


def test_reliability_of_hearts(engine) -> None:
    found = metrics.reliability(engine, SYSTEM, "employee-relationship", "hearts", POLICY)
    assert found.reliability is not None and found.n == 40
    assert found.reliability.alpha.value is not None
    assert len(found.reliability.items) == 6
    small = metrics.reliability(
        engine, SYSTEM, "employee-relationship", "hearts", POLICY, unit="north-3"
    )
    assert (small.reliability, small.suppressed) == (None, True)


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (metrics.MetricRequest("nope", "nps"), NotFound),
        (metrics.MetricRequest("employee-relationship", "sales"), ValidationFailed),
        (metrics.MetricRequest("employee-relationship", "nps", by=["colour"]), ValidationFailed),
        (
            metrics.MetricRequest("employee-relationship", "nps", period="fortnight"),
            ValidationFailed,
        ),
        (metrics.MetricRequest("employee-relationship", "nps", attribute="a b"), ValidationFailed),
        (metrics.MetricRequest("employee-relationship", "csat_mean"), ValidationFailed),
        (
            metrics.MetricRequest("employee-relationship", "nps", audience="customer"),
            ValidationFailed,
        ),
        (metrics.MetricRequest("employee-relationship", "nps", unit="atlantis"), NotFound),
    ],
)
def test_bad_requests_name_the_problem(engine, request_, error) -> None:
    with pytest.raises(error) as caught:
        metrics.compute(engine, SYSTEM, request_, POLICY)
    if error is ValidationFailed:
        assert caught.value.errors and caught.value.errors[0].location


def test_nps_of_every_survey_keeps_audiences_apart(engine) -> None:
    rows = metrics.compute(engine, SYSTEM, metrics.MetricRequest(None, "nps"), POLICY).rows
    assert {(r.audience, r.n) for r in rows} == {("customer", 33), ("employee", 40)}


def test_a_segment_is_its_row_of_the_attribute_breakdown(engine) -> None:
    """Narrowing to ``role=advisor`` gives exactly the advisor rows of the by-role table,
    suppression decisions included (a small segment cannot be read off its complement)."""
    breakdown = metrics.MetricRequest(
        "employee-relationship", "hearts", by=["unit"], attribute="role"
    )
    segment = metrics.MetricRequest(
        "employee-relationship", "hearts", by=["unit"], segment="role=advisor"
    )
    advisors = {
        r.unit_code: r for r in metrics.compute(engine, SYSTEM, breakdown, POLICY).rows
        if r.attribute == "advisor"
    }  # fmt: skip
    narrowed = by_unit(metrics.compute(engine, SYSTEM, segment, POLICY))
    assert narrowed == advisors
    assert {r.attribute for r in narrowed.values()} == {"advisor"}
    assert narrowed["acme"].n == 14  # i % 3 == 0 for 14 of the 40 employees
    assert narrowed["north-3"].suppressed and narrowed["acme"].value is not None
    # The manager's view of a segment is the admin's, narrowed.
    mine = by_unit(metrics.compute(engine, MANAGER, segment, POLICY))
    assert mine == {code: row for code, row in narrowed.items() if code.startswith("north")}


@pytest.mark.parametrize(
    ("segment", "attribute"), [("role", None), ("=x", None), ("role=advisor", "tenure_band")]
)
def test_bad_segments_name_the_field(engine, segment, attribute) -> None:
    request = metrics.MetricRequest(
        "employee-relationship", "hearts", segment=segment, attribute=attribute
    )
    with pytest.raises(ValidationFailed) as caught:
        metrics.compute(engine, SYSTEM, request, POLICY)
    assert caught.value.errors[0].location == "segment"


def test_response_rate_cannot_be_cut_by_attribute(engine) -> None:
    request = metrics.MetricRequest("employee-relationship", "response_rate", attribute="role")
    with pytest.raises(ValidationFailed) as caught:
        metrics.compute(engine, SYSTEM, request, POLICY)
    assert caught.value.errors[0].location == "attribute"


def test_comment_emotions_use_the_comment_threshold(engine) -> None:
    """Comment-derived figures need 10 comments (scores need 5): a store with 6 employee
    comments is hidden on its own account, where its hearts index is hidden only as the
    complement of a smaller store; and 12 comments next to 8 hidden ones are hidden too,
    or the region's 20 minus them would show the 8."""
    request = metrics.MetricRequest("employee-relationship", "comment_emotions", by=["unit"])
    result = metrics.compute(engine, SYSTEM, request, POLICY)
    assert result.anonymity_threshold == 10
    anger = {r.unit_code: r for r in result.rows if r.emotion == "anger"}
    assert {c: (r.n, r.reason) for c, r in anger.items()} == {
        "acme": (40, None),
        "north": (20, None),
        "north-1": (12, "complementary"),
        "north-2": (6, "below_threshold"),
        "north-3": (2, "below_threshold"),
        "south": (20, None),
        "south-1": (20, None),
    }
    assert anger["north"].value == 100.0  # every comment reads as angry
    # Every Ekman emotion has a row; one that no comment shows is 0 %, not missing.
    company = {r.emotion: r.value for r in result.rows if r.unit_code == "acme"}
    assert set(company) == set(EKMAN_EMOTIONS)
    assert company["joy"] == 0.0
    hearts = metrics.MetricRequest("employee-relationship", "hearts", by=["unit"])
    assert by_unit(metrics.compute(engine, SYSTEM, hearts, POLICY))["north-2"].reason == (
        "complementary"
    )
