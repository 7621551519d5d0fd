"""Scores of individual responses (a person's profile), by the metrics' own definitions.

A response's hearts (minds) score is what the hearts (minds) index averages over
responses: the mean of its ``heart.*`` (``mind.*``) items rescaled to 0–100, reverse-keyed
items reversed — the items :func:`rapport.analytics.metrics.select_items` picks and the
scores :func:`rapport.analytics.metrics.sql.item_scores_statement` computes. Its NPS
answer is the 0–10 answer to the item the NPS metric reads, with its category
(:func:`rapport.analytics.nps.count_nps_categories`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from sqlalchemy import Connection

from rapport.analytics.metrics import Filters, ScoredItem, get_metric, select_items
from rapport.analytics.metrics import sql as metric_sql
from rapport.analytics.metrics.catalog import load_items
from rapport.analytics.nps import count_nps_categories
from rapport.errors import ValidationFailed


@dataclass(frozen=True)
class ResponseScores:
    """One response's scores; None where its survey has no such item or it was skipped."""

    response_id: int
    hearts: float | None
    minds: float | None
    recommend: float | None  # the 0–10 answer the NPS counts
    nps_category: str | None  # promoter | passive | detractor

    @property
    def nps_points(self) -> int | None:
        """What the answer adds to an NPS: +100, 0 or −100."""
        return {"promoter": 100, "passive": 0, "detractor": -100}.get(self.nps_category or "")


def _items(metric_name: str, items: Sequence[ScoredItem]) -> list[ScoredItem]:
    try:
        return select_items(get_metric(metric_name), items, None, None)
    except ValidationFailed:  # the survey has no such item (or no single NPS question)
        return []


def nps_category(answer: float) -> str:
    """``promoter`` (9–10), ``passive`` (7–8) or ``detractor`` (0–6).

    >>> nps_category(9.0), nps_category(7.0), nps_category(6.0)
    ('promoter', 'passive', 'detractor')
    """
    counts = count_nps_categories([answer])
    return "promoter" if counts.promoters else "detractor" if counts.detractors else "passive"


def response_scores(
    conn: Connection, responses: Sequence[tuple[int, int]]
) -> dict[int, ResponseScores]:
    """Scores of the ``(response id, survey id)`` pairs, keyed by response id."""
    if not responses:
        return {}
    survey_ids = sorted({s for _, s in responses})
    by_version: dict[int, list[ScoredItem]] = {}
    for item in load_items(conn, survey_ids):
        by_version.setdefault(item.survey_version_id, []).append(item)
    # Items are picked per version (a survey's versions may name the NPS differently).
    role: dict[int, str] = {}
    for version_items in by_version.values():
        for name in ("hearts", "minds", "nps"):
            for item in _items(name, version_items):
                role.setdefault(item.id, name)
    chosen = [i for items in by_version.values() for i in items if i.id in role]
    if not chosen:
        return {rid: ResponseScores(rid, None, None, None, None) for rid, _ in responses}
    key = {(i.survey_version_id, i.question_id, i.item): role[i.id] for i in chosen}
    statement = metric_sql.item_scores_statement(
        Filters(survey_ids=tuple(survey_ids)), chosen, response_ids=[r for r, _ in responses]
    )
    statement = statement.add_columns(
        metric_sql.table("responses").c.survey_version_id,
        metric_sql.table("answers").c.value_num,
    )
    scores: dict[tuple[int, str], list[float]] = {}
    for rid, question, item, score, version, value in conn.execute(statement):
        metric = key.get((int(version), str(question), str(item or "")))
        if metric is None:
            continue
        scores.setdefault((int(rid), metric), []).append(
            float(value) if metric == "nps" else float(score)
        )
    found: dict[int, ResponseScores] = {}
    for rid, _ in responses:
        hearts, minds, nps = (scores.get((rid, n)) for n in ("hearts", "minds", "nps"))
        recommend = nps[0] if nps else None
        found[rid] = ResponseScores(
            rid,
            fmean(hearts) if hearts else None,
            fmean(minds) if minds else None,
            recommend,
            nps_category(recommend) if recommend is not None else None,
        )
    return found
