"""The before/after difference of a learning's change (``services.learning_effects``):
the Welch interval matches scipy's ``ttest_ind(equal_var=False)`` on the same unit-month
figures; the month holding a mid-month date is left out; a hidden (suppressed) cell is never
read; too few months say the data cannot tell; a planted step is found."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy import stats

from rapport.domain.learnings import LearningChange
from rapport.services.learning_effects import before_after
from rapport.services.metrics import ResultRow

CHANGE = LearningChange("processes", "Rota after the forecast", date(2026, 3, 1))


def _row(path: str, month: int, value: float | None, *, suppressed: bool = False) -> ResultRow:
    return ResultRow(
        n=20,
        value=value,
        lower=None,
        upper=None,
        method="mean",
        sufficiency="ok",
        suppressed=suppressed,
        reason=None,
        unit_path=path,
        unit_code=path.rsplit("/", 1)[-1],
        unit_depth=path.count("/"),
        period=date(2025 + (month - 1) // 12, (month - 1) % 12 + 1, 1),
    )


def _panel(step: float, seed: int = 5) -> list[ResultRow]:
    """Two stores and a region, 12 months of 2025-26 from January 2026 (month 13 = Jan 2026);
    the stores step up by ``step`` from March 2026."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in range(7, 19):
        for path in ("acme/north/n1", "acme/north/n2"):
            after = month >= 15
            rows.append(_row(path, month, 60 + rng.normal(0, 2) + (step if after else 0)))
        rows.append(_row("acme/north", month, 60.0))
        rows.append(_row("acme", month, 55 + rng.normal(0, 1)))
    return rows


def test_the_welch_interval_matches_scipy_on_the_same_figures() -> None:
    rows = _panel(step=5.0)
    found = before_after(CHANGE, rows, ["acme/north/n1", "acme/north/n2"], date(2026, 3, 1))
    values = [
        (r.period, r.value) for r in rows if r.unit_path in ("acme/north/n1", "acme/north/n2")
    ]
    after = [v for p, v in values if p >= date(2026, 3, 1)]
    before = [v for p, v in values if p < date(2026, 3, 1)]
    reference = stats.ttest_ind(after, before, equal_var=False)
    ci = reference.confidence_interval(0.95)
    assert found.method == "before_after" and found.verdict == "effect"
    assert found.estimate == pytest.approx(np.mean(after) - np.mean(before), abs=1e-9)
    assert found.lower == pytest.approx(ci.low, abs=1e-9)
    assert found.upper == pytest.approx(ci.high, abs=1e-9)
    assert found.lower < 5.0 < found.upper  # the planted step
    assert "no comparison group" in found.message


def test_no_step_no_detectable_change_and_the_mixed_month_is_left_out() -> None:
    rows = _panel(step=0.0)
    paths = ["acme/north/n1"]
    found = before_after(CHANGE, rows, paths, date(2026, 3, 1))
    assert found.verdict == "no_detectable_effect" and found.lower < 0 < found.upper
    mid = before_after(CHANGE, rows, paths, date(2026, 3, 15))  # March is mixed: left out
    kept = [r for r in rows if r.unit_path == "acme/north/n1"]
    after = [r.value for r in kept if r.period >= date(2026, 4, 1)]
    before = [r.value for r in kept if r.period < date(2026, 3, 1)]
    assert mid.estimate == pytest.approx(np.mean(after) - np.mean(before), abs=1e-9)


def test_the_organisation_wide_change_reads_the_root_and_never_a_hidden_cell() -> None:
    rows = _panel(step=0.0)
    hidden = [_row("acme", 19, 1000.0, suppressed=True), _row("acme", 20, None)]
    found = before_after(CHANGE, rows + hidden, [], date(2026, 3, 1))
    roots = [r for r in rows if r.unit_depth == 0]
    after = [r.value for r in roots if r.period >= date(2026, 3, 1)]
    before = [r.value for r in roots if r.period < date(2026, 3, 1)]
    assert found.estimate == pytest.approx(np.mean(after) - np.mean(before), abs=1e-9)


def test_too_few_months_cannot_tell() -> None:
    rows = _panel(step=5.0)
    late = before_after(CHANGE, rows, ["acme/north/n1"], date(2026, 6, 1))  # one month after
    assert late.verdict == "insufficient_data" and late.estimate is None
    assert "cannot tell" in late.message and "1 after" in late.message
