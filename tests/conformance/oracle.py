"""An independent pandas oracle for every metric, from the raw rows of the operational tables.

It reads only the plain tables (``units``, ``surveys``, ``responses``, ``answers``, ``survey_items``,
``survey_versions``, ``comment_analyses``, ``invitations``, ``distributions``) and the metric
definitions as ``docs/metrics.md`` and ``docs/statistics.md`` state them: which question types
and construct tags a metric reads, how an item is rescaled, which boxes are "top", what ``n``
counts. It never calls the SQL generator or ``rapport.analytics.metrics*``; intervals come from
statsmodels (Wilson) and scipy (Student t), the adjusted-Wald NPS interval from Rocks' formula
written out here. Roll-up goes by unit path prefix, periods by pandas' calendar.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

CONFIDENCE = 0.95

#: The documented metric definitions (docs/metrics.md, "Definitions"), restated.
SCORED_TYPES = frozenset({"likert", "matrix", "csat", "ces", "nps"})
SINGLE_ITEM = {
    # metric: (question types read, top boxes for shares, preferred tag)
    "nps": ({"nps"}, None, "loyalty"),
    "csat_top2": ({"csat"}, 2, None),
    "csat_mean": ({"csat"}, None, None),
    "ces_mean": ({"ces"}, None, None),
    "top_box": ({"likert", "matrix", "csat", "ces"}, 1, None),
}
INDEX_PREFIX = {"hearts": "heart", "minds": "mind"}
EKMAN = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
SENTIMENTS = ("positive", "negative", "ambiguous", "neutral")
READ = "ok"

Key = tuple[Hashable, ...]


@dataclass(frozen=True)
class Cut:
    """A grouping as the oracle reads it: dimension names in the documented order."""

    by: tuple[str, ...] = ()
    period: str | None = None
    attribute: str | None = None


@dataclass(frozen=True)
class Expected:
    """One expected row: n, value, interval, and the counts behind a share or NPS."""

    n: int
    value: float | None
    lower: float | None
    upper: float | None
    detail: dict[str, float] = field(default_factory=dict)


# --- intervals, from other code than Rapport's -----------------------------------------------


@cache
def wilson(x: int, n: int) -> tuple[float, float]:
    """Wilson score interval in percent (statsmodels)."""
    lower, upper = proportion_confint(x, n, alpha=1 - CONFIDENCE, method="wilson")
    return 100 * float(lower), 100 * float(upper)


def t_interval(values: pd.Series) -> Expected:
    """Mean ± t·s/√n (scipy's t quantile); no interval for one value, none wide without spread."""
    n = len(values)
    if n == 0:
        return Expected(0, None, None, None)
    mean = float(values.mean())
    if n == 1:
        return Expected(1, mean, None, None)
    sd = float(values.std(ddof=1))
    if sd == 0:
        return Expected(n, mean, mean, mean)
    half = _t_quantile(n - 1) * sd / math.sqrt(n)
    return Expected(n, mean, mean - half, mean + half)


@cache
def _t_quantile(df: int) -> float:
    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))


def share(successes: Iterable[bool]) -> Expected:
    """Share of True in percent with its Wilson interval."""
    flags = np.fromiter(successes, dtype=bool)
    n, x = len(flags), int(flags.sum())
    if n == 0:
        return Expected(0, None, None, None, {"successes": 0})
    return Expected(n, 100 * x / n, *wilson(x, n), {"successes": x})


def nps(scores: pd.Series) -> Expected:
    """NPS with the adjusted-Wald interval of Rocks (2016): ¾ promoter, ¾ detractor, n + 3."""
    n = len(scores)
    p, d = int((scores >= 9).sum()), int((scores <= 6).sum())
    detail = {"promoters": p, "passives": n - p - d, "detractors": d}
    if n == 0:
        return Expected(0, None, None, None, detail)
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    pt, dt = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)
    half = z * math.sqrt((pt + dt - (pt - dt) ** 2) / (n + 3))
    lower, upper = max(-100.0, 100 * (pt - dt - half)), min(100.0, 100 * (pt - dt + half))
    return Expected(n, 100 * (p - d) / n, lower, upper, detail)


