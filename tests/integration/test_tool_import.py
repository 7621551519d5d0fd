"""Imports from other survey tools into real databases: survey published, responses all or
nothing, idempotent by the source's response id, and the dashboard's NPS as by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, Principal, Role, UnitKind
from rapport.errors import PermissionDenied, ValidationFailed
from rapport.importers.formats import ReadOptions, read_plan
from rapport.services import metrics, tool_import
from rapport.storage.uow import Database
from tests.unit.importers.test_surveymonkey import xlsx_of

DATA = Path(__file__).parents[1] / "data" / "formats"
NPS = DATA / "surveyjs" / "sjs_nps_survey.json"
NPS_RESULTS = DATA / "surveyjs" / "sjs_nps_survey_results.json"
GF = DATA / "google_forms" / "gf_autistica_citizen_science.csv"


def _org(db: Database) -> None:
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        uow.units.add("north", "North", UnitKind.REGION, root)


def _nps_plan(results: bytes | None = None):
    data = NPS_RESULTS.read_bytes() if results is None else results
    return read_plan("surveyjs", NPS.read_bytes(), data, ReadOptions("sjs_nps_survey"))


def _count(db: Database, key: str) -> int:
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key(key)
        assert record is not None
        return uow.responses.count(record.id)


def _dashboard_nps(db: Database) -> tuple[int, float | None]:
    """(n, NPS) of the imported SurveyJS NPS survey, as the dashboard computes it."""
    engine = OperationalEngine(db.engine)
    try:
        request = metrics.MetricRequest("sjs-nps-survey", "nps")
        [row] = metrics.compute(engine, SYSTEM, request, SuppressionPolicy()).rows
    finally:
        engine.dispose()
    return row.n, row.value


def test_surveyjs_import_publishes_and_the_dashboard_nps_is_the_hand_figure(db: Database) -> None:
    _org(db)
    with db.unit_of_work() as uow:
        result = tool_import.import_plan(uow, SYSTEM, _nps_plan())
    assert (result.survey_key, result.version, result.imported, result.skipped) == (
        "sjs-nps-survey", 1, 12, 0
    )  # fmt: skip
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key("sjs-nps-survey")
        assert record is not None
        assert uow.surveys.latest_published(record.id) is not None
    # Planted scores 10 10 9 9 9 8 7 6 5 3 10 0: promoters (9–10) 6, detractors (0–6) 4,
    # n = 12, so NPS = 100 × (6 − 4) / 12 = 16.666…
    assert _dashboard_nps(db) == (12, pytest.approx(100 * (6 - 4) / 12, abs=1e-9))


def test_surveyjs_csv_results_give_the_hand_nps_and_import_once(db: Database) -> None:
    _org(db)
    table = NPS_RESULTS.with_suffix(".csv").read_bytes()  # the 12 results as a Dashboard CSV
    with db.unit_of_work() as uow:
        result = tool_import.import_plan(uow, SYSTEM, _nps_plan(table))
    assert (result.imported, result.skipped) == (12, 0)
    assert _dashboard_nps(db) == (12, pytest.approx(100 * (6 - 4) / 12, abs=1e-9))
    with db.unit_of_work() as uow:
        again = tool_import.import_plan(uow, SYSTEM, _nps_plan(table))
    assert (again.imported, again.skipped) == (0, 12)
    # One bad cell (the fifth result's score, on the table's row 6): nothing more is stored.
    lines = table.decode("utf-8").split("\n")
    lines[5] = lines[5].replace('"9"', '"11"', 1)
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        tool_import.import_plan(uow, SYSTEM, _nps_plan("\n".join(lines).encode()))
    assert [e.location for e in err.value.errors] == ["row 6, column nps_score"]
    assert _count(db, "sjs-nps-survey") == 12
    # Every question type's column, checked and stored: dates, numbers, choices, matrix rows.
    survey = DATA / "surveyjs" / "sjs_all_question_types.json"
    results = DATA / "surveyjs" / "sjs_all_question_types_results.csv"
    plan = read_plan("surveyjs", survey.read_bytes(), results.read_bytes(), ReadOptions("all"))
    with db.unit_of_work() as uow:
        stored = tool_import.import_plan(uow, SYSTEM, plan)
    assert (stored.imported, stored.skipped) == (3, 0)


def test_reimporting_the_same_files_adds_nothing(db: Database) -> None:
    _org(db)
    with db.unit_of_work() as uow:
        tool_import.import_plan(uow, SYSTEM, _nps_plan())
    with db.unit_of_work() as uow:
        again = tool_import.import_plan(uow, SYSTEM, _nps_plan())
    assert (again.version, again.imported, again.skipped) == (1, 0, 12)
    assert _count(db, "sjs-nps-survey") == 12
    # One more result in a longer file: only it is added.
    results = json.loads(NPS_RESULTS.read_text("utf-8"))
    results.append({"nps-score": 8, "improvements-required": "Docs", "rebuy": True})
    with db.unit_of_work() as uow:
        more = tool_import.import_plan(uow, SYSTEM, _nps_plan(json.dumps(results).encode()))
    assert (more.imported, more.skipped) == (1, 12)
    assert _count(db, "sjs-nps-survey") == 13


def test_one_bad_result_imports_nothing_and_names_the_row(db: Database) -> None:
    _org(db)
    results = json.loads(NPS_RESULTS.read_text("utf-8"))
    results[4]["nps-score"] = 11  # the fifth result: out of 0–10
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        tool_import.import_plan(uow, SYSTEM, _nps_plan(json.dumps(results).encode()))
    assert "nothing was imported" in err.value.detail
    assert [e.location for e in err.value.errors] == ["row 5, column nps_score"]
    with db.unit_of_work() as uow:
        assert uow.surveys.by_key("sjs-nps-survey") is None  # the survey too: one transaction


def test_google_forms_import_every_response_with_its_time(db: Database) -> None:
    _org(db)
    plan = read_plan("google-forms", GF.read_bytes(), None, ReadOptions(GF.stem))
    with db.unit_of_work() as uow:
        result = tool_import.import_plan(uow, SYSTEM, plan, unit="north")
    assert (result.imported, result.skipped) == (42, 0)
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key("gf-autistica-citizen-science")
        assert record is not None
        rows = uow.responses.page(record.id, None, since=None, until=None, after_id=0, limit=50)
    assert len(rows) == 42
    first = rows[0]
    assert first["submitted_at"].replace(tzinfo=None).isoformat() == "2019-08-21T13:10:31"
    q2 = {a["item"] for a in rows[0]["answers"] if a["question_id"].startswith("q2_")}
    assert q2 == {"i_am_autistic"}
    with db.unit_of_work() as uow:
        again = tool_import.import_plan(uow, SYSTEM, plan, unit="north")
    assert (again.imported, again.skipped) == (0, 42)


def test_only_analysts_and_admins_import(sqlite_db: Database) -> None:
    _org(sqlite_db)
    manager = Principal("user", 9, "m@example.com", Role.MANAGER, unit_path="acme/north")
    with pytest.raises(PermissionDenied):
        tool_import.preview(manager, "surveyjs", NPS.read_bytes(), None, ReadOptions())
    with pytest.raises(PermissionDenied), sqlite_db.unit_of_work() as uow:
        tool_import.import_plan(uow, manager, _nps_plan())


def test_the_api_dry_run_equals_the_cli_report_and_the_import_is_idempotent(
    live_server, db: Database, tmp_path: Path
) -> None:
    import subprocess
    import sys

    import httpx

    from rapport.services import auth

    _org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "analyst-token", Role.ANALYST)
    files = {
        "definition": (NPS.name, NPS.read_bytes(), "application/json"),
        "responses": (NPS_RESULTS.name, NPS_RESULTS.read_bytes(), "application/json"),
    }
    cli = subprocess.run(
        [sys.executable, "-m", "rapport", "import", "surveyjs", str(NPS), "--responses",
         str(NPS_RESULTS), "--dry-run", "--json"],
        capture_output=True, text=True, timeout=120, check=True,
        env={"RAPPORT_DATA_DIR": str(tmp_path / "cli"), "PATH": ""},
    )  # fmt: skip
    [line] = cli.stdout.splitlines()  # exactly one JSON object, and no database opened
    assert not (tmp_path / "cli").exists()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=60) as api:
        r = api.post("/api/v1/imports", data={"format": "surveyjs", "dry_run": "true"}, files=files)
        assert r.status_code == 200, r.text
        assert r.json() == json.loads(line)
        assert _count_or_none(db) is None  # the dry run wrote nothing
        r = api.post("/api/v1/imports", data={"format": "surveyjs"}, files=files)
        assert r.status_code == 201, r.text
        assert r.json()["imported"] == {
            "survey": "sjs-nps-survey", "version": 1, "responses": 12, "skipped": 0
        }  # fmt: skip
        r = api.post("/api/v1/imports", data={"format": "surveyjs"}, files=files)
        assert r.json()["imported"]["responses"] == 0
        assert r.json()["imported"]["skipped"] == 12
        bad = {"definition": ("x.json", b'{"pages": 3}', "application/json")}
        r = api.post("/api/v1/imports", data={"format": "surveyjs"}, files=bad)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["location"] == "definition"
    assert _count(db, "sjs-nps-survey") == 12


def _count_or_none(db: Database) -> int | None:
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key("sjs-nps-survey")
        return None if record is None else uow.responses.count(record.id)


LS = DATA / "limesurvey"


def _ls_plan(responses: bytes | None = None):
    lss = LS / "ls2_subquestion_relevance.lss"
    data = (LS / "ls2_responses_codes.csv").read_bytes() if responses is None else responses
    return read_plan("limesurvey", lss.read_bytes(), data, ReadOptions(lss.stem))


def test_limesurvey_import_is_idempotent_and_all_or_nothing(db: Database) -> None:
    _org(db)
    bad = (LS / "ls2_responses_codes.csv").read_bytes().replace(b'"9","5"', b'"nine","5"')
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        tool_import.import_plan(uow, SYSTEM, _ls_plan(bad))
    assert [e.location for e in err.value.errors] == ["row 2, column max"]
    with db.unit_of_work() as uow:
        assert uow.surveys.by_key("sub-question-relevance-test") is None
    with db.unit_of_work() as uow:
        result = tool_import.import_plan(uow, SYSTEM, _ls_plan())
    assert (result.version, result.imported, result.skipped) == (1, 3, 0)
    with db.unit_of_work() as uow:
        record = uow.surveys.by_key("sub-question-relevance-test")
        assert record is not None
        rows = uow.responses.page(record.id, None, since=None, until=None, after_id=0, limit=50)
    ticked = {a["item"] for a in rows[0]["answers"] if a["question_id"] == "af_src_filter"}
    assert ticked == {"sq1", "sq3"}
    with db.unit_of_work() as uow:
        again = tool_import.import_plan(uow, SYSTEM, _ls_plan())
    assert (again.version, again.imported, again.skipped) == (1, 0, 3)
    assert _count(db, "sub-question-relevance-test") == 3


def test_limesurvey_archive_and_surveymonkey_over_http(live_server, db: Database) -> None:
    import httpx

    from rapport.services import auth

    _org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "analyst-token", Role.ANALYST)
    lsa = LS / "ls4_archive_with_responses.lsa"
    files = {"definition": (lsa.name, lsa.read_bytes(), "application/zip")}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=60) as api:
        r = api.post(
            "/api/v1/imports", data={"format": "limesurvey", "dry_run": "true"}, files=files
        )
        assert r.status_code == 200, r.text
        assert (r.json()["survey"]["questions"], r.json()["responses"]) == (1, 2)
        r = api.post("/api/v1/imports", data={"format": "limesurvey"}, files=files)
        assert r.status_code == 201, r.text
        assert r.json()["imported"] == {
            "survey": "test-survey", "version": 1, "responses": 2, "skipped": 0
        }  # fmt: skip
        r = api.post("/api/v1/imports", data={"format": "limesurvey"}, files=files)
        assert (r.json()["imported"]["responses"], r.json()["imported"]["skipped"]) == (0, 2)
        steak = DATA / "surveymonkey" / "sm_steak_risk.csv"
        sm = {"definition": (steak.name, steak.read_bytes(), "text/csv")}
        r = api.post(
            "/api/v1/imports", data={"format": "surveymonkey", "dry_run": "true"}, files=sm
        )
        assert r.status_code == 200, r.text
        assert (r.json()["survey"]["questions"], r.json()["responses"]) == (14, 550)
        excel = {"definition": ("steak.xlsx", xlsx_of(steak.read_bytes()), "application/zip")}
        r = api.post(
            "/api/v1/imports", data={"format": "surveymonkey", "dry_run": "true"}, files=excel
        )
        assert r.status_code == 200, r.text
        assert (r.json()["survey"]["questions"], r.json()["responses"]) == (14, 550)
        table = NPS_RESULTS.with_suffix(".csv")
        sjs = {
            "definition": (NPS.name, NPS.read_bytes(), "application/json"),
            "responses": (table.name, table.read_bytes(), "text/csv"),
        }
        r = api.post("/api/v1/imports", data={"format": "surveyjs", "dry_run": "true"}, files=sjs)
        assert r.status_code == 200, r.text
        assert r.json()["responses"] == 12
        bad_table = {**sjs, "responses": ("t.csv", b'"Browser"\n"Firefox"\n', "text/csv")}
        r = api.post("/api/v1/imports", data={"format": "surveyjs"}, files=bad_table)
        assert r.status_code == 422
        assert r.json()["errors"][0]["location"] == "responses: row 1"
        bad = {"definition": ("x.lss", b"<document>", "application/xml")}
        r = api.post("/api/v1/imports", data={"format": "limesurvey"}, files=bad)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["location"].startswith("definition: line 1")
    assert _count(db, "test-survey") == 2


def test_surveymonkey_import_is_idempotent_by_respondent_id(db: Database) -> None:
    _org(db)
    steak = DATA / "surveymonkey" / "sm_steak_risk.csv"
    plan = read_plan("surveymonkey", steak.read_bytes(), None, ReadOptions(steak.stem))
    with db.unit_of_work() as uow:
        result = tool_import.import_plan(uow, SYSTEM, plan)
    assert (result.survey_key, result.imported, result.skipped) == ("sm-steak-risk", 550, 0)
    with db.unit_of_work() as uow:
        again = tool_import.import_plan(uow, SYSTEM, plan)
    assert (again.version, again.imported, again.skipped) == (1, 0, 550)
    # The same export as .xlsx: the same survey version and respondent ids, nothing added.
    workbook = xlsx_of(steak.read_bytes())
    as_excel = read_plan("surveymonkey", workbook, None, ReadOptions(steak.stem))
    with db.unit_of_work() as uow:
        excel = tool_import.import_plan(uow, SYSTEM, as_excel)
    assert (excel.version, excel.imported, excel.skipped) == (1, 0, 550)
    assert _count(db, "sm-steak-risk") == 550
