"""The comment explorer: redacted comments with their emotions, filters, themes and trends.

For protected (employee) surveys, comments are shown per closed period only (the policy's
grain, as every employee figure), and only from units whose group in that period reaches the
comment threshold (10 by default) after complementary suppression over the whole unit tree;
the unit filter itself must be such a group; everything else is counted as hidden. A comment
carries no score and no date there (only its period), and score bands are not offered: a
score beside a comment, or a date, narrows who wrote it (``docs/confidentiality.md``).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from rapport.analytics.metrics.results import period_label, period_start
from rapport.analytics.periods import as_moment, next_period, period_floor
from rapport.analytics.suppression import Cell, Measure, SuppressionPolicy, suppress
from rapport.domain.org import SYSTEM, Permission, Principal, Unit
from rapport.domain.survey import QuestionType
from rapport.errors import FieldError, PermissionDenied, ValidationFailed
from rapport.services import comment_counts, comment_themes, confidentiality
from rapport.services.access import require
from rapport.services.clock import as_utc
from rapport.services.comment_themes import (
    CommentCache,
    ShownThemes,
    ThemeFinder,
    ThemeJob,
    ThemeRow,
)
from rapport.services.org import ancestors_by_unit, unit_cells_parent
from rapport.services.surveys import PublishedSurvey, get_published
from rapport.storage.repositories.comments import (
    CommentCursor,
    CommentQuery,
    CommentRecord,
    NewSnapshot,
)
from rapport.storage.uow import Database, UnitOfWork
from rapport.text import PredictionStatus

BANDS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
NOT_READ_STATUSES = (
    PredictionStatus.LANGUAGE_NOT_SUPPORTED.value,
    PredictionStatus.TOO_SHORT.value,
)


@dataclass(frozen=True)
class CommentView:
    comments: list[CommentRecord]
    """One page of the matching comments (``offset`` on, at most ``limit``)."""
    matching: int
    hidden: int
    units: dict[int, Unit]
    emotion_counts: dict[str, int]
    themes: list[ThemeRow] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    threshold: int | None = None
    period: str | None = None  # protected surveys: the closed period shown
    periods: list[str] = field(default_factory=list)  # ... and the closed periods on offer
    not_read: dict[str, int] = field(default_factory=dict)
    """Comments shown to the reader (after suppression, the unit, period and band filters;
    before the emotion and sentiment filters) that the emotion model did not read, by reason:
    ``language_not_supported`` (e.g. Spanish) and ``too_short``, each present, 0 if none."""
    offset: int = 0
    limit: int = 100
    published: PublishedSurvey | None = None
    next_after: CommentCursor | None = None
    """Where the next page starts (unprotected surveys only: a cursor carries a time)."""
    themes_as_of: ShownThemes | None = None
    """How fresh ``themes`` are (None: too few comments for themes)."""


def cursor(token: str | None) -> CommentCursor | None:
    """The ``after`` cursor of a request (None when absent), or a message naming it."""
    if not token:
        return None
    found = CommentCursor.parse(token)
    if found is None:
        raise ValidationFailed(
            "bad cursor",
            [FieldError("after", "expected the next_after of a previous page, unchanged")],
        )
    return found


def explore(
    uow: UnitOfWork,
    principal: Principal,
    survey_id: int,
    policy: SuppressionPolicy,
    *,
    unit: str | None = None,
    emotion: str | None = None,
    band: str | None = None,
    sentiment: str | None = None,
    period: str | None = None,
    limit: int = 100,
    offset: int = 0,
    after: CommentCursor | None = None,
    n_themes: int = 6,
    cache: CommentCache[Any] | None = None,
    generation: Hashable | None = None,
) -> CommentView:
    """The comments ``principal`` may read, filtered; ``period`` (a label such as
    ``2026-03``) picks the closed period of a protected survey (default: the latest).
    ``limit`` comments from ``offset``, or after the cursor ``after`` (the previous page's
    ``next_after``: stable while comments arrive), are read from the database; counts and
    emotions are over every matching comment, tallied in the database. With the
    application's ``cache``, the counts are kept per data version in memory and in the
    database (extended by the new responses only when nothing older changed;
    ``comment_counts``) and themes are the latest found (``comment_themes``); with
    ``generation`` too (the engine's data generation of the survey, read before ``uow``'s
    first statement), the survey's data version is kept under it."""
    require(principal, Permission.VIEW_COMMENTS)
    if offset < 0 or limit < 1:
        bad = "offset" if offset < 0 else "limit"
        raise ValidationFailed(
            f"bad {bad}",
            [FieldError(bad, "expected a whole number, at least 0 for offset, 1 for limit")],
        )
    published = get_published(uow, survey_id)
    protected = policy.protects(published.survey.audience)
    if band is not None and band not in BANDS:
        raise ValidationFailed(
            "bad band", [FieldError("band", f"expected one of {', '.join(BANDS)}")]
        )
    if band is not None and protected:
        raise ValidationFailed(
            "score bands are not offered for employee comments",
            [FieldError("band", "a score beside a comment narrows who wrote it; leave it out")],
        )
    units = uow.units.all()
    by_id = {u.id: u for u in units}
    ancestors = ancestors_by_unit(units)  # a region's count includes its stores
    # What depends only on the survey's data is kept per data version (with ``cache``, in
    # memory and in the database), and extended by the responses above the kept version.
    if cache is not None and generation is not None:
        version = cache.data_version(survey_id, generation, lambda: uow.comments.version(survey_id))
    else:
        version = uow.comments.version(survey_id)
    last = version.last_response_id
    pending: list[NewSnapshot] = []  # counts and themes to keep, in one write

    window: _Window | None = None
    periods: list[str] = []
    if protected:
        grain = policy.period
        by_period = comment_counts.counted(
            uow,
            cache,
            survey_id,
            ("periods", survey_id, grain),
            version,
            lambda above: Counter(
                (u, period_floor(m, grain))
                for u, m in uow.comments.response_moments(survey_id, above, last)
            ),
            comment_counts.BY_UNIT_PERIOD,
            pending,
        )
        window, periods = _closed_window(policy, period, [as_moment(p) for _, p in by_period])
        per_unit: Counter[int] = Counter()
        for (u, start), n in by_period.items():
            if window.holds(as_moment(start)):  # a period is wholly in the window or out
                per_unit[u] += n
    else:
        per_unit = comment_counts.counted(
            uow,
            cache,
            survey_id,
            ("counts", survey_id),
            version,
            lambda above: Counter(uow.comments.response_counts(survey_id, above, last)),
            comment_counts.BY_UNIT,
            pending,
        )
    counts: Counter[int] = Counter()
    for unit_id, n in per_unit.items():
        for a in ancestors[unit_id]:
            counts[a] += n
    decisions = suppress(
        [Cell(u.path, counts[u.id], unit_cells_parent(u)) for u in units],
        policy,
        audience=published.survey.audience,
        measure=Measure.COMMENTS,
    )
    scope = [u for u in units if principal.sees_unit(u.path)]
    if unit is not None:
        root = uow.units.find(unit)
        if root is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit {unit!r}")])
        if not principal.sees_unit(root.path):
            raise PermissionDenied(f"Unit {root.code} is outside your part of the organisation.")
        if decisions[root.path].suppressed:
            raise PermissionDenied(
                f"{root.name} has too few responses to show comments without risking anonymity."
            )
        scope = [u for u in scope if root.contains(u.path)]
    question_ids = [q.id for q in published.definition.questions if q.type is QuestionType.TEXT]
    # A comment is attributed to the lowest unit above it whose group may be shown, so a
    # small team's comments appear under its department, never under its own name.
    shown_as = {
        u.id: next(
            (by_id[a] for a in reversed(ancestors[u.id]) if decisions[by_id[a].path].revealed), None
        )
        for u in units
    }
    visible = sorted(
        u.id
        for u in scope
        if (display := shown_as[u.id]) is not None and principal.sees_unit(display.path)
    )
    in_scope = CommentQuery(
        survey_id,
        tuple(question_ids),
        tuple(u.id for u in scope),
        window.start if window else None,
        window.end if window else None,
    )
    # Every count from one grouped tally; the comments themselves only a page at a time.
    # (The score band costs a subquery per comment: asked for only when filtered on.)
    score_bands = [BANDS[band]] if band else []
    tallies = comment_counts.counted(
        uow,
        cache,
        survey_id,
        ("tally", in_scope, band, emotion or None),
        version,
        lambda above: uow.comments.tally(
            replace(in_scope, above_id=above, through_id=last), score_bands, emotion or None
        ),
        comment_counts.TALLIES,
        pending,
    )
    shown_ids = set(visible)
    shown = [t for t in tallies if t.unit_id in shown_ids]
    hidden = sum(t.n for t in tallies) - sum(t.n for t in shown)
    if band:
        shown = [t for t in shown if t.band == 0]
    # Counted before the emotion and sentiment filters, which no unread comment can match.
    not_read = Counter(dict.fromkeys(NOT_READ_STATUSES, 0))
    for t in shown:
        if t.status in NOT_READ_STATUSES:
            not_read[t.status] += t.n
    if emotion:
        shown = [t for t in shown if t.emotion]
    if sentiment:
        shown = [t for t in shown if t.sentiment == sentiment]
    emotions: Counter[str] = Counter()
    for t in shown:
        for e in t.ekman:
            emotions[e] += t.n
    matching = sum(t.n for t in shown)
    wanted = replace(
        in_scope,
        unit_ids=tuple(visible),
        score_band=BANDS[band] if band else None,
        emotion=emotion or None,
        sentiment=sentiment or None,
    )
    page = uow.comments.page(wanted, limit=limit, after=after, offset=0 if after else offset)
    if window is not None:
        page = [window.blur(r) for r in page]
    page = [replace(r, unit_id=shown_as[r.unit_id].id) for r in page]  # type: ignore[union-attr]
    themes: list[ThemeRow] = []
    months: list[str] = []
    as_of: ShownThemes | None = None
    if matching >= 2 * n_themes:
        job = ThemeJob(wanted, n_themes, trend=window is None)
        finder = cache.finder if cache is not None else None
        as_of = comment_themes.shown(uow, job, version, matching, finder, pending)
        themes, months = as_of.rows, as_of.months
    if pending:

        def keep(w: UnitOfWork) -> None:
            w.comments.keep_snapshots(survey_id, version, pending)

        uow.defer(keep)
    threshold = policy.threshold(Measure.COMMENTS) if protected else None
    return CommentView(
        page,
        matching,
        hidden,
        by_id,
        dict(emotions.most_common()),
        themes,
        months,
        threshold,
        window.label if window else None,
        periods,
        dict(not_read),
        offset,
        limit,
        published,
        CommentCursor.of(page[-1]) if page and window is None else None,
        as_of,
    )