# --- rows ------------------------------------------------------------------------------------


def _attribute_text(attributes: Any, name: str) -> str | None:
    """An attribute as every engine spells it: JSON scalars as text, booleans true/false."""
    values = attributes if isinstance(attributes, dict) else json.loads(attributes or "{}")
    value = values.get(name)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def responses(frames: dict[str, pd.DataFrame], survey_ids: Sequence[int] | None) -> pd.DataFrame:
    """The filtered responses with their unit path, UTC time and version number."""
    r = frames["responses"]
    if survey_ids is not None:
        r = r[r.survey_id.isin(survey_ids)]
    versions = frames["survey_versions"].set_index("id")["version"]
    return r.assign(
        path=r.unit_id.map(frames["units"].set_index("id")["path"]),
        at=pd.to_datetime(r.submitted_at, utc=True, format="mixed").dt.tz_localize(None),
        version=r.survey_version_id.map(versions),
    )


def with_keys(rows: pd.DataFrame, cut: Cut, time: str = "at") -> pd.DataFrame:
    """``rows`` with one column per non-unit dimension of ``cut`` (the unit is rolled up later)."""
    out = rows.copy()
    freq = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
    for dim in cut.by:
        if dim == "period":
            assert cut.period is not None
            out["k_period"] = out[time].dt.to_period(freq[cut.period]).dt.start_time.dt.date
        elif dim == "attribute":
            assert cut.attribute is not None
            name = cut.attribute
            texts = [_attribute_text(a, name) for a in out.attributes]
            out["k_attribute"] = pd.Series(texts, index=out.index, dtype=object)
        elif dim == "survey_version":
            out["k_survey_version"] = out.version
        elif dim == "audience":
            out["k_audience"] = out.audience
    return out


def scored_answers(frames: dict[str, pd.DataFrame], r: pd.DataFrame) -> pd.DataFrame:
    """Every numeric answer of the responses ``r`` with its item's type, tags and scale."""
    a = frames["answers"]
    a = a[a.value_num.notna()].merge(r, left_on="response_id", right_on="id", suffixes=("", "_r"))
    items = frames["survey_items"].assign(tag_list=lambda f: f.tags.fillna("").str.split())
    return a.merge(items, on=["survey_version_id", "question_id", "item"], suffixes=("", "_si"))


def _tagged(tags: list[str], prefix: str) -> bool:
    return any(t == prefix or t.startswith(prefix + ".") for t in tags)


def single_item(answers: pd.DataFrame, qtypes: set[str], prefer: str | None, question: str | None):
    """Answers to the one question a single-item metric reads in each version."""
    found = answers[answers.qtype.isin(qtypes) & (answers.scale_max > answers.scale_min)]
    if question is not None:
        found = found[found.question_id == question]
    kept = []
    for _, group in found.groupby("survey_version_id"):
        if prefer is not None and group.question_id.nunique() > 1:
            group = group[group.tag_list.map(lambda t: _tagged(t, prefer))]
        assert group[["question_id", "item"]].drop_duplicates().shape[0] == 1, "ambiguous item"
        kept.append(group)
    return pd.concat(kept) if kept else found


