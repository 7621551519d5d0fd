"""The one SQL-generation layer: metric queries as SQLAlchemy Core statements.

Every statement here is dialect-neutral; SQLite, PostgreSQL and DuckDB (duckdb-engine) each
compile it. The few expressions that differ between engines are custom constructs with one
compilation rule per dialect, in :mod:`rapport.analytics.metrics.dialects` and nowhere else:

- :class:`PeriodKey` — the period of a timestamp (``date_trunc`` in PostgreSQL and DuckDB,
  string slicing of SQLAlchemy's fixed ``YYYY-MM-DD HH:MM:SS`` storage format in SQLite);
  PostgreSQL truncates ``submitted_at AT TIME ZONE 'UTC'`` so the session time zone cannot
  move a response into another month.
- :class:`AttributeText` — a person attribute as text from the ``attributes`` JSON
  (``json_extract`` / ``->>`` / ``json_extract_string``), booleans spelt ``true``/``false``
  everywhere.
- :class:`UtcTimestamp` — time-window bounds bound as UTC in each engine's convention.
- :class:`ScanFirst` — a planner hint for SQLite only (scan answers, fetch responses).

Other traps are avoided by construction: arithmetic is cast to ``Double`` (``FLOAT`` is
4 bytes in DuckDB, ``1.0`` a DECIMAL), counts are ``SUM(CASE … THEN 1 ELSE 0 END)`` (no
boolean sums, no integer ``AVG``), literals that appear in ``GROUP BY`` are rendered inline
(a bound parameter in both SELECT and GROUP BY is two different expressions to PostgreSQL),
and no SQL orders results (Python sorts them, so NULL ordering never differs).

Aggregates are *sufficient statistics* (counts, sums, sums of squares around a fixed centre),
additive over groups, so roll-up over the unit tree and every margin are sums in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Double,
    Label,
    Select,
    Table,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)

from rapport.analytics.metrics import (
    Dimension,
    Filters,
    Grouping,
    MetricQuery,
    ScoredItem,
    Statistic,
)
from rapport.analytics.metrics.dialects import (
    AttributeText,
    DayNumber,
    PeriodKey,
    ScanFirst,
    UtcTimestamp,
)
from rapport.domain.comment_emotions import EKMAN_EMOTIONS, READ_STATUS, RELATIONSHIP_EMOTIONS
from rapport.errors import FieldError, ValidationFailed
from rapport.storage import aggregates
from rapport.storage.models import Base

INDEX_CENTRE = aggregates.INDEX_CENTRE
"""Index scores are summed around the middle of 0–100 to keep sums of squares precise."""
rescaled_score = aggregates.rescaled_score


def table(name: str) -> Table:
    """A table of the operational schema (DuckDB exposes views with the same names)."""
    return Base.metadata.tables[name]


# --- building blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """The columns a statement is grouped and filtered by: a response's own, or (for the
    response rate) an invitation's. ``attributes`` is None where there are none."""

    unit: ColumnElement[Any]
    time: ColumnElement[Any]
    audience: ColumnElement[Any]
    version: ColumnElement[Any]
    survey: ColumnElement[Any]
    attributes: ColumnElement[Any] | None


def response_facts() -> Facts:
    r = table("responses")
    return Facts(
        r.c.unit_id, r.c.submitted_at, r.c.audience, r.c.survey_version_id, r.c.survey_id,
        r.c.attributes,
    )  # fmt: skip


