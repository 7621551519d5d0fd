"""The ROI arithmetic against hand-computed values, and its two intervals against each other."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from rapport.analytics.roi import PathEstimate, Scenario, path_estimate, roi

A = PathEstimate("employee hearts → customer hearts", 0.5, 0.1, 30)
B = PathEstimate("customer hearts → revenue", 0.8, 0.1, 30)


def test_employee_lever_by_hand() -> None:
    s = Scenario(rise=5, horizon=12, revenue=1e6, one_off_cost=50_000, lag=1)
    r = roi(s, B, A)
    # customer hearts +0.5·5 = 2.5 points; revenue ×exp(2.5·0.8/100) from month 2 on
    assert r.customer_rise.value == pytest.approx(2.5)
    assert r.revenue_pct.value == pytest.approx(2.0201340, abs=1e-6)
    assert r.revenue_change.value == pytest.approx(1e6 * 0.020201340 * 11, rel=1e-7)
    assert r.benefit.value == pytest.approx(222_214.74, abs=0.01)
    assert r.cost == 50_000
    assert r.roi.value == pytest.approx((222_214.74 - 50_000) / 50_000, rel=1e-7)
    # cumulative gain 20,201.34·(t − 1) reaches 50,000 at t = 1 + 50,000/20,201.34
    assert r.payback.value == pytest.approx(1 + 50_000 / 20_201.34, rel=1e-6)
    assert r.estimable and r.note is None and r.draws == 20_000
    for figure in (r.revenue_pct, r.roi, r.payback):
        assert figure.lower is not None and figure.upper is not None
        assert figure.lower < figure.value < figure.upper  # type: ignore[operator]


def test_per_period_cost_margin_and_never_paying_back() -> None:
    s = Scenario(
        rise=5, horizon=12, revenue=1e6, one_off_cost=10_000, per_period_cost=9_000,
        lag=1, margin=0.4,
    )  # fmt: skip
    r = roi(s, B, A)
    gain = 0.4 * 1e6 * math.expm1(0.02)  # 8,080.54 a month: below the 9,000 it costs
    assert r.benefit.value == pytest.approx(gain * 11, rel=1e-9)
    assert r.cost == 10_000 + 9_000 * 12
    assert r.roi.value == pytest.approx((gain * 11 - 118_000) / 118_000, rel=1e-9)
    assert r.payback.value is None
    assert r.probability_positive is not None and 0 < r.probability_positive < 0.2


def test_payback_with_per_period_cost_by_hand() -> None:
    s = Scenario(rise=10, horizon=24, revenue=2e6, one_off_cost=60_000, per_period_cost=5_000)
    r = roi(s, B, A)
    gain = 2e6 * math.expm1(10 * 0.5 * 0.8 / 100)  # 80,215.80
    # gain·(t − 1) = 60,000 + 5,000·t  ⇒  t = (60,000 + gain) / (gain − 5,000)
    assert r.payback.value == pytest.approx((60_000 + gain) / (gain - 5_000), rel=1e-9)


def test_customer_lever_ignores_the_employee_path_and_the_lag() -> None:
    s = Scenario(rise=2, horizon=4, revenue=5e5, one_off_cost=1_000, lever="customer", lag=3)
    r = roi(s, B)
    assert r.customer_rise.value == 2
    assert r.revenue_change.value == pytest.approx(5e5 * math.expm1(0.016) * 4, rel=1e-9)
    assert r.customer_rise.lower == r.customer_rise.upper == 2  # no employee path to vary
    assert [p.name for p in r.paths] == ["customer hearts → revenue"]


def test_churn_change_with_interval() -> None:
    churn = PathEstimate("customer hearts → customer_churn_rate", -0.2, 0.05, 30)
    s = Scenario(rise=5, horizon=12, revenue=1e6, one_off_cost=50_000)
    r = roi(s, B, A, churn)
    assert r.churn_change is not None
    assert r.churn_change.value == pytest.approx(-0.5)
    assert r.churn_change.lower < -0.5 < r.churn_change.upper < 0  # type: ignore[operator]


def test_not_estimable_says_why_instead_of_a_number() -> None:
    missing = PathEstimate(
        "employee hearts → customer hearts", None, None, 27, "within",
        "the source varies too little beyond its sampling error (reliability 0.14)",
    )  # fmt: skip
    r = roi(Scenario(rise=5, horizon=12, revenue=1e6, one_off_cost=1), B, missing)
    assert not r.estimable and r.roi.value is None and r.probability_positive is None
    assert r.note is not None and "not estimable" in r.note and "reliability 0.14" in r.note


def test_delta_method_agrees_with_the_simulation_when_the_paths_are_sharp() -> None:
    """With precise slopes and many units the product is nearly normal: the simulation's
    percentile interval and P(ROI > 0) agree with the delta method's to within 2 % of the
    interval's width and 0.01."""
    a = PathEstimate("a", 0.5, 0.02, 2000)
    b = PathEstimate("b", 0.8, 0.03, 2000)
    s = Scenario(rise=5, horizon=12, revenue=1e6, one_off_cost=200_000)
    r = roi(s, b, a, draws=200_000, seed=1)
    assert r.roi.lower is not None and r.roi.upper is not None
    assert r.delta_lower is not None and r.delta_upper is not None
    width = r.delta_upper - r.delta_lower
    assert abs(r.roi.lower - r.delta_lower) < 0.02 * width
    assert abs(r.roi.upper - r.delta_upper) < 0.02 * width
    sd = width / 2 / stats.norm.ppf(0.975)
    assert r.probability_positive == pytest.approx(stats.norm.cdf(r.roi.value / sd), abs=0.01)  # type: ignore[operator]


def test_the_simulation_is_reproducible_and_seeded() -> None:
    s = Scenario(rise=5, horizon=12, revenue=1e6, one_off_cost=50_000)
    assert roi(s, B, A, seed=3) == roi(s, B, A, seed=3)
    assert roi(s, B, A, seed=3).roi.lower != roi(s, B, A, seed=4).roi.lower


def test_path_from_a_linkage_row() -> None:
    row = {"source": "customer hearts", "target": "revenue", "estimate": 0.9, "se": 0.1,
           "n_units": 27, "level": "within", "note": None}  # fmt: skip
    path = path_estimate(row)
    assert path == PathEstimate("customer hearts → revenue", 0.9, 0.1, 27, "within", None)
    assert not path_estimate({**row, "estimate": float("nan")}).usable


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rise": 500}, "rise"),
        ({"horizon": 0}, "horizon"),
        ({"one_off_cost": -1}, "one_off_cost"),
        ({"one_off_cost": 0, "per_period_cost": 0}, "ROI needs a cost above 0"),
        ({"margin": 1.5}, "margin"),
        ({"lever": "board"}, "lever"),
        ({"revenue": float("nan")}, "revenue"),
    ],
)
def test_bad_scenarios_name_the_field(changes: dict[str, object], field: str) -> None:
    given: dict[str, object] = {"rise": 5, "horizon": 12, "revenue": 1e6, "one_off_cost": 1.0}
    with pytest.raises(ValueError, match=field):
        Scenario(**{**given, **changes})  # type: ignore[arg-type]
