"""``rapport import FORMAT DEFINITION`` as a user runs it: a real process, a real database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import run

GF = (
    Path(__file__).parents[1]
    / "data"
    / "formats"
    / "google_forms"
    / "gf_autistica_citizen_science.csv"
)


def test_import_google_forms_then_again_adds_nothing(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    assert run(env, "init", "--org", "Acme").returncode == 0
    dry = run(env, "import", "google-forms", str(GF), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "42 responses" in dry.stdout and "Dry run: nothing was written." in dry.stdout
    first = run(env, "import", "google-forms", str(GF), "--json", "--timezone", "Europe/London")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["imported"] == {
        "survey": "gf-autistica-citizen-science", "version": 1, "responses": 42, "skipped": 0
    }  # fmt: skip
    assert any("Europe/London" in w for w in report["warnings"])
    again = run(env, "import", "google-forms", str(GF), "--json", "--timezone", "Europe/London")
    assert json.loads(again.stdout)["imported"]["skipped"] == 42
    listed = run(env, "survey", "list")
    assert "gf-autistica-citizen-science" in listed.stdout and "published" in listed.stdout
    wrong = run(env, "import", "typeform", str(GF))
    assert wrong.returncode == 1
    assert (
        "unknown format 'typeform'; expected one of google-forms, limesurvey, qualtrics, "
        "surveyjs, surveymonkey" in wrong.stderr
    )


QT = Path(__file__).parents[1] / "data" / "formats" / "qualtrics"


def test_import_qualtrics_legacy_then_current_layout_adds_nothing(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    assert run(env, "init", "--org", "Acme").returncode == 0
    qsf = str(QT / "qt_single_answer_mc.qsf")
    legacy = str(QT / "qt_single_answer_mc_legacy.csv")
    current = str(QT / "qt_single_answer_mc_insights.csv")
    first = run(env, "import", "qualtrics", qsf, "--responses", legacy, "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["imported"] == {
        "survey": "single-answer-mc-questions", "version": 1, "responses": 5, "skipped": 0
    }  # fmt: skip
    assert any("legacy layout" in w for w in report["warnings"])
    again = run(env, "import", "qualtrics", qsf, "--responses", current, "--json")
    assert json.loads(again.stdout)["imported"]["skipped"] == 5


LS = Path(__file__).parents[1] / "data" / "formats" / "limesurvey"


def test_import_limesurvey_with_a_response_csv_then_again_adds_nothing(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    assert run(env, "init", "--org", "Acme").returncode == 0
    lss, csv = LS / "ls2_subquestion_relevance.lss", LS / "ls2_responses_codes.csv"
    dry = run(env, "import", "limesurvey", str(lss), "--responses", str(csv), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "3 responses" in dry.stdout and "Dry run: nothing was written." in dry.stdout
    first = run(env, "import", "limesurvey", str(lss), "--responses", str(csv), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["imported"] == {
        "survey": "sub-question-relevance-test", "version": 1, "responses": 3, "skipped": 0
    }  # fmt: skip
    again = run(env, "import", "limesurvey", str(lss), "--responses", str(csv), "--json")
    assert json.loads(again.stdout)["imported"]["skipped"] == 3
    assert json.loads(again.stdout)["imported"]["responses"] == 0
    sm = LS.parent / "surveymonkey" / "sm_region_midwest_first60.csv"
    dry_sm = run(env, "import", "surveymonkey", str(sm), "--dry-run", "--json")
    assert dry_sm.returncode == 0, dry_sm.stderr
    report = json.loads(dry_sm.stdout)
    assert (report["survey"]["questions"], report["responses"]) == (9, 60)


SJS = Path(__file__).parents[1] / "data" / "formats" / "surveyjs"


def test_import_surveyjs_with_a_dashboard_csv_then_again_adds_nothing(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    assert run(env, "init", "--org", "Acme").returncode == 0
    survey, table = SJS / "sjs_nps_survey.json", SJS / "sjs_nps_survey_results.csv"
    first = run(env, "import", "surveyjs", str(survey), "--responses", str(table), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["imported"] == {
        "survey": "sjs-nps-survey", "version": 1, "responses": 12, "skipped": 0
    }  # fmt: skip
    assert any("no response id column" in w for w in report["warnings"])
    again = run(env, "import", "surveyjs", str(survey), "--responses", str(table), "--json")
    assert json.loads(again.stdout)["imported"]["skipped"] == 12


def test_tags_file_is_applied_and_checked(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    assert run(env, "init", "--org", "Acme").returncode == 0
    qsf, csv = str(QT / "qt_nps_store_visit.qsf"), str(QT / "qt_nps_store_visit.csv")
    bad = tmp_path / "bad.json"
    bad.write_text('{"q2": ["satisfaction.overal"]}')
    refused = run(env, "import", "qualtrics", qsf, "--responses", csv, "--tags", str(bad))
    assert refused.returncode == 1
    assert "tags.q2: unknown construct tag 'satisfaction.overal' for q2" in refused.stderr
    tags = tmp_path / "tags.json"
    tags.write_text('{"q2": ["satisfaction.overall"]}')
    args = ("import", "qualtrics", qsf, "--responses", csv, "--tags", str(tags), "--json")
    done = run(env, *args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {m["question_id"]: m["tags"] for m in report["mapping"]}["q2"] == [
        "satisfaction.overall"
    ]
    assert report["imported"]["responses"] == 26
    exported = run(env, "survey", "export", "store-visit-nps", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    questions = json.loads(exported.stdout)["pages"][0]["questions"]
    assert {q["id"]: q.get("tags") for q in questions}["q2"] == ["satisfaction.overall"]
