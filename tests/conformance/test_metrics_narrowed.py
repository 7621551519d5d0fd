"""A customer request for one unit reads only its subtree (``Filters.units``) and gives the
organisation's rows for it: the same groups (periods and emotions the subtree never had
included, at n = 0), counts, values, intervals and labels, on every engine and on both the
aggregate and the raw path. Employee requests still read the whole organisation."""

from __future__ import annotations

import math
from dataclasses import asdict, fields, replace

import pytest

from rapport.analytics.metrics import (
    BUILTIN_METRICS,
    Filters,
    Grouping,
    MetricQuery,
    get_metric,
)
from rapport.analytics.metrics.catalog import load_units
from rapport.analytics.metrics.results import compute_metric
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.services import metrics as service

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("metrics-conformance")]

#: Every metric of the catalog (a customer survey of the conformance data answers them all;
#: ``top_box`` of the question the engines' suite names) and an index of a construct tag.
METRICS = [
    *((name, "fresh" if name == "top_box" else None) for name in BUILTIN_METRICS),
    ("index:relationship", None),
]
BY = {
    "none": ([], None),
    "unit": (["unit"], None),
    "unit×month": (["unit"], "month"),
    "quarter": ([], "quarter"),
}
CLOSE = ("value", "lower", "upper")
EXACT = [f.name for f in fields(service.ResultRow) if f.name not in (*CLOSE, "detail")]


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[MetricQuery]:
    """The queries ``compute`` ran statements for."""
    queries: list[MetricQuery] = []
    real = service.fetch_metric

    def recording(engine, query, *args):  # type: ignore[no-untyped-def]
        queries.append(query)
        return real(engine, query, *args)

    monkeypatch.setattr(service, "fetch_metric", recording)
    return queries


def focus_units(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A region and a store (a leaf) of it: code → path."""
    with engine.connect() as conn:
        units = load_units(conn).values()
    region = next(u for u in units if u.path == "northwind/north")
    store = min((u for u in units if u.kind == "store" and region.contains(u.path)),
                key=lambda u: u.path)  # fmt: skip
    return {region.code: region.path, store.code: store.path}


def assert_rows_equal(expected: list[service.ResultRow], got: list[service.ResultRow]) -> None:
    assert len(got) == len(expected)
    for ref, row in zip(expected, got, strict=True):
        where = f"{ref.unit_path} {ref.period_label} {ref.emotion}"
        mine, theirs = asdict(row), asdict(ref)
        assert {k: mine[k] for k in EXACT} == {k: theirs[k] for k in EXACT}, where
        # Sums of scores may add up in another order: the last bits of a mean can differ.
        assert mine["detail"].keys() == theirs["detail"].keys(), where
        pairs = [(theirs[k], mine[k]) for k in CLOSE]
        pairs += [(theirs["detail"][k], mine["detail"][k]) for k in theirs["detail"]]
        for a, b in pairs:
            assert (a is None) == (b is None), where
            assert a is None or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9), where


@pytest.mark.parametrize(("by", "period"), BY.values(), ids=BY.keys())
@pytest.mark.parametrize(("metric", "question"), METRICS, ids=[m for m, _ in METRICS])
def test_a_customer_units_rows_are_the_organisations_rows_of_its_subtree(
    conformance, kept_tables, read, metric, question, by, period
) -> None:
    policy = SuppressionPolicy()
    zero_rows = 0
    for name, engine in conformance.engines.items():
        for unit, focus in focus_units(engine).items():
            request = service.MetricRequest(
                survey="customer-relationship", metric=metric, by=by, period=period,
                question=question, unit=unit,
            )  # fmt: skip
            kept_tables.clear()
            read.clear()
            narrowed = service.compute(engine, SYSTEM, request, policy).rows
            (query,) = read
            subtree = query.filters.units
            assert subtree, f"{name}: {metric} for {unit} read the whole organisation"
            whole = service.compute(
                engine, SYSTEM, service.MetricRequest(**{**vars(request), "unit": None,
                                                         "by": [*by, "unit"]}), policy,
            ).rows  # fmt: skip
            if "unit" in by:
                inside = [r for r in whole if f"{r.unit_path}/".startswith(f"{focus}/")]
            else:
                inside = [r for r in whole if r.unit_path == focus]
            # Customers get no invitations here: their response rate has no rows at all.
            assert inside or metric == "response_rate", f"{name} {unit}"
            assert_rows_equal(inside, narrowed)
            zero_rows += sum(1 for r in narrowed if r.n == 0)
    if period == "month" and metric in ("nps", "comment_relationship", "emotions"):
        assert zero_rows, "no period the subtree lacks: the margin read is not exercised"


def test_an_employee_request_for_a_unit_reads_the_whole_organisation(
    conformance, kept_tables, read
) -> None:
    """Employee groups are decided over the whole organisation (differencing): a unit's
    request and a manager's read every unit's responses."""
    policy = SuppressionPolicy()
    manager = Principal("user", 9, "m", Role.MANAGER, unit_path="northwind/north")
    engine = conformance.engines["sqlite"]
    store = list(focus_units(engine))[1]
    for principal, unit in ((SYSTEM, store), (manager, None), (manager, store)):
        read.clear()
        kept_tables.clear()
        request = service.MetricRequest(
            survey="employee-relationship", metric="nps", by=["unit"], unit=unit
        )
        service.compute(engine, principal, request, policy)
        assert [q.filters.units for q in read] == [None]


def test_a_customer_managers_request_reads_their_subtree(conformance, kept_tables, read) -> None:
    policy = SuppressionPolicy()
    manager = Principal("user", 9, "m", Role.MANAGER, unit_path="northwind/north")
    engine = conformance.engines["sqlite"]
    with engine.connect() as conn:
        units = load_units(conn).values()
    north = sorted(u.id for u in units if f"{u.path}/".startswith("northwind/north/"))
    request = service.MetricRequest(survey="customer-relationship", metric="nps", by=["unit"])
    service.compute(engine, manager, request, policy)
    assert [q.filters.units for q in read] == [tuple(north)]


@pytest.mark.parametrize(("metric", "question"), METRICS, ids=[m for m, _ in METRICS])
def test_every_statement_reads_only_the_units_asked_for(conformance, metric, question) -> None:
    """Each statement builder honours ``Filters.units``: a table read for a subtree has
    the whole table's rows there."""
    for name, engine in conformance.engines.items():
        focus = focus_units(engine)
        with engine.connect() as conn:
            units = load_units(conn).values()
        for path in focus.values():
            subtree = tuple(sorted(u.id for u in units if f"{u.path}/".startswith(f"{path}/")))
            grouping = Grouping.of(["unit"], period="month")
            query = MetricQuery(get_metric(metric), grouping, Filters((1,), "customer"),
                                question=question)  # fmt: skip
            part = replace(query, filters=replace(query.filters, units=subtree))
            inside = {0: lambda u, s=set(subtree): u in s}  # type: ignore[misc]
            whole = compute_metric(engine, query).rows_where(inside)
            table = compute_metric(engine, part)
            assert set(table.leaf) <= {k for k in table.leaf if k[0] in subtree}, name
            got = table.rows_where(inside)
            assert [(r.key, r.emotion, r.n) for r in got] == [
                (r.key, r.emotion, r.n) for r in whole
            ], f"{name} {path}"
            for a, b in zip(whole, got, strict=True):
                assert a.detail.keys() == b.detail.keys()
                for k in a.detail:
                    assert math.isclose(a.detail[k], b.detail[k], rel_tol=1e-12, abs_tol=1e-9)
