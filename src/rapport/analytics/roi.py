"""Return on an experience investment, propagated from the fitted linkage paths (issue 16,
item 6).

"If these units raise their employee index by X points (or their customer hearts by Y),
what revenue and churn change follows over H periods, and does it pay?" The chain is the
linkage's (:mod:`rapport.analytics.linkage`): employee index (t − lag) → customer hearts
(t), slope ``a`` in points per point; customer hearts (t) → revenue (t), slope ``b`` in
percent per point (100·ln revenue); customer hearts → churn, slope ``c`` in churn points
per point. For a rise X of the employee index, sustained from period 1:

- customer hearts rise a·X from period lag + 1 on (X itself when customer hearts are the
  lever, from period 1);
- revenue per period changes by R·(exp(a·X·b / 100) − 1), R the units' revenue per period;
- the benefit is margin · that over the H − lag periods it lasts; the cost is the one-off
  cost plus the per-period cost over all H periods;
- ROI = (benefit − cost) / cost; payback is the period t at which the cumulative benefit
  reaches the cumulative cost, (one-off + gain·lag) / (gain − per-period cost), or never
  when the per-period gain does not exceed the per-period cost.

**Uncertainty.** The headline interval is a parametric simulation from the fitted estimates
(a parametric bootstrap of the paths): ``draws`` pairs (a, b) from independent Student t
distributions centred on each path's estimate, scaled by its standard error, on n_units − 1
degrees of freedom (the linkage's own reference), pushed through the arithmetic above; the
interval is the draws' percentiles and P(ROI > 0) their share above zero. The simulation
keeps the skew of a product of two slopes, which the delta method (first-order, reported
beside it as ``delta_lower``/``delta_upper``) loses. The paths are taken as independent:
they are fitted on different regressions (customer on lagged employee; revenue on
customer), and tests/reference/test_reference_roi.py checks the resulting coverage on
panels with planted paths. Revenue, costs and margin are taken as known.

Frames out of the linkage (its ``estimate`` and ``se`` columns) come in through
:func:`path_estimate`; a path with no estimate makes the result say so instead of a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]

LEVERS = ("employee", "customer")
DRAWS = 20_000


@dataclass(frozen=True)
class PathEstimate:
    """A fitted path: slope, standard error, the units it rests on (t on n_units − 1 df).

    ``estimate`` None: the linkage gave no estimate and ``note`` says why.
    """

    name: str
    estimate: float | None
    se: float | None
    n_units: int
    level: str = "within"
    note: str | None = None

    @property
    def usable(self) -> bool:
        return self.estimate is not None and self.se is not None and self.n_units > 1


@dataclass(frozen=True)
class Scenario:
    """What the units do and what it costs.

    ``rise``: points of the lever index (``employee`` index or ``customer`` hearts) on the
    0–100 scale; ``horizon``: periods counted; ``lag``: periods before customers respond to
    an employee rise; ``revenue``: the units' revenue per period; ``margin``: the share of
    revenue that is profit (1 counts revenue itself)."""

    rise: float
    horizon: int
    revenue: float
    one_off_cost: float = 0.0
    per_period_cost: float = 0.0
    lever: str = "employee"
    lag: int = 1
    margin: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        if self.lever not in LEVERS:
            problems.append(f"lever: expected employee or customer, got {self.lever!r}")
        if not math.isfinite(self.rise) or not -100 <= self.rise <= 100:
            problems.append(f"rise: expected −100 to 100 index points, got {self.rise}")
        if self.horizon < 1:
            problems.append(f"horizon: expected 1 or more periods, got {self.horizon}")
        if self.lag < 0:
            problems.append(f"lag: expected 0 or more periods, got {self.lag}")
        if not math.isfinite(self.revenue) or self.revenue < 0:
            problems.append(f"revenue: expected 0 or more per period, got {self.revenue}")
        for name in ("one_off_cost", "per_period_cost"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                problems.append(f"{name}: expected 0 or more, got {value}")
        if self.one_off_cost + self.per_period_cost <= 0:
            problems.append("one_off_cost, per_period_cost: ROI needs a cost above 0")
        if not 0 < self.margin <= 1:
            problems.append(f"margin: expected a share above 0 and at most 1, got {self.margin}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def delay(self) -> int:
        """Periods before the customer side moves: the lag for an employee lever, else 0."""
        return self.lag if self.lever == "employee" else 0

    @property
    def cost(self) -> float:
        return self.one_off_cost + self.per_period_cost * self.horizon


@dataclass(frozen=True)
class Figure:
    """A point value with its interval (None when the interval is unbounded: ``inf``)."""

    value: float | None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class RoiResult:
    """The scenario's outcome: every figure with its interval, or ``note`` saying why none.

    ``customer_rise`` (points), ``revenue_pct`` (% per period once it lasts),
    ``revenue_change`` (over the horizon), ``benefit`` (margin · revenue change), ``roi``
    (a ratio: 0.25 is 25 %), ``payback`` (periods; None: never), ``churn_change`` (churn
    points per period, when a churn path is given), ``probability_positive`` = P(ROI > 0).
    """

    estimable: bool
    note: str | None
    scenario: Scenario
    cost: float
    confidence: float
    customer_rise: Figure = field(default_factory=lambda: Figure(None))
    revenue_pct: Figure = field(default_factory=lambda: Figure(None))
    revenue_change: Figure = field(default_factory=lambda: Figure(None))
    benefit: Figure = field(default_factory=lambda: Figure(None))
    roi: Figure = field(default_factory=lambda: Figure(None))
    payback: Figure = field(default_factory=lambda: Figure(None))
    churn_change: Figure | None = None
    probability_positive: float | None = None
    delta_lower: float | None = None
    delta_upper: float | None = None
    paths: tuple[PathEstimate, ...] = ()
    draws: int = 0
    timeline: tuple[tuple[int, float, float, float], ...] = ()
    """(period, cumulative benefit − cost, lower, upper) for periods 0 … horizon."""


def path_estimate(row: dict[str, object], name: str | None = None) -> PathEstimate:
    """A :class:`PathEstimate` from one row of the linkage frame (``estimate``, ``se``,
    ``n_units``, ``level``, ``note``)."""
    label = name or f"{row.get('source')} → {row.get('target')}"
    estimate, se = row.get("estimate"), row.get("se")
    return PathEstimate(
        label,
        _number(estimate),
        _number(se),
        int(float(str(row.get("n_units") or 0))),
        str(row.get("level") or "within"),
        None if row.get("note") is None else str(row.get("note")),
    )


def roi(
    scenario: Scenario,
    to_revenue: PathEstimate,
    to_customer: PathEstimate | None = None,
    to_churn: PathEstimate | None = None,
    *,
    confidence: float = 0.95,
    draws: int = DRAWS,
    seed: int = 0,
) -> RoiResult:
    """Revenue, churn, ROI and payback of ``scenario`` with intervals, from the paths
    customer hearts → revenue (``to_revenue``, % per point) and, for an employee lever,
    employee → customer hearts (``to_customer``, points per point).

    >>> s = Scenario(rise=5, horizon=12, revenue=1e6, one_off_cost=50_000, lag=1)
    >>> r = roi(s, PathEstimate("cx → revenue", 0.8, 0.1, 30),
    ...         PathEstimate("ex → cx", 0.5, 0.1, 30))
    >>> round(r.revenue_pct.value, 3), round(r.roi.value, 2)
    (2.02, 3.44)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected a number between 0 and 1, got {confidence}")
    if draws < 100:
        raise ValueError(f"draws: expected at least 100, got {draws}")
    needed = [to_revenue]
    if scenario.lever == "employee":
        if to_customer is None:
            raise ValueError("to_customer: an employee lever needs the employee → customer path")
        needed.insert(0, to_customer)
    missing = [p for p in needed if not p.usable]
    base = RoiResult(False, None, scenario, scenario.cost, confidence, paths=tuple(needed))
    if missing:
        why = "; ".join(f"{p.name} ({p.level}): {p.note or 'no estimate'}" for p in missing)
        return replace(base, note=f"not estimable: the linkage gives no estimate of {why}")
    a_hat = (
        1.0 if to_customer is None or scenario.lever == "customer" else _value(to_customer.estimate)
    )
    b_hat = _value(to_revenue.estimate)
    rng = np.random.default_rng(seed)
    a = np.full(draws, a_hat) if scenario.lever == "customer" else _draws(rng, to_customer, draws)
    b = _draws(rng, to_revenue, draws)
    point = _arithmetic(scenario, np.array([a_hat]), np.array([b_hat]))
    drawn = _arithmetic(scenario, a, b)
    tail = (1 - confidence) / 2 * 100
    figures = {
        name: Figure(float(point[name][0]), *_percentiles(drawn[name], tail))
        for name in ("customer_rise", "revenue_pct", "revenue_change", "benefit", "roi")
    }
    payback = float(point["payback"][0])
    low, high = _percentiles(drawn["payback"], tail)
    churn = None
    if to_churn is not None and to_churn.usable:
        c = _draws(rng, to_churn, draws)
        churn = Figure(
            float(point["customer_rise"][0]) * _value(to_churn.estimate),
            *_percentiles(drawn["customer_rise"] * c, tail),
        )
    timeline = _timeline(scenario, point["gain"], drawn["gain"], tail)
    delta = _delta_roi(scenario, to_customer, to_revenue, a_hat, b_hat, confidence)
    return RoiResult(
        True,
        _churn_note(to_churn),
        scenario,
        scenario.cost,
        confidence,
        **figures,
        payback=Figure(payback if math.isfinite(payback) else None, low, high),
        churn_change=churn,
        probability_positive=float((drawn["roi"] > 0).mean()),
        delta_lower=delta[0],
        delta_upper=delta[1],
        paths=tuple(p for p in (*needed, to_churn) if p is not None),
        draws=draws,
        timeline=timeline,
    )