def refresh_themes(
    db: Database, policy: SuppressionPolicy, survey_ids: Sequence[int] | None = None
) -> dict[int, ShownThemes | None]:
    """Find the themes of each published survey's default view (every unit, no filter;
    an employee survey's latest closed period) where its data changed since they were
    last found: what ``rapport text themes`` runs from cron. None: too few comments."""
    with db.unit_of_work(readonly=True) as uow:
        ids = [s.id for s in uow.surveys.all()] if survey_ids is None else list(survey_ids)
        published = [i for i in ids if uow.surveys.latest_published(i) is not None]
    finder = ThemeFinder(db, inline_limit=sys.maxsize)  # found here, never in the background
    found: dict[int, ShownThemes | None] = {}
    for survey_id in published:
        with db.unit_of_work() as uow:
            view = explore(
                uow, SYSTEM, survey_id, policy, limit=1, cache=CommentCache(finder=finder)
            )
        found[survey_id] = view.themes_as_of
    return found


@dataclass(frozen=True)
class _Window:
    """One closed period of a protected survey: which comments fall in it, and how they are
    shown (at the period's start, without the score)."""

    start: datetime
    end: datetime
    label: str

    def holds(self, moment: datetime) -> bool:
        return self.start <= as_utc(moment) < self.end

    def blur(self, record: CommentRecord) -> CommentRecord:
        return replace(record, submitted_at=self.start, recommend=None)


