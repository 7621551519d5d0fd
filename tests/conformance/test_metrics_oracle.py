"""Every metric on every engine against the independent pandas oracle (``oracle.py``).

The engines share one SQL generator, so agreeing with each other proves little: a metric
that counts the wrong boxes or reads the wrong question agrees everywhere. Here each metric ×
grouping × engine is compared with a computation from the raw rows of the database the
engine reads — SQLite, PostgreSQL, and the DuckDB snapshot of each — row by row: the set of
groups, ``n``, the value, both interval bounds (statsmodels' Wilson, scipy's t, Rocks'
adjusted Wald) and the counts behind them, to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import pytest

from rapport.analytics.metrics import Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.results import MetricTable, compute_metric
from tests.conformance.conftest import SOURCE
from tests.conformance.oracle import Cut, Expected, expected_table

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("metrics-conformance")]

CUSTOMER, EMPLOYEE = 1, 2
TOLERANCE = 1e-9
ENGINES = ["sqlite", "postgresql", "duckdb", "duckdb-from-pg"]
ENGINES += [f"{name}-raw" for name in ENGINES]  # the same, never reading the aggregates
METRICS = [
    ("responses", None),
    ("nps", None),
    ("csat_top2", None),
    ("csat_mean", None),
    ("ces_mean", None),
    ("top_box", "fresh"),
    ("hearts", None),
    ("minds", None),
    ("index:relationship", None),  # a reverse-keyed item; `fresh` on 5 and 7 points
    ("index:loyalty", None),  # the 0-10 NPS item rescaled
    ("index:mind.effort", None),  # CES alone, 1-7
    ("emotions", None),
    ("comment_emotions", None),
    ("comment_sentiment", None),
]
CUTS = {
    "total": Cut(),
    "unit": Cut(("unit",)),
    "week": Cut(("period",), period="week"),
    "month": Cut(("period",), period="month"),
    "quarter": Cut(("period",), period="quarter"),
    "year": Cut(("period",), period="year"),
    "segment": Cut(("attribute",), attribute="segment"),
    "vip": Cut(("attribute",), attribute="vip"),
    "visits": Cut(("attribute",), attribute="visits"),
    "version+audience": Cut(("audience", "survey_version")),
    "unit_quarter": Cut(("unit", "period"), period="quarter"),
}
_CACHE: dict[tuple[str, str, Cut, tuple[int, ...] | None, str | None], dict] = {}


def engine_rows(table: MetricTable) -> dict[tuple[tuple[Hashable, ...], str | None], object]:
    """The engine's rows keyed as the oracle keys them: unit path, version number."""
    out = {}
    for row in table.rows:
        key: list[Hashable] = []
        for dim, value in zip(table.query.grouping.by, row.key, strict=True):
            if dim.value == "unit":
                key.append(table.units[value].path)  # type: ignore[index]
            elif dim.value == "survey_version":
                key.append(table.versions[value][1])  # type: ignore[index]
            else:
                key.append(value)
        out[(tuple(key), row.emotion)] = row
    return out


def _close(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=0, abs_tol=TOLERANCE)


def assert_matches_oracle(
    conformance, engine: str, metric: str, cut: Cut, survey_ids, question=None
) -> int:
    """Compare one engine's table with the oracle; returns the number of non-empty groups."""
    cache_key = (SOURCE[engine], metric, cut, survey_ids, question)
    if cache_key not in _CACHE:
        frames = conformance.frames_of(engine)
        _CACHE[cache_key] = expected_table(frames, metric, cut, survey_ids, question)
    expected: dict[tuple, Expected] = _CACHE[cache_key]
    grouping = Grouping.of(
        [d for d in cut.by if d not in ("period", "attribute")], cut.period, cut.attribute
    )
    query = MetricQuery(get_metric(metric), grouping, Filters(survey_ids), question=question)
    got = engine_rows(compute_metric(conformance.engines[engine], query))
    missing, extra = expected.keys() - got.keys(), got.keys() - expected.keys()
    assert not missing and not extra, f"{engine} {metric}: missing {missing}, extra {extra}"
    for where, want in expected.items():
        row = got[where]
        e = row.estimate  # type: ignore[attr-defined]
        observed = (row.n, e.value, e.lower, e.upper)  # type: ignore[attr-defined]
        assert row.n == want.n, (engine, metric, where, observed, want)  # type: ignore[attr-defined]
        for value, target in zip(observed[1:], (want.value, want.lower, want.upper), strict=True):
            assert _close(value, target), (engine, metric, where, observed, want)
        for name, count in want.detail.items():
            assert row.detail[name] == count, (engine, metric, where, name)  # type: ignore[attr-defined]
    return len({key for (key, _), w in expected.items() if w.n})


