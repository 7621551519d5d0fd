"""Metric definitions, written once for every engine.

A :class:`Metric` says *what* is measured: which scored items it reads (question types,
construct tag) and which statistic summarises them. A :class:`MetricQuery` adds *how it is
cut* (:class:`Grouping`: unit with roll-up, period, audience, person attribute, survey
version) and *which responses count* (:class:`Filters`). :mod:`rapport.analytics.metrics.sql`
turns a query into SQLAlchemy Core statements that every engine compiles in its own dialect;
:mod:`rapport.analytics.metrics.results` runs them and turns the sufficient statistics into
estimates with intervals. ``docs/metrics.md`` gives the formulas.

>>> get_metric("hearts").tag_prefix
'heart'
>>> get_metric("index:relationship.fresh").statistic
<Statistic.INDEX: 'index'>
>>> Grouping.of(["period", "unit"], period="month").by
(<Dimension.UNIT: 'unit'>, <Dimension.PERIOD: 'period'>)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from rapport.analytics.estimates import validate_confidence
from rapport.domain.comment_emotions import EKMAN_EMOTIONS, RELATIONSHIP_EMOTIONS, SENTIMENTS
from rapport.domain.survey.rows import SCORED_QTYPES
from rapport.errors import FieldError, ValidationFailed

REPEAT_COMPLAINT_DAYS = 90
"""A complaint within this many days after another of the same person is a repeat."""

TAG_PREFIX_PATTERN = re.compile(r"[a-z_]+(?:\.[a-z_]+)*")
"""Construct tags are lowercase words joined by dots (the survey definition's rule)."""

ATTRIBUTE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""Person attributes that may be grouped by: plain keys, rendered into SQL as literals."""


class Statistic(StrEnum):
    """How a metric summarises its answers; fixes the sufficient statistics SQL returns."""

    COUNT = "count"  # responses: n
    RATE = "rate"  # invitations (n sent, successes answered) or people (n, who responded)
    NPS = "nps"  # 0–10 item: n, promoters (9–10), detractors (0–6)
    SHARE = "share"  # answers in the top box(es), in percent: n, successes
    MEAN = "mean"  # mean answer on the item's own scale: n, Σ(x − c), Σ(x − c)²
    INDEX = "index"  # mean over responses of the response's mean item rescaled to 0–100
    EMOTIONS = "emotions"  # share of responses choosing each emotion: n, chosen per emotion


class Period(StrEnum):
    """Calendar periods of ``submitted_at`` (UTC); weeks start on Monday (ISO 8601)."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Dimension(StrEnum):
    """What a metric can be grouped by; results always list dimensions in this order."""

    UNIT = "unit"
    PERIOD = "period"
    AUDIENCE = "audience"
    ATTRIBUTE = "attribute"
    SURVEY_VERSION = "survey_version"


DIMENSION_ORDER: tuple[Dimension, ...] = tuple(Dimension)


@dataclass(frozen=True)
class Metric:
    """One metric: the items it reads and the statistic over them.

    ``single_item`` metrics read one question (an NPS, a CSAT, one emotion picker): if a
    survey has several candidates the caller must name one. Index metrics average every
    item tagged ``tag_prefix`` or below it.
    """

    name: str
    title: str
    statistic: Statistic
    qtypes: frozenset[str] = frozenset()
    tag_prefix: str | None = None
    prefer_tag: str | None = None
    top_boxes: int = 0
    scale: str = ""
    description: str = ""
    cases: str | None = None  # a closed-loop measure (CaseMeasure): read from the cases
    comments: str | None = None  # "ekman", "sentiment" or "relationship": comment analyses
    rate_of: str = "invitations"  # RATE: of "invitations" sent or of "people" of the unit
    repeat_days: int = 0  # SHARE of complaints: those following another within this many days

    @property
    def measure(self) -> str:
        """What suppression protects: comment-derived figures need the comment threshold."""
        return "comments" if self.comments else "scores"

    @property
    def categories(self) -> tuple[str, ...]:
        """Every emotion or sentiment a comment metric reports: each gets a row in every
        group, 0 % where none of the group's comments shows it. Empty for other metrics."""
        return {
            "ekman": EKMAN_EMOTIONS,
            "sentiment": SENTIMENTS,
            "relationship": tuple(RELATIONSHIP_EMOTIONS),
        }.get(self.comments or "", ())

    @property
    def single_item(self) -> bool:
        return self.statistic in (
            Statistic.NPS,
            Statistic.SHARE,
            Statistic.MEAN,
            Statistic.EMOTIONS,
        )

    @property
    def reads_items(self) -> bool:
        return (
            self.statistic not in (Statistic.COUNT, Statistic.RATE)
            and not self.comments
            and not self.cases
        )


def _index(name: str, prefix: str, title: str) -> Metric:
    return Metric(
        name,
        title,
        Statistic.INDEX,
        qtypes=SCORED_QTYPES,
        tag_prefix=prefix,
        scale="0..100",
        description=f"Mean over responses of the mean of their {prefix}.* items rescaled "
        "to 0-100 (reverse-keyed items reversed); Student t interval.",
    )


_NPS = Metric(
    "nps",
    "Net Promoter Score",
    Statistic.NPS,
    qtypes=frozenset({"nps"}),
    prefer_tag="loyalty",
    scale="-100..100",
    description="% promoters (9-10) − % detractors (0-6) of the 0-10 recommendation "
    "question; adjusted Wald interval (Rocks 2016).",
)

BUILTIN_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "responses",
            "Responses",
            Statistic.COUNT,
            scale="count",
            description="Number of submitted responses.",
        ),
        Metric(
            "response_rate",
            "Response rate",
            Statistic.RATE,
            scale="0..100 %",
            description="% of invitations sent that were answered (by when and where they "
            "were sent; public links have no invitations); Wilson interval.",
        ),
        Metric(
            "reach",
            "Reach",
            Statistic.RATE,
            rate_of="people",
            scale="0..100 %",
            description="% of the unit's people in the directory (customers for a customer "
            "survey, employees for an employee one) who responded in the period (by their "
            "directory unit); Wilson interval.",
        ),
        _NPS,
        Metric(
            "csat_top2",
            "CSAT top-2-box",
            Statistic.SHARE,
            qtypes=frozenset({"csat"}),
            top_boxes=2,
            scale="0..100 %",
            description="% of CSAT answers in the two highest boxes (4-5 of 5); Wilson interval.",
        ),
        Metric(
            "repeat_complaints",
            "Repeat complaints",
            Statistic.SHARE,
            qtypes=frozenset({"nps"}),
            prefer_tag="loyalty",
            repeat_days=REPEAT_COMPLAINT_DAYS,
            scale="0..100 %",
            description="Of the complaints (0-6 on the recommendation question) of known "
            "people, % that follow another complaint of the same person within "
            f"{REPEAT_COMPLAINT_DAYS} days; Wilson interval. Anonymous responses do not count.",
        ),
        Metric(
            "csat_mean",
            "CSAT mean",
            Statistic.MEAN,
            qtypes=frozenset({"csat"}),
            scale="answer scale",
            description="Mean CSAT answer on its own scale; Student t interval.",
        ),
        Metric(
            "ces_mean",
            "CES mean",
            Statistic.MEAN,
            qtypes=frozenset({"ces"}),
            scale="answer scale",
            description="Mean Customer Effort Score answer (1-7, higher = easier); t interval.",
        ),
        Metric(
            "top_box",
            "Top-box share",
            Statistic.SHARE,
            qtypes=frozenset({"likert", "matrix", "csat", "ces"}),
            top_boxes=1,
            scale="0..100 %",
            description="% of answers to one Likert question (or matrix row) in the highest "
            "box; name it with question= (and item= for a matrix row); Wilson interval.",
        ),
        _index("hearts", "heart", "Hearts index"),
        _index("minds", "mind", "Minds index"),
        Metric(
            "emotions",
            "Emotion shares",
            Statistic.EMOTIONS,
            qtypes=frozenset({"emotion_picker"}),
            scale="0..100 %",
            description="Per emotion, % of responses to the emotion picker that chose it; "
            "Wilson interval.",
        ),
        Metric(
            "comment_emotions",
            "Emotions in comments",
            Statistic.EMOTIONS,
            comments="ekman",
            scale="0..100 %",
            description="Per Ekman emotion (and neutral), % of the comments the emotion model "
            "read (English, long enough) in which it found it; Wilson interval.",
        ),
        Metric(
            "comment_sentiment",
            "Sentiment of comments",
            Statistic.EMOTIONS,
            comments="sentiment",
            scale="0..100 %",
            description="Per sentiment (positive, negative, ambiguous, neutral), % of the "
            "comments the emotion model read whose primary sentiment it is; Wilson interval.",
        ),
        Metric(
            "comment_relationship",
            "Relationship emotions in comments",
            Statistic.EMOTIONS,
            comments="relationship",
            scale="0..100 %",
            description="Care (caring), delight (joy, excitement, love, admiration), "
            "annoyance (annoyance, anger) and disappointment: % of the comments the emotion "
            "model read that show any of the emotion's GoEmotions labels; Wilson interval.",
        ),
    )
}


