"""Every metric × grouping on every engine gives the same numbers (to 1e-9).

The SQLite result is the reference; keys are compared by unit path and version number (ids
are engine-local in principle), values, bounds and the statistics behind them to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import pytest

from rapport.analytics.metrics import Dimension, Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.aggregates import fallback_reason
from rapport.analytics.metrics.results import MetricTable, compute_metric
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.services import metrics as service

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("metrics-conformance")]

TOLERANCE = 1e-9
METRICS = [
    ("responses", None),
    ("nps", None),
    ("csat_top2", None),
    ("csat_mean", None),
    ("ces_mean", None),
    ("top_box", "fresh"),
    ("hearts", None),
    ("minds", None),
    ("index:relationship", None),
    ("emotions", None),
    ("comment_emotions", None),
    ("comment_sentiment", None),
    ("comment_relationship", None),
    ("repeat_complaints", None),
]
GROUPINGS = {
    "total": Grouping.of([]),
    "unit": Grouping.of(["unit"]),
    "week": Grouping.of([], period="week"),
    "month": Grouping.of([], period="month"),
    "quarter": Grouping.of([], period="quarter"),
    "year": Grouping.of([], period="year"),
    "segment": Grouping.of([], attribute="segment"),
    "vip": Grouping.of([], attribute="vip"),
    "visits": Grouping.of([], attribute="visits"),
    "channel (some erased)": Grouping.of([], attribute="preferred_channel"),
    "version+audience": Grouping.of(["survey_version", "audience"]),
    "unit×month": Grouping.of(["unit"], period="month"),
    "unit×tenure": Grouping.of(["unit"], attribute="tenure_band"),
}


def comparable(table: MetricTable) -> list[tuple[object, ...]]:
    """Rows with engine-neutral keys: unit path, version number."""
    out = []
    for row in table.rows:
        key: list[Hashable] = []
        for dim, value in zip(table.query.grouping.by, row.key, strict=True):
            if dim is Dimension.UNIT:
                key.append(table.units[int(value)].path)  # type: ignore[call-overload]
            elif dim is Dimension.SURVEY_VERSION:
                key.append(table.versions[int(value)][1])  # type: ignore[call-overload]
            else:
                key.append(value)
        e = row.estimate
        out.append((tuple(key), row.emotion, row.n, e.value, e.lower, e.upper, row.detail))
    return out


def assert_close(a: float | None, b: float | None, where: str) -> None:
    if a is None or b is None:
        assert a is None and b is None, where
        return
    assert math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE), f"{where}: {a} != {b}"


#: Invitations have no person attributes; the demo e-mails the employee survey (id 2).
RATE_GROUPINGS = {k: g for k, g in GROUPINGS.items() if Dimension.ATTRIBUTE not in g.by}


@pytest.mark.parametrize("grouping", GROUPINGS.values(), ids=GROUPINGS.keys())
@pytest.mark.parametrize(("metric", "question"), METRICS, ids=[m for m, _ in METRICS])
def test_every_engine_agrees(conformance, metric, question, grouping) -> None:
    query = MetricQuery(get_metric(metric), grouping, Filters(survey_ids=(1,)), question=question)
    assert_engines_agree(conformance, query)


@pytest.mark.parametrize("grouping", RATE_GROUPINGS.values(), ids=RATE_GROUPINGS.keys())
def test_response_rates_agree(conformance, grouping) -> None:
    query = MetricQuery(get_metric("response_rate"), grouping, Filters(survey_ids=(2,)))
    assert_engines_agree(conformance, query)


#: Reach counts the people directory: by unit, period and audience only.
REACH_GROUPINGS = {
    k: g
    for k, g in GROUPINGS.items()
    if not {Dimension.ATTRIBUTE, Dimension.SURVEY_VERSION} & set(g.by)
}


@pytest.mark.parametrize("grouping", REACH_GROUPINGS.values(), ids=REACH_GROUPINGS.keys())
def test_reach_agrees(conformance, grouping) -> None:
    query = MetricQuery(get_metric("reach"), grouping, Filters(survey_ids=(1,)))
    assert_engines_agree(conformance, query)


#: No survey named: the metric's question in each survey whose items it reads (NPS is
#: ``nps`` in the customer survey and ``enps`` in the employee one), read from the
#: aggregates question by question (``aggregates._chosen``).
ACROSS = {"every survey": Filters(), "customer audience": Filters(audience="customer")}
ACROSS_GROUPINGS = {k: GROUPINGS[k] for k in ("total", "unit×month", "version+audience")}


@pytest.mark.parametrize("grouping", ACROSS_GROUPINGS.values(), ids=ACROSS_GROUPINGS.keys())
@pytest.mark.parametrize("filters", ACROSS.values(), ids=ACROSS.keys())
@pytest.mark.parametrize("metric", ["nps", "csat_top2", "csat_mean", "emotions"])
def test_metrics_across_surveys_agree(conformance, metric, filters, grouping) -> None:
    query = MetricQuery(get_metric(metric), grouping, filters)
    assert_engines_agree(conformance, query)


def test_nps_across_surveys_reads_each_surveys_question(conformance) -> None:
    """Both surveys' NPS questions count, each under its own version (the union of the
    aggregates' parts lost neither)."""
    grouping = GROUPINGS["version+audience"]
    table = compute_metric(
        conformance.engines["sqlite"], MetricQuery(get_metric("nps"), grouping, Filters())
    )
    assert table.source == "aggregates"
    by = table.query.grouping.by
    answered = [dict(zip(by, row.key, strict=True)) for row in table.rows if row.n > 0]
    audiences = {key[Dimension.AUDIENCE] for key in answered}
    assert audiences == {"customer", "employee"}


