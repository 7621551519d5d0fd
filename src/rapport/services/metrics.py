"""Metrics for a principal: permission checks, anonymity suppression, manager scope.

:func:`compute` is the one way results leave the metrics engine for pages, the REST API,
the Python client and exports. For employee results every group of the table — the whole
unit tree with roll-up counts, and every period/attribute/version breakdown against its
parent total — is decided by :func:`rapport.analytics.metrics.suppression.suppress_table`
(built on the single anonymity gate, :func:`rapport.analytics.suppression.suppress`) *before*
the rows are narrowed to what the principal may see, so a manager's view and an admin's
agree and cannot be subtracted from each other. Hidden rows keep their ``n`` (as
``docs/confidentiality.md`` documents) and lose every value.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from rapport.analytics.engines import AnalyticsEngine, open_engine
from rapport.analytics.estimates import Difference, sufficiency
from rapport.analytics.metrics import (
    ATTRIBUTE_PATTERN,
    Dimension,
    Filters,
    Grouping,
    Metric,
    MetricQuery,
    get_metric,
)
from rapport.analytics.metrics.catalog import CatalogReads, SurveyInfo, UnitNode, find_survey
from rapport.analytics.metrics.compare import (
    ConstructReliability,
    construct_reliability,
    difference,
)
from rapport.analytics.metrics.results import (
    KeptLeaves,
    KeptMargin,
    KeptMonths,
    Key,
    Leaves,
    Margin,
    MetricRow,
    MetricTable,
    PackedRows,
    RecentRows,
    Rows,
    build_table,
    fetch_metric,
    period_label,
    unit_id,
)
from rapport.analytics.metrics.suppression import decide_table, decision_of
from rapport.analytics.periods import as_moment
from rapport.analytics.suppression import (
    Decision,
    Measure,
    SuppressionPolicy,
    SuppressionReason,
    cache,
)
from rapport.domain.org import Permission, PersonKind, Principal, Role
from rapport.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from rapport.services import confidentiality
from rapport.services.access import require
from rapport.services.metric_memo import MetricMemo
from rapport.settings import Settings
from rapport.storage.uow import Database


@dataclass(frozen=True)
class MetricRequest:
    """What to compute. ``survey`` is an id or key (None: every survey of the audience).

    ``unit`` (code or path) narrows the rows to that unit's subtree — or, without a unit
    grouping, to that unit's own rolled-up figures; managers are always narrowed so.
    """

    survey: int | str | None = None
    metric: str = "nps"
    by: Sequence[str] = ()
    period: str | None = None
    attribute: str | None = None
    audience: str | None = None
    unit: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    question: str | None = None
    item: str | None = None
    confidence: float = 0.95
    segment: str | None = None  # "attribute=value": only respondents with that attribute
    #: "attribute=value" as a filter, so the table can be grouped by another attribute
    #: (a honeymoon curve of one segment); refused for protected (employee) surveys.
    within: str | None = None


@dataclass(frozen=True)
class ResultRow:
    """One group of a metric, as every interface shows it."""

    n: int
    value: float | None
    lower: float | None
    upper: float | None
    method: str
    sufficiency: str
    suppressed: bool
    reason: str | None
    unit_id: int | None = None
    unit_path: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    unit_depth: int | None = None
    period: date | None = None
    period_label: str | None = None
    audience: str | None = None
    attribute: str | None = None
    survey_version_id: int | None = None
    survey_version: int | None = None
    emotion: str | None = None
    detail: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricResult:
    metric: Metric
    survey: SurveyInfo | None
    grouping: Grouping
    engine: str
    confidence: float
    anonymity_threshold: int | None
    rows: list[ResultRow]
    closed_period: str | None = None
    """For a protected survey: the grain of the closed periods its figures are shown by."""
    digest: bytes | None = None
    """The key its rows are kept under (what the table was built from, its decisions and
    the narrowing): results with the same digest have the same rows, so what is derived
    from the rows alone can be kept under it (the stages, the fresher units)."""


def compute(
    engine: AnalyticsEngine,
    principal: Principal,
    request: MetricRequest,
    policy: SuppressionPolicy,
    *,
    memo: MetricMemo | None = None,
) -> MetricResult:
    """Compute a metric for ``principal``: suppressed, scoped and ready to show.

    ``memo`` (one per page request) computes each distinct table once per request.

    Raises PermissionDenied (role or scope), NotFound (survey or unit) or
    ValidationFailed (anything else about the request, naming the field).
    """
    require(principal, Permission.VIEW_RESULTS)
    memo = memo or MetricMemo()
    metric = get_metric(request.metric)
    survey, filters = _filters(engine, request, memo)
    segment = _segment(request)
    attribute = segment[0] if segment else request.attribute
    protected = filters.audience is not None and policy.protects(filters.audience)
    if request.within:
        filters = replace(filters, within=_within(request.within, protected))
    window = None
    if protected:
        window, filters = _closed(survey, filters, request, policy)
    grouping = Grouping.of(request.by, window.grain if window else request.period, attribute)
    if window is not None:
        grouping = grouping.with_dimension(Dimension.PERIOD)  # never summed across periods
    if filters.audience is None:
        grouping = grouping.with_dimension(Dimension.AUDIENCE)  # never mix audiences
    scope = _manager_scope(principal)
    narrowed = scope is not None or bool(request.unit)
    shown = grouping
    if narrowed:
        grouping = grouping.with_dimension(Dimension.UNIT)
        whole = MetricQuery(
            metric, grouping, filters, request.question, request.item, request.confidence
        )
        if filters.audience is not None and not protected and not _kept_now(engine, whole):
            # Each row of an unprotected request rests on its own unit subtree's responses
            # (invitations, people, cases) alone: no suppression decides it, a roll-up sums
            # descendants (repeat complaints and reach look beyond on purpose, in SQL). So
            # its statements read the subtree only — unless the whole organisation's table
            # is kept and current, whose rows for the subtree are the same rows (a store's
            # page after the map: its hearts, minds, NPS and honeymoon curve). A protected
            # one reads the whole organisation, over which its suppression is decided.
            subtree = unit_scope(engine, principal, request.unit, memo.reads)
            filters = replace(filters, units=None if subtree is None else tuple(subtree))
    query = MetricQuery(
        metric, grouping, filters, request.question, request.item, request.confidence
    )
    # The table depends on the window's periods, not on which of them the rows show.
    periods = None if window is None else (window.grain, window.first, window.end)
    table, content = memo.kept(
        ("table", id(engine), query, periods, policy),
        lambda: _table(engine, query, window, memo),
    )
    focus = _resolve_focus(table.units, scope, request.unit) if narrowed else None
    unit_at = grouping.position(Dimension.UNIT)
    period_at = grouping.position(Dimension.PERIOD)
    latest = None
    if window is not None and window.latest_only and period_at is not None:
        latest = max((p for p in table.values(period_at) if isinstance(p, date)), default=None)
    # Only the periods shown are decided: each closed period is decided on its own, so its
    # cells are the same whichever other periods are decided with it (docs/confidentiality.md,
    # "Deciding only the periods shown"). The strata are part of the key, so a later ask for
    # every period never gets one period's decisions.
    strata = None if window is None or not window.latest_only else _latest(latest)
    decisions = memo.kept(
        ("decisions", id(engine), query, periods, policy, strata),
        lambda: _decide(table, content, query, window, policy, strata),
    )
    audience_at = grouping.position(Dimension.AUDIENCE)

    def result_rows() -> list[ResultRow]:
        rows = []
        at = grouping.by.index(Dimension.ATTRIBUTE) if segment is not None else 0
        recent = RECENT_RESULTS.of((engine.name, query, policy, shown.by))
        # Per row only a lookup: whether the audience is protected (an undecided row of a
        # protected one is hidden by ``decision_of``) is asked once.
        protected = filters.audience is not None and policy.protects(filters.audience)
        described = _Described(table)
        catalog = _catalog_token((engine.name, query, policy, shown.by), table)
        for row in _narrowed_rows(table, focus, unit_at, latest, period_at):
            if segment is not None and row.key[at] != segment[1]:
                continue
            if latest is not None and period_at is not None and row.key[period_at] != latest:
                continue
            if focus is not None and unit_at is not None:
                path = table.units[unit_id(row.key[unit_at])].path
                inside = focus.contains(path) if Dimension.UNIT in shown.by else path == focus.path
                if not inside:
                    continue
            decision = decisions.get(row.key)
            if decision is None and protected:
                decision = decision_of(
                    decisions, row.key, row.n, policy, audience=filters.audience,
                    measure=metric.measure,
                )  # fmt: skip
            if audience_at is not None and policy.protects(str(row.key[audience_at])):
                decision = _across_surveys(row.n, str(row.key[audience_at]), metric)
            # A row is a function of the table row, its decision and the catalog entries it
            # names: the same table row, decision and catalog give the row built last time
            # (RECENT_RESULTS), without looking its unit and period up again.
            found = recent.get((row.key, row.emotion))
            if (
                found is None
                or found[0] is not row
                or found[1] != decision
                or found[2] is not catalog
            ):
                fields = described.of(row.key)
                found = recent[(row.key, row.emotion)] = (
                    row, decision, catalog, _result_row(row, decision, described, fields)
                )  # fmt: skip
            rows.append(found[3])
        return rows

    # The rows as shown follow from the table's digest, its decisions (the policy and the
    # strata) and the narrowing: kept under them (the only rows kept: the narrowed table
    # rows they come from are not kept as well), a repeated page builds none again.
    shown_key = cache.content_key(
        ["shown", content, policy, strata, None if focus is None else focus.path, latest,
         segment, shown.by]
    )  # fmt: skip
    kept_rows: list[ResultRow] | None = KEPT.get(shown_key)
    if kept_rows is None:
        kept_rows = result_rows()
        KEPT.put(shown_key, kept_rows, entries=4 * len(kept_rows))
        SUPERSEDED.derived(content, shown_key)
    rows = list(kept_rows)
    audience = filters.audience
    measure = Measure(metric.measure)
    threshold = policy.threshold(measure) if audience is None or policy.protects(audience) else None
    return MetricResult(
        metric,
        survey,
        grouping,
        engine.name,
        request.confidence,
        threshold,
        rows,
        window.grain if window else None,
        shown_key,
    )


T = TypeVar("T")

KEPT: Final = cache.DecisionCache(max_bytes=256 * 1024 * 1024)
"""Tables, their decisions and the rows shown across requests, each under the digest of what
the table was built from (the rows the engine returned, the unit tree, the query, the closed
periods, the policy): new responses, cases or units change what is read, hence the key, so a
kept entry is never stale. A repeated page builds and decides nothing, and on a SQLite file
runs no statement either until the next commit (``_table``).
Sizes count about 200 bytes an entry (``cache.ENTRY_BYTES``): a leaf group or a decision is
two entries, a row with its estimate four. That over-counts: the relationship unit page at
400 units keeps 202 MB by this count for 26 MB more resident memory. The budget holds that
page's tables (about 30 whole-organisation tables); at 64 MB they pushed each other out and
every request read them all again."""


class Superseded:
    """The latest key kept in :data:`KEPT` for each slot (a query over its periods on one
    engine), and the keys kept from it (its decisions, its rows as shown): a new key for a
    slot — its data changed — drops the older key's entries at once. They would never be
    asked for again, and until the LRU pushed them out they doubled what a page keeps after
    every new response. At most :attr:`SLOTS` slots are followed (the least recently
    replaced go first, with their entries)."""

    SLOTS = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: OrderedDict[Hashable, bytes] = OrderedDict()
        self._derived: dict[bytes, set[bytes]] = {}

    def latest(self, slot: Hashable, key: bytes) -> None:
        """``key`` is now what ``slot`` keeps."""
        with self._lock:
            old = self._latest.pop(slot, None)
            self._latest[slot] = key
            self._derived.setdefault(key, set())
            dropped = set() if old is None or old == key else {old, *self._derived.pop(old, ())}
            while len(self._latest) > self.SLOTS:
                _, gone = self._latest.popitem(last=False)
                dropped |= {gone, *self._derived.pop(gone, ())}
        KEPT.discard(dropped)

    def derived(self, of: bytes, key: bytes) -> None:
        """``key`` was kept from ``of``'s entry: it goes when ``of`` does (at once when
        ``of`` is no slot's latest any more: a request that read before the data changed)."""
        with self._lock:
            found = self._derived.get(of)
            if found is not None:
                found.add(key)
                return
        KEPT.discard([key])

    def clear(self) -> None:
        with self._lock:
            self._latest.clear()
            self._derived.clear()