class CaseMeasure(StrEnum):
    """What a closed-loop metric measures of each case (``docs/closed-loop.md``, "Metrics")."""

    FIRST_CONTACT = "first_contact"  # hours from opening to the first note or status change
    RESOLUTION = "resolution"  # hours from opening to resolving
    WITHIN_SLA = "within_sla"  # resolved before the first due time, of cases whose fate is known
    REPEAT = "repeat"  # an earlier case within 30 days: same person, or same unit and rule
    RECOVERY = "recovery"  # follow-up NPS category minus the original's, per case


REPEAT_WINDOW_DAYS: Final = 30
"""A case repeats an earlier one opened at most this many days before it."""

CASE_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "cases.time_to_first_contact",
            "Time to first contact (hours)",
            Statistic.MEAN,
            scale="hours",
            cases=CaseMeasure.FIRST_CONTACT,
            description="Mean hours from a case's opening to its first note or status change, "
            "over cases contacted; Student t interval.",
        ),
        Metric(
            "cases.time_to_resolution",
            "Time to resolution (hours)",
            Statistic.MEAN,
            scale="hours",
            cases=CaseMeasure.RESOLUTION,
            description="Mean hours from a case's opening to its resolution, over cases "
            "resolved or closed; Student t interval.",
        ),
        Metric(
            "cases.closed_within_sla",
            "Closed within SLA",
            Statistic.SHARE,
            scale="0..100 %",
            cases=CaseMeasure.WITHIN_SLA,
            description="% of cases resolved before their first due time, of the cases whose "
            "fate is known (resolved, or escalated for being overdue); Wilson interval.",
        ),
        Metric(
            "cases.repeat_issue_rate",
            "Repeat-issue rate",
            Statistic.SHARE,
            scale="0..100 %",
            cases=CaseMeasure.REPEAT,
            description=f"% of cases with an earlier case opened at most {REPEAT_WINDOW_DAYS} "
            "days before: the same person, or the same unit and alert rule; Wilson interval.",
        ),
        Metric(
            "cases.recovery_effect",
            "Recovery effect (NPS points)",
            Statistic.MEAN,
            scale="-200..200",
            cases=CaseMeasure.RECOVERY,
            description="Follow-up NPS minus the NPS of the cases' original responses, over "
            "cases with both answers (paired); Student t interval of the paired differences.",
        ),
    )
}
BUILTIN_METRICS |= CASE_METRICS