@pytest.mark.parametrize("cut", CUTS.values(), ids=CUTS.keys())
@pytest.mark.parametrize(("metric", "question"), METRICS, ids=[m for m, _ in METRICS])
@pytest.mark.parametrize("engine", ENGINES)
def test_customer_metrics_match_the_oracle(conformance, engine, metric, question, cut) -> None:
    shown = assert_matches_oracle(conformance, engine, metric, cut, (CUSTOMER,), question)
    assert shown > 0


EMPLOYEE_METRICS = ["responses", "nps", "ces_mean", "hearts", "minds", "emotions"]
EMPLOYEE_CUTS = {
    "unit_month": Cut(("unit", "period"), period="month"),
    "role": Cut(("attribute",), attribute="role"),
    "unit_tenure": Cut(("unit", "attribute"), attribute="tenure_band"),
}


@pytest.mark.parametrize("cut", EMPLOYEE_CUTS.values(), ids=EMPLOYEE_CUTS.keys())
@pytest.mark.parametrize("metric", EMPLOYEE_METRICS)
@pytest.mark.parametrize("engine", ENGINES)
def test_employee_metrics_match_the_oracle(conformance, engine, metric, cut) -> None:
    """The employee survey (eNPS, a sixth heart item), before any suppression."""
    assert assert_matches_oracle(conformance, engine, metric, cut, (EMPLOYEE,)) > 0


@pytest.mark.parametrize("metric", ["responses", "nps", "ces_mean", "hearts", "emotions"])
@pytest.mark.parametrize("engine", ENGINES)
def test_both_surveys_by_audience_match_the_oracle(conformance, engine, metric) -> None:
    """No survey filter: each version's own NPS question (``nps``, ``enps``), by audience."""
    cut = Cut(("audience",))
    assert assert_matches_oracle(conformance, engine, metric, cut, None) == 2


RATE_CUTS = {k: c for k, c in CUTS.items() if "attribute" not in c.by}


@pytest.mark.parametrize("cut", RATE_CUTS.values(), ids=RATE_CUTS.keys())
@pytest.mark.parametrize("engine", ENGINES)
def test_response_rates_match_the_oracle(conformance, engine, cut) -> None:
    """Invitations answered / sent per unit (rolled up) and period sent."""
    assert assert_matches_oracle(conformance, engine, "response_rate", cut, (EMPLOYEE,)) > 0


def test_the_dataset_exercises_every_definition(conformance) -> None:
    """The traps the oracle tests rely on are in the data, on both databases."""
    for source, frames in conformance.sources.items():
        items = frames["survey_items"]
        answers = (
            frames["answers"]
            .merge(items, on=["question_id", "item"], suffixes=("", "_si"))
            .drop_duplicates("id")
        )
        csat = answers[answers.qtype == "csat"].value_num
        # Answers of 3 (top-3 but not top-2) and CSAT ≠ CES answers tell the definitions apart.
        assert {3, 4, 5} <= set(csat.dropna()), source
        assert set(items[items.question_id == "fresh"].scale_max) == {5.0, 7.0}, source
        assert items.reverse_keyed.astype(bool).any(), source
        comments = frames["comment_analyses"]
        assert 0 < (comments.status == "ok").sum() < len(comments), source
        assert comments[comments.status == "ok"].sentiment.nunique() >= 2, source
        invitations = frames["invitations"]
        assert 0 < invitations.used_at.notna().mean() < 1, source
