"""Qualtrics imports into real databases (SQLite and PostgreSQL) and over real HTTP:
published survey, all-or-nothing responses, idempotent by ResponseId across both CSV
layouts, and the dashboard's NPS equal to the figure computed by hand from the CSV."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, Role, UnitKind
from rapport.errors import ValidationFailed
from rapport.importers.formats import ReadOptions, read_plan
from rapport.services import auth, metrics, tool_import
from rapport.storage.uow import Database

QT = Path(__file__).parents[1] / "data" / "formats" / "qualtrics"
MC = QT / "qt_single_answer_mc.qsf"
MC_CURRENT = QT / "qt_single_answer_mc_insights.csv"
MC_LEGACY = QT / "qt_single_answer_mc_legacy.csv"
NO_ID = b"Q2,Q4\nA,B\n{'ImportId': 'QID2'},{'ImportId': 'QID5'}\n3,12\n"


def _org(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.units.add("acme", "Acme", UnitKind.COMPANY)


def _plan(qsf: bytes, csv: bytes):
    return read_plan("qualtrics", qsf, csv, ReadOptions("x"))


def _answers(db: Database, key: str) -> list[str]:
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key(key)
        assert record is not None
        rows = uow.responses.page(record.id, None, since=None, until=None, after_id=0, limit=50)
    return [a["item"] for r in rows for a in r["answers"] if a["question_id"] == "q4"]


def test_both_layouts_import_once_and_a_bad_row_imports_nothing(db: Database) -> None:
    _org(db)
    with db.unit_of_work() as uow:
        first = tool_import.import_plan(
            uow, SYSTEM, _plan(MC.read_bytes(), MC_CURRENT.read_bytes())
        )
    assert (first.survey_key, first.version, first.imported, first.skipped) == (
        "single-answer-mc-questions", 1, 5, 0
    )  # fmt: skip
    # The legacy export of the same responses: same ResponseIds, nothing added.
    with db.unit_of_work() as uow:
        again = tool_import.import_plan(uow, SYSTEM, _plan(MC.read_bytes(), MC_LEGACY.read_bytes()))
    assert (again.version, again.imported, again.skipped) == (1, 0, 5)
    # Q4 answers by hand from the CSV: 12, 12, 11, 12, 10 (recodes of choices 3 3 2 3 1).
    items = sorted(_answers(db, "single-answer-mc-questions"))
    assert items == sorted(["option_12", "option_12", "option_11", "option_12", "option_10"])
    # A new response whose Q4 holds 99 (not a recode of Q4) in data row 6: nothing imported.
    lines = MC_CURRENT.read_text("utf-8").splitlines()
    bad = lines[7].replace("R_eWmiNLb28AJYLyd", "R_new1").replace(",3,10,3,10,", ",3,99,3,10,")
    good = lines[6].replace("R_3R9QbYSBDuBxhe5", "R_new2")
    data = "\n".join([*lines[:3], good, bad]).encode()
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        tool_import.import_plan(uow, SYSTEM, _plan(MC.read_bytes(), data))
    assert [e.location for e in err.value.errors] == ["row 5, column q4"]
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key("single-answer-mc-questions")
        assert record is not None
        assert uow.responses.count(record.id) == 5


def _nps_survey() -> tuple[bytes, bytes]:
    """The MC sample with QID6 turned into an NPS question, and a current-layout CSV with
    planted scores."""
    survey = json.loads(MC.read_text("utf-8"))
    for element in survey["SurveyElements"]:
        payload = element.get("Payload")
        if element["Element"] == "SQ" and payload["QuestionID"] == "QID6":
            payload.update(
                {
                    "Selector": "NPS",
                    "QuestionText": "How likely are you to recommend us?",
                    "Choices": {str(i): {"Display": str(i)} for i in range(11)},
                    "ChoiceOrder": [str(i) for i in range(11)],
                    "RecodeValues": {},
                }
            )
        if element["Element"] == "FL":  # embedded data set in the flow: a response attribute
            element["Payload"]["Flow"].insert(
                0, {"Type": "EmbeddedData", "EmbeddedData": [{"Field": "segment"}]}
            )
    scores = [10, 9, 9, 8, 7, 3, 0, 10, 6]
    rows = [
        "ResponseId,RecordedDate,Q5,Q5_NPS_GROUP,segment",
        "Response ID,Recorded Date,How likely are you to recommend us?,group,segment",
        '"{""ImportId"":""_recordId""}","{""ImportId"":""recordedDate"",""timeZone"":'
        '""Europe/Paris""}","{""ImportId"":""QID6""}","{""ImportId"":""QID6_NPS_GROUP""}",'
        '"{""ImportId"":""segment""}"',
        *(
            f"R_{i},2024-05-0{1 + i % 9} 10:00:00,{s},,{'gold' if s > 8 else ''}"
            for i, s in enumerate(scores)
        ),
    ]
    return json.dumps(survey).encode(), "\n".join(rows).encode()


def test_imported_nps_on_the_dashboard_is_the_hand_figure(db: Database) -> None:
    _org(db)
    qsf, csv = _nps_survey()
    plan = _plan(qsf, csv)
    assert plan.responses[0].key == "qualtrics:R_0"  # _recordId is the response id
    with db.unit_of_work() as uow:
        tool_import.import_plan(uow, SYSTEM, plan)
    # Scores 10 9 9 8 7 3 0 10 6: promoters (9–10) 4, detractors (0–6) 3, n 9:
    # NPS = 100 × (4 − 3) / 9 = 11.11…
    engine = OperationalEngine(db.engine)
    try:
        request = metrics.MetricRequest("single-answer-mc-questions", "nps")
        [row] = metrics.compute(engine, SYSTEM, request, SuppressionPolicy()).rows
    finally:
        engine.dispose()
    assert row.n == 9
    assert row.value == pytest.approx(100 * (4 - 3) / 9, abs=1e-9)
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key("single-answer-mc-questions")
        assert record is not None
        rows = uow.responses.page(record.id, None, since=None, until=None, after_id=0, limit=50)
    # the embedded data field: "gold" on the 4 promoters (scores 10 9 9 10), none elsewhere
    assert sorted(r["attributes"].get("segment", "") for r in rows) == [""] * 5 + ["gold"] * 4
    # 10:00 in Paris (CEST, UTC+2 in May) is 08:00 UTC
    assert {r["submitted_at"].replace(tzinfo=None).hour for r in rows} == {8}


def test_over_http_dry_run_then_import_then_again(live_server, db: Database) -> None:
    _org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "analyst-token", Role.ANALYST)
    files = {
        "definition": (MC.name, MC.read_bytes(), "application/json"),
        "responses": (MC_LEGACY.name, MC_LEGACY.read_bytes(), "text/csv"),
    }
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=60) as api:
        dry = api.post(
            "/api/v1/imports", data={"format": "qualtrics", "dry_run": "true"}, files=files
        )
        assert dry.status_code == 200, dry.text
        assert (dry.json()["survey"]["questions"], dry.json()["responses"]) == (5, 5)
        r = api.post("/api/v1/imports", data={"format": "qualtrics"}, files=files)
        assert r.status_code == 201, r.text
        assert r.json()["imported"]["responses"] == 5
        r = api.post("/api/v1/imports", data={"format": "qualtrics"}, files=files)
        assert (r.json()["imported"]["responses"], r.json()["imported"]["skipped"]) == (0, 5)
        broken = {**files, "responses": ("r.csv", NO_ID, "text/csv")}
        r = api.post("/api/v1/imports", data={"format": "qualtrics"}, files=broken)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["location"] == "responses: header"