SUPERSEDED: Final = Superseded()


def kept_value(key: bytes, compute: Callable[[], T], entries: Callable[[T], int]) -> T:
    """``compute()`` kept in :data:`KEPT` under ``key`` (None too), counted as
    ``entries(value)``: for what a page reads beside its metrics, under a key that names
    the data version it was read at."""
    found: tuple[T] | None = KEPT.get(key)
    if found is None:
        found = (compute(),)
        KEPT.put(key, found, entries=entries(found[0]))
    return found[0]


def _narrowed_rows(
    table: MetricTable,
    focus: UnitNode | None,
    unit_at: int | None,
    latest: date | None,
    period_at: int | None,
) -> list[MetricRow]:
    """The table's rows a request may show: those of its latest period and inside its
    focus unit when it has them, built from their own leaf groups only (a department's
    page does not build every unit's rows for every month)."""
    wanted: dict[int, Callable[[Hashable], bool]] = {}
    if latest is not None and period_at is not None:
        wanted[period_at] = lambda p: p == latest
    if focus is not None and unit_at is not None:
        # The units inside the focus, once: a whole-organisation table has thousands of
        # leaf groups and a few hundred units.
        inside = frozenset(i for i, u in table.units.items() if focus.contains(u.path))
        wanted[unit_at] = inside.__contains__
    return table.rows_where(wanted) if wanted else table.rows