def _closed_window(
    policy: SuppressionPolicy, period: str | None, moments: list[datetime]
) -> tuple[_Window, list[str]]:
    """The closed period asked for (default: the latest with responses), and every closed
    period with responses, newest first."""
    grain = policy.period
    end = confidentiality.closed_periods(policy, period=None, since=None, until=None).end
    starts = sorted({s for s in (period_floor(m, grain) for m in moments) if s < end})
    labels = [period_label(s, grain) for s in reversed(starts)]
    if period:
        chosen = _parse_label(period.strip(), grain)
        if chosen is None or chosen >= end:
            example = labels[0] if labels else period_label(period_floor(end, grain), grain)
            raise ValidationFailed(
                "not a closed period",
                [FieldError("period", f"expected a closed {grain} such as {example}")],
            )
    else:
        last_closed = period_floor(as_moment(end) - timedelta(days=1), grain)
        chosen = starts[-1] if starts else last_closed
    window = _Window(
        as_moment(chosen), as_moment(next_period(chosen, grain)), period_label(chosen, grain)
    )
    return window, labels


def _parse_label(label: str, grain: str) -> date | None:
    """The first day of a period written as :func:`period_label` writes it, else None."""
    try:
        start = period_start(label, grain)
    except ValueError:
        return None
    return start if start is not None and period_label(start, grain) == label else None