def dimension_columns(grouping: Grouping, facts: Facts | None = None) -> list[Label[Any]]:
    """One labelled column per dimension of ``grouping`` (from ``responses`` by default)."""
    f = facts or response_facts()
    columns: list[Label[Any]] = []
    for dim in grouping.by:
        if dim is Dimension.UNIT:
            columns.append(f.unit.label(dim.value))
        elif dim is Dimension.PERIOD:
            if grouping.period is None:
                raise RuntimeError("internal error: expected grouping.period is not None")
            columns.append(PeriodKey(f.time, grouping.period).label(dim.value))
        elif dim is Dimension.AUDIENCE:
            columns.append(f.audience.label(dim.value))
        elif dim is Dimension.ATTRIBUTE:
            if grouping.attribute is None:
                raise RuntimeError("internal error: expected grouping.attribute is not None")
            if f.attributes is None:
                raise ValidationFailed(
                    "this metric cannot be grouped by person attribute",
                    [FieldError("attribute", "group it by unit, period, audience or version")],
                )
            columns.append(AttributeText(f.attributes, grouping.attribute).label(dim.value))
        else:
            columns.append(f.version.label(dim.value))
    return columns


def response_conditions(filters: Filters, facts: Facts | None = None) -> list[ColumnElement[bool]]:
    """WHERE conditions for the surveys, audience, time window, person attribute and
    units (the facts' own unit: a response's, an invitation's, a case's, a person's)."""
    f = facts or response_facts()
    conditions: list[ColumnElement[bool]] = []
    if filters.units is not None:
        conditions.append(f.unit.in_(filters.units))
    if filters.survey_ids is not None:
        conditions.append(f.survey.in_(filters.survey_ids))
    if filters.audience is not None:
        conditions.append(f.audience == filters.audience)
    if filters.since is not None:
        conditions.append(f.time >= literal(filters.since, UtcTimestamp()))
    if filters.until is not None:
        conditions.append(f.time < literal(filters.until, UtcTimestamp()))
    if filters.within is not None:
        if f.attributes is None:
            raise ValidationFailed(
                "this metric cannot be narrowed to a person attribute",
                [FieldError("segment", "invitations carry no person attributes")],
            )
        name, value = filters.within
        conditions.append(AttributeText(f.attributes, name) == literal(value))
    return conditions


def _grouped(columns: Sequence[Label[Any]], *aggregates: Label[Any]) -> Select[Any]:
    return select(*columns, *aggregates).group_by(*(c.element for c in columns))


def _answers_of_responses() -> Any:
    a, r = table("answers"), table("responses")
    return a.join(r, r.c.id == ScanFirst(a.c.response_id))


def any_of(conditions: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """``conditions`` joined by OR (one condition as it is)."""
    return conditions if len(conditions) == 1 else [or_(*conditions)]


def item_alternatives(
    items: Sequence[ScoredItem],
    all_versions: frozenset[int],
    *,
    match_item: bool = True,
    columns: tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]] | None = None,
) -> list[ColumnElement[bool]]:
    """Answers to the metric's question in each version (usually one id in every version):
    one condition per question (and item), disjoint (a row has one question and one item);
    :func:`any_of` joins them.

    ``columns`` are the (question, item, version) columns to test; by default the answer's
    and its response's (the aggregate path passes its own)."""
    if columns is None:
        a, r = table("answers"), table("responses")
        columns = (a.c.question_id, a.c.item, r.c.survey_version_id)
    question_of, item_of, version_of = columns
    versions_of: dict[tuple[str, str], set[int]] = {}
    for i in items:
        versions_of.setdefault((i.question_id, i.item if match_item else ""), set()).add(
            i.survey_version_id
        )
    alternatives = []
    for (question, row), versions in sorted(versions_of.items()):
        condition: list[ColumnElement[bool]] = [question_of == question]
        if match_item:
            condition.append(item_of == row)
        if len(versions_of) > 1 or versions != all_versions:
            condition.append(version_of.in_(sorted(versions)))
        alternatives.append(and_(*condition))
    return alternatives


def _per_version(items: Sequence[ScoredItem], value: dict[int, float]) -> ColumnElement[Any]:
    """``value`` of the answer's version: a literal when all versions agree, else a CASE."""
    r = table("responses")
    distinct = set(value.values())
    if len(distinct) == 1:
        return literal(distinct.pop(), Double())
    return case(
        *((r.c.survey_version_id == v, literal(x, Double())) for v, x in sorted(value.items()))
    )


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, literal_column("1")), else_=literal_column("0")))