def _table(
    engine: AnalyticsEngine,
    query: MetricQuery,
    window: confidentiality.ClosedPeriods | None,
    memo: MetricMemo,
) -> tuple[MetricTable, bytes]:
    """The table of ``query``: whole closed periods only, the open one never; with the
    digest it is kept under.

    Its statements run again only when the engine's data version changed since they last
    ran, on every call when the engine has none (DuckDB, a database in memory): the
    version names the kept table's digest. The version is read before the statements run,
    so a table kept under it is never older than it; any commit after it that may change
    what they read (a response to its survey, a resolved case, a moved unit, an erasure, an
    analysis) gives a new version, so a kept table is never served after one. Only the
    table is kept, not what the statements returned (but the closed months' rows and a
    narrowed query's margin are: :func:`_kept_months`, :func:`_kept_margin`).
    """
    periods = None if window is None else (window.grain, window.first, window.end)
    version = _data_version(engine, query)
    read = None
    if version is not None:
        read = _read_key(engine, version, query, periods)
        digest: bytes | None = KEPT.get(read)
        kept: MetricTable | None = None if digest is None else KEPT.get(digest)
        if digest is not None and kept is not None:
            return kept, digest
    fetched = fetch_metric(
        engine, query, memo.reads, _kept_months(engine), _kept_margin(engine, version)
    )
    key = cache.content_key(["table", engine.name, query, periods, fetched.digest()])
    table: MetricTable | None = KEPT.get(key)
    if table is None:
        table = build_table(query, engine.name, fetched, _kept_leaves(engine))
        if window is not None:
            table = table.keep(query.grouping.by.index(Dimension.PERIOD), window.holds)
        KEPT.put(key, table, entries=2 * (len(table.leaf) + len(table.chosen)))
        SUPERSEDED.latest((id(engine), query, periods), key)
    if read is not None:
        KEPT.put(read, key, entries=1)
    return table, key


