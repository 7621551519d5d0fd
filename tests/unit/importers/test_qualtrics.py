"""Qualtrics .qsf + response CSV (legacy and current layouts) on real exports
(tests/data/formats/PROVENANCE.md). Every count was made by hand from the file, as the
comment beside it says."""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rapport.domain.logic import Comparison, Op
from rapport.errors import ValidationFailed
from rapport.importers.formats import ReadOptions, read_plan
from rapport.importers.formats.qualtrics_responses import import_id, split_qid

QT = Path(__file__).parents[2] / "data" / "formats" / "qualtrics"


def plan(qsf: str, csv: str | bytes | None = None, **options: str):
    data = (QT / csv).read_bytes() if isinstance(csv, str) else csv
    return read_plan(
        "qualtrics",
        (QT / qsf).read_bytes(),
        data,
        ReadOptions(qsf.split(".")[0], **options),  # type: ignore[arg-type]
    )


HAND_COUNTS = [
    # (qsf, responses csv, Rapport questions, pages, responses, languages)
    # MC with two "other" boxes + one text entry; 10 data rows after the 3 header rows.
    ("qt_comment_coding.qsf", "qt_comment_coding.csv", 2, 1, 10, ["en"]),
    # 12 SQ, 3 in the trash; the 9 matrices have 3,3,3,3,3,2,2,1,1 statements = 21 (= the
    # 21 question columns Q12_1 … Q10_Q10_3 of the CSV); 5 data rows.
    (
        "qt_matrix_single_answer_testing.qsf",
        "qt_matrix_single_answer_testing.csv",
        21,
        1,
        5,
        ["en"],
    ),
    ("qt_multiple_answer_mc.qsf", "qt_multiple_answer_mc_insights.csv", 5, 1, 5, ["en"]),
    ("qt_multiple_answer_mc.qsf", "qt_multiple_answer_mc_legacy.csv", 5, 1, 5, ["en"]),
    # 12 SQ, 1 in the trash, 4 side-by-side dropped; q1_recent 3 rows, q4_rank 3, Q8 3,
    # Q9 3, plus q2_favorite, q3_volunteer, q5_position = 15.
    ("qt_sample_survey.qsf", "qt_sample_survey.csv", 15, 1, 5, ["en"]),
    ("qt_single_answer_mc.qsf", "qt_single_answer_mc_insights.csv", 5, 1, 5, ["en"]),
    ("qt_single_answer_mc.qsf", "qt_single_answer_mc_legacy.csv", 5, 1, 5, ["en"]),
    # The single-answer sample with Q5 as NPS (written for the tests): 26 data rows.
    ("qt_nps_store_visit.qsf", "qt_nps_store_visit.csv", 5, 1, 26, ["en"]),
    # 4 SQ, 1 in the trash.
    ("qt_user_notes.qsf", "qt_user_notes.csv", 3, 1, 5, ["en"]),
    # DB + Q2 + Q3 + Q4 (5-point Likert: one matrix) + Q5 + Q6 3 rows + Q7 4 + Q8 2 = 14.
    ("surveyhelper_sample_2015.qsf", None, 14, 1, 0, ["en"]),
    # One MC with its ES translation.
    ("qualtricsinr_test_api_activation.qsf", None, 1, 1, 0, ["en", "es"]),
]


@pytest.mark.parametrize(("qsf", "csv", "questions", "pages", "responses", "langs"), HAND_COUNTS)
def test_every_real_file_dry_runs_with_the_hand_counts(
    qsf: str, csv: str | None, questions: int, pages: int, responses: int, langs: list[str]
) -> None:
    report = plan(qsf, csv).summary()
    survey = report["survey"]
    assert (survey["questions"], survey["pages"], survey["languages"]) == (questions, pages, langs)
    assert report["responses"] == responses
    assert json.loads(json.dumps(report)) == report


def test_every_copied_file_is_counted() -> None:
    copied = {p.name for p in QT.iterdir() if p.suffix in (".qsf", ".csv")}
    counted = {name for row in HAND_COUNTS for name in row[:2] if name}
    assert copied == counted


