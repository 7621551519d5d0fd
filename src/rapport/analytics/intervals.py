"""Confidence intervals for shares (Wilson score) and means (Student t).

Shares — top-2-box CSAT, Likert top-box, promoter share — are reported as percentages
(0–100). Means — CSAT, CES, index scores — are on the scale of the input. NPS lives in
:mod:`rapport.analytics.nps`.

Degenerate inputs never raise and never produce NaN (rules in ``docs/statistics.md``):

- no responses: ``value``, ``lower`` and ``upper`` are ``None``;
- a mean of one response: ``value`` is that response, the interval is ``None``;
- a mean of responses that are all equal: the interval is ``[value, value]`` (the
  sample shows no spread; the zero width is what the t formula gives, and the
  minimum-n rules keep such small samples from being shown as precise).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt
from scipy import stats

from rapport.analytics.estimates import (
    Estimate,
    as_observations,
    clip,
    validate_confidence,
    validate_count,
    z_critical,
)


def wilson_interval(successes: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval for a binomial share, on the 0–1 scale.

    With p̂ = x/n and z the two-sided critical value::

        centre = (p̂ + z²/(2n)) / (1 + z²/n)
        half   = z·√(p̂(1 − p̂)/n + z²/(4n²)) / (1 + z²/n)

    Source: Wilson (1927), *JASA* 22(158); recommended by Brown, Cai & DasGupta (2001),
    *Statistical Science* 16(2). Requires n ≥ 1.

    Example:
        >>> tuple(round(b, 4) for b in wilson_interval(8, 10, 0.95))
        (0.4902, 0.9433)
    """
    z = z_critical(confidence)
    share = successes / n
    z2_over_n = z * z / n
    centre = (share + z2_over_n / 2.0) / (1.0 + z2_over_n)
    half_width = (
        z * math.sqrt(share * (1.0 - share) / n + z2_over_n / (4.0 * n)) / (1.0 + z2_over_n)
    )
    return clip(centre - half_width, 0.0, 1.0), clip(centre + half_width, 0.0, 1.0)


def proportion_estimate(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Share of responses meeting a condition, in percent, with a Wilson interval.

    ``value`` = 100·x/n; the interval is :func:`wilson_interval` ×100. Use it for
    top-2-box CSAT (x = answers 4–5 of 5), Likert top-box, or the promoter share.
    The Wilson interval stays inside [0, 100] and is not degenerate at x = 0 or x = n.
    With n = 0 every field is ``None``.

    Example:
        >>> e = proportion_estimate(42, 60)
        >>> e.value, round(e.lower, 2), round(e.upper, 2)
        (70.0, 57.49, 80.1)
    """
    successes = validate_count("successes", successes)
    n = validate_count("n", n)
    confidence = validate_confidence(confidence)
    if successes > n:
        raise ValueError(f"successes ({successes}) must not exceed n ({n})")
    if n == 0:
        return Estimate(None, None, None, 0, "wilson", confidence)
    lower, upper = wilson_interval(successes, n, confidence)
    return Estimate(100.0 * successes / n, 100.0 * lower, 100.0 * upper, n, "wilson", confidence)


@functools.lru_cache(maxsize=8192)
def t_critical(confidence: float, df: int) -> float:
    """Two-sided Student t critical value (computed once per confidence and degrees of
    freedom: a unit × month table asks for the same few hundred thousands of times).

    >>> round(t_critical(0.95, 24), 4)
    2.0639
    """
    return float(stats.t.ppf(0.5 + confidence / 2.0, df))


def mean_estimate_from_summary(
    mean: float, standard_deviation: float, n: int, confidence: float = 0.95
) -> Estimate:
    """Mean with a Student t interval, from its summary statistics.

    Interval: x̄ ± t_{1−(1−c)/2, n−1} · s/√n, where s is the sample standard deviation
    (divisor n − 1). Source: Student (1908), *Biometrika* 6(1); any introductory text.
    Use this when the mean and standard deviation come from a database aggregate.

    Rules: n = 0 → all ``None``; n = 1 → interval ``None``; s = 0 → ``[mean, mean]``.

    Example:
        >>> e = mean_estimate_from_summary(4.2, 0.8, 25)
        >>> round(e.lower, 4), round(e.upper, 4)
        (3.8698, 4.5302)
    """
    n = validate_count("n", n)
    confidence = validate_confidence(confidence)
    method = "student_t"
    if n == 0:
        return Estimate(None, None, None, 0, method, confidence)
    mean = float(mean)
    standard_deviation = float(standard_deviation)
    if not (math.isfinite(mean) and math.isfinite(standard_deviation)):
        raise ValueError("mean and standard_deviation must be finite")
    if standard_deviation < 0:
        raise ValueError(f"standard_deviation must not be negative, got {standard_deviation}")
    if n == 1:
        return Estimate(mean, None, None, 1, method, confidence)
    t = t_critical(confidence, n - 1)
    half_width = t * standard_deviation / math.sqrt(n)
    return Estimate(mean, mean - half_width, mean + half_width, n, method, confidence)


def mean_estimate(values: npt.ArrayLike, confidence: float = 0.95) -> Estimate:
    """Mean of the responses with a Student t interval.

    NaN marks a missing answer and is dropped; ``n`` counts the answers used.
    Formula and rules as in :func:`mean_estimate_from_summary`.

    Example:
        >>> e = mean_estimate([4, 5, 3, 4, 5])
        >>> e.value, round(e.lower, 4), round(e.upper, 4)
        (4.2, 3.1611, 5.2389)
    """
    answers = as_observations(values)
    if answers.size == 0:
        return mean_estimate_from_summary(0.0, 0.0, 0, confidence)
    spread = float(np.std(answers, ddof=1)) if answers.size > 1 else 0.0
    if np.all(answers == answers[0]):
        spread = 0.0  # exact zero rather than a rounding residue of order 1e-16
    return mean_estimate_from_summary(float(np.mean(answers)), spread, answers.size, confidence)