def _kept_now(engine: AnalyticsEngine, query: MetricQuery) -> bool:
    """Whether the table of ``query`` (no closed periods: an unprotected one) is kept at the
    engine's current data version (:func:`_table` would read nothing)."""
    version = _data_version(engine, query)
    if version is None:
        return False
    digest: bytes | None = KEPT.peek(_read_key(engine, version, query, None))
    return digest is not None and KEPT.peek(digest) is not None


def _data_version(engine: AnalyticsEngine, query: MetricQuery) -> Hashable | None:
    """The data version ``query``'s statements are read at: of its surveys when it names
    them (their statements read those surveys' responses only, so another survey's new
    response leaves it: ``AnalyticsEngine.survey_version``), else the whole database's.

    A closed-loop metric reads cases, their notes and events, and the responses and answers
    cases refer to. Cases, notes and events are never written by a survey's own declared
    writes (``storage.generation.for_surveys``), which only add new responses, answers and
    aggregates: no case refers to a response before a write of ``cases`` does, and that
    write moves ``w``. So a closed-loop metric is read at ``w`` alone (the version of no
    survey), whatever its survey filter: a response that opens no case leaves it kept."""
    if query.metric.cases:
        return engine.survey_version(())
    surveys = query.filters.survey_ids
    return engine.data_version() if not surveys else engine.survey_version(surveys)


def _read_key(
    engine: AnalyticsEngine, version: Hashable, query: MetricQuery, periods: Hashable | None
) -> bytes:
    """The key the digest of ``query``'s table read at data ``version`` is kept under."""
    return cache.content_key(["read", version, engine.name, engine.use_aggregates, query, periods])


def _kept_margin(engine: AnalyticsEngine, version: Hashable | None) -> KeptMargin | None:
    """A narrowed query's whole-organisation keys (``fetch_metric``'s margin), kept in
    :data:`KEPT` under the engine's data version ``version``: every unit's query of a
    metric reads the same margin (a relationship unit page ran a dozen of these statements
    over the whole organisation, 40 % of its first request at 400 units). None without a
    version (DuckDB, a database in memory): read on every call."""
    if version is None:
        return None

    def keep(parts: tuple[Any, ...], read: Callable[[], Margin]) -> Margin:
        key = cache.content_key(["margin", version, engine.name, engine.use_aggregates, *parts])
        return kept_value(key, read, lambda found: len(found[0]) + len(found[1]))

    return keep


