"""Result types shared by every statistic, and the minimum-n rules.

Every statistic in :mod:`rapport.analytics` returns a frozen dataclass that carries the
number of responses it rests on, its interval and the method used: never a bare number.
An undefined quantity (no responses, no variation to test) is ``None``; no function here
lets a NaN or an infinity escape.

Minimum-n rules (see ``docs/statistics.md``, "Minimum n"):

- ``n == 0``: nothing to report; every field of the estimate is ``None``.
- ``n < MIN_N_FOR_ESTIMATE`` (10): the numbers are computed, but the interface shows
  "not enough responses" instead of them.
- ``n < MIN_N_WITHOUT_INTERVAL`` (30): the number may only be shown together with its
  interval (DESIGN.md: "never a bare number for n < 30"). NPS intervals are always shown.

These thresholds are statistical. Anonymity thresholds (suppressing small groups) are a
separate rule applied by ``rapport.analytics.suppression``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import stats

MIN_N_FOR_ESTIMATE = 10
"""Below this many responses an estimate is labelled "not enough responses"."""

MIN_N_WITHOUT_INTERVAL = 30
"""Below this many responses a number is never shown without its interval."""


class Sufficiency(StrEnum):
    """How an interface may present an estimate resting on ``n`` responses."""

    NO_RESPONSES = "no_responses"
    NOT_ENOUGH_RESPONSES = "not_enough_responses"
    INTERVAL_REQUIRED = "interval_required"
    ENOUGH = "enough"


def sufficiency(n: int, minimum_n: int = MIN_N_FOR_ESTIMATE) -> Sufficiency:
    """Classify ``n`` responses against the minimum-n rules.

    Rule: ``n == 0`` → NO_RESPONSES; ``n < minimum_n`` → NOT_ENOUGH_RESPONSES;
    ``n < MIN_N_WITHOUT_INTERVAL`` → INTERVAL_REQUIRED; otherwise ENOUGH.
    Source: Rapport DESIGN.md, "Statistics".

    Example:
        >>> sufficiency(7)
        <Sufficiency.NOT_ENOUGH_RESPONSES: 'not_enough_responses'>
        >>> sufficiency(12).value
        'interval_required'
    """
    validate_count("n", n)
    validate_count("minimum_n", minimum_n)
    if n == 0:
        return Sufficiency.NO_RESPONSES
    if n < minimum_n:
        return Sufficiency.NOT_ENOUGH_RESPONSES
    if n < MIN_N_WITHOUT_INTERVAL:
        return Sufficiency.INTERVAL_REQUIRED
    return Sufficiency.ENOUGH


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval.

    ``value`` is ``None`` when ``n == 0``; ``lower``/``upper`` are ``None`` when no
    interval can be formed (for example a mean of one response).
    """

    value: float | None
    lower: float | None
    upper: float | None
    n: int
    method: str
    confidence: float

    @property
    def has_interval(self) -> bool:
        return self.lower is not None and self.upper is not None

    @property
    def sufficiency(self) -> Sufficiency:
        """The minimum-n classification with the default thresholds."""
        return sufficiency(self.n)


@dataclass(frozen=True)
class Difference:
    """``first − second`` with its interval and a two-sided test.

    ``p_value`` is ``None`` when the test is undefined (a group is too small, or
    neither group varies); then ``significant`` is ``False``. The interval has
    confidence ``1 − alpha``.
    """

    estimate: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    significant: bool
    method: str
    alpha: float
    n1: int
    n2: int


def validate_confidence(confidence: float, name: str = "confidence") -> float:
    """Return ``confidence`` as a float, or raise ``ValueError`` unless 0 < it < 1."""
    value = float(confidence)
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {confidence!r}")
    return value


def validate_count(name: str, value: int) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is a count ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number of responses, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return int(value)


def as_observations(values: npt.ArrayLike, name: str = "values") -> npt.NDArray[np.float64]:
    """Return a 1-D float array of the non-missing observations.

    NaN marks a missing answer and is dropped; ±infinity is rejected.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if np.isinf(array).any():
        raise ValueError(f"{name} must not contain infinite values")
    return array[~np.isnan(array)]


@functools.lru_cache(maxsize=64)
def z_critical(confidence: float) -> float:
    """Two-sided standard-normal critical value, e.g. 1.959964 for 0.95 (computed once per
    confidence level: pages ask for the same few thousands of times)."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def two_sided_normal_p_value(z: float) -> float:
    """``2·(1 − Φ(|z|))``, computed with the survival function for precision."""
    return float(2.0 * stats.norm.sf(abs(z)))


def clip(value: float, lowest: float, highest: float) -> float:
    return min(max(value, lowest), highest)
