"""Net Promoter Score with an interval, on the −100..100 scale.

NPS = 100·(P − D)/n for P promoters (9–10), A passives (7–8) and D detractors (0–6),
n = P + A + D. Scoring each answer +1 / 0 / −1 makes the NPS a mean, whose per-answer
variance is ``p + d − (p − d)²`` with ``p = P/n`` and ``d = D/n``.

The default interval is the adjusted Wald interval of Rocks (2016), which Rocks found to
have close to nominal coverage with the shortest width among the methods he compared,
and which Lewis & Sauro (MeasuringU, 2021) confirmed on real NPS data. The plain Wald
interval collapses to zero width when every answer falls in one category, which is why
it is not the default. See ``docs/statistics.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from rapport.analytics.estimates import (
    Estimate,
    as_observations,
    clip,
    validate_confidence,
    validate_count,
    z_critical,
)

NpsMethod = Literal["adjusted_wald", "wald"]

ADJUSTED_WALD_PSEUDO_PROMOTERS = 0.75
ADJUSTED_WALD_PSEUDO_DETRACTORS = 0.75
ADJUSTED_WALD_PSEUDO_RESPONSES = 3.0
"""Rocks (2016): add 3/4 promoter, 3/4 detractor (and 3/2 passive), 3 responses in all."""


@dataclass(frozen=True)
class NpsCounts:
    """Answers to a 0–10 likelihood-to-recommend question, by NPS category."""

    promoters: int
    passives: int
    detractors: int

    def __post_init__(self) -> None:
        counts = (self.promoters, self.passives, self.detractors)
        if all(type(c) is int and c >= 0 for c in counts):
            return  # the usual case, checked without the general validator's cost
        for name in ("promoters", "passives", "detractors"):
            validate_count(name, getattr(self, name))

    @property
    def n(self) -> int:
        return int(self.promoters + self.passives + self.detractors)


def count_nps_categories(scores: npt.ArrayLike) -> NpsCounts:
    """Count promoters (9–10), passives (7–8) and detractors (0–6) in 0–10 scores.

    NaN (a missing answer) is dropped; any other value outside the integers 0..10
    raises ``ValueError``.

    Example:
        >>> count_nps_categories([10, 9, 8, 6, 0])
        NpsCounts(promoters=2, passives=1, detractors=2)
    """
    answers = as_observations(scores, "scores")
    if ((answers < 0) | (answers > 10) | (answers != np.round(answers))).any():
        raise ValueError("scores must be whole numbers from 0 to 10")
    promoters = int(np.count_nonzero(answers >= 9))
    detractors = int(np.count_nonzero(answers <= 6))
    return NpsCounts(promoters, answers.size - promoters - detractors, detractors)


def nps_variance(promoter_share: float, detractor_share: float) -> float:
    """Per-answer variance of the +1/0/−1 NPS score: ``p + d − (p − d)²``.

    Divide by n for the variance of the NPS on the −1..1 scale.

    Example:
        >>> round(nps_variance(0.5, 0.2), 6)
        0.61
    """
    return promoter_share + detractor_share - (promoter_share - detractor_share) ** 2


def nps_estimate(
    promoters: int,
    passives: int,
    detractors: int,
    confidence: float = 0.95,
    method: NpsMethod = "adjusted_wald",
) -> Estimate:
    """NPS with a confidence interval, on the −100..100 scale.

    ``value`` is always the observed NPS, 100·(P − D)/n.

    - ``"adjusted_wald"`` (default; Rocks 2016, "Interval estimation for the 'Net
      Promoter Score'", *The American Statistician* 70(4)): with p̃ = (P + 0.75)/(n + 3),
      d̃ = (D + 0.75)/(n + 3), ñ = n + 3, the interval is
      100·[(p̃ − d̃) ± z·√((p̃ + d̃ − (p̃ − d̃)²)/ñ)]. It is centred on the shrunken
      p̃ − d̃, so it is not symmetric about ``value``; at 95 % it contains ``value``
      for every n ≥ 2.
    - ``"wald"``: 100·[(p − d) ± z·√((p + d − (p − d)²)/n)] with p = P/n, d = D/n.
      Zero width when all answers fall in one category.

    Bounds are clipped to [−100, 100]. With n = 0 every field is ``None``.

    Example:
        >>> e = nps_estimate(50, 30, 20)
        >>> e.value, round(e.lower, 2), round(e.upper, 2)
        (30.0, 14.05, 44.2)
    """
    counts = NpsCounts(promoters, passives, detractors)
    confidence = validate_confidence(confidence)
    if method not in ("adjusted_wald", "wald"):
        raise ValueError(f"method must be 'adjusted_wald' or 'wald', got {method!r}")
    n = counts.n
    if n == 0:
        return Estimate(None, None, None, 0, method, confidence)
    value = 100.0 * (counts.promoters - counts.detractors) / n
    if method == "adjusted_wald":
        effective_n = n + ADJUSTED_WALD_PSEUDO_RESPONSES
        p = (counts.promoters + ADJUSTED_WALD_PSEUDO_PROMOTERS) / effective_n
        d = (counts.detractors + ADJUSTED_WALD_PSEUDO_DETRACTORS) / effective_n
    else:
        effective_n = float(n)
        p = counts.promoters / n
        d = counts.detractors / n
    # max(…, 0) guards against a −1e-17 from rounding when every answer is one category.
    half_width = z_critical(confidence) * math.sqrt(max(nps_variance(p, d), 0.0) / effective_n)
    centre = p - d
    return Estimate(
        value=value,
        lower=clip(100.0 * (centre - half_width), -100.0, 100.0),
        upper=clip(100.0 * (centre + half_width), -100.0, 100.0),
        n=n,
        method=method,
        confidence=confidence,
    )


def nps_bootstrap(
    scores: npt.ArrayLike,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
) -> Estimate:
    """NPS with a percentile-bootstrap interval, from raw 0–10 scores.

    Resamples the n answers with replacement ``n_boot`` times and takes the
    (1 − confidence)/2 and (1 + confidence)/2 quantiles of the resampled NPS
    (Efron & Tibshirani 1993, ch. 13). Because the NPS depends on the answers only
    through the category counts, each resample is drawn as one multinomial(n; p, a, d)
    vector, which has exactly the distribution of the counts of a row resample.

    ``seed`` defaults to 0 so the same answers always get the same interval. With
    n = 0 every field is ``None``; with one answer the interval is that answer's NPS.

    Example:
        >>> e = nps_bootstrap([10] * 50 + [8] * 30 + [3] * 20, seed=1)
        >>> e.value, e.method
        (30.0, 'bootstrap_percentile')
    """
    counts = count_nps_categories(scores)
    confidence = validate_confidence(confidence)
    n_boot = validate_count("n_boot", n_boot)
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    method = "bootstrap_percentile"
    n = counts.n
    if n == 0:
        return Estimate(None, None, None, 0, method, confidence)
    rng = np.random.default_rng(seed)
    shares = np.array([counts.promoters, counts.passives, counts.detractors]) / n
    resampled = rng.multinomial(n, shares, size=n_boot)
    resampled_nps = 100.0 * (resampled[:, 0] - resampled[:, 2]) / n
    tail = (1.0 - confidence) / 2.0
    lower, upper = np.quantile(resampled_nps, [tail, 1.0 - tail])
    return Estimate(
        value=100.0 * (counts.promoters - counts.detractors) / n,
        lower=clip(float(lower), -100.0, 100.0),
        upper=clip(float(upper), -100.0, 100.0),
        n=n,
        method=method,
        confidence=confidence,
    )