# --- statements ----------------------------------------------------------------------------


def metric_statements(
    query: MetricQuery,
    items: Sequence[ScoredItem],
    all_versions: frozenset[int],
    periods: Sequence[Any] | None = None,
) -> dict[str, Select[Any] | CompoundSelect[Any]]:
    """The statements for ``query``; their rows are dimension values then statistics.

    ``items`` are the metric's items (:func:`rapport.analytics.metrics.select_items`);
    ``all_versions`` are the versions of the queried surveys, so the version condition is
    left out when every version has the item. ``periods``: for reach of some units, the
    periods the surveys were answered in anywhere (the whole organisation's, as its margin
    read them), joined as values instead of found again in every response of the survey.
    Statistics per statement:

    - ``"stats"``: COUNT → n; NPS → n, promoters, detractors; SHARE → n, successes;
      MEAN → n, Σ(x − c), Σ(x − c)² with c the scale's midpoint; INDEX → the same over
      per-response scores with c = 50; EMOTIONS → n (responses that answered).
    - ``"emotions"`` (EMOTIONS only): dimensions, emotion, number of responses choosing it.
    """
    a = table("answers")
    dims = dimension_columns(query.grouping)
    where = response_conditions(query.filters)
    statistic = query.metric.statistic
    if statistic is Statistic.COUNT:
        return {"stats": _grouped(dims, func.count().label("n")).where(*where)}
    if statistic is Statistic.RATE:
        if query.metric.rate_of == "people":
            return {"stats": _reach_statement(query, periods)}
        return {"stats": _rate_statement(query)}
    if query.metric.comments:
        return _comment_statements(query, dims, where)
    if statistic is Statistic.INDEX:
        return {"stats": _index_statement(dims, where, items)}
    if query.metric.repeat_days:
        return {"stats": _repeat_statement(query, items, all_versions)}
    source = _answers_of_responses()
    per_item = statistic is not Statistic.EMOTIONS
    where = [*where, *any_of(item_alternatives(items, all_versions, match_item=per_item))]
    where.append(a.c.value_num.is_not(None))
    value = a.c.value_num
    if statistic is Statistic.EMOTIONS:
        answered = func.count(func.distinct(a.c.response_id)).label("n")
        emotion = a.c.item.label("emotion")
        chosen = _grouped([*dims, emotion], func.count().label("chosen"))
        return {
            "stats": _grouped(dims, answered).select_from(source).where(*where),
            "emotions": chosen.select_from(source).where(*where),
        }
    n = func.count().label("n")
    if statistic is Statistic.NPS:
        stats = _grouped(
            dims,
            n,
            _count_if(value >= 9).label("promoters"),
            _count_if(value <= 6).label("detractors"),
        )
    elif statistic is Statistic.SHARE:
        boxes = query.metric.top_boxes - 1
        threshold = {i.survey_version_id: float(i.scale_max or 0) - boxes for i in items}
        successes = _count_if(value >= _per_version(items, threshold)).label("successes")
        stats = _grouped(dims, n, successes)
    else:
        deviation = value - literal(mean_centre(items), Double())
        stats = _grouped(
            dims,
            n,
            func.sum(deviation).label("total"),
            func.sum(deviation * deviation).label("total_sq"),
        )
    return {"stats": stats.select_from(source).where(*where)}


