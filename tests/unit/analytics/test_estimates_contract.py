"""What an estimate states besides its number, and what invalid input is told.

Every estimate carries ``n``, its interval ``method`` and ``confidence`` (interfaces show
them), and invalid input raises ``ValueError`` naming the argument (docs/statistics.md).
These tests were written against mutants that survived the suite (tools/mutation.md): a
wrong label, a lost ``confidence``, an error naming the wrong argument, and a percentile
bootstrap taking the wrong quantiles or scaling its resamples wrongly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from rapport.analytics.estimates import as_observations, sufficiency
from rapport.analytics.intervals import mean_estimate, proportion_estimate
from rapport.analytics.nps import count_nps_categories, nps_bootstrap, nps_estimate


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: proportion_estimate(-1, 5), r"^successes must not be negative"),
        (lambda: proportion_estimate(1, -5), r"^n must not be negative"),
        (lambda: proportion_estimate(6, 5), r"^successes \(6\) must not exceed n \(5\)"),
        (lambda: sufficiency(-1), r"^n must not be negative"),
        (lambda: sufficiency(5, minimum_n=-1), r"^minimum_n must not be negative"),
        (lambda: count_nps_categories([3, 11]), r"^scores must be whole numbers from 0 to 10"),
        (lambda: count_nps_categories([[3]]), r"^scores must be one-dimensional"),
        (lambda: as_observations([1.0, math.inf]), r"^values must not contain infinite"),
        (lambda: as_observations([[1.0]]), r"^values must be one-dimensional"),
        (lambda: nps_bootstrap([9, 3], n_boot=-1), r"^n_boot must not be negative"),
    ],
)
def test_invalid_input_names_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_every_estimate_states_n_method_and_confidence() -> None:
    cases = [
        (proportion_estimate(3, 10, 0.9), 10, "wilson"),
        (proportion_estimate(0, 0, 0.9), 0, "wilson"),
        (mean_estimate([1.0, 2.0, 4.0], 0.9), 3, "student_t"),
        (mean_estimate([], 0.9), 0, "student_t"),
        (nps_estimate(5, 3, 2, 0.9), 10, "adjusted_wald"),
        (nps_bootstrap([10, 9, 7, 3], 0.9), 4, "bootstrap_percentile"),
        (nps_bootstrap([], 0.9), 0, "bootstrap_percentile"),
    ]
    for estimate, n, method in cases:
        assert (estimate.n, estimate.method, estimate.confidence) == (n, method, 0.9), estimate


@pytest.mark.parametrize("confidence", [0.8, 0.95])
def test_bootstrap_takes_the_percentiles_of_multinomial_resamples(confidence: float) -> None:
    """The documented recipe, redone: ``n_boot`` multinomial(n; p, a, d) draws from
    ``default_rng(seed)``, NPS of each, the (1 ∓ c)/2 quantiles."""
    scores = [10] * 37 + [8] * 21 + [2] * 17
    estimate = nps_bootstrap(scores, confidence, n_boot=500, seed=3)
    draws = np.random.default_rng(3).multinomial(75, np.array([37, 21, 17]) / 75, size=500)
    resampled = 100.0 * (draws[:, 0] - draws[:, 2]) / 75
    tail = (1 - confidence) / 2
    lower, upper = np.quantile(resampled, [tail, 1 - tail])
    assert estimate.value == pytest.approx(100 * (37 - 17) / 75, abs=1e-12)
    assert (estimate.lower, estimate.upper) == pytest.approx((lower, upper), abs=1e-12)


def test_bootstrap_bounds_stay_on_the_scale_at_the_extremes() -> None:
    every = nps_bootstrap([10] * 20)
    none = nps_bootstrap([0] * 20)
    assert (every.lower, every.upper, none.lower, none.upper) == (100.0, 100.0, -100.0, -100.0)