def test_answers_as_in_the_csv_by_hand() -> None:
    p = plan("qt_single_answer_mc.qsf", "qt_single_answer_mc_insights.csv")
    first = p.responses[0]
    # Row 4: R_862TbryT6hpIAfP, 2016-05-27 11:44:08, Q2=3, Q4=12 (recode of choice 3),
    # Q3=4, Q5=13 (recode of choice 6), mc_question_five=2.
    assert first.key == "qualtrics:R_862TbryT6hpIAfP"
    assert first.submitted_at == datetime(2016, 5, 27, 11, 44, 8, tzinfo=UTC)
    assert first.answers == {
        "q2": "option_3", "q4": "option_12", "q3": "option_4", "q5": "option_13",
        "mc_question_five": "option_2",
    }  # fmt: skip
    q4 = p.definition.question("q4")
    assert [o.id for o in q4.options] == ["option_10", "option_11", "option_12"]
    assert [o.text for o in q4.options][2] == "Click to write Statement 3"
    multi = plan("qt_multiple_answer_mc.qsf", "qt_multiple_answer_mc_insights.csv").responses[0]
    # Row 4: Q2_1..3 = "",1,1 → choices 2 and 3; Q4_10..12 = 1,"",1 → recodes 10 and 12.
    assert multi.answers["q2"] == ["option_2", "option_3"]
    assert multi.answers["q4"] == ["option_10", "option_12"]
    matrix = plan("qt_matrix_single_answer_testing.qsf", "qt_matrix_single_answer_testing.csv")
    # Row 4: Q12_1..3 = 1,2,3 (three statements of a 3-point matrix: single choices).
    row = matrix.responses[0].answers
    assert [row["q12_1"], row["q12_2"], row["q12_3"]] == ["option_1", "option_2", "option_3"]


@pytest.mark.parametrize("name", ["single_answer_mc", "multiple_answer_mc"])
def test_legacy_and_current_layouts_import_identical_answers(name: str) -> None:
    current = plan(f"qt_{name}.qsf", f"qt_{name}_insights.csv").responses
    legacy = plan(f"qt_{name}.qsf", f"qt_{name}_legacy.csv").responses
    assert len(current) == len(legacy) == 5
    assert [(r.key, r.answers, r.submitted_at) for r in current] == [
        (r.key, r.answers, r.submitted_at) for r in legacy
    ]
    assert [r.line for r in legacy] == [3, 4, 5, 6, 7]  # two header rows
    assert [r.line for r in current] == [4, 5, 6, 7, 8]  # three


def test_columns_are_mapped_by_import_id_not_position() -> None:
    text = (QT / "qt_single_answer_mc_insights.csv").read_text("utf-8")
    rows = [line.split(",") for line in text.splitlines()]
    assert rows[0][11:13] == ["Q2", "Q4"]
    swapped = []
    for cells in rows:  # swap the Q2 and Q4 columns (all three header rows move with them)
        cells = list(cells)
        cells[11], cells[12] = cells[12], cells[11]
        swapped.append(",".join(cells))
    moved = plan("qt_single_answer_mc.qsf", "\n".join(swapped).encode())
    base = plan("qt_single_answer_mc.qsf", "qt_single_answer_mc_insights.csv")
    assert [r.answers for r in moved.responses] == [r.answers for r in base.responses]


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: t.encode("utf-16"),
        lambda t: t.replace("Click", "Clíck").encode("cp1252"),
    ],
    ids=["utf-8-bom", "utf-16", "cp1252"],
)
def test_encodings_are_detected(encode) -> None:
    text = (QT / "qt_single_answer_mc_insights.csv").read_text("utf-8")
    p = plan("qt_single_answer_mc.qsf", encode(text))
    assert len(p.responses) == 5
    assert p.responses[0].answers["q4"] == "option_12"


def test_json_import_ids_with_time_zone_and_underscores() -> None:
    text = (QT / "qt_single_answer_mc_insights.csv").read_text("utf-8")
    lines = text.splitlines()
    ids = lines[2].replace("'", '"').replace("QID4-TEXT", "QID4_TEXT")
    ids = ids.replace(
        '{"ImportId": "endDate"}', '"{""ImportId"":""endDate"",""timeZone"":""America/Denver""}"'
    )
    lines[2] = ids
    p = plan("qt_single_answer_mc.qsf", "\n".join(lines).encode())
    # 11:44:08 in Denver (MDT, UTC−6 in May) is 17:44:08 UTC.
    assert p.responses[0].submitted_at.astimezone(UTC) == datetime(
        2016, 5, 27, 17, 44, 8, tzinfo=UTC
    )
    assert import_id('{"ImportId":"QID2_1"}') == ("QID2_1", {"ImportId": "QID2_1"})
    assert split_qid("QID12-3-TEXT") == ("QID12", "3-TEXT")


def test_unsupported_features_are_reported() -> None:
    found = {
        (u.source, u.feature)
        for u in plan("qt_sample_survey.qsf", "qt_sample_survey.csv").unsupported
    }
    expected = {
        ("q6_reservations", "SBS question"),
        ("Q10", "SBS question"),
        ("q2_favorite", "skip logic"),
        ("q1_recent [1]", "choice display logic"),
        ("q4_rank", "matrix with 4 scale points"),
        ("BL_efFx0nTfpb3OAg5", "trash"),
        ("responses", "columns with no imported question"),
    }
    assert expected <= found
    report = plan("qt_sample_survey.qsf", "qt_sample_survey.csv").summary()
    [columns] = [u for u in report["unsupported"] if u["source"] == "responses"]
    # the side-by-side answers and the personal/meta columns are named, not dropped silently
    assert "q6_reservations#1_1" in columns["what_happens"]
    assert "IPAddress" in columns["what_happens"]
    texts = {
        (u.source, u.feature)
        for u in plan("qt_comment_coding.qsf", "qt_comment_coding.csv").unsupported
    }
    assert {
        ("Q1 [2-TEXT]", "text entry beside a choice"),
        ("Q1 [3-TEXT]", "text entry beside a choice"),
    } <= texts