def _arithmetic(scenario: Scenario, a: FloatArray, b: FloatArray) -> dict[str, FloatArray]:
    """The scenario's figures for slopes ``a`` (customer points per lever point; 1 for a
    customer lever) and ``b`` (% revenue per customer point), element-wise."""
    customer_rise = scenario.rise * a
    revenue_pct = 100 * np.expm1(customer_rise * b / 100)
    periods = max(scenario.horizon - scenario.delay, 0)
    per_period = scenario.revenue * revenue_pct / 100
    revenue_change = per_period * periods
    benefit = scenario.margin * revenue_change
    gain = scenario.margin * per_period
    cost = scenario.cost
    over = gain - scenario.per_period_cost
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(over > 0, (scenario.one_off_cost + gain * scenario.delay) / over, np.inf)
    return {
        "customer_rise": customer_rise,
        "revenue_pct": revenue_pct,
        "revenue_change": revenue_change,
        "benefit": benefit,
        "roi": (benefit - cost) / cost,
        "payback": payback,
        "gain": gain,
    }


def _timeline(
    scenario: Scenario, gain: FloatArray, drawn: FloatArray, tail: float
) -> tuple[tuple[int, float, float, float], ...]:
    """Cumulative benefit less cost at the end of each period, with the draws' interval."""
    rows = []
    for t in range(scenario.horizon + 1):
        cost = scenario.one_off_cost + scenario.per_period_cost * t
        lasting = max(t - scenario.delay, 0)
        net = drawn * lasting - cost
        low, high = np.percentile(net, [tail, 100 - tail])
        rows.append((t, float(gain[0] * lasting - cost), float(low), float(high)))
    return tuple(rows)


