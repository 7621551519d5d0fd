"""The engines against an independent pandas computation from the raw rows.

The oracle reads the plain tables, joins and groups them with pandas (periods with pandas'
own calendar, roll-up by path prefix, indices item by item), and computes intervals with
textbook formulas (scipy's t quantile, Wilson by hand) rather than Rapport's functions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rapport.analytics.metrics import Dimension, Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics_results import compute_metric

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("metrics-conformance")]

CUSTOMER = 1
EMPLOYEE = 2


def _answers(frames, survey_id: int) -> pd.DataFrame:
    r = frames["responses"]
    r = r[r.survey_id == survey_id].copy()
    r["submitted_at"] = pd.to_datetime(r["submitted_at"], utc=True, format="mixed")
    a = frames["answers"].merge(r, left_on="response_id", right_on="id", suffixes=("", "_r"))
    return a.merge(
        frames["survey_items"],
        on=["survey_version_id", "question_id", "item"],
        how="left",
        suffixes=("", "_si"),
    )


def _wilson(x: int, n: int, z: float = stats.norm.ppf(0.975)) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)


def _assert_share(estimate, x: int, n: int) -> None:
    """A share of ``x`` in ``n`` as a percentage with its Wilson interval, to 1e-9."""
    assert estimate.value == pytest.approx(100 * x / n, abs=1e-9)
    lower, upper = _wilson(x, n)
    assert estimate.lower == pytest.approx(lower, abs=1e-9)
    assert estimate.upper == pytest.approx(upper, abs=1e-9)


def _by_key(table, position_dim=Dimension.UNIT):
    at = table.query.grouping.position(position_dim)
    out = {}
    for row in table.rows:
        key = row.key[at] if at is not None else ()
        if position_dim is Dimension.UNIT:
            key = table.units[key].path
        out[(key, row.emotion)] = row
    return out


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "duckdb"])
def test_nps_by_unit_rolls_up_the_tree(conformance, engine) -> None:
    frames = conformance.frames
    a = _answers(frames, CUSTOMER)
    nps = a[(a.qtype == "nps") & a.value_num.notna()]
    paths = frames["units"].set_index("id")["path"]
    nps = nps.assign(path=nps.unit_id.map(paths))
    table = compute_metric(
        conformance.engines[engine],
        MetricQuery(get_metric("nps"), Grouping.of(["unit"]), Filters(survey_ids=(CUSTOMER,))),
    )
    rows = _by_key(table)
    for path in paths:
        inside = nps[(nps.path == path) | nps.path.str.startswith(path + "/")]
        row = rows[(path, None)]
        assert row.n == len(inside)
        if len(inside) == 0:
            assert row.estimate.value is None
            continue
        expected = (
            100 * ((inside.value_num >= 9).sum() - (inside.value_num <= 6).sum()) / len(inside)
        )
        assert row.estimate.value == pytest.approx(expected, abs=1e-9)
        assert row.detail["promoters"] == (inside.value_num >= 9).sum()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "duckdb"])
def test_hearts_by_month_from_items(conformance, engine) -> None:
    a = _answers(conformance.frames, CUSTOMER)
    items = a[a.tags.fillna("").str.split().map(lambda t: any(x.startswith("heart.") for x in t))]
    items = items[
        items.value_num.notna() & items.qtype.isin(["likert", "matrix", "csat", "ces", "nps"])
    ]
    reverse = items.reverse_keyed.astype(bool)
    score = (
        np.where(
            reverse,
            items.scale_max - items.value_num,
            items.value_num - items.scale_min,
        )
        * 100.0
        / (items.scale_max - items.scale_min)
    )
    per_response = (
        items.assign(score=score)
        .groupby("response_id")
        .agg(score=("score", "mean"), submitted_at=("submitted_at", "first"))
    )
    per_response["month"] = (
        per_response.submitted_at.dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .dt.to_period("M")
        .dt.start_time.dt.date
    )
    table = compute_metric(
        conformance.engines[engine],
        MetricQuery(
            get_metric("hearts"), Grouping.of([], period="month"), Filters(survey_ids=(CUSTOMER,))
        ),
    )
    rows = {row.key[0]: row for row in table.rows}
    assert set(rows) == set(per_response.month)
    for month, group in per_response.groupby("month"):
        row = rows[month]
        n, mean, sd = len(group), group.score.mean(), group.score.std(ddof=1)
        half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        assert row.n == n
        assert row.estimate.value == pytest.approx(mean, abs=1e-9)
        assert row.estimate.lower == pytest.approx(mean - half, abs=1e-9)
        assert row.estimate.upper == pytest.approx(mean + half, abs=1e-9)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "duckdb"])
def test_emotion_shares_by_segment(conformance, engine) -> None:
    frames = conformance.frames
    a = _answers(frames, CUSTOMER)
    emotions = a[a.question_id == "emotions"].copy()
    responses = frames["responses"].set_index("id")
    segment = responses.attributes.map(
        lambda v: (v if isinstance(v, dict) else __import__("json").loads(v)).get("segment")
    )
    emotions["segment"] = emotions.response_id.map(segment)
    table = compute_metric(
        conformance.engines[engine],
        MetricQuery(
            get_metric("emotions"),
            Grouping.of([], attribute="segment"),
            Filters(survey_ids=(CUSTOMER,)),
        ),
    )
    checked = 0
    for row in table.rows:
        group = (
            emotions[emotions.segment.isna()]
            if row.key[0] is None
            else emotions[emotions.segment == row.key[0]]
        )
        n = group.response_id.nunique()
        chosen = group[group.item == row.emotion].response_id.nunique()
        assert (row.n, row.detail["chosen"]) == (n, chosen)
        if n:
            _assert_share(row.estimate, chosen, n)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "duckdb"])
def test_top_box_by_quarter_uses_each_versions_scale(conformance, engine) -> None:
    a = _answers(conformance.frames, CUSTOMER)
    fresh = a[(a.question_id == "fresh") & a.value_num.notna()].copy()
    fresh["quarter"] = (
        fresh.submitted_at.dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .dt.to_period("Q")
        .dt.start_time.dt.date
    )
    fresh["top"] = fresh.value_num >= fresh.scale_max
    assert set(fresh.scale_max) == {5.0, 7.0}
    table = compute_metric(
        conformance.engines[engine],
        MetricQuery(
            get_metric("top_box"),
            Grouping.of([], period="quarter"),
            Filters(survey_ids=(CUSTOMER,)),
            question="fresh",
        ),
    )
    rows = {row.key[0]: row for row in table.rows}
    for quarter, group in fresh.groupby("quarter"):
        assert rows[quarter].n == len(group)
        assert rows[quarter].detail["successes"] == group.top.sum()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "duckdb"])
def test_response_rate_by_unit_and_quarter(conformance, engine) -> None:
    """Invitations answered / sent per unit (rolled up) and quarter sent, Wilson by hand."""
    frames = conformance.frames
    invitations = frames["invitations"].merge(
        frames["distributions"], left_on="distribution_id", right_on="id", suffixes=("", "_d")
    )
    versions = frames["survey_versions"].set_index("id")["survey_id"]
    invitations = invitations[invitations.survey_version_id.map(versions) == EMPLOYEE]
    sent = pd.to_datetime(invitations.sent_at.fillna(invitations.created_at), utc=True)
    paths = frames["units"].set_index("id")["path"]
    invitations = invitations.assign(
        path=invitations.unit_id.map(paths),
        quarter=sent.dt.tz_localize(None).dt.to_period("Q").dt.start_time.dt.date,
        answered=invitations.used_at.notna(),
    )
    assert 0 < invitations.answered.mean() < 1  # the demo plants about 68 %
    table = compute_metric(
        conformance.engines[engine],
        MetricQuery(
            get_metric("response_rate"),
            Grouping.of(["unit"], period="quarter"),
            Filters(survey_ids=(EMPLOYEE,)),
        ),
    )
    checked = 0
    for row in table.rows:
        path, quarter = table.units[row.key[0]].path, row.key[1]
        inside = invitations[
            ((invitations.path == path) | invitations.path.str.startswith(path + "/"))
            & (invitations.quarter == quarter)
        ]
        assert row.n == len(inside)
        if len(inside):
            x = int(inside.answered.sum())
            _assert_share(row.estimate, x, len(inside))
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "duckdb"])
def test_comment_emotions_by_unit(conformance, engine) -> None:
    """Per Ekman emotion, the share of read comments showing it, rolled up the unit tree."""
    frames = conformance.frames
    r = frames["responses"]
    c = frames["comment_analyses"].merge(r[r.survey_id == CUSTOMER], left_on="response_id",
                                         right_on="id", suffixes=("", "_r"))  # fmt: skip
    read = c[c.status == "ok"]
    assert 0 < len(read) < len(c)  # "ok" is too short to read
    paths = frames["units"].set_index("id")["path"]
    read = read.assign(path=read.unit_id.map(paths), emotions=read.ekman.str.split())
    table = compute_metric(
        conformance.engines[engine],
        MetricQuery(
            get_metric("comment_emotions"), Grouping.of(["unit"]), Filters(survey_ids=(CUSTOMER,))
        ),
    )
    rows = _by_key(table)
    checked = 0
    for (path, emotion), row in rows.items():
        inside = read[(read.path == path) | read.path.str.startswith(path + "/")]
        assert row.n == len(inside)
        if len(inside):
            x = int(inside.emotions.map(lambda found, e=emotion: e in found).sum())
            assert row.detail["chosen"] == x
            _assert_share(row.estimate, x, len(inside))
            checked += 1
    assert checked > 10
    assert {e for _, e in rows} >= {"anger", "joy"}
