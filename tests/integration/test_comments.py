"""Comments on ingest: redaction, emotions with the model version, explorer suppression."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, UnitKind
from rapport.errors import PermissionDenied, ValidationFailed
from rapport.services import comment_explorer, comments, responses, surveys
from rapport.storage.uow import Database
from rapport.text import load_model
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

PII = "Call me on +44 20 7946 0958 or write to jane.doe@example.com, I felt ignored."


def _submit(
    db: Database,
    sid: int,
    answers: dict[str, Any],
    unit: str = "north-1",
    keep_original: bool = False,
    submitted_at: datetime | None = None,
) -> int:
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        target = uow.units.by_code(unit)
        assert target is not None
        sub = responses.Submission(answers=answers, unit_id=target.id, submitted_at=submitted_at)
        return responses.submit(uow, published, sub, keep_original=keep_original).response_id


def test_comments_are_stored_redacted_with_emotions_and_model_version(db: Database) -> None:
    sid = seed_org(db)
    rid = _submit(
        db,
        sid,
        {**GOOD_ANSWERS, "comment": PII, "why": "I felt completely ignored and taken for granted"},
    )
    with db.unit_of_work() as uow:
        stored = {a["question_id"]: a for a in uow.responses.get(rid)["answers"]}  # type: ignore[index]
        records = {r.question_id: r for r in uow.comments.for_survey(sid, ["comment", "why"])}
    assert "jane.doe@example.com" not in stored["comment"]["value_text"]
    assert "[EMAIL]" in stored["comment"]["value_text"]
    assert "[PHONE]" in stored["comment"]["value_text"]
    why = records["why"]
    assert why.sentiment is not None and "negative" in why.sentiment
    with db.engine.connect() as conn:
        from sqlalchemy import text

        versions = {v for (v,) in conn.execute(text("SELECT model_version FROM comment_analyses"))}
        originals = {o for (o,) in conn.execute(text("SELECT original_text FROM comment_analyses"))}
    assert versions == {load_model().version}
    assert originals == {None}  # the original is kept only when configured


def test_original_kept_only_when_configured(sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    _submit(sqlite_db, sid, {**GOOD_ANSWERS, "comment": PII}, keep_original=True)
    from sqlalchemy import text

    with sqlite_db.engine.connect() as conn:
        kept = conn.execute(
            text("SELECT original_text FROM comment_analyses WHERE question_id = 'comment'")
        ).scalar()
    assert kept == PII


def test_rescore_reads_comments_of_an_older_model(sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    _submit(sqlite_db, sid, {**GOOD_ANSWERS, "comment": "The staff made me feel really special"})
    from sqlalchemy import text

    with sqlite_db.engine.begin() as conn:
        conn.execute(text("UPDATE comment_analyses SET model_version = 'old', sentiment = NULL"))
    with sqlite_db.unit_of_work() as uow:
        assert comments.rescore(uow) == 2  # "why" and "comment"
    with sqlite_db.unit_of_work() as uow:
        assert comments.rescore(uow) == 0
        records = {r.question_id: r for r in uow.comments.for_survey(sid, ["comment"])}
    # Rescoring re-reads with the current model: the sentiment is filled in again.
    assert records["comment"].sentiment in {"positive", "negative", "ambiguous", "neutral"}


def test_employee_comments_hidden_below_ten_and_unit_filter_refused(sqlite_db: Database) -> None:
    seed_org(sqlite_db)
    pulse = {
        "key": "pulse",
        "title": "Pulse",
        "audience": "employee",
        "anonymous": True,
        "pages": [
            {
                "id": "p",
                "questions": [
                    {"id": "enps", "type": "nps", "text": "Recommend?", "tags": ["loyalty.x"]},
                    {"id": "comment", "type": "text", "text": "Anything?"},
                ],
            }
        ],
    }
    with sqlite_db.unit_of_work() as uow:
        sid = surveys.save_definition(uow, SYSTEM, surveys.parse_definition(pulse)).survey_id
        north = uow.units.by_code("north")
        assert north is not None
        uow.units.add("north-2", "North store 2", UnitKind.STORE, north)
    closed = datetime(2026, 1, 15, 12, tzinfo=UTC)  # a closed month: employee comments show
    for i in range(12):
        given = {"enps": 8, "comment": f"Good team number {i}"}
        _submit(sqlite_db, sid, given, unit="north-1", submitted_at=closed)
    for i in range(4):
        given = {"enps": 3, "comment": f"Too small a group {i}"}
        _submit(sqlite_db, sid, given, unit="north-2", submitted_at=closed)
    _submit(sqlite_db, sid, {"enps": 3, "comment": "Said this morning"}, unit="north-1")
    spanish = "Hoy nadie me ayudó y la tienda estaba muy sucia"  # open period: not shown
    _submit(sqlite_db, sid, {"enps": 3, "comment": spanish}, unit="north-1")
    policy = SuppressionPolicy()
    with sqlite_db.unit_of_work() as uow:
        view = comment_explorer.explore(uow, SYSTEM, sid, policy)
        # north-2 (4) is under 10; north-1 (12) must then be hidden too, or north (16) minus
        # north-1 would expose north-2. All 16 comments show, attributed to the region.
        assert view.hidden == 0 and view.matching == 16
        assert view.not_read == {"language_not_supported": 0, "too_short": 0}
        assert {view.units[c.unit_id].code for c in view.comments} == {"north"}
        for small in ("north-1", "north-2"):
            with pytest.raises(PermissionDenied):
                comment_explorer.explore(uow, SYSTEM, sid, policy, unit=small)
        # Only the closed month is shown, without scores or dates; no score bands.
        assert view.period == "2026-01" and all(c.recommend is None for c in view.comments)
        assert {c.submitted_at for c in view.comments} == {datetime(2026, 1, 1, tzinfo=UTC)}
        with pytest.raises(ValidationFailed):
            comment_explorer.explore(uow, SYSTEM, sid, policy, band="detractor")


SPANISH = (
    "El personal fue muy amable, gracias por todo.",
    "La tienda estaba sucia y nadie me ayudó con la devolución.",
)


def test_explorer_counts_comments_in_languages_the_model_does_not_read(
    sqlite_db: Database,
) -> None:
    sid = seed_org(sqlite_db)
    english = {**GOOD_ANSWERS, "why": "The staff were rude and nobody helped", "comment": "ok"}
    _submit(sqlite_db, sid, english)
    for text in SPANISH:
        _submit(sqlite_db, sid, {**GOOD_ANSWERS, "why": text, "comment": text})
    policy = SuppressionPolicy()
    with sqlite_db.unit_of_work() as uow:
        everything = comment_explorer.explore(uow, SYSTEM, sid, policy)
        negative = comment_explorer.explore(uow, SYSTEM, sid, policy, sentiment="negative")
        elsewhere = comment_explorer.explore(uow, SYSTEM, sid, policy, unit="south")
    # Two questions per response: four Spanish comments, and "ok" is too short.
    assert everything.not_read == {"language_not_supported": 4, "too_short": 1}
    assert all(not c.ekman for c in everything.comments if c.text in SPANISH)
    # The sentiment filter cannot match an unread comment: the count is taken before it.
    assert negative.not_read == everything.not_read
    assert all(c.text not in SPANISH for c in negative.comments)
    assert elsewhere.not_read == {"language_not_supported": 0, "too_short": 0}