def index_scores(answers: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """One row per response: the mean of its ``prefix`` items rescaled to 0-100."""
    items = answers[
        answers.qtype.isin(SCORED_TYPES)
        & (answers.scale_max > answers.scale_min)
        & answers.tag_list.map(lambda t: _tagged(t, prefix))
    ]
    span = items.scale_max - items.scale_min
    forward = (items.value_num - items.scale_min) / span * 100
    backward = (items.scale_max - items.value_num) / span * 100
    scored = items.assign(x=np.where(items.reverse_keyed.astype(bool), backward, forward))
    score = scored.groupby("response_id").x.mean()
    return scored.drop_duplicates("response_id").set_index("response_id").assign(x=score)


# --- grouping and the expected table -----------------------------------------------------------


def _ancestors(path: str) -> list[str]:
    """A unit and every unit above it, by path prefix: ``a/b`` → ``a``, ``a/b``."""
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _plain(value: Hashable) -> Hashable:
    return None if isinstance(value, float) and math.isnan(value) else value


def groups(rows: pd.DataFrame, cut: Cut, unit_paths: Sequence[str]) -> dict[Key, pd.DataFrame]:
    """The rows of every group of the table: all units (rolled up, empty ones too) × the
    values of the other dimensions seen in ``rows`` (``None`` for a missing attribute)."""
    axes = []
    for dim in cut.by:
        column = rows[f"k_{dim}"] if dim != "unit" else None
        axes.append(sorted(unit_paths) if column is None else list(dict.fromkeys(column)))
    if "unit" in cut.by:
        rows = rows.assign(k_unit=rows.path.map(_ancestors)).explode("k_unit")
    found: dict[Key, pd.DataFrame] = {(): rows}
    if cut.by:
        grouped = rows.groupby([f"k_{d}" for d in cut.by], dropna=False, sort=False)
        found = {tuple(map(_plain, k)): g for k, g in grouped}
    empty = rows.iloc[0:0]
    return {tuple(k): found.get(tuple(k), empty) for k in product(*axes)}


def expected_table(
    frames: dict[str, pd.DataFrame],
    metric: str,
    cut: Cut,
    survey_ids: Sequence[int] | None,
    question: str | None = None,
) -> dict[tuple[Key, str | None], Expected]:
    """Every row the engine must return for ``metric`` cut by ``cut``: (key, emotion) → row."""
    paths = list(frames["units"].path)
    r = responses(frames, survey_ids)
    if metric == "response_rate":
        return _rates(frames, cut, survey_ids, paths)
    if metric in ("comment_emotions", "comment_sentiment"):
        return _comments(frames, r, cut, paths, metric)
    if metric == "responses":
        rows = with_keys(r, cut)
        return {
            (k, None): Expected(len(g), float(len(g)) or None, None, None)
            for k, g in groups(rows, cut, paths).items()
        }
    answers = scored_answers(frames, r) if metric != "emotions" else None
    if metric == "emotions":
        return _picker(frames, r, cut, paths)
    assert answers is not None
    if metric in INDEX_PREFIX or metric.startswith("index:"):
        prefix = INDEX_PREFIX.get(metric) or metric.removeprefix("index:")
        rows = with_keys(index_scores(answers, prefix), cut)
        return {(k, None): t_interval(g.x) for k, g in groups(rows, cut, paths).items()}
    qtypes, boxes, prefer = SINGLE_ITEM[metric]
    rows = with_keys(single_item(answers, qtypes, prefer, question), cut)
    out = {}
    for k, group in groups(rows, cut, paths).items():
        if metric == "nps":
            out[(k, None)] = nps(group.value_num)
        elif boxes is not None:
            out[(k, None)] = share(group.value_num >= group.scale_max - (boxes - 1))
        else:
            out[(k, None)] = t_interval(group.value_num)
    return out


def _emotion_rows(
    rows: pd.DataFrame, cut: Cut, paths: Sequence[str], emotions: Sequence[str], shows
) -> dict[tuple[Key, str | None], Expected]:
    """Per key and emotion: the share of ``rows`` (one per respondent or comment) showing it."""
    out: dict[tuple[Key, str | None], Expected] = {}
    for k, group in groups(rows, cut, paths).items():
        for emotion in emotions:
            e = share(shows(found, emotion) for found in group.found)
            out[(k, emotion)] = Expected(e.n, e.value, e.lower, e.upper,
                                         {"chosen": e.detail["successes"]})  # fmt: skip
    return out


def _picker(frames, r: pd.DataFrame, cut: Cut, paths) -> dict[tuple[Key, str | None], Expected]:
    """Emotion picker: n = responses that chose an emotion; each emotion's share of them."""
    items = frames["survey_items"]
    pickers = items[items.qtype == "emotion_picker"][["survey_version_id", "question_id"]]
    a = frames["answers"].merge(r, left_on="response_id", right_on="id", suffixes=("", "_r"))
    a = a.merge(pickers.drop_duplicates(), on=["survey_version_id", "question_id"])
    a = a[a.value_num.notna()]
    found = a.groupby("response_id").item.agg(set)
    rows = with_keys(r[r.id.isin(found.index)].assign(found=lambda f: f.id.map(found)), cut)
    emotions = sorted(set().union(*found)) if len(found) else []
    return _emotion_rows(rows, cut, paths, emotions, lambda found, e: e in found)


def _comments(frames, r: pd.DataFrame, cut: Cut, paths, metric: str):
    """Comments the model read (status ok); per Ekman emotion or sentiment, the share showing
    it. Every category has a row in every group (0 % where no comment shows it)."""
    c = frames["comment_analyses"]
    c = c[c.status == READ].merge(r, left_on="response_id", right_on="id", suffixes=("", "_r"))
    if metric == "comment_emotions":
        rows = c.assign(found=c.ekman.fillna("").str.split().map(set))
        return _emotion_rows(with_keys(rows, cut), cut, paths, EKMAN, lambda f, e: e in f)
    rows = c.assign(found=c.sentiment)
    categories = sorted(set(SENTIMENTS) | set(c.sentiment.dropna()))
    return _emotion_rows(with_keys(rows, cut), cut, paths, categories, lambda f, e: f == e)


def _rates(frames, cut: Cut, survey_ids, paths) -> dict[tuple[Key, str | None], Expected]:
    """Invitations answered of those sent, at the invitation's unit and send (else creation)
    time, of the surveys' versions."""
    i = frames["invitations"].merge(
        frames["distributions"], left_on="distribution_id", right_on="id", suffixes=("", "_d")
    )
    versions = frames["survey_versions"].set_index("id")
    i = i.assign(
        survey_id=i.survey_version_id.map(versions.survey_id),
        version=i.survey_version_id.map(versions.version),
    )
    if survey_ids is not None:
        i = i[i.survey_id.isin(survey_ids)]
    audience = frames["surveys"].set_index("id").audience if "surveys" in frames else None
    sent = pd.to_datetime(i.sent_at.fillna(i.created_at), utc=True, format="mixed")
    i = i.assign(
        path=i.unit_id.map(frames["units"].set_index("id")["path"]),
        at=sent.dt.tz_localize(None),
        audience=i.survey_id.map(audience) if audience is not None else None,
    )
    rows = with_keys(i, cut)
    return {(k, None): share(g.used_at.notna()) for k, g in groups(rows, cut, paths).items()}


# --- closed-loop metrics (docs/closed-loop.md, "Metrics") ------------------------------------

REPEAT_WINDOW = pd.Timedelta(days=30)


def _utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="mixed").dt.tz_localize(None)