def _delta_roi(
    scenario: Scenario,
    to_customer: PathEstimate | None,
    to_revenue: PathEstimate,
    a: float,
    b: float,
    confidence: float,
) -> tuple[float, float]:
    """First-order (delta-method) interval of the ROI, independent paths, a normal
    reference at the smaller paths' t quantile."""
    periods = max(scenario.horizon - scenario.delay, 0)
    scale = scenario.margin * scenario.revenue * periods / scenario.cost
    growth = math.exp(scenario.rise * a * b / 100)
    variance = (scale * growth * scenario.rise * a / 100) ** 2 * _value(to_revenue.se) ** 2
    units = [to_revenue.n_units]
    if scenario.lever == "employee" and to_customer is not None:
        variance += (scale * growth * scenario.rise * b / 100) ** 2 * _value(to_customer.se) ** 2
        units.append(to_customer.n_units)
    quantile = float(stats.t.ppf(0.5 + confidence / 2, min(units) - 1))
    centre = scale * (growth - 1) - 1
    spread = quantile * math.sqrt(variance)
    return centre - spread, centre + spread


def _draws(rng: np.random.Generator, path: PathEstimate | None, draws: int) -> FloatArray:
    if path is None or not path.usable:
        raise ValueError("a path without an estimate cannot be drawn from")
    noise = rng.standard_t(path.n_units - 1, draws)
    return np.asarray(_value(path.estimate) + _value(path.se) * noise, dtype=np.float64)


def _percentiles(values: FloatArray, tail: float) -> tuple[float | None, float | None]:
    # no interpolation: a payback draw may be inf (never), and inf − inf is undefined
    low, high = np.percentile(values, [tail, 100 - tail], method="inverted_cdf")
    return _finite(float(low)), _finite(float(high))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _value(value: float | None) -> float:
    if value is None:  # the callers check PathEstimate.usable first
        raise ValueError("a path without an estimate or a standard error")
    return value


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(str(value))
    return number if math.isfinite(number) else None


def _churn_note(path: PathEstimate | None) -> str | None:
    if path is None or path.usable:
        return None
    return f"no churn figure: the linkage gives no estimate of {path.name} ({path.note})"
