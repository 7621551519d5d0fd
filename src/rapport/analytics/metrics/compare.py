"""Is a difference between two groups real? And how reliable is an index?

:func:`difference` tests two groups of one metric table (two units, two periods, two
attribute values) from their sufficient statistics with the functions of
:mod:`rapport.analytics.significance`. :func:`construct_reliability` pulls the item scores of
a construct through an engine and computes Cronbach's α and McDonald's ω with
:mod:`rapport.analytics.reliability`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.estimates import Difference
from rapport.analytics.metrics import Filters, Metric, Statistic, select_items
from rapport.analytics.metrics import sql as metric_sql
from rapport.analytics.metrics.catalog import load_items
from rapport.analytics.nps import NpsCounts
from rapport.analytics.reliability import ReliabilityEstimate, cronbach_alpha, mcdonald_omega
from rapport.analytics.significance import (
    mean_difference_from_summary,
    nps_difference,
    proportion_difference,
)
from rapport.errors import FieldError, ValidationFailed


def difference(
    statistic: Statistic,
    first: Mapping[str, float],
    n1: int,
    second: Mapping[str, float],
    n2: int,
    alpha: float = 0.05,
) -> Difference:
    """``first − second`` for two independent groups, from their row details.

    ``first``/``second`` are the ``detail`` of two metric rows: NPS counts → Wald z-test;
    shares (top box, emotions) → pooled z-test with a Newcombe interval; means and indices
    → Welch's t-test.

    >>> d = difference(Statistic.SHARE, {"successes": 45}, 60, {"successes": 30}, 60)
    >>> round(d.estimate, 1), round(d.p_value, 4)
    (25.0, 0.0047)
    """
    if statistic is Statistic.NPS:
        return nps_difference(_counts(first), _counts(second), alpha)
    if statistic in (Statistic.SHARE, Statistic.RATE, Statistic.EMOTIONS):
        key = "successes" if "successes" in first else "chosen"
        return proportion_difference(int(first[key]), n1, int(second[key]), n2, alpha)
    if statistic in (Statistic.MEAN, Statistic.INDEX):
        return mean_difference_from_summary(
            first.get("mean", 0.0),
            first.get("sd", 0.0),
            n1,
            second.get("mean", 0.0),
            second.get("sd", 0.0),
            n2,
            alpha,
        )
    raise ValidationFailed(
        "response counts have no sampling error to test",
        [FieldError("metric", "compare nps, shares, means or indices")],
    )


def _counts(detail: Mapping[str, float]) -> NpsCounts:
    return NpsCounts(int(detail["promoters"]), int(detail["passives"]), int(detail["detractors"]))


@dataclass(frozen=True)
class ConstructReliability:
    """Reliability of one construct's index: α, ω and the items it rests on."""

    construct: str
    items: tuple[str, ...]
    alpha: ReliabilityEstimate
    omega: ReliabilityEstimate

    @property
    def n(self) -> int:
        return self.alpha.n


def construct_reliability(
    engine: AnalyticsEngine,
    metric: Metric,
    filters: Filters,
    unit_ids: Sequence[int] | None = None,
    confidence: float = 0.95,
) -> ConstructReliability:
    """Cronbach's α and McDonald's ω of an index metric (hearts, minds, ``index:…``).

    Items are the metric's items rescaled to 0–100 (reverse-keyed ones reversed), one
    column per ``question[:row]`` across survey versions; a response missing an item is
    dropped (listwise, as the reliability functions do).
    """
    if metric.statistic is not Statistic.INDEX:
        raise ValidationFailed(
            f"{metric.name} is not an index", [FieldError("metric", "expected an index metric")]
        )
    with engine.connect() as conn:
        items = select_items(metric, load_items(conn, filters.survey_ids), None, None)
        rows = conn.execute(metric_sql.item_scores_statement(filters, items, unit_ids)).all()
    names = sorted({(str(q), str(i or "")) for _, q, i, _ in rows})
    column = {name: c for c, name in enumerate(names)}
    responses = sorted({int(r[0]) for r in rows})
    row_of = {rid: r for r, rid in enumerate(responses)}
    matrix = np.full((len(responses), len(names)), np.nan)
    for rid, question, item, score in rows:
        matrix[row_of[int(rid)], column[(str(question), str(item or ""))]] = float(score)
    labels = tuple(f"{q}:{i}" if i else q for q, i in names)
    if matrix.shape[0] == 0:
        matrix = np.empty((0, max(len(names), 1)))
    return ConstructReliability(
        metric.tag_prefix or metric.name,
        labels,
        cronbach_alpha(matrix, confidence),
        mcdonald_omega(matrix),
    )
