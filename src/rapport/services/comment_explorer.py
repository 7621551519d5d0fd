"""The comment explorer: redacted comments with their emotions, filters, themes and trends.

For employee surveys, comments are shown only from units whose group reaches the comment
threshold (10 by default) after complementary suppression over the whole unit tree, and the
unit filter itself must be such a group; everything else is counted as hidden.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from rapport.analytics.suppression import Cell, Measure, SuppressionPolicy, suppress
from rapport.domain.org import Permission, Principal, Unit
from rapport.domain.survey import QuestionType
from rapport.errors import FieldError, PermissionDenied, ValidationFailed
from rapport.services.access import require
from rapport.services.org import ancestors_by_unit, unit_cells_parent
from rapport.services.surveys import get_published
from rapport.storage.repositories.comments import CommentRecord
from rapport.storage.uow import UnitOfWork
from rapport.text.themes import find_themes

BANDS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


@dataclass(frozen=True)
class ThemeRow:
    label: str
    terms: tuple[str, ...]
    examples: tuple[str, ...]
    count: int
    share: float
    emotions: dict[str, int]
    by_month: dict[str, float]


@dataclass(frozen=True)
class CommentView:
    comments: list[CommentRecord]
    matching: int
    hidden: int
    units: dict[int, Unit]
    emotion_counts: dict[str, int]
    themes: list[ThemeRow] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    threshold: int | None = None


def _band(score: float | None) -> str | None:
    if score is None:
        return None
    return next(name for name, (lo, hi) in BANDS.items() if lo <= score <= hi)


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
    limit: int = 100,
    n_themes: int = 6,
) -> CommentView:
    require(principal, Permission.VIEW_COMMENTS)
    published = get_published(uow, survey_id)
    if band is not None and band not in BANDS:
        raise ValidationFailed(
            "bad band", [FieldError("band", f"expected one of {', '.join(BANDS)}")]
        )
    units = uow.units.all()
    by_id = {u.id: u for u in units}
    ancestors = ancestors_by_unit(units)  # a region's count includes its stores
    counts: Counter[int] = Counter()
    for s in uow.results.response_scores(survey_id):
        counts.update(ancestors[s.unit_id])
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
    records = uow.comments.for_survey(survey_id, question_ids, [u.id for u in scope])
    # A comment is attributed to the lowest unit above it whose group may be shown, so a
    # small team's comments appear under its department, never under its own name.
    shown_as = {
        u.id: next(
            (by_id[a] for a in reversed(ancestors[u.id]) if decisions[by_id[a].path].revealed), None
        )
        for u in units
    }
    shown = []
    for r in records:
        display = shown_as[r.unit_id]
        if display is not None and principal.sees_unit(display.path):
            shown.append(replace(r, unit_id=display.id))
    hidden = len(records) - len(shown)
    if emotion:
        shown = [r for r in shown if emotion in r.ekman or emotion in r.labels]
    if band:
        shown = [r for r in shown if _band(r.recommend) == band]
    if sentiment:
        shown = [r for r in shown if r.sentiment == sentiment]
    emotions: Counter[str] = Counter(e for r in shown for e in r.ekman)
    themes, months = _themes(shown, n_themes)
    threshold = (
        policy.threshold(Measure.COMMENTS) if policy.protects(published.survey.audience) else None
    )
    return CommentView(
        shown[:limit],
        len(shown),
        hidden,
        by_id,
        dict(emotions.most_common()),
        themes,
        months,
        threshold,
    )


def _themes(records: list[CommentRecord], n_themes: int) -> tuple[list[ThemeRow], list[str]]:
    texts = [r.text for r in records]
    if len(texts) < 2 * n_themes:
        return [], []
    result = find_themes(texts, n_themes=n_themes, seed=0)
    month_of = [r.submitted_at.strftime("%Y-%m") for r in records]
    months = sorted(set(month_of))
    per_month = Counter(month_of)
    rows = []
    for theme in result.themes:
        members = [i for i, a in enumerate(result.assignments) if a == theme.index]
        emotions = Counter(e for i in members for e in records[i].ekman)
        by_month: defaultdict[str, int] = defaultdict(int)
        for i in members:
            by_month[month_of[i]] += 1
        rows.append(
            ThemeRow(
                label=theme.label,
                terms=theme.terms,
                examples=theme.examples,
                count=len(members),
                share=len(members) / len(texts),
                emotions=dict(emotions.most_common()),
                by_month={m: by_month[m] / per_month[m] for m in months},
            )
        )
    return rows, months