def assert_engines_agree(conformance, query: MetricQuery) -> None:
    metric = query.metric.name
    tables = {name: compute_metric(e, query) for name, e in conformance.engines.items()}
    expected = "raw" if fallback_reason(query) else "aggregates"
    for name, table in tables.items():  # each path really ran where it should
        assert table.source == ("raw" if name.endswith("-raw") else expected), name
    results = {name: comparable(table) for name, table in tables.items()}
    reference = results.pop("sqlite")
    assert reference, "the reference engine returned no rows"
    assert any(row[2] > 0 for row in reference)
    for name, rows in results.items():
        assert len(rows) == len(reference), name
        for ref, got in zip(reference, rows, strict=True):
            where = f"{name} {metric} {ref[0]} {ref[1]}"
            assert got[:3] == ref[:3], where
            for a, b in zip(ref[3:6], got[3:6], strict=True):
                assert_close(a, b, where)
            assert ref[6].keys() == got[6].keys(), where
            for field in ref[6]:
                assert_close(ref[6][field], got[6][field], f"{where} {field}")


@pytest.mark.parametrize("metric", ["nps", "hearts", "emotions"])
@pytest.mark.parametrize("by", [["unit"], ["unit", "period"]])
def test_suppressed_results_agree(conformance, metric, by) -> None:
    """Employee results after suppression and manager scoping match on every engine."""
    request = service.MetricRequest(
        survey="employee-relationship", metric=metric, by=by, period="month"
    )
    manager = Principal("user", 9, "m", Role.MANAGER, unit_path="northwind/north")
    policy = SuppressionPolicy()
    outcomes = {}
    for name, engine in conformance.engines.items():
        full = service.compute(engine, SYSTEM, request, policy)
        scoped = service.compute(engine, manager, request, policy)
        outcomes[name] = (full, scoped)
    reference_full, reference_scoped = outcomes.pop("sqlite")
    assert any(r.suppressed for r in reference_full.rows)
    assert any(not r.suppressed for r in reference_full.rows)
    for name, (full, scoped) in outcomes.items():
        for ref_rows, rows in (
            (reference_full.rows, full.rows),
            (reference_scoped.rows, scoped.rows),
        ):
            assert len(rows) == len(ref_rows), name
            for ref, got in zip(ref_rows, rows, strict=True):
                where = f"{name} {ref.unit_path} {ref.period_label} {ref.emotion}"
                assert (got.unit_path, got.period, got.emotion, got.n) == (
                    ref.unit_path, ref.period, ref.emotion, ref.n
                ), where  # fmt: skip
                assert (got.suppressed, got.reason) == (ref.suppressed, ref.reason), where
                for field in ("value", "lower", "upper"):
                    assert_close(getattr(ref, field), getattr(got, field), where)