def test_types_translations_and_likert_matrix() -> None:
    p = plan("surveyhelper_sample_2015.qsf")
    types = {m.source: m.type for m in p.mapping}
    assert types["Q1"] == "display" and types["Q5"] == "text"
    assert types["Q2"] == "single_choice" and types["Q3"] == "multi_choice"
    assert types["Q4 [1]"] == "matrix" and types["Q6 [1]"] == "multi_choice"
    assert p.definition.question("q4").scale is not None
    es = plan("qualtricsinr_test_api_activation.qsf").definition.question("q1")
    assert es.text == {"en": "test", "es": "djdddjdjd"}
    assert es.options[0].text == {"en": "1", "es": "chioa"}


def _qsf_with(question: dict, logic: dict | None = None) -> bytes:
    survey = json.loads((QT / "qt_single_answer_mc.qsf").read_text("utf-8"))
    for element in survey["SurveyElements"]:
        payload = element.get("Payload")
        if element["Element"] == "SQ" and payload["QuestionID"] == "QID6":
            payload.update(question)
            if logic is not None:
                payload["DisplayLogic"] = logic
    return json.dumps(survey).encode()


def test_display_logic_on_an_earlier_choice_becomes_show_if() -> None:
    # QID6 (Q5) comes after QID5 (Q4, recodes 10/11/12) in the block.
    logic = {
        "0": {
            "0": {"LogicType": "Question", "LeftOperand": "q://QID5/SelectableChoice/3",
                  "Operator": "Selected", "Type": "Expression"},
            "Type": "If",
        },
        "Type": "BooleanExpression",
    }  # fmt: skip
    p = read_plan("qualtrics", _qsf_with({}, logic), None, ReadOptions("x"))
    assert p.definition.question("q5").show_if == Comparison("q4", Op.EQ, "option_12")
    later = dict(logic)
    later["0"] = {"0": {**logic["0"]["0"], "LeftOperand": "q://QID4/SelectableChoice/1"}}
    p = read_plan("qualtrics", _qsf_with({}, later), None, ReadOptions("x"))
    assert p.definition.question("q5").show_if is None
    assert ("Q5", "display logic") in {(u.source, u.feature) for u in p.unsupported}


def test_nps_rank_order_and_constant_sum() -> None:
    nps = {"Selector": "NPS", "Choices": {str(i): {"Display": str(i)} for i in range(11)},
           "RecodeValues": {}, "ChoiceOrder": list(range(11))}  # fmt: skip
    p = read_plan("qualtrics", _qsf_with(nps), None, ReadOptions("x"))
    assert ("Q5", "q5", "nps", ("loyalty.recommend",)) in [
        (m.source, m.question_id, m.type, m.tags) for m in p.mapping
    ]
    ro = read_plan(
        "qualtrics", _qsf_with({"QuestionType": "RO", "Selector": "DND"}), None, ReadOptions("x")
    )
    assert ("Q5", "RO question") in {(u.source, u.feature) for u in ro.unsupported}
    assert "q5" not in {m.question_id for m in ro.mapping}
    cs = read_plan(
        "qualtrics", _qsf_with({"QuestionType": "CS", "Selector": "VR"}), None, ReadOptions("x")
    )
    # QID6 has 7 choices (ChoiceOrder 1 4 5 6 2 3 7): one number each.
    assert [m.source for m in cs.mapping if m.type == "number"] == [f"Q5 [{k}]" for k in "1456237"]
    assert ("Q5", "constant sum") in {(u.source, u.feature) for u in cs.unsupported}


def test_bad_files_name_the_row_and_column() -> None:
    with pytest.raises(ValidationFailed) as err:
        plan("qt_single_answer_mc.qsf", b"a,b\n1,2\n")
    assert err.value.errors[0].location == "responses: row 1"
    text = (QT / "qt_single_answer_mc_insights.csv").read_text("utf-8").splitlines()
    text[5] = text[5].replace("2016-05-27 11:44:08,", "yesterday,", 2)
    with pytest.raises(ValidationFailed) as err:
        plan("qt_single_answer_mc.qsf", "\n".join(text).encode())
    assert [e.location for e in err.value.errors] == ["row 6, column EndDate"]
    with pytest.raises(ValidationFailed) as err:
        read_plan("qualtrics", b"{}", None, ReadOptions("x"))
    assert "not a Qualtrics survey" in err.value.detail
