"""Respondents per unit and month, turned into ``DemoResponse`` rows.

Customers answer ``customer-relationship`` after a visit: each month a store samples 15-25
(times ``scale``) of its customers, favouring recent joiners (onboarding surveys). Employees
answer the anonymous ``employee-relationship`` pulse: each month about 68 % of a unit's staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

import numpy as np

from rapport.services.demo.answers import FloatArray, answer_batch
from rapport.services.demo.latent import Effects, Latent
from rapport.services.demo.models import AnswerValue, DemoResponse
from rapport.services.demo.org import Pool
from rapport.services.demo.text import TextContext, comment, detractor_reason

CUSTOMER_SURVEY: Final = "customer-relationship"
EMPLOYEE_SURVEY: Final = "employee-relationship"
CUSTOMER_RESPONSES_PER_MONTH: Final = (15, 25)
EMPLOYEE_RESPONSE_RATE: Final = 0.68
COMMENT_RATE: Final = {"customer": 0.4, "employee": 0.35}
REASON_RATE: Final = 0.65
SEGMENT_HEARTS: Final = np.array([0.0, 3.0, -3.0])  # everyday, premium, business
FRESH_NOISE_SD: Final = 4.0
DAYS_PER_MONTH: Final = 30.44


@dataclass(frozen=True)
class Month:
    """One generated month: its index, first day, offset from the start date and length."""

    index: int
    first_day: date
    offset: int
    days: int


@dataclass(frozen=True)
class UnitInfo:
    """What the response writer needs to know about a unit."""

    code: str
    name: str


def _submission_days(
    rng: np.random.Generator, month: Month, n: int
) -> tuple[list[datetime], FloatArray]:
    """Submission times during opening hours, and their day offsets from the start date."""
    days = rng.integers(0, month.days, n)
    seconds = rng.integers(8 * 3600, 21 * 3600, n)
    midnight = datetime.combine(month.first_day, time(), tzinfo=UTC)
    stamps = [
        midnight + timedelta(days=int(d), seconds=int(s))
        for d, s in zip(days, seconds, strict=True)
    ]
    return stamps, (month.offset + days).astype(np.float64)


def _rows(
    rng: np.random.Generator,
    survey: str,
    unit: UnitInfo,
    people: list[str | None],
    when: list[datetime],
    answers_list: list[dict[str, AnswerValue]],
    tone: FloatArray,
    contexts: list[TextContext],
) -> list[DemoResponse]:
    """Add the optional text answers (display logic respected) and wrap the rows."""
    recommend_key = "nps" if survey == CUSTOMER_SURVEY else "enps"
    rows = []
    for i, answers in enumerate(answers_list):
        ctx = contexts[i]
        score = answers[recommend_key]
        if isinstance(score, int) and score <= 6 and rng.random() < REASON_RATE:
            answers["detractor_reason"] = detractor_reason(rng, float(tone[i]), ctx)
        if rng.random() < COMMENT_RATE[ctx.audience]:
            answers["comment"] = comment(rng, float(tone[i]), ctx)
        rows.append(DemoResponse(survey, unit.code, people[i], when[i], ctx.language, answers))
    return rows


def customer_month(
    rng: np.random.Generator,
    effects: Effects,
    latent: Latent,
    unit: UnitInfo,
    pool: Pool,
    month: Month,
    scale: float,
) -> list[DemoResponse]:
    """A store's customer responses for one month."""
    eligible = np.flatnonzero(pool.start_days < month.offset)
    low, high = CUSTOMER_RESPONSES_PER_MONTH
    wanted = max(1, round(int(rng.integers(low, high + 1)) * scale))
    n = min(wanted, len(eligible))
    if n == 0:
        return []
    tenure_at_start = month.offset - pool.start_days[eligible]
    weight = 1.0 + 4.0 * np.exp(-tenure_at_start / 60.0)
    chosen = rng.choice(eligible, size=n, replace=False, p=weight / weight.sum())
    when, day = _submission_days(rng, month, n)
    tenure_months = (day - pool.start_days[chosen]) / DAYS_PER_MONTH
    t = month.index
    honeymoon = effects.honeymoon_points * np.exp(-tenure_months / effects.honeymoon_tau_months)
    hearts = (
        latent.cx_hearts[unit.code][t]
        + honeymoon
        + pool.hearts_effect[chosen]
        + SEGMENT_HEARTS[pool.segment[chosen]]
    )
    minds = latent.cx_minds[unit.code][t] + pool.minds_effect[chosen]
    fresh = hearts + latent.fresh_shift[unit.code][t] + rng.normal(0.0, FRESH_NOISE_SD, n)
    answers, tone = answer_batch(rng, "customer", hearts, minds, fresh)
    contexts = [
        TextContext(
            "customer",
            "es" if pool.spanish[k] else "en",
            unit.name,
            float(tenure_months[i]) / 12.0,
            False,
        )
        for i, k in enumerate(chosen)
    ]
    people: list[str | None] = [pool.external_ids[k] for k in chosen]
    return _rows(rng, CUSTOMER_SURVEY, unit, people, when, answers, tone, contexts)


def employee_month(
    rng: np.random.Generator,
    latent: Latent,
    unit: UnitInfo,
    pool: Pool,
    month: Month,
    programme_live: bool,
) -> list[DemoResponse]:
    """A unit's anonymous employee pulse responses for one month."""
    chosen = np.flatnonzero(rng.random(len(pool.external_ids)) < EMPLOYEE_RESPONSE_RATE)
    n = len(chosen)
    if n == 0:
        return []
    when, _ = _submission_days(rng, month, n)
    t = month.index + 1  # EX arrays start at month -1
    hearts = latent.ex_hearts[unit.code][t] + pool.hearts_effect[chosen]
    minds = latent.ex_minds[unit.code][t] + pool.minds_effect[chosen]
    fresh = hearts + rng.normal(0.0, FRESH_NOISE_SD, n)
    answers, tone = answer_batch(rng, "employee", hearts, minds, fresh)
    tenure_years = (month.offset - pool.start_days[chosen]) / 365.25
    contexts = [
        TextContext(
            "employee",
            "es" if pool.spanish[k] else "en",
            unit.name,
            float(tenure_years[i]),
            programme_live,
        )
        for i, k in enumerate(chosen)
    ]
    # Who answered is known to the invitation, not to the stored response: the loader's
    # anonymous path keeps only the unit, allowed attributes and a tenure band.
    people: list[str | None] = [pool.external_ids[k] for k in chosen.tolist()]
    return _rows(rng, EMPLOYEE_SURVEY, unit, people, when, answers, tone, contexts)