def _kept_months(engine: AnalyticsEngine) -> KeptMonths | None:
    """Statement rows of the months a new response does not change, kept in :data:`KEPT`
    under the history of their aggregates (``rapport.storage.generation``): after a
    response, a page reads the open month again, not two years of history. Kept packed
    (:class:`PackedRows`): a twenty-fifth of the memory of the rows as read."""
    closed = engine.closed_months()
    if closed is None:
        return None

    def keep(parts: tuple[Any, ...], read: Callable[[], Rows]) -> Rows:
        key = cache.content_key(["months", closed.key, engine.name, *parts])
        found: PackedRows | None = KEPT.get(key)
        if found is not None:
            return found.rows()
        rows = read()
        packed = PackedRows.of(rows)
        KEPT.put(key, packed, entries=packed.size // cache.ENTRY_BYTES)
        SUPERSEDED.latest(("months", id(engine), *parts), key)
        return rows

    def keep_margin(parts: tuple[Any, ...], read: Callable[[], Margin]) -> Margin:
        key = cache.content_key(["margin months", closed.raw_key, engine.name, *parts])
        found = kept_value(key, read, lambda found: len(found[0]) + len(found[1]))
        SUPERSEDED.latest(("margin months", id(engine), *parts), key)
        return found

    return KeptMonths(closed.before, keep, None if closed.raw_key is None else keep_margin)


def _kept_leaves(engine: AnalyticsEngine) -> KeptLeaves:
    """The leaves a table made of the closed months' rows (``build_table``), kept in
    :data:`KEPT` under those rows' digest: after a response a table adds the open month's
    rows to a copy of them instead of keying two years of rows again. Counted at a quarter
    of an entry a group: the keys and statistics are the table's own objects, only the
    dictionary is more."""

    def keep(parts: tuple[Any, ...], build: Callable[[], Leaves]) -> Leaves:
        key = cache.content_key(["leaves", engine.name, *parts])
        found: Leaves | None = KEPT.get(key)
        if found is None:
            found = build()
            KEPT.put(key, found, entries=1 + found.size // 4)
            SUPERSEDED.latest(("leaves", id(engine), parts[0]), key)
        return found

    return keep


def _latest(period: date | None) -> tuple[date, ...]:
    """The strata of a request answered for its latest closed period (none without data)."""
    return () if period is None else (period,)


def _decide(
    table: MetricTable,
    content: bytes,
    query: MetricQuery,
    window: confidentiality.ClosedPeriods | None,
    policy: SuppressionPolicy,
    strata: tuple[date, ...] | None,
) -> dict[Key, Decision]:
    """The suppression decision of every row of ``table`` in ``strata`` (every closed period
    when None), taken over the whole organisation before any narrowing to a principal; kept
    across requests under the table's digest (``content``), the policy and the strata."""
    key = cache.content_key(["decisions", content, policy, strata])
    found: dict[Key, Decision] | None = KEPT.get(key)
    if found is None:
        stratum = None if window is None else Dimension.PERIOD
        audience = query.filters.audience
        found = decide_table(
            table, audience, policy, query.metric.measure, stratify=stratum, strata=strata
        )
        KEPT.put(key, found, entries=2 * len(found))
        SUPERSEDED.derived(content, key)
    return found


def _closed(
    survey: SurveyInfo | None, filters: Filters, request: MetricRequest, policy: SuppressionPolicy
) -> tuple[confidentiality.ClosedPeriods, Filters]:
    """A protected request: one survey, whole closed periods (``services.confidentiality``)."""
    if survey is None:
        raise ValidationFailed(
            "employee results are reported one survey at a time",
            [FieldError("survey", "name the employee survey (its key or id)")],
        )
    window = confidentiality.closed_periods(
        policy, period=request.period, since=request.since, until=request.until
    )
    # The window is applied to whole periods of the result (``MetricTable.keep``), never as
    # a time condition that could cut one.
    return window, replace(filters, since=None, until=None)


def _across_surveys(n: int, audience: str, metric: Metric) -> Decision:
    """A protected audience's figure over all its surveys: never shown (one survey minus
    the total would be the others)."""
    return Decision(
        "cross-survey",
        n,
        False,
        SuppressionReason.CROSS_SURVEY,
        Measure(metric.measure),
        PersonKind(audience),
    )


def _filters(
    engine: AnalyticsEngine, request: MetricRequest, memo: MetricMemo | None = None
) -> tuple[SurveyInfo | None, Filters]:
    audience = request.audience
    if audience is not None and audience not in {k.value for k in PersonKind}:
        raise ValidationFailed(
            "unknown audience",
            [FieldError("audience", f"expected customer or employee, got {audience!r}")],
        )
    survey = None
    if request.survey is not None and request.survey != "":
        survey = find_survey(engine, request.survey, memo.reads if memo else None)
        if survey is None:
            raise NotFound(f"survey {request.survey} does not exist")
        if audience is not None and audience != survey.audience:
            raise ValidationFailed(
                f"survey {survey.key} is answered by {survey.audience}s",
                [FieldError("audience", f"expected {survey.audience} or nothing")],
            )
        audience = survey.audience
    ids = None if survey is None else (survey.id,)
    return survey, Filters(ids, audience, request.since, request.until)


def _segment(request: MetricRequest) -> tuple[str, str] | None:
    """The ``attribute=value`` a request is narrowed to, or None.

    A segment is a slice of the table grouped by that attribute, so its rows carry the
    suppression decisions of the full breakdown: hiding a small segment also hides what
    would give it away (its complement within each group), as on a by-attribute page.
    """
    if not request.segment:
        return None
    name, sep, value = request.segment.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise ValidationFailed(
            "the segment is not valid",
            [FieldError("segment", f"expected attribute=value, got {request.segment!r}")],
        )
    if request.attribute and request.attribute != name:
        raise ValidationFailed(
            "one attribute at a time",
            [FieldError("segment", f"group by {name} or narrow to it, not by {request.attribute}")],
        )
    return name, value


def _within(text: str, protected: bool) -> tuple[str, str]:
    """The ``attribute=value`` filter of a request. Employee results are never cut by two
    attributes at once (a filtered breakdown and the unfiltered one are two partitions of
    one population: their difference could isolate a few people)."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value or not ATTRIBUTE_PATTERN.fullmatch(name):
        raise ValidationFailed(
            "the segment is not valid",
            [FieldError("segment", f"expected attribute=value, got {text!r}")],
        )
    if protected:
        raise ValidationFailed(
            "employee results are cut by one attribute at a time",
            [FieldError("segment", "not available for an employee survey (anonymity)")],
        )
    return name, value


def _manager_scope(principal: Principal) -> str | None:
    """The subtree a manager is confined to (None for every other role)."""
    if principal.role is not Role.MANAGER:
        return None
    if principal.unit_path is None:
        raise PermissionDenied("Your manager account is not attached to a unit.")
    return principal.unit_path


def _resolve_focus(
    units: Mapping[int, UnitNode], scope: str | None, requested: str | None
) -> UnitNode:
    """The unit the rows are narrowed to: the requested one, inside the manager's scope."""
    by_path = {u.path: u for u in units.values()}
    by_code = {u.code: u for u in units.values()}
    focus = by_path.get(scope) if scope else None
    if requested:
        chosen = by_path.get(requested) or by_code.get(requested)
        if chosen is None:
            raise NotFound(f"unit {requested} does not exist")
        if focus is not None and not focus.contains(chosen.path):
            raise PermissionDenied(f"Unit {chosen.code} is outside your part of the organisation.")
        focus = chosen
    if focus is None:
        raise PermissionDenied(f"Your unit ({scope}) has no results here.")
    return focus


RECENT_RESULTS: Final[RecentRows[tuple[MetricRow, Decision | None, object, ResultRow]]] = (
    RecentRows()
)
"""The result rows last built per query, policy and shown grouping, by group (a
:class:`~rapport.analytics.metrics.results.RecentRows`), each with the token of the
catalog it was built from (:func:`_catalog_token`): after a new response only the groups
whose table row or decision changed are built again."""

RECENT_CATALOGS: Final[RecentRows[tuple[dict[int, UnitNode], dict[int, Any], object]]] = (
    RecentRows()
)
"""Per key of :data:`RECENT_RESULTS`, the catalog its rows were last built from and its
token (:func:`_catalog_token`)."""


def _catalog_token(recent: Hashable, table: MetricTable) -> object:
    """An object standing for the catalog entries the result rows of ``table`` can name
    (its units and survey versions): the one last given under ``recent`` while they are
    equal to that catalog's, else a new one. A kept result row built with the same token
    names the same entries, so it is reused without looking them up (a unit × month table
    at 400 units has 9,600 rows; a renamed or moved unit, a new survey version: a new
    token, every row built again)."""
    markers = RECENT_CATALOGS.of(recent)
    marker = markers.get(None)
    units, versions = table.units, table.versions
    if marker is not None and marker[0] == units and marker[1] == versions:
        return marker[2]
    token = object()
    markers[None] = (units, versions, token)
    return token


class _Described:
    """What a table's result rows read from the catalog, each key value looked up once per
    build: a unit's five fields, a period's label, a survey version.
    A unit × month table at 400 units names each unit 24 times and each month 400 times."""

    def __init__(self, table: MetricTable) -> None:
        self._table = table
        self._by = table.query.grouping.by
        self._seen: dict[tuple[int, Hashable], dict[str, Any]] = {}
        self._audience = table.query.filters.audience
        self._sufficiency: dict[int, str] = {}

    def of(self, key: Key) -> dict[str, Any]:
        """A result row's fields for ``key`` (a new dict)."""
        fields: dict[str, Any] = {}
        for at, value in enumerate(key):
            found = self._seen.get((at, value))
            if found is None:
                found = self._seen[(at, value)] = self._describe(self._by[at], value)
            fields.update(found)
        if self._audience is not None:
            fields.setdefault("audience", self._audience)
        return fields

    def _describe(self, dim: Dimension, value: Any) -> dict[str, Any]:
        table = self._table
        if dim is Dimension.UNIT:
            unit = table.units[unit_id(value)]
            return {
                "unit_id": unit.id,
                "unit_path": unit.path,
                "unit_code": unit.code,
                "unit_name": unit.name,
                "unit_depth": unit.depth,
            }
        if dim is Dimension.PERIOD:
            grain = table.query.grouping.period
            if grain is None or not isinstance(value, date):
                raise RuntimeError("internal error: a period row without a grain or a date")
            return {"period": value, "period_label": period_label(value, grain)}
        if dim is Dimension.SURVEY_VERSION:
            if value is None:
                return {"survey_version_id": None, "survey_version": None}
            version = table.versions.get(int(value))
            return {"survey_version_id": value, "survey_version": version[1] if version else None}
        return {dim.value: value}

    def sufficiency(self, n: int) -> str:
        """``estimates.sufficiency(n)``'s value, once per n."""
        found = self._sufficiency.get(n)
        if found is None:
            found = self._sufficiency[n] = sufficiency(n).value
        return found


def _result_row(
    row: MetricRow, decision: Decision | None, described: _Described, fields: dict[str, Any]
) -> ResultRow:
    """The row as shown: ``fields`` name its group (:meth:`_Described.of`)."""
    hidden = decision is not None and decision.suppressed
    estimate = row.estimate
    return ResultRow(
        n=row.n,
        value=None if hidden else estimate.value,
        lower=None if hidden else estimate.lower,
        upper=None if hidden else estimate.upper,
        method=estimate.method,
        sufficiency=described.sufficiency(estimate.n),
        suppressed=hidden,
        reason=decision.reason.value if hidden and decision and decision.reason else None,
        emotion=row.emotion,
        # Shared with the table's row, as rows of equal statistics share theirs: read,
        # never changed (a copy each was 6 MB of the rows kept at 400 units).
        detail={} if hidden else row.detail,
        **fields,
    )


def engine_from_settings(settings: Settings, db: Database | None = None) -> AnalyticsEngine:
    """The analytics engine the settings name (operational unless told otherwise).

    Reads ``analytics_engine`` (``RAPPORT_ANALYTICS_ENGINE=operational|duckdb``) and
    ``snapshot_dir`` (``RAPPORT_SNAPSHOT_DIR``, default ``<data_dir>/snapshot``) when the
    settings carry them. ``operational`` reuses the application's database when given.
    """
    kind = str(getattr(settings, "analytics_engine", None) or "operational")
    folder = getattr(settings, "snapshot_dir", None) or settings.data_dir / "snapshot"
    url = None if db is not None else settings.resolved_database_url()
    engine = None if db is None else db.engine
    return open_engine(kind, database_url=url, engine=engine, snapshot_dir=Path(folder))


def rebuild_aggregates(db: Database) -> int:
    """Recompute ``metric_aggregates`` exactly from the raw responses, in one transaction
    (``rapport metrics rebuild-aggregates``); idempotent. Returns the number of rows."""
    with db.unit_of_work() as uow:
        return uow.responses.rebuild_aggregates()


def policy_from_settings(settings: Settings) -> SuppressionPolicy:
    """The anonymity policy configured by ``RAPPORT_ANONYMITY_MIN_*`` and
    ``RAPPORT_CONFIDENTIAL_PERIOD``."""
    return SuppressionPolicy(
        settings.anonymity_min_scores,
        settings.anonymity_min_comments,
        period=getattr(settings, "confidential_period", "month"),
    )


# --- comparing two groups ------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """``first − second`` with its test, or why it cannot be shown."""

    first: ResultRow
    second: ResultRow
    difference: Difference | None
    suppressed: bool
    reason: str | None


def compare(
    engine: AnalyticsEngine,
    principal: Principal,
    request: MetricRequest,
    first: Mapping[str, str],
    second: Mapping[str, str],
    policy: SuppressionPolicy,
    alpha: float = 0.05,
    *,
    memo: MetricMemo | None = None,
) -> Comparison:
    """Compare two groups of one metric, e.g. ``{"unit": "west"}`` vs ``{"unit": "east"}``
    or ``{"period": "2026-01"}`` vs ``{"period": "2025-12"}`` (with ``period="month"``).

    Keys are ``unit`` (code or path), ``period`` (label or first day), ``attribute``,
    ``survey_version`` (number) and ``emotion``. Both groups go through :func:`compute`,
    so a hidden group stays hidden (and, with the page's ``memo``, the table a trend of
    the same metric already computed is reused). Nested units are refused: a region and
    its own store are not independent samples.
    """
    dims = {k for k in (*first, *second) if k != "emotion"}
    by = {*request.by, *(d for d in dims if d in ("unit", "survey_version"))}
    result = compute(engine, principal, replace(request, by=sorted(by)), policy, memo=memo)
    one, two = _find(result, first, "first"), _find(result, second, "second")
    if one.unit_path and two.unit_path and one.unit_path != two.unit_path:
        a, b = one.unit_path, two.unit_path
        if a.startswith(b + "/") or b.startswith(a + "/"):
            raise ValidationFailed(
                "the two groups overlap",
                [FieldError("unit", f"{a} and {b} are nested: compare disjoint units")],
            )
    if one.suppressed or two.suppressed:
        reason = one.reason if one.suppressed else two.reason
        return Comparison(one, two, None, True, reason)
    if one.value is None or two.value is None:
        return Comparison(one, two, None, False, "no_responses")
    found = difference(result.metric.statistic, one.detail, one.n, two.detail, two.n, alpha)
    return Comparison(one, two, found, False, None)


def _find(result: MetricResult, ref: Mapping[str, str], name: str) -> ResultRow:
    def matches(row: ResultRow) -> bool:
        for key, wanted in ref.items():
            if key == "unit" and wanted not in (row.unit_code, row.unit_path):
                return False
            if key == "period" and wanted not in (row.period_label, str(row.period)):
                return False
            if key == "survey_version" and str(row.survey_version) != str(wanted):
                return False
            if key in ("attribute", "emotion", "audience") and getattr(row, key) != wanted:
                return False
            if key not in ("unit", "period", "survey_version", "attribute", "emotion", "audience"):
                raise ValidationFailed(
                    "unknown group key",
                    [
                        FieldError(
                            f"{name}.{key}",
                            "expected unit, period, attribute, survey_version, audience or emotion",
                        )
                    ],
                )
        return True

    found = [row for row in result.rows if matches(row)]
    if len(found) != 1:
        problem = "matches no group" if not found else f"matches {len(found)} groups"
        raise ValidationFailed(
            f"the {name} group {problem}",
            [
                FieldError(
                    name, "name one group: every grouping dimension, and emotion for emotions"
                )
            ],
        )
    return found[0]


# --- reliability ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilityResult:
    survey: SurveyInfo
    reliability: ConstructReliability | None
    n: int
    suppressed: bool
    reason: str | None


def reliability(
    engine: AnalyticsEngine,
    principal: Principal,
    survey: int | str,
    construct: str,
    policy: SuppressionPolicy,
    unit: str | None = None,
) -> ReliabilityResult:
    """Cronbach's α and McDonald's ω of an index (``hearts``, ``minds``, ``index:…``).

    Computed over the principal's part of the organisation (a manager's subtree, or
    ``unit``'s); withheld for employee surveys when fewer respond than the threshold.
    """
    require(principal, Permission.VIEW_RESULTS)
    request = MetricRequest(survey=survey, metric=construct, unit=unit)
    info, filters = _filters(engine, request)
    if info is None:
        raise NotFound(f"survey {survey} does not exist")
    if policy.protects(info.audience):  # closed periods only, as for every protected figure
        window, filters = _closed(info, filters, request, policy)
        filters = replace(filters, until=as_moment(window.end))
    unit_ids = unit_scope(engine, principal, unit)
    found = construct_reliability(engine, get_metric(construct), filters, unit_ids)
    if policy.protects(info.audience) and found.n < policy.threshold(Measure.SCORES):
        return ReliabilityResult(info, None, found.n, True, "below_threshold")
    return ReliabilityResult(info, found, found.n, False, None)


def unit_scope(
    engine: AnalyticsEngine,
    principal: Principal,
    unit: str | None,
    reads: CatalogReads | None = None,
) -> list[int] | None:
    """The sorted ids of the units whose respondents ``principal`` may analyse: a manager's
    subtree, or ``unit``'s (code or path; inside the manager's), None for the whole
    organisation. ``reads`` keeps the unit tree across one request's reads."""
    scope = _manager_scope(principal)
    if scope is None and not unit:
        return None
    with engine.connect() as conn:
        units = (reads or CatalogReads()).units(conn)
    focus = _resolve_focus(units, scope, unit)
    return sorted(u.id for u in units.values() if focus.contains(u.path))