ALIASES = {
    "rate": "response_rate",
    "enps": "nps",
    "csat": "csat_top2",
    "ces": "ces_mean",
    "likert_top_box": "top_box",
}


def get_metric(name: str) -> Metric:
    """The metric called ``name``: a built-in, an alias, or ``index:<tag prefix>``.

    >>> get_metric("enps").name
    'nps'
    >>> get_metric("index:mind.ease").title
    'Index mind.ease'
    >>> get_metric("sales")
    Traceback (most recent call last):
    ...
    rapport.errors.ValidationFailed: unknown metric 'sales'
    """
    key = name.strip().lower()
    if key.startswith("index:"):
        prefix = key.removeprefix("index:")
        if not TAG_PREFIX_PATTERN.fullmatch(prefix):
            raise ValidationFailed(
                f"invalid construct tag in {name!r}",
                [FieldError("metric", "expected index:<tag prefix>, e.g. index:heart")],
            )
        return _index(key, prefix, f"Index {prefix}")
    metric = BUILTIN_METRICS.get(ALIASES.get(key, key))
    if metric is None:
        known = ", ".join([*BUILTIN_METRICS, *ALIASES, "index:<tag prefix>"])
        raise ValidationFailed(
            f"unknown metric {name!r}", [FieldError("metric", f"expected one of {known}")]
        )
    return metric


