"""Comment explorer API: ``GET /api/v1/surveys/{id}/comments``, the explorer page as JSON.

Employee (protected) surveys: comments of one closed period, from groups that reach the
comment threshold, with their period only — no score and no date (``docs/confidentiality.md``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from rapport.api.deps import PolicyDep, PrincipalDep, SettingsDep, SurveyId, ThemesDep, UowDep
from rapport.api.types import UtcDateTime
from rapport.services import comment_explorer

router = APIRouter(prefix="/api/v1", tags=["comments"])


class CommentOut(BaseModel):
    unit: str = Field(description="Code of the unit the comment is shown under.")
    unit_name: str
    question_id: str
    text: str = Field(description="The comment, with personal data redacted.")
    sentiment: str | None
    emotions: list[str] = Field(description="Ekman emotions read in it (several possible).")
    labels: list[str] = Field(description="The finer emotion labels read in it.")
    period: str | None = Field(None, description="Employee surveys: the closed period only.")
    submitted_at: UtcDateTime | None = Field(None, description="Customer surveys only.")
    score: float | None = Field(None, description="Customer surveys only: the 0-10 answer.")


class ThemeOut(BaseModel):
    label: str
    terms: list[str]
    count: int
    share: float


class NotReadOut(BaseModel):
    language_not_supported: int = Field(
        description="Comments in a language the emotion model does not read (e.g. Spanish): "
        "they have no emotions and no sentiment."
    )
    too_short: int = Field(description="Comments with fewer than 3 letters.")


class CommentsOut(BaseModel):
    matching: int = Field(description="Comments that match the filters (all pages).")
    offset: int = Field(description="Index of the first comment of this page (from 0).")
    limit: int = Field(description="Most comments a page holds.")
    hidden: int = Field(description="Comments in groups too small to show.")
    threshold: int | None = Field(description="Employee surveys: the comment threshold.")
    period: str | None = Field(description="Employee surveys: the closed period shown.")
    periods: list[str] = Field(description="Employee surveys: closed periods with responses.")
    not_read: NotReadOut = Field(
        description="Comments you may see that the emotion model skipped, by reason; counted "
        "after the unit, period and band filters, before the emotion and sentiment ones."
    )
    emotions: dict[str, int]
    themes: list[ThemeOut]
    comments: list[CommentOut]
    next_after: str | None = Field(
        None, description="Customer surveys: the cursor of the next page (pass as after)."
    )


@router.get(
    "/surveys/{survey_id}/comments",
    response_model=CommentsOut,
    response_model_exclude_unset=True,
    summary="Comments with their emotions (the comment explorer)",
)
def list_comments(
    survey_id: SurveyId,
    principal: PrincipalDep,
    uow: UowDep,
    settings: SettingsDep,
    policy: PolicyDep,
    themes: ThemesDep,
    unit: Annotated[str | None, Query(max_length=1000)] = None,
    emotion: Annotated[str | None, Query(max_length=60)] = None,
    sentiment: Annotated[str | None, Query(max_length=60)] = None,
    band: Annotated[str | None, Query(max_length=20)] = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    after: Annotated[
        str | None,
        Query(max_length=100, description="Start after this cursor (a page's next_after)."),
    ] = None,
) -> CommentsOut:
    """A page of the comments (``offset``, ``limit``, or ``after`` the previous page's
    ``next_after``: stable while comments arrive); ``matching`` counts every page."""
    view = comment_explorer.explore(
        uow,
        principal,
        survey_id,
        policy,
        unit=unit,
        emotion=emotion,
        sentiment=sentiment,
        band=band,
        period=period,
        limit=limit,
        offset=offset,
        after=comment_explorer.cursor(after),
        cache=themes,
    )
    comments = []
    for c in view.comments:
        where = view.units[c.unit_id]
        fields: dict[str, object] = {
            "unit": where.code,
            "unit_name": where.name,
            "question_id": c.question_id,
            "text": c.text,
            "sentiment": c.sentiment,
            "emotions": list(c.ekman),
            "labels": list(c.labels),
        }
        if view.period is not None:
            fields["period"] = view.period
        else:
            fields.update(submitted_at=c.submitted_at, score=c.recommend)
        comments.append(CommentOut(**fields))
    return CommentsOut(
        matching=view.matching,
        offset=view.offset,
        limit=view.limit,
        next_after=view.next_after.token() if view.next_after else None,
        hidden=view.hidden,
        threshold=view.threshold,
        period=view.period,
        periods=view.periods,
        not_read=NotReadOut(**view.not_read),
        emotions=view.emotion_counts,
        themes=[
            ThemeOut(label=t.label, terms=list(t.terms), count=t.count, share=t.share)
            for t in view.themes
        ],
        comments=comments,
    )
