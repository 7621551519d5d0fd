"""From respondents' latent scores to answers shaped by the built-in templates' contract.

The link is *mean-preserving*: an item whose latent mean is ``L`` on the 0-100 scale is
answered ``low + (high - low) * X`` rounded, where ``X ~ Beta`` with mean ``L / 100`` and the
rounding is stochastic (up with probability equal to the fractional part). Both steps keep the
mean, so the expected answer rescaled to 0-100 is exactly ``L`` (for ``L`` inside 1..99) and a
hearts or minds index moves by exactly the planted number of points. Item offsets within a
construct sum to zero for the same reason.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from rapport.services.demo.models import AnswerValue

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# (question id, offset in index points); offsets of each construct sum to zero.
CUSTOMER_HEARTS: Final = (
    ("heart_delight", 2.0),
    ("heart_special", -4.0),
    ("heart_about_me", -1.0),
    ("heart_exceeded", -3.0),
    ("heart_cared", 6.0),
)
EMPLOYEE_HEARTS: Final = (
    ("heart_delight", 0.0),
    ("heart_special", -3.0),
    ("heart_about_me", -2.0),
    ("heart_exceeded", -2.0),
    ("heart_cared", 4.0),
    ("challenge", 3.0),
)
MIND_ROWS: Final = (
    ("needs", 4.0),
    ("ease", 3.0),
    ("fast", -2.0),
    ("convenient", 5.0),
    ("trackable", -6.0),
    ("personalised", -5.0),
    ("predictive", -8.0),
)
CES_OFFSET: Final = 9.0  # the eighth minds item; with MIND_ROWS the offsets sum to zero
LIKERT_CONCENTRATION: Final = 10.0
NPS_CONCENTRATION: Final = 10.0

EMOTIONS_POSITIVE: Final[tuple[str, ...]] = (
    "delighted", "cared_for", "special", "connected", "excited", "grateful", "calm",
)  # fmt: skip
EMOTIONS_NEUTRAL: Final[tuple[str, ...]] = (
    "calm",
    "indifferent",
    "connected",
    "grateful",
    "frustrated",
)
EMOTIONS_NEGATIVE: Final[tuple[str, ...]] = (
    "ignored", "taken_for_granted", "frustrated", "angry", "disappointed", "anxious",
    "indifferent",
)  # fmt: skip


def ordinal(
    rng: np.random.Generator, latent: FloatArray, low: int, high: int, concentration: float
) -> IntArray:
    """Answers on ``low..high`` whose expectation rescaled to 0-100 equals ``latent``.

    >>> rng = np.random.default_rng(1)
    >>> answers = ordinal(rng, np.full(20000, 70.0), 1, 5, 8.0)
    >>> round(float((answers.mean() - 1) / 4 * 100))
    70
    """
    mean = np.clip(latent / 100.0, 0.01, 0.99)
    spread = rng.beta(mean * concentration, (1.0 - mean) * concentration)
    value = low + (high - low) * spread
    floor = np.floor(value)
    rounded = floor + (rng.random(value.shape) < value - floor)
    answers: IntArray = np.clip(rounded, low, high).astype(np.int64)
    return answers


def _loyalty_nps(hearts: FloatArray, minds: FloatArray, centre: float) -> FloatArray:
    """Latent for the 0-10 recommendation question (index points): hearts weigh more."""
    loyalty = 0.6 * hearts + 0.4 * minds
    return centre + 1.35 * (loyalty - 65.0)


def _emotions(
    rng: np.random.Generator, tone: FloatArray, fresh: FloatArray
) -> list[dict[str, int]]:
    """One to three emotions per respondent, from a pool that follows the tone score."""
    n = len(tone)
    counts = rng.choice(3, size=n, p=(0.45, 0.4, 0.15)) + 1
    picks = rng.random((n, 3))
    weaker = rng.random((n, 3)) < 0.25
    take_for_granted = (fresh < 45.0) & (rng.random(n) < 0.5)
    result = []
    for i in range(n):
        if tone[i] >= 68.0:
            pool = EMOTIONS_POSITIVE
        elif tone[i] >= 50.0:
            pool = EMOTIONS_NEUTRAL
        else:
            pool = EMOTIONS_NEGATIVE
        distance = abs(tone[i] - 59.0)
        strength = 1 + int(distance >= 12.0) + int(distance >= 24.0)
        chosen: dict[str, int] = {}
        if take_for_granted[i]:
            chosen["taken_for_granted"] = strength
        for j in range(int(counts[i])):
            emotion = pool[int(picks[i, j] * len(pool))]
            chosen.setdefault(emotion, max(1, strength - int(weaker[i, j])))
        result.append(chosen)
    return result


def answer_batch(
    rng: np.random.Generator,
    audience: str,
    hearts: FloatArray,
    minds: FloatArray,
    fresh: FloatArray,
) -> tuple[list[dict[str, AnswerValue]], FloatArray]:
    """Closed answers for a batch of respondents of one unit-month.

    Returns the answers (without the two free-text questions) and a tone score per
    respondent (hearts plus noise) for the comment writer.
    """
    n = len(hearts)
    items = CUSTOMER_HEARTS if audience == "customer" else EMPLOYEE_HEARTS
    heart_offsets = np.array([offset for _, offset in items])
    heart_answers = ordinal(rng, hearts[:, None] + heart_offsets, 1, 5, LIKERT_CONCENTRATION)
    mind_offsets = np.array([offset for _, offset in MIND_ROWS])
    mind_answers = ordinal(rng, minds[:, None] + mind_offsets, 1, 5, LIKERT_CONCENTRATION)
    ces = ordinal(rng, minds + CES_OFFSET, 1, 7, LIKERT_CONCENTRATION)
    fresh_answer = ordinal(rng, fresh - 4.0, 1, 5, LIKERT_CONCENTRATION)
    granted_answer = ordinal(rng, 90.0 - fresh, 1, 5, LIKERT_CONCENTRATION)
    centre = 79.0 if audience == "customer" else 72.0
    recommend = ordinal(rng, _loyalty_nps(hearts, minds, centre), 0, 10, NPS_CONCENTRATION)
    csat = ordinal(rng, 0.6 * hearts + 0.4 * minds + 8.0, 1, 5, LIKERT_CONCENTRATION)
    tone = hearts + rng.normal(0.0, 6.0, n)
    emotions = _emotions(rng, tone, fresh)
    batch: list[dict[str, AnswerValue]] = []
    for i in range(n):
        answers: dict[str, AnswerValue] = {}
        if audience == "customer":
            answers["nps"] = int(recommend[i])
            answers["csat"] = int(csat[i])
        else:
            answers["enps"] = int(recommend[i])
        for j, (question, _) in enumerate(items):
            answers[question] = int(heart_answers[i, j])
        answers["minds"] = {row: int(mind_answers[i, j]) for j, (row, _) in enumerate(MIND_ROWS)}
        answers["ces"] = int(ces[i])
        answers["fresh"] = int(fresh_answer[i])
        answers["taken_for_granted"] = int(granted_answer[i])
        answers["emotions"] = emotions[i]
        batch.append(answers)
    return batch, tone
