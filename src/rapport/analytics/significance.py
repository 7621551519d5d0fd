"""Is the difference between two groups real? Estimate, interval and two-sided test.

Every function returns a :class:`~rapport.analytics.estimates.Difference` of
``first − second``: NPS in NPS points, shares in percentage points, means on the scale
of the input. ``significant`` is ``p_value < alpha``; the interval has confidence
``1 − alpha``.

Degenerate inputs (rules in ``docs/statistics.md``): an empty group gives an estimate of
``None``; a test whose standard error is zero (neither group varies) or that lacks the
responses to estimate a variance has ``p_value = None`` and ``significant = False``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

from rapport.analytics.estimates import (
    Difference,
    as_observations,
    clip,
    two_sided_normal_p_value,
    validate_confidence,
    validate_count,
    z_critical,
)
from rapport.analytics.intervals import wilson_interval
from rapport.analytics.nps import NpsCounts, nps_variance


def _validate_alpha(alpha: float) -> float:
    return validate_confidence(alpha, name="alpha")


def _tested(
    estimate: float,
    lower: float,
    upper: float,
    p_value: float | None,
    method: str,
    alpha: float,
    n1: int,
    n2: int,
) -> Difference:
    significant = p_value is not None and p_value < alpha
    return Difference(estimate, lower, upper, p_value, significant, method, alpha, n1, n2)


def nps_difference(first: NpsCounts, second: NpsCounts, alpha: float = 0.05) -> Difference:
    """Difference of two independent NPS with a Wald z-test.

    With p_i, d_i the promoter and detractor shares and v_i = p_i + d_i − (p_i − d_i)²::

        Δ  = 100·[(p₁ − d₁) − (p₂ − d₂)]
        se = 100·√(v₁/n₁ + v₂/n₂)
        interval = Δ ± z_{1−α/2}·se,   p = 2·(1 − Φ(|Δ|/se))

    Source: the variance of a difference of independent means of +1/0/−1 scores; the
    same test as ``nps_test`` in Rocks' R package ``NPS``. Bounds are clipped to
    [−200, 200].

    Example:
        >>> d = nps_difference(NpsCounts(60, 25, 15), NpsCounts(45, 30, 25))
        >>> d.estimate, round(d.p_value, 4), d.significant
        (25.0, 0.0229, True)
    """
    alpha = _validate_alpha(alpha)
    method = "wald_z_test"
    n1, n2 = first.n, second.n
    if n1 == 0 or n2 == 0:
        return Difference(None, None, None, None, False, method, alpha, n1, n2)
    p1, d1 = first.promoters / n1, first.detractors / n1
    p2, d2 = second.promoters / n2, second.detractors / n2
    # Same arithmetic as nps_estimate's value, so the difference of two reported NPS
    # equals this estimate exactly.
    estimate = (
        100.0 * (first.promoters - first.detractors) / n1
        - 100.0 * (second.promoters - second.detractors) / n2
    )
    variance = max(nps_variance(p1, d1), 0.0) / n1 + max(nps_variance(p2, d2), 0.0) / n2
    standard_error = 100.0 * math.sqrt(variance)
    if standard_error == 0.0:
        return Difference(estimate, estimate, estimate, None, False, method, alpha, n1, n2)
    half_width = z_critical(1.0 - alpha) * standard_error
    p_value = two_sided_normal_p_value(estimate / standard_error)
    lower, upper = max(estimate - half_width, -200.0), min(estimate + half_width, 200.0)
    return _tested(estimate, lower, upper, p_value, method, alpha, n1, n2)


def proportion_difference(
    successes1: int, n1: int, successes2: int, n2: int, alpha: float = 0.05
) -> Difference:
    """Difference of two independent shares, in percentage points.

    Test: two-proportion z-test with the pooled share p̄ = (x₁ + x₂)/(n₁ + n₂),
    z = (p̂₁ − p̂₂)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)) (Fleiss, Levin & Paik 2003, §2.5.2).

    Interval: Newcombe's hybrid score interval (Newcombe 1998, *Statistics in
    Medicine* 17, method 10) from the Wilson limits (l_i, u_i) of each share::

        lower = Δ − √((p̂₁ − l₁)² + (u₂ − p̂₂)²)
        upper = Δ + √((u₁ − p̂₁)² + (p̂₂ − l₂)²)

    The interval and the test are different procedures; at the margin of significance
    they can disagree, and ``significant`` follows the test.

    Example:
        >>> d = proportion_difference(45, 60, 30, 60)
        >>> round(d.estimate, 2), round(d.p_value, 4)
        (25.0, 0.0047)
    """
    successes1, n1 = validate_count("successes1", successes1), validate_count("n1", n1)
    successes2, n2 = validate_count("successes2", successes2), validate_count("n2", n2)
    alpha = _validate_alpha(alpha)
    if successes1 > n1 or successes2 > n2:
        raise ValueError("successes must not exceed the number of responses in their group")
    method = "pooled_z_test+newcombe_interval"
    if n1 == 0 or n2 == 0:
        return Difference(None, None, None, None, False, method, alpha, n1, n2)
    share1, share2 = successes1 / n1, successes2 / n2
    estimate = share1 - share2
    lower1, upper1 = wilson_interval(successes1, n1, 1.0 - alpha)
    lower2, upper2 = wilson_interval(successes2, n2, 1.0 - alpha)
    # The interval lies in [−1, 1] mathematically; clip() removes rounding residue.
    lower = clip(estimate - math.hypot(share1 - lower1, upper2 - share2), -1.0, 1.0)
    upper = clip(estimate + math.hypot(upper1 - share1, share2 - lower2), -1.0, 1.0)
    pooled = (successes1 + successes2) / (n1 + n2)
    null_standard_error = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    p_value = None
    if null_standard_error > 0.0:
        p_value = two_sided_normal_p_value(estimate / null_standard_error)
    return _tested(100.0 * estimate, 100.0 * lower, 100.0 * upper, p_value, method, alpha, n1, n2)


def mean_difference_from_summary(
    mean1: float,
    standard_deviation1: float,
    n1: int,
    mean2: float,
    standard_deviation2: float,
    n2: int,
    alpha: float = 0.05,
) -> Difference:
    """Welch's t-test and interval for the difference of two means, from summaries.

    With v_i = s_i²/n_i: se = √(v₁ + v₂), Welch–Satterthwaite
    df = (v₁ + v₂)² / (v₁²/(n₁ − 1) + v₂²/(n₂ − 1)), t = (x̄₁ − x̄₂)/se,
    p = 2·P(T_df > |t|), interval (x̄₁ − x̄₂) ± t_{1−α/2, df}·se.
    Source: Welch (1947), *Biometrika* 34; Satterthwaite (1946), *Biometrics Bulletin* 2.

    Rules: a group with fewer than 2 responses → no interval and no test.

    Example:
        >>> d = mean_difference_from_summary(4.2, 0.8, 40, 3.8, 1.1, 35)
        >>> round(d.estimate, 2), round(d.p_value, 4)
        (0.4, 0.0802)
    """
    n1, n2 = validate_count("n1", n1), validate_count("n2", n2)
    alpha = _validate_alpha(alpha)
    method = "welch_t_test"
    if n1 == 0 or n2 == 0:
        return Difference(None, None, None, None, False, method, alpha, n1, n2)
    numbers = (mean1, standard_deviation1, mean2, standard_deviation2)
    if not all(math.isfinite(float(x)) for x in numbers):
        raise ValueError("means and standard deviations must be finite")
    if standard_deviation1 < 0 or standard_deviation2 < 0:
        raise ValueError("standard deviations must not be negative")
    estimate = float(mean1) - float(mean2)
    if n1 < 2 or n2 < 2:
        return Difference(estimate, None, None, None, False, method, alpha, n1, n2)
    share1 = float(standard_deviation1) ** 2 / n1
    share2 = float(standard_deviation2) ** 2 / n2
    standard_error = math.sqrt(share1 + share2)
    if standard_error == 0.0:
        return Difference(estimate, estimate, estimate, None, False, method, alpha, n1, n2)
    # Welch–Satterthwaite df written with relative shares, which cannot underflow.
    relative1, relative2 = share1 / (share1 + share2), share2 / (share1 + share2)
    df = 1.0 / (relative1**2 / (n1 - 1) + relative2**2 / (n2 - 1))
    t = estimate / standard_error
    p_value = float(2.0 * stats.t.sf(abs(t), df))
    half_width = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * standard_error
    lower, upper = estimate - half_width, estimate + half_width
    return _tested(estimate, lower, upper, p_value, method, alpha, n1, n2)


def mean_difference(first: npt.ArrayLike, second: npt.ArrayLike, alpha: float = 0.05) -> Difference:
    """Welch's t-test and interval for the difference of two means, from responses.

    NaN marks a missing answer and is dropped. Formula and rules as in
    :func:`mean_difference_from_summary`; agrees with
    ``scipy.stats.ttest_ind(first, second, equal_var=False)``.

    Example:
        >>> d = mean_difference([5, 4, 5, 4, 5, 3], [3, 4, 2, 3, 3, 4])
        >>> round(d.estimate, 3), round(d.p_value, 4), d.significant
        (1.167, 0.0279, True)
    """
    return mean_difference_from_summary(*_summary(first), *_summary(second), alpha=alpha)


def _summary(values: npt.ArrayLike) -> tuple[float, float, int]:
    answers = as_observations(values)
    if answers.size == 0:
        return 0.0, 0.0, 0
    if answers.size == 1 or np.all(answers == answers[0]):
        return float(answers[0]), 0.0, int(answers.size)
    return float(np.mean(answers)), float(np.std(answers, ddof=1)), int(answers.size)