@dataclass(frozen=True)
class Grouping:
    """The dimensions of a result, in :data:`DIMENSION_ORDER`; build with :meth:`of`."""

    by: tuple[Dimension, ...] = ()
    period: Period | None = None
    attribute: str | None = None

    @classmethod
    def of(
        cls, by: Iterable[str] = (), period: str | None = None, attribute: str | None = None
    ) -> Grouping:
        """Validate and order the dimensions; ``period``/``attribute`` imply their dimension.

        >>> Grouping.of(["unit"], attribute="role").by
        (<Dimension.UNIT: 'unit'>, <Dimension.ATTRIBUTE: 'attribute'>)
        """
        errors: list[FieldError] = []
        dims: set[Dimension] = set()
        for raw in by:
            try:
                dims.add(Dimension(raw.strip().lower()))
            except ValueError:
                allowed = ", ".join(d.value for d in Dimension)
                errors.append(FieldError("by", f"expected one of {allowed}, got {raw!r}"))
        grain: Period | None = None
        if period:
            try:
                grain = Period(period.strip().lower())
                dims.add(Dimension.PERIOD)
            except ValueError:
                allowed = ", ".join(p.value for p in Period)
                errors.append(FieldError("period", f"expected one of {allowed}, got {period!r}"))
        elif Dimension.PERIOD in dims:
            errors.append(FieldError("period", "grouping by period needs period=week|month|..."))
        if attribute:
            if not ATTRIBUTE_PATTERN.fullmatch(attribute):
                errors.append(
                    FieldError("attribute", f"expected a plain attribute name, got {attribute!r}")
                )
            dims.add(Dimension.ATTRIBUTE)
        elif Dimension.ATTRIBUTE in dims:
            errors.append(FieldError("attribute", "grouping by attribute needs attribute=<name>"))
        if errors:
            raise ValidationFailed("the grouping is not valid", errors)
        ordered = tuple(d for d in DIMENSION_ORDER if d in dims)
        return cls(ordered, grain, attribute or None)

    def with_dimension(self, dim: Dimension) -> Grouping:
        """The same grouping with ``dim`` added (no-op when present)."""
        dims = set(self.by) | {dim}
        return Grouping(tuple(d for d in DIMENSION_ORDER if d in dims), self.period, self.attribute)

    def position(self, dim: Dimension) -> int | None:
        return self.by.index(dim) if dim in self.by else None


@dataclass(frozen=True)
class Filters:
    """Which responses count: surveys (None = all), audience, a UTC time window,
    ``within``: only responses whose person attribute ``name`` equals ``value``, and
    ``units``: only the responses (invitations, people, cases) of these units (sorted ids
    of one subtree; None = every unit).

    A table read for ``units`` keeps the non-unit values the whole organisation's table
    has (:func:`rapport.analytics.metrics.results.fetch_metric` reads them too), so its
    rows for those units are the whole organisation's rows for them."""

    survey_ids: tuple[int, ...] | None = None
    audience: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    within: tuple[str, str] | None = None
    units: tuple[int, ...] | None = None