def _comment_statements(
    query: MetricQuery, dims: Sequence[Label[Any]], where: Sequence[ColumnElement[bool]]
) -> dict[str, Select[Any] | CompoundSelect[Any]]:
    """Comments the model read (``n``) and, per emotion or sentiment, how many show it.

    Labels are stored space-separated, so each emotion is counted with a ``LIKE`` on the
    padded list: one pass over the comments counts every emotion per group (a CTE), and one
    branch of a ``UNION ALL`` per emotion lists its groups that show it (the same SQL on
    every engine). A branch per emotion over the comments read them once per emotion: 1.5 s
    of the relationship unit page at 400 units, 0.7 s in one pass.
    """
    c, r = table("comment_analyses"), table("responses")
    source = c.join(r, r.c.id == c.c.response_id)
    read = [*where, c.c.status == READ_STATUS]
    group = [d.element for d in dims]
    stats = select(*dims, func.count().label("n")).select_from(source).where(*read)
    if query.metric.comments == "sentiment":
        sentiment = c.c.sentiment.label("emotion")
        chosen: Select[Any] | CompoundSelect[Any] = (
            select(*dims, sentiment, func.count().label("chosen"))
            .select_from(source)
            .where(*read, c.c.sentiment.is_not(None))
            .group_by(*group, c.c.sentiment)
        )
    else:
        column = c.c.labels if query.metric.comments == "relationship" else c.c.ekman
        padded: ColumnElement[str] = literal_column("' '") + column + literal_column("' '")
        labels = (
            RELATIONSHIP_EMOTIONS
            if query.metric.comments == "relationship"
            else {e: (e,) for e in EKMAN_EMOTIONS}
        )
        shows = [
            _count_if(or_(*(padded.like(f"% {label} %") for label in any_of))).label(f"shows_{i}")
            for i, any_of in enumerate(labels.values())
        ]
        counted = select(*dims, *shows).select_from(source).where(*read).group_by(*group)
        per_group = counted.cte("per_group")
        chosen = union_all(
            *(
                select(
                    *(per_group.c[d.name] for d in dims),
                    literal_column(f"'{e}'").label("emotion"),
                    per_group.c[f"shows_{i}"].label("chosen"),
                ).where(per_group.c[f"shows_{i}"] > 0)
                for i, e in enumerate(labels)
            )
        )
    return {"stats": stats.group_by(*group), "emotions": chosen}


def _repeat_statement(
    query: MetricQuery, items: Sequence[ScoredItem], all_versions: frozenset[int]
) -> Select[Any]:
    """Complaints (0–6 on the recommendation item) of known people: ``n``, and
    ``successes``, those with an earlier complaint of the same person to the same surveys
    less than ``repeat_days`` days before (an earlier one outside the time window, or in a
    unit outside ``filters.units``, counts).

    The complaints are a CTE joined to itself by person (SQLite materialises it and indexes
    the join; a correlated EXISTS re-ran it per complaint, 50 s on the demo). For some
    units only, it holds the complaints of the people who answered there (in any unit),
    read from their responses by index instead of a scan of every answer."""
    a, r = table("answers"), table("responses")
    filters = query.filters
    everyone = Filters(filters.survey_ids, filters.audience)
    if filters.units is None:
        source = _answers_of_responses()
        conditions = _complaint_conditions(everyone, items, all_versions)
    else:
        theirs = table("responses").alias("answered_there")
        there = Facts(theirs.c.unit_id, theirs.c.submitted_at, theirs.c.audience,
                      theirs.c.survey_version_id, theirs.c.survey_id, None)  # fmt: skip
        people = select(theirs.c.person_id).where(
            *response_conditions(Filters(filters.survey_ids, units=filters.units), there)
        )
        source = a.join(r, r.c.id == a.c.response_id)
        # Their responses by the person index: SQLite preferred the survey's index and
        # walked every response of the survey (a store's page: 0.11 s → 0.003 s).
        facts = replace(response_facts(), survey=ScanFirst(r.c.survey_id))
        conditions = _complaint_conditions(everyone, items, all_versions, facts)
        conditions.append(r.c.person_id.in_(people))
    complaints = (
        select(r.c.id, r.c.person_id, r.c.submitted_at)
        .select_from(source)
        .where(*conditions)
        .cte("complaints")
    )
    this, before = complaints.alias("complaint"), complaints.alias("earlier")
    gap = DayNumber(this.c.submitted_at) - DayNumber(before.c.submitted_at)
    within = and_(
        before.c.id.is_not(None), gap < literal(float(query.metric.repeat_days), Double())
    )
    repeat = func.max(case((within, literal_column("1")), else_=literal_column("0")))
    flagged = (
        select(this.c.id, repeat.label("repeat"))
        .select_from(
            this.outerjoin(
                before,
                and_(
                    before.c.person_id == this.c.person_id,
                    before.c.submitted_at < this.c.submitted_at,
                ),
            )
        )
        .group_by(this.c.id)
        .subquery("flagged")
    )
    return (
        _grouped(
            dimension_columns(query.grouping),
            func.count().label("n"),
            func.sum(flagged.c.repeat).label("successes"),
        )
        .select_from(r.join(flagged, flagged.c.id == r.c.id))
        .where(*response_conditions(filters))
    )