def _nps_categories(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Per response id: +100 promoter, 0 passive, −100 detractor, from its answer to its NPS
    question (the smallest question id among several)."""
    r = frames["responses"][["id", "survey_version_id"]]
    a = frames["answers"]
    a = a[a.value_num.notna()].merge(r, left_on="response_id", right_on="id", suffixes=("", "_r"))
    items = frames["survey_items"]
    a = a.merge(items[items.qtype == "nps"], on=["survey_version_id", "question_id", "item"])
    first = a.groupby("response_id").question_id.transform("min")
    a = a[a.question_id == first]
    category = np.select([a.value_num >= 9, a.value_num <= 6], [100.0, -100.0], 0.0)
    return pd.Series(category, index=a.response_id.to_numpy()).groupby(level=0).max()


def case_rows(frames: dict[str, pd.DataFrame], survey_ids: Sequence[int] | None) -> pd.DataFrame:
    """Every case with its unit path, opening time (UTC), and its response's survey, version
    and person (none for a case opened by hand)."""
    c = frames["cases"]
    r = frames["responses"][["id", "survey_id", "survey_version_id", "person_id"]]
    c = c.merge(r, left_on="response_id", right_on="id", how="left", suffixes=("", "_r"))
    versions = frames["survey_versions"].set_index("id")["version"]
    c = c.assign(
        path=c.unit_id.map(frames["units"].set_index("id")["path"]),
        at=_utc(c.opened_at),
        resolved=_utc(c.resolved_at),
        due=_utc(c.due_at),
        version=c.survey_version_id.map(versions),
    )
    return c if survey_ids is None else c[c.survey_id.isin(survey_ids)]


def _repeat_flags(every: pd.DataFrame, rows: pd.DataFrame) -> list[bool]:
    """For each case of ``rows``: an earlier case of ``every`` (ties by id) at most 30 days
    before, about the same person, or in the same unit by the same rule."""
    flags = []
    for case in rows.itertuples():
        gap = case.at - every["at"]
        earlier = (gap > pd.Timedelta(0)) | ((gap == pd.Timedelta(0)) & (every.id < case.id))
        near = earlier & (gap <= REPEAT_WINDOW) & (every.id != case.id)
        person = pd.notna(case.person_id) & (every.person_id == case.person_id)
        issue = (
            pd.notna(case.rule_id)
            & (every.unit_id == case.unit_id)
            & (every.rule_id == case.rule_id)
        )
        flags.append(bool((near & (person | issue)).any()))
    return flags


def expected_case_table(
    frames: dict[str, pd.DataFrame], metric: str, cut: Cut, survey_ids: Sequence[int] | None
) -> dict[tuple[Key, str | None], Expected]:
    """The rows of a ``cases.*`` metric, from the case tables and the documented rules."""
    paths = list(frames["units"].path)
    c = case_rows(frames, survey_ids)
    if metric == "cases.time_to_first_contact":
        notes = frames["case_notes"][["case_id", "at"]]
        events = frames["case_events"]
        touches = pd.concat([notes, events[events.kind == "status"][["case_id", "at"]]])
        first = touches.assign(at=_utc(touches["at"])).groupby("case_id")["at"].min()
        c = c.assign(hours=(c.id.map(first) - c["at"]).dt.total_seconds() / 3600)
        rows = with_keys(c[c.hours.notna()], cut)
        return {(k, None): t_interval(g.hours) for k, g in groups(rows, cut, paths).items()}
    if metric == "cases.time_to_resolution":
        c = c[c.resolved.notna()]
        rows = with_keys(c.assign(hours=(c.resolved - c["at"]).dt.total_seconds() / 3600), cut)
        return {(k, None): t_interval(g.hours) for k, g in groups(rows, cut, paths).items()}
    if metric == "cases.closed_within_sla":
        known = c[c.resolved.notna() | (c.escalation_level > 0)]
        met = (known.escalation_level == 0) & (known.resolved <= known.due)
        rows = with_keys(known.assign(met=met), cut)
        return {(k, None): share(g.met) for k, g in groups(rows, cut, paths).items()}
    if metric == "cases.repeat_issue_rate":
        rows = with_keys(c.assign(repeat=_repeat_flags(case_rows(frames, None), c)), cut)
        return {(k, None): share(g.repeat) for k, g in groups(rows, cut, paths).items()}
    assert metric == "cases.recovery_effect", metric
    category = _nps_categories(frames)
    d = c.follow_up_response_id.map(category) - c.response_id.map(category)
    rows = with_keys(c.assign(d=d)[d.notna()], cut)
    return {(k, None): t_interval(g.d) for k, g in groups(rows, cut, paths).items()}