@dataclass(frozen=True)
class MetricQuery:
    """A metric, cut by a grouping, over filtered responses.

    ``question``/``item`` pick the question (and matrix row) of a single-item metric, or
    restrict an index to one question.
    """

    metric: Metric
    grouping: Grouping = field(default_factory=Grouping)
    filters: Filters = field(default_factory=Filters)
    question: str | None = None
    item: str | None = None
    confidence: float = 0.95

    def __post_init__(self) -> None:
        validate_confidence(self.confidence)


@dataclass(frozen=True)
class ScoredItem:
    """One row of ``survey_items``: a question (or matrix row) of one published version."""

    id: int
    survey_version_id: int
    question_id: str
    item: str
    qtype: str
    tags: tuple[str, ...]
    scale_min: float | None
    scale_max: float | None
    reverse_keyed: bool

    def tagged(self, prefix: str) -> bool:
        """True when a tag is ``prefix`` or below it (``heart`` matches ``heart.cared``)."""
        return any(t == prefix or t.startswith(prefix + ".") for t in self.tags)

    @property
    def has_scale(self) -> bool:
        return (
            self.scale_min is not None
            and self.scale_max is not None
            and self.scale_max > self.scale_min
        )


def select_items(
    metric: Metric, items: Sequence[ScoredItem], question: str | None, item: str | None
) -> list[ScoredItem]:
    """The items of the queried surveys that ``metric`` reads, or ValidationFailed.

    A single-item metric must resolve to one ``(question, item)`` across versions: among
    several, those carrying ``prefer_tag`` win (the NPS prefers ``loyalty.*``); if several
    remain, the caller must name one with ``question=``.
    """
    if not metric.reads_items:
        return []
    found = [i for i in items if i.qtype in metric.qtypes]
    if metric.tag_prefix is not None:
        found = [i for i in found if i.tagged(metric.tag_prefix)]
    if metric.statistic is not Statistic.EMOTIONS:
        found = [i for i in found if i.has_scale]
    if question is not None:
        found = [i for i in found if i.question_id == question]
        if item is not None:
            found = [i for i in found if i.item == item]
    if not found:
        where = f" question {question!r}" if question else ""
        raise ValidationFailed(
            f"no item of the survey{where} fits metric {metric.name}",
            [FieldError("question" if question else "metric", _expected(metric))],
        )
    if metric.single_item:
        found = _one_question_per_version(metric, found)
    return found


def _one_question_per_version(metric: Metric, found: list[ScoredItem]) -> list[ScoredItem]:
    """Within each version, keep the one question a single-item metric reads.

    Different versions (or surveys) may name it differently — the employee survey's ``enps``
    and the customer survey's ``nps`` are both the NPS of their survey.
    """
    by_version: dict[int, list[ScoredItem]] = {}
    for candidate in found:
        by_version.setdefault(candidate.survey_version_id, []).append(candidate)
    kept: list[ScoredItem] = []
    for candidates in by_version.values():
        if len(candidates) > 1 and metric.prefer_tag:
            candidates = [c for c in candidates if c.tagged(metric.prefer_tag)] or candidates
        if len(candidates) > 1:
            names = ", ".join(sorted(f"{c.question_id}:{c.item}" if c.item else c.question_id
                                     for c in candidates))  # fmt: skip
            raise ValidationFailed(
                f"metric {metric.name} fits several questions: {names}",
                [FieldError("question", f"name one of {names} (matrix rows with item=)")],
            )
        kept.extend(candidates)
    return kept


def _expected(metric: Metric) -> str:
    kinds = "/".join(sorted(metric.qtypes))
    tag = f" tagged {metric.tag_prefix}.*" if metric.tag_prefix else ""
    return f"metric {metric.name} reads {kinds} questions{tag}"