def _complaint_conditions(
    filters: Filters,
    items: Sequence[ScoredItem],
    all_versions: frozenset[int],
    facts: Facts | None = None,
) -> list[ColumnElement[bool]]:
    """Answers of known people that are complaints (0–6 on the recommendation item)."""
    a, r = table("answers"), table("responses")
    return [
        *response_conditions(filters, facts),
        *any_of(item_alternatives(items, all_versions)),
        a.c.value_num <= 6,
        r.c.person_id.is_not(None),
    ]


def margin_statement(
    query: MetricQuery, items: Sequence[ScoredItem], all_versions: frozenset[int]
) -> Select[Any] | None:
    """The keys a whole organisation's table by period has, without the statistics, for
    the metrics whose statistics cost far more than their keys (None for the others):
    reach has a row in every period the surveys were answered in when anyone is in the
    directory, repeat complaints one in every period with a complaint of a known person.
    ``query`` is a margin query (:func:`rapport.analytics.metrics.results.margin_query`)."""
    grouping, filters, metric = query.grouping, query.filters, query.metric
    if filters.units is not None or grouping.by != (Dimension.PERIOD,):
        return None
    dims = dimension_columns(grouping)
    group = [d.element for d in dims]
    if metric.statistic is Statistic.RATE and metric.rate_of == "people":
        p = table("people")
        kind = [p.c.kind == filters.audience] if filters.audience is not None else []
        anyone = select(p.c.id).where(*kind).exists()
        return select(*dims).where(*response_conditions(filters), anyone).group_by(*group)
    if metric.repeat_days:
        complaints = _complaint_conditions(filters, items, all_versions)
        # From a first month on (the open months of a margin read apart, services.metrics
        # ._kept_months): the survey's responses of those months by its index, then their
        # answers by theirs (0.47 s → 0.06 s at 400 units), not a scan of every answer.
        a, r = table("answers"), table("responses")
        source = (
            _answers_of_responses()
            if filters.since is None
            else a.join(r, r.c.id == a.c.response_id)
        )
        return select(*dims).select_from(source).where(*complaints).group_by(*group)
    return None


#: More periods than this are found in the responses again (SQLite joins at most 500
#: terms of a compound SELECT).
LISTED_PERIODS = 400