@pytest.mark.parametrize("metric", ["nps", "hearts", "emotions"])
@pytest.mark.parametrize("by", [["unit"], ["unit", "period"]])
def test_a_managers_rows_are_the_organisations_rows_of_their_subtree(
    conformance, kept_tables, metric, by
) -> None:
    """A manager's rows are the organisation's rows inside their subtree — the same groups,
    emotions, counts and decisions — whether the manager's table is built fresh (its rows
    summed from the subtree's leaf groups) or is the organisation's, kept across requests
    with every row already built. An emotion a subtree never chose still has its 0 % rows."""
    request = service.MetricRequest(
        survey="employee-relationship", metric=metric, by=by, period="month"
    )
    manager = Principal("user", 9, "m", Role.MANAGER, unit_path="northwind/north")
    policy = SuppressionPolicy()
    for name, engine in conformance.engines.items():
        kept_tables.clear()
        alone = service.compute(engine, manager, request, policy).rows
        kept_tables.clear()
        full = service.compute(engine, SYSTEM, request, policy).rows
        after = service.compute(engine, manager, request, policy).rows
        inside = [
            r for r in full if r.unit_path and f"{r.unit_path}/".startswith("northwind/north/")
        ]
        assert inside and any(r.suppressed for r in inside), name
        for rows in (alone, after):
            assert len(rows) == len(inside), name
            for ref, got in zip(inside, rows, strict=True):
                where = f"{name} {ref.unit_path} {ref.period_label} {ref.emotion}"
                assert (got.unit_path, got.period, got.emotion, got.n) == (
                    ref.unit_path, ref.period, ref.emotion, ref.n
                ), where  # fmt: skip
                assert (got.suppressed, got.reason) == (ref.suppressed, ref.reason), where
                for field in ("value", "lower", "upper"):
                    assert_close(getattr(ref, field), getattr(got, field), where)


def test_time_windows_agree_and_treat_bounds_as_utc(conformance) -> None:
    """``since`` is inclusive, ``until`` exclusive, both UTC whatever the session zone."""
    from datetime import UTC, datetime, timedelta, timezone

    since = datetime(2025, 12, 29, tzinfo=UTC)
    until = datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))  # midnight UTC
    query = MetricQuery(
        get_metric("responses"),
        Grouping.of([], period="week"),
        Filters(survey_ids=(1,), since=since, until=until),
    )
    results = {
        name: comparable(compute_metric(e, query)) for name, e in conformance.engines.items()
    }
    reference = results.pop("sqlite")
    # Monday 00:00 and New Year's Eve 23:59:59.999 are in; Sunday 23:59:59 and 2026 are out.
    import pandas as pd

    r = conformance.frames["responses"]
    at = pd.to_datetime(r.submitted_at, utc=True, format="mixed")
    inside = ((r.survey_id == 1) & (at >= since) & (at < until)).sum()
    assert inside >= 16
    assert [(row[0][0].isoformat(), row[2]) for row in reference] == [("2025-12-29", inside)]
    for name, rows in results.items():
        assert rows == reference, name


@pytest.mark.parametrize("metric", ["responses", "nps", "hearts", "emotions"])
def test_month_aligned_windows_read_the_aggregates_and_agree(conformance, metric) -> None:
    """A window on month boundaries (given in another time zone) is answered from the
    aggregates, equal to the raw answers on every engine; one cutting a month is not."""
    from datetime import UTC, datetime, timedelta, timezone

    since = datetime(2025, 10, 1, tzinfo=UTC)
    until = datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))  # midnight UTC
    query = MetricQuery(
        get_metric(metric),
        Grouping.of(["unit"], period="month"),
        Filters(survey_ids=(1,), since=since, until=until),
    )
    assert fallback_reason(query) is None
    assert_engines_agree(conformance, query)
    cut = MetricQuery(query.metric, query.grouping, Filters(survey_ids=(1,), since=since,
                      until=datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)))  # fmt: skip
    assert fallback_reason(cut) is not None
    assert_engines_agree(conformance, cut)
