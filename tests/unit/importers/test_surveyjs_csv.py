"""SurveyJS results as the CSV (or .xlsx) table SurveyJS Dashboard downloads.

The two CSV files are written in survey-analytics' Tabulator layout (every cell quoted,
``\\n`` line ends, a column per question headed by its title, a matrix row as
``Title - Row``, the "other" text in a column after its question headed by ``otherText``,
``'`` before a cell starting with ``+``): tests/data/formats/PROVENANCE.md says how. Counts
are made again here with the csv module, independently of the importer.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from rapport.errors import ValidationFailed
from rapport.importers.formats import ImportPlan, ReadOptions, read_plan

DATA = Path(__file__).parents[2] / "data" / "formats" / "surveyjs"
NPS = DATA / "sjs_nps_survey.json"
NPS_JSON = DATA / "sjs_nps_survey_results.json"
NPS_CSV = DATA / "sjs_nps_survey_results.csv"
ALL = DATA / "sjs_all_question_types.json"
ALL_CSV = DATA / "sjs_all_question_types_results.csv"


def plan(survey: Path, results: bytes, **options: str) -> ImportPlan:
    return read_plan("surveyjs", survey.read_bytes(), results, ReadOptions("t", **options))  # type: ignore[arg-type]


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))


def _as_text(answers: dict[str, Any]) -> dict[str, Any]:
    """JSON results hold numbers; a table holds their text (the import converts both)."""
    return {k: str(v) if isinstance(v, int) else v for k, v in answers.items()}


def test_the_nps_table_gives_the_answers_of_the_same_results_as_json() -> None:
    from_csv = plan(NPS, NPS_CSV.read_bytes())
    from_json = plan(NPS, NPS_JSON.read_bytes())
    assert [r.answers for r in from_csv.responses] == [
        _as_text(r.answers) for r in from_json.responses
    ]
    # Counted with the csv module: 12 rows under the header; the first column's scores.
    header, *body = _rows(NPS_CSV)
    scores = [int(row[0]) for row in body]
    assert len(from_csv.responses) == len(body) == 12
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    assert (promoters, detractors) == (6, 4)  # the planted scores: NPS 16.67
    assert [r.line for r in from_csv.responses] == list(range(2, 14))
    # The "Other features" column holds the text beside "other": reported with its count.
    typed = sum(1 for row in body if row[header.index("Other features")])
    assert (
        "promoter-features",
        "column Other features",
        f"the text written beside 'other' or in a comment box is not imported ({typed} answer(s))",
    ) in {(u.source, u.feature, u.what_happens) for u in from_csv.unsupported}
    assert "7 of 8 columns matched to questions by name or title" in from_csv.warnings


def test_every_column_of_every_question_type_is_imported_or_reported() -> None:
    found = plan(ALL, ALL_CSV.read_bytes())
    header, *body = _rows(ALL_CSV)
    assert len(found.responses) == len(body) == 3
    first = found.responses[0].answers
    assert first == {
        "first_name": "Ann", "last_name": "Lee", "birth_date": "1990-04-01", "age": "34",
        "email": "ann@example.com", "appointment_time": "2024-05-04T10:30",
        "bio": 'Likes "quotes", commas\nand two lines',
        "favorite_color": "other", "hobbies": ["reading", "music", "other"], "country": "ca",
        "skills": ["python", "csharp"], "favorite_pet": "cat", "t_shirt_size": "xl",
        "agree_terms": "yes", "satisfaction": "9", "volume": "55",
        "quality_matrix_product": "good", "quality_matrix_service": "excellent",
        "quality_matrix_support": "fair",
        # the multiple text's JSON object is keyed by item titles ("ZIP Code")
        "address_street": "1 Main St", "address_city": "Springfield", "address_zip": "00544",
        "phone": "+1 555 0100",  # written '+1 555 0100 against spreadsheet formulas
        "website": "https://example.com",
    }  # fmt: skip
    assert found.responses[1].answers["hobbies"] == ["none"]
    assert found.responses[2].answers["skills"] == ["javascript", "go", "other"]
    # Every one of the 38 columns is a question's (22) or reported (16), with its count.
    reported = {
        u.feature[len("column ") :]: u for u in found.unsupported if u.feature.startswith("column ")
    }
    matched = [h for h in header if h not in reported]
    assert len(header) == 38 and len(matched) == 22
    assert len([u for u in found.unsupported if u.feature.startswith("column ")]) == 16
    not_imported = {"Prioritize Items", "Price Range", "Your Signature", "Full Name",
                    "Upload Resume", "Employee List", "Education History"}  # fmt: skip
    assert not_imported | {h for h in header if h.startswith("Annual Budget - ")} | {
        "Other (describe)"
    } == set(reported)
    full_name = header.index("Full Name")
    assert reported["Full Name"].what_happens.endswith(
        f"({sum(1 for row in body if row[full_name])} answer(s))"
    )


def test_names_as_titles_and_values_as_labels() -> None:
    """``useNamesAsTitles`` and ``useValuesAsLabels``: the same answers."""
    table = (
        '"nps-score","promoter-features","promoter-features-Comment","rebuy","testimonial"\n'
        '"10","support, other","The price","true","yes"\n'
        '"6","","","false","no"'
    )
    first, second = plan(NPS, table.encode()).responses
    assert first.answers == {
        "nps_score": "10", "promoter_features": ["support", "other"], "rebuy": "yes",
        "testimonial": "yes",
    }  # fmt: skip
    assert second.answers == {"nps_score": "6", "rebuy": "no", "testimonial": "no"}


def test_a_checkbox_split_into_columns_and_a_choice_text_holding_a_comma() -> None:
    title = "Which of the following features do you value the most?"
    table = (
        f'"nps-score","{title} - Performance","{title} - Learning materials '
        '(documentation, demos, code examples)","' + title + '"\n'
        '"9","+","+",""\n"10","","","Learning materials (documentation, demos, code '
        'examples), Stability"'
    )
    first, second = plan(NPS, table.encode()).responses
    assert first.answers["promoter_features"] == ["performance", "learning_materials"]
    assert second.answers["promoter_features"] == ["learning_materials", "stability"]


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ";"), ("utf-16", ","), ("cp1252", "\t")]
)
def test_encodings_and_separators_are_detected(encoding: str, delimiter: str) -> None:
    rows = _rows(NPS_CSV)
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\n").writerows(rows)
    found = plan(NPS, text.getvalue().encode(encoding))
    assert [r.answers for r in found.responses] == [
        r.answers for r in plan(NPS, NPS_CSV.read_bytes()).responses
    ]
    assert f"cells separated by {delimiter!r}" in " ".join(found.warnings)


def test_an_id_column_keys_the_responses_and_a_time_column_dates_them() -> None:
    table = (
        "Response ID,Submitted at,nps-score\n"
        "r-1,2024-05-04T13:02:03,9\n"
        "r-2,2024-05-05T08:00:00+00:00,3\n"
    )
    first, second = plan(NPS, table.encode(), timezone="Europe/Paris").responses
    assert (first.key, second.key) == ("sjs:r-1", "sjs:r-2")
    assert first.submitted_at == datetime(2024, 5, 4, 13, 2, 3, tzinfo=ZoneInfo("Europe/Paris"))
    assert second.submitted_at is not None and second.submitted_at.utcoffset() is not None
    report = plan(NPS, table.encode())
    assert not [w for w in report.warnings if "no response id" in w or "submission time" in w]


def test_without_an_id_identical_rows_stay_two_responses_and_keys_are_stable() -> None:
    table = b'"nps-score"\n"9"\n"9"\n'
    a, b = plan(NPS, table).responses
    assert a.key != b.key and a.key.startswith("sjs-csv:")
    assert [r.key for r in plan(NPS, table).responses] == [a.key, b.key]


def test_an_xlsx_table_imports_as_the_csv() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "results"
    for index, row in enumerate(_rows(NPS_CSV)):
        sheet.append([int(c) if index and c.isdigit() else (c or None) for c in row])
    out = io.BytesIO()
    book.save(out)
    found = plan(NPS, out.getvalue())
    assert [r.answers for r in found.responses] == [
        r.answers for r in plan(NPS, NPS_CSV.read_bytes()).responses
    ]
    assert "results read from the Excel sheet 'results' (a SurveyJS table export)" in found.warnings


def test_an_unknown_column_is_reported_with_its_count() -> None:
    table = '"nps-score","Browser"\n"9","Firefox"\n"8",""\n'
    found = plan(NPS, table.encode())
    assert ("Browser", "column Browser") in {(u.source, u.feature) for u in found.unsupported}
    [browser] = [u for u in found.unsupported if u.source == "Browser"]
    assert browser.what_happens.endswith("(1 answer(s))")


@pytest.mark.parametrize(
    ("table", "location"),
    [
        ('"Browser","OS"\n"x","y"\n', "responses: row 1"),
        ('"Response ID","nps-score"\n"a","9"\n"a","8"\n', "row 3, column Response ID"),
        ('"Response ID","nps-score"\n"a","9"\n"","8"\n', "row 3, column Response ID"),
        ('"nps-score","Submitted at"\n"9","yesterday"\n', "row 2, column Submitted at"),
        ('"nps-score","nps-score"\n"9","9"\n', "row 1, column nps-score"),
        ('"nps-score"\n"9","extra"\n', "row 2, column 2"),
        ("", "responses"),
    ],
)
def test_bad_tables_name_the_row_and_column(table: str, location: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        plan(NPS, table.encode())
    assert err.value.errors[0].location == location


def test_a_multiple_text_cell_that_is_not_an_object_is_named() -> None:
    with pytest.raises(ValidationFailed) as err:
        plan(ALL, b'"Address"\n"1 Main St"\n')
    assert err.value.errors[0].location == "row 2, column Address"


_CELLS = st.sampled_from(
    ["", "9", "'-1", "Yes", "No", "Sure!", "nps-score", "rebuy", "Other features", "id",
     "Performance, Other features", '{"a": 1}', "x, y", "Would you buy our product again?",
     "Which of the following features do you value the most? - Stability", "2024-01-01"]
)  # fmt: skip


@given(st.lists(st.lists(_CELLS, min_size=1, max_size=6), min_size=1, max_size=5))
def test_any_table_is_responses_or_a_named_problem(rows: list[list[str]]) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    outcome: ImportPlan | list[object]
    try:
        outcome = plan(NPS, text.getvalue().encode())
    except ValidationFailed as problem:
        outcome = list(problem.errors)
    if isinstance(outcome, list):
        assert outcome  # the problem names at least one place
    else:
        assert len(outcome.responses) <= len(rows) - 1