def _reach_statement(query: MetricQuery, known: Sequence[Any] | None = None) -> Select[Any]:
    """People of each unit (the directory's, of the survey's audience) and how many of them
    responded, grouped like responses but by the person's directory unit. Every period in
    which the surveys were answered gets every unit's headcount, also where nobody of the
    unit responded, so roll-ups over the tree and over periods keep whole denominators."""
    p, r = table("people"), table("responses")
    grouping, filters = query.grouping, query.filters
    unsupported = [d for d in grouping.by if d in (Dimension.ATTRIBUTE, Dimension.SURVEY_VERSION)]
    if unsupported or filters.within is not None:
        raise ValidationFailed(
            "reach is counted over the people directory",
            [FieldError("by", "group reach by unit, period or audience only")],
        )
    # For some units, their people first and each one's responses by index (SQLite would
    # walk every response of the survey instead).
    survey = r.c.survey_id if filters.units is None else ScanFirst(r.c.survey_id)
    people = Facts(p.c.unit_id, r.c.submitted_at, p.c.kind, r.c.survey_version_id,
                   survey, None)  # fmt: skip
    answered = response_conditions(filters, people)
    responders = (
        _grouped(
            dimension_columns(grouping, people),
            func.count(func.distinct(r.c.person_id)).label("successes"),
        )
        .select_from(r.join(p, p.c.id == r.c.person_id))
        .where(*answered, r.c.audience == p.c.kind)
        .subquery("responders")
    )
    static = Grouping(tuple(d for d in grouping.by if d is not Dimension.PERIOD))
    kind = [p.c.kind == filters.audience] if filters.audience is not None else []
    if filters.units is not None:
        kind.append(p.c.unit_id.in_(filters.units))
    headcount = (
        _grouped(dimension_columns(static, people), func.count().label("n"))
        .select_from(p)
        .where(*kind)
        .subquery("headcount")
    )
    source: Any = headcount
    columns: list[Label[Any]] = [headcount.c[d.value].label(d.value) for d in static.by]
    matches = [headcount.c[d.value] == responders.c[d.value] for d in static.by]
    if Dimension.PERIOD in grouping.by:
        period = dimension_columns(Grouping((Dimension.PERIOD,), grouping.period))[0]
        # The periods the surveys were answered in anywhere, also for a subtree's units:
        # their rows are then the whole organisation's rows for them.
        everywhere = replace(filters, units=None)
        periods = (
            select(period).select_from(r).where(*response_conditions(everywhere)).distinct()
        ).subquery("periods")
        if known and len(known) <= LISTED_PERIODS:  # those periods, already read
            listed = [select(literal(p).label("period")) for p in known]
            periods = (listed[0] if len(listed) == 1 else union_all(*listed)).subquery("periods")
        source = source.join(periods, true())
        columns.append(periods.c.period.label("period"))
        matches.append(periods.c.period == responders.c.period)
    source = source.outerjoin(responders, and_(true(), *matches))
    order = {d.value: i for i, d in enumerate(grouping.by)}
    columns.sort(key=lambda c: order[c.name])
    successes = func.coalesce(responders.c.successes, literal_column("0")).label("successes")
    return select(*columns, headcount.c.n.label("n"), successes).select_from(source)


def _rate_statement(query: MetricQuery) -> Select[Any]:
    """Invitations sent and answered, grouped like responses but by the invitation: its
    unit, the period it was sent in (created, if never sent), its survey's audience and
    version. Invitations carry no person attributes, so that grouping is refused."""
    i, d = table("invitations"), table("distributions")
    v, s = table("survey_versions"), table("surveys")
    source = (
        i.join(d, d.c.id == i.c.distribution_id)
        .join(v, v.c.id == d.c.survey_version_id)
        .join(s, s.c.id == v.c.survey_id)
    )
    invited_at = func.coalesce(i.c.sent_at, i.c.created_at)
    facts = Facts(i.c.unit_id, invited_at, s.c.audience, d.c.survey_version_id, v.c.survey_id, None)
    columns = dimension_columns(query.grouping, facts)
    where = response_conditions(query.filters, facts)
    answered = _count_if(i.c.used_at.is_not(None)).label("successes")
    return _grouped(columns, func.count().label("n"), answered).select_from(source).where(*where)


def mean_centre(items: Sequence[ScoredItem]) -> float:
    """The constant MEAN sums are taken around: the midpoint of the first item's scale.

    Any constant gives the same mean and variance; one near the data keeps the sum of
    squares from swamping the variance (and integer answers minus a half-integer centre
    are still exact in binary floating point).
    """
    if not items:
        return 0.0
    first = items[0]
    return (float(first.scale_min or 0.0) + float(first.scale_max or 0.0)) / 2.0


