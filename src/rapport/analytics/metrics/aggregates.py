"""Metric statements over ``metric_aggregates``, and the one rule for when they may answer.

``metric_aggregates`` (:mod:`rapport.storage.aggregates`) holds sufficient statistics per
survey version × unit × audience × month (UTC), written with every response. A query whose
cut and filters nest in that grain is answered from it — a few thousand rows instead of
every answer — with the same sufficient statistics the raw statements return
(:func:`rapport.analytics.metrics.sql.metric_statements`), so everything after SQL (roll-up,
margins, intervals, suppression) is shared. :func:`fallback_reason` is the one place that
says when the raw statements must run instead:

>>> from rapport.analytics.metrics import Grouping, MetricQuery, get_metric
>>> fallback_reason(MetricQuery(get_metric("nps"), Grouping.of(["unit"], period="month")))
>>> fallback_reason(MetricQuery(get_metric("nps"), Grouping.of([], period="week")))
'weeks do not nest in months'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Double,
    Label,
    Select,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from rapport.analytics.metrics import (
    Dimension,
    Filters,
    Grouping,
    MetricQuery,
    Period,
    ScoredItem,
    Statistic,
)
from rapport.analytics.metrics import sql as metric_sql


def fallback_reason(query: MetricQuery) -> str | None:
    """Why the aggregates cannot answer ``query`` (the raw statements must), or None.

    >>> from rapport.analytics.metrics import Filters, MetricQuery, get_metric
    >>> fallback_reason(MetricQuery(get_metric("hearts"), filters=Filters(
    ...     since=datetime(2026, 1, 15, tzinfo=UTC))))
    'the time window does not fall on month boundaries (UTC)'
    """
    metric, grouping, filters = query.metric, query.grouping, query.filters
    if metric.statistic is Statistic.RATE:
        return "rates count invitations or people"
    if metric.cases:
        return "closed-loop metrics are read from the cases"
    if metric.comments == "relationship":
        return "relationship emotions are counted from comment analyses' labels"
    if metric.repeat_days:
        return "repeat complaints compare one person's responses"
    if filters.within is not None:
        return "responses within a person attribute are not aggregated"
    if Dimension.ATTRIBUTE in grouping.by and not _by_attribute_kept(query):
        return "person attributes are aggregated for response counts and top-level indices only"
    if grouping.period is Period.WEEK:
        return "weeks do not nest in months"
    if not all(month_boundary(b) for b in (filters.since, filters.until) if b is not None):
        return "the time window does not fall on month boundaries (UTC)"
    if metric.statistic is Statistic.INDEX and query.question is not None:
        return "an index of one question is scored from its answers"
    return None


def _by_attribute_kept(query: MetricQuery) -> bool:
    """Counts, and indices of a top-level construct (``heart``, not ``heart.delight``),
    are kept by person attribute (:mod:`rapport.storage.page_aggregates`)."""
    metric = query.metric
    if metric.statistic is Statistic.COUNT:
        return True
    prefix = metric.tag_prefix or ""
    return metric.statistic is Statistic.INDEX and prefix != "" and "." not in prefix


def month_boundary(moment: datetime) -> bool:
    """True at midnight UTC on the first of a month (a naive time is UTC).

    >>> month_boundary(datetime(2026, 3, 1)), month_boundary(datetime(2026, 3, 1, 1))
    (True, False)
    """
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return utc.day == 1 and utc.time() == datetime.min.time()


def month_of(moment: datetime) -> date:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return utc.date()


def period_of_month(month: date, period: Period) -> date:
    """The first day of the period a month falls in.

    >>> period_of_month(date(2025, 8, 1), Period.QUARTER)
    datetime.date(2025, 7, 1)
    """
    if period is Period.YEAR:
        return date(month.year, 1, 1)
    if period is Period.QUARTER:
        return date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    return date(month.year, month.month, 1)


# --- statements ----------------------------------------------------------------------------


def _agg() -> Any:
    return metric_sql.table("metric_aggregates")


#: The table that keeps a statistic by person attribute.
_BY_ATTRIBUTE = {
    Statistic.COUNT: "attribute_aggregates",
    Statistic.INDEX: "attribute_index_aggregates",
}


def _dimensions(grouping: Grouping, g: Any = None) -> list[Label[Any]]:
    """Dimension columns of the aggregate ``g`` (``metric_aggregates`` by default);
    periods come out as months (the caller maps them to the grouping's period). An
    attribute is ``attribute_aggregates.value``, NULL in any other table."""
    g = _agg() if g is None else g
    column = {
        Dimension.UNIT: g.c.unit_id,
        Dimension.PERIOD: g.c.month,
        Dimension.AUDIENCE: g.c.audience,
        Dimension.SURVEY_VERSION: g.c.survey_version_id,
        Dimension.ATTRIBUTE: g.c.value if g.name in _BY_ATTRIBUTE.values() else null(),
    }
    return [column[dim].label(dim.value) for dim in grouping.by]


def _conditions(filters: Filters, kind: str | None, g: Any = None) -> list[ColumnElement[bool]]:
    g = _agg() if g is None else g
    conditions: list[ColumnElement[bool]] = [] if kind is None else [g.c.kind == kind]
    if filters.survey_ids is not None:
        # ``+ 0``: the primary key (kind, key, item) is the selective path; grouped by month,
        # SQLite chose the (survey_id, month) index to skip a sort and read every row of
        # the survey instead (1.2 s for NPS by month at 160 units, 0.03 s by the key).
        conditions.append((g.c.survey_id + 0).in_(filters.survey_ids))
    if filters.audience is not None:
        conditions.append(g.c.audience == filters.audience)
    if filters.units is not None:
        conditions.append(g.c.unit_id.in_(filters.units))
    if filters.since is not None:
        conditions.append(g.c.month >= month_of(filters.since))
    if filters.until is not None:
        conditions.append(g.c.month < month_of(filters.until))
    return conditions


def _sum_if(condition: ColumnElement[bool], g: Any) -> ColumnElement[Any]:
    return func.sum(case((condition, g.c.n), else_=literal_column("0")))


def _grouped(dims: Sequence[Label[Any]], *aggregates: Label[Any]) -> Select[Any]:
    return select(*dims, *aggregates).group_by(*(c.element for c in dims))


def aggregate_statements(
    query: MetricQuery,
    items: Sequence[ScoredItem],
    all_versions: frozenset[int],
    chosen: Sequence[str] | None = None,
) -> dict[str, Select[Any] | CompoundSelect[Any]]:
    """The statements of :func:`rapport.analytics.metrics.sql.metric_statements` for
    ``query``, over the aggregate (call only when :func:`fallback_reason` is None).

    Period values in the rows are months; every statistic equals the raw one exactly
    (counts are sums of counts; sums come from the value histograms, whose values are
    the answers themselves).

    ``chosen``: for emotions, every emotion the query's rows can name (those chosen
    anywhere the query looks, its units aside): the chosen counts are then looked up by
    emotion and survey version, the primary key's columns before the unit. Without them
    SQLite reads every emotion row of the question to find one unit's.
    """
    reason = fallback_reason(query)
    if reason is not None:
        raise ValueError(f"the aggregates cannot answer this query: {reason}")
    g = _agg()
    dims = _dimensions(query.grouping)
    filters = query.filters
    statistic = query.metric.statistic
    n = _n_of(g)
    if query.metric.comments:
        return _comment_statements(query)
    if Dimension.ATTRIBUTE in query.grouping.by:
        return {"stats": _by_attribute(query)}
    if statistic is Statistic.COUNT:
        return {"stats": _grouped(dims, n).where(*_conditions(filters, "responses"))}
    if statistic is Statistic.INDEX:
        prefix = query.metric.tag_prefix or ""
        where = [*_conditions(filters, "index"), g.c.key == prefix]
        total = func.sum(g.c.total).label("total")
        total_sq = func.sum(g.c.total_sq).label("total_sq")
        return {"stats": _grouped(dims, n, total, total_sq).where(*where)}
    per_item = statistic is not Statistic.EMOTIONS
    if statistic is Statistic.EMOTIONS:
        answered_of, answered = _chosen(
            _conditions(filters, "answered"), items, all_versions, per_item
        )
        values = _conditions(filters, "value")
        if chosen is not None:
            values += [
                g.c.item.in_(sorted(chosen)),
                g.c.survey_version_id.in_(sorted(all_versions)),
            ]
        values_of, values = _chosen(values, items, all_versions, per_item)
        emotion = values_of.c.item.label("emotion")
        return {
            "stats": _grouped(_dimensions(query.grouping, answered_of), _n_of(answered_of)).where(
                *answered
            ),
            "emotions": _grouped(
                [*_dimensions(query.grouping, values_of), emotion],
                func.sum(values_of.c.n).label("chosen"),
            ).where(*values),
        }
    g, values = _chosen(_conditions(filters, "value"), items, all_versions, per_item)
    dims, n = _dimensions(query.grouping, g), _n_of(g)
    if statistic is Statistic.NPS:
        stats = _grouped(
            dims,
            n,
            _sum_if(g.c.value >= 9, g).label("promoters"),
            _sum_if(g.c.value <= 6, g).label("detractors"),
        )
    elif statistic is Statistic.SHARE:
        boxes = query.metric.top_boxes - 1
        threshold = {i.survey_version_id: float(i.scale_max or 0) - boxes for i in items}
        successes = _sum_if(g.c.value >= _per_version(threshold, g), g)
        stats = _grouped(dims, n, successes.label("successes"))
    else:
        deviation = g.c.value - literal(metric_sql.mean_centre(items), Double())
        stats = _grouped(
            dims,
            n,
            func.sum(g.c.n * deviation).label("total"),
            func.sum(g.c.n * deviation * deviation).label("total_sq"),
        )
    return {"stats": stats.where(*values)}


def _n_of(g: Any) -> Label[Any]:
    return func.sum(g.c.n).label("n")


def _chosen(
    conditions: list[ColumnElement[bool]],
    items: Sequence[ScoredItem],
    all_versions: frozenset[int],
    per_item: bool,
) -> tuple[Any, list[ColumnElement[bool]]]:
    """The aggregate rows of the metric's questions: ``(source, conditions)`` for the
    outer statement. One question: ``metric_aggregates`` under ``conditions`` and its own.
    Several (an audience's surveys asking NPS under different keys): each question's rows
    read apart and put together (UNION ALL; a row has one question, so none twice). Their
    OR made SQLite walk every row of the kind (1.3 million at 400 units, 0.13 s for NPS by
    month over the open months), where each alone is a search of the primary key."""
    g = _agg()
    alternatives = metric_sql.item_alternatives(
        items,
        all_versions,
        match_item=per_item,
        columns=(g.c.key, g.c.item, g.c.survey_version_id),
    )
    if len(alternatives) < 2:
        return g, [*conditions, *alternatives]
    parts = [select(g).where(*conditions, alternative) for alternative in alternatives]
    return union_all(*parts).subquery("chosen_aggregates"), []


def _per_version(value: dict[int, float], g: Any) -> ColumnElement[Any]:
    distinct = set(value.values())
    if len(distinct) == 1:
        return literal(distinct.pop(), Double())
    return case(
        *((g.c.survey_version_id == v, literal(x, Double())) for v, x in sorted(value.items()))
    )


def _comment_statements(query: MetricQuery) -> dict[str, Select[Any] | CompoundSelect[Any]]:
    """Comments read (``n``) and, per sentiment or Ekman emotion, how many show it, from
    ``comment_aggregates`` (the raw statements count ``comment_analyses``)."""
    c = metric_sql.table("comment_aggregates")
    dims = _dimensions(query.grouping, c)
    where = _conditions(query.filters, None, c)
    kind = "sentiment" if query.metric.comments == "sentiment" else "ekman"
    emotion = c.c.key.label("emotion")
    return {
        "stats": _grouped(dims, func.sum(c.c.n).label("n")).where(*where, c.c.kind == "read"),
        "emotions": _grouped([*dims, emotion], func.sum(c.c.n).label("chosen")).where(
            *where, c.c.kind == kind
        ),
    }


def _by_attribute(query: MetricQuery) -> CompoundSelect[Any] | Select[Any]:
    """Responses (COUNT: ``n``) or index sums (INDEX: ``n``, ``total``, ``total_sq``) by
    person attribute and the other dimensions: each value's from its table of
    :data:`_BY_ATTRIBUTE`; responses without the attribute (NULL, as the raw statement
    groups them) are all responses less those with a value. Groups of 0 responses are
    left out, as a raw GROUP BY leaves them out."""
    index = query.metric.statistic is Statistic.INDEX
    a, g = metric_sql.table(_BY_ATTRIBUTE[query.metric.statistic]), _agg()
    sums = ("n", "total", "total_sq") if index else ("n",)
    filters = query.filters
    named = [*_conditions(filters, None, a), a.c.name == (query.grouping.attribute or "")]
    every_of = _conditions(filters, "index" if index else "responses")
    if index:
        prefix = query.metric.tag_prefix or ""
        named.append(a.c.key == prefix)
        every_of.append(g.c.key == prefix)
    with_value = select(*_dimensions(query.grouping, a), *(a.c[s] for s in sums)).where(*named)
    every = select(*_dimensions(query.grouping), *(g.c[s] for s in sums)).where(*every_of)
    others = [d if d.name != Dimension.ATTRIBUTE.value else null().label(d.name)
              for d in _dimensions(query.grouping, a)]  # fmt: skip
    less = select(*others, *((-a.c[s]).label(s) for s in sums)).where(*named)
    parts = union_all(with_value, every, less).subquery("counted")
    dims = [parts.c[dim.value].label(dim.value) for dim in query.grouping.by]
    n = func.sum(parts.c.n)
    return (
        select(*dims, n.label("n"), *(func.sum(parts.c[s]).label(s) for s in sums[1:]))
        .group_by(*(parts.c[dim.value] for dim in query.grouping.by))
        .having(n != 0)
    )