def _scored_answers(
    where: Sequence[ColumnElement[bool]], items: Sequence[ScoredItem], answers: Any = None
) -> Any:
    a, r, si = table("answers"), table("responses"), table("survey_items")
    source = (_answers_of_responses() if answers is None else answers).join(
        si,
        and_(
            si.c.survey_version_id == r.c.survey_version_id,
            si.c.question_id == a.c.question_id,
            si.c.item == a.c.item,
        ),
    )
    conditions = [*where, si.c.id.in_(sorted(i.id for i in items)), a.c.value_num.is_not(None)]
    return source, conditions


def _index_statement(
    dims: Sequence[Label[Any]], where: Sequence[ColumnElement[bool]], items: Sequence[ScoredItem]
) -> Select[Any]:
    r = table("responses")
    source, conditions = _scored_answers(where, items)
    per_response = (
        select(r.c.id.label("response_id"), *dims, func.avg(rescaled_score()).label("score"))
        .select_from(source)
        .where(*conditions)
        .group_by(r.c.id, *(c.element for c in dims))
        .subquery("per_response")
    )
    outer_dims = [per_response.c[c.name].label(c.name) for c in dims]
    deviation = per_response.c.score - literal(INDEX_CENTRE, Double())
    return _grouped(
        outer_dims,
        func.count().label("n"),
        func.sum(deviation).label("total"),
        func.sum(deviation * deviation).label("total_sq"),
    )


def item_scores_statement(
    filters: Filters,
    items: Sequence[ScoredItem],
    unit_ids: Sequence[int] | None = None,
    response_ids: Sequence[int] | None = None,
) -> Select[Any]:
    """One row per answered item: response id, question, item, score 0–100 (reliability,
    and one person's responses on a profile)."""
    a, r = table("answers"), table("responses")
    where = response_conditions(filters)
    if unit_ids is not None:
        where.append(r.c.unit_id.in_(sorted(unit_ids)))
    if response_ids is not None:  # on answers too: SQLite then reads them by its index
        ids = sorted(response_ids)
        where.extend((r.c.id.in_(ids), a.c.response_id.in_(ids)))
    # Responses first, their answers by index: scanning answers first (``ScanFirst``) made
    # SQLite scan every answer once per response when the window bounds ``submitted_at``.
    source, conditions = _scored_answers(where, items, a.join(r, r.c.id == a.c.response_id))
    return (
        select(r.c.id, a.c.question_id, a.c.item, rescaled_score().label("score"))
        .select_from(source)
        .where(*conditions)
    )


# --- catalogue -----------------------------------------------------------------------------


def units_statement() -> Select[Any]:
    u = table("units")
    return select(u.c.id, u.c.parent_id, u.c.code, u.c.name, u.c.kind, u.c.path)


def surveys_statement() -> Select[Any]:
    s = table("surveys")
    return select(s.c.id, s.c.key, s.c.title, s.c.audience, s.c.anonymous)


def versions_statement() -> Select[Any]:
    v = table("survey_versions")
    return select(v.c.id, v.c.survey_id, v.c.version)


def items_statement(survey_ids: Sequence[int] | None) -> Select[Any]:
    """The scored items of every version of the surveys (all surveys when None)."""
    si, v = table("survey_items"), table("survey_versions")
    statement = select(
        si.c.id,
        si.c.survey_version_id,
        si.c.question_id,
        si.c.item,
        si.c.qtype,
        si.c.tags,
        si.c.scale_min,
        si.c.scale_max,
        si.c.reverse_keyed,
    ).select_from(si.join(v, v.c.id == si.c.survey_version_id))
    if survey_ids is not None:
        statement = statement.where(v.c.survey_id.in_(survey_ids))
    return statement
