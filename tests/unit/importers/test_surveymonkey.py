"""SurveyMonkey importer on real exports (tests/data/formats/PROVENANCE.md) and small
written files for the layouts the real ones lack (dates, other, matrix, cp1252); each also
as the .xlsx SurveyMonkey writes (generated here with openpyxl), which must import alike."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from rapport.errors import ValidationFailed
from rapport.importers.formats import ReadOptions, read_plan

DATA = Path(__file__).parents[2] / "data" / "formats" / "surveymonkey"

HAND_COUNTS = [
    # (file, questions, responses, expanded): questions = header-row-1 texts less
    # RespondentID; responses = lines less the header rows (no quoted line breaks: the
    # csv module's row count equals `grep -c ''`).
    ("sm_steak_risk.csv", 14, 550, True),  # 15 columns, 552 lines, row 2 all "Response"
    ("sm_comma_condensed.csv", 12, 1129, False),  # 13 columns, 1130 lines, one header row
    # 53 columns under 10 texts; the first 60 responses of the 2778 (62 lines)
    ("sm_region_midwest_first60.csv", 9, 60, True),
]


def plan_of(name: str | bytes, **options: str):
    data = name if isinstance(name, bytes) else (DATA / name).read_bytes()
    return read_plan("surveymonkey", data, None, ReadOptions("sm", **options))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "questions", "responses", "expanded"), HAND_COUNTS)
def test_every_real_file_dry_runs_with_the_hand_counts(
    name: str, questions: int, responses: int, expanded: bool
) -> None:
    report = plan_of(name).summary()
    assert (report["survey"]["questions"], report["survey"]["pages"]) == (questions, 1)
    assert report["responses"] == responses
    layout = (
        "two header rows (expanded export)" if expanded else "one header row (condensed export)"
    )
    assert layout in report["warnings"]
    assert (
        report["unsupported"][-1]["feature"]
        == "pages, question types, choices nobody chose and logic"
    )


def test_every_copied_file_is_in_the_hand_counts() -> None:
    assert {p.name for p in DATA.glob("*.csv")} == {n for n, *_ in HAND_COUNTS}


def test_spread_columns_become_one_choice_question() -> None:
    plan = plan_of("sm_region_midwest_first60.csv")
    by_source = {m.source[:30]: m for m in plan.mapping}
    identify = by_source["How much, if at all, do you pe"]
    states = by_source["Which of the following states "]
    assert (identify.type, states.type) == ("single_choice", "multi_choice")
    q = next(q for q in plan.definition.questions if q.id == states.question_id)
    assert len(q.options) == 20  # Illinois … Wyoming: 20 columns under the one text
    # Line 4 of the file (respondent 3126802202): "A lot", and the 12 states from
    # Illinois to Wisconsin ticked.
    second = plan.responses[1]
    assert second.key == "sm:3126802202" and second.line == 4
    assert second.answers[identify.question_id] == "a_lot"
    assert len(second.answers[states.question_id]) == 12


def test_commas_inside_answers_are_not_split() -> None:
    plan = plan_of("sm_comma_condensed.csv")
    first = plan.definition.questions[0]
    assert first.type.value == "single_choice"
    assert [o.text for o in first.options] == [
        "It's important for a person to be honest, kind and loyal.",
        "It's important for a person to be honest, kind, and loyal.",
    ]


NEW_LAYOUT = (
    "Respondent ID,Collector ID,Start Date,End Date,IP Address,Which café?,,,Rate us,,\r\n"
    ",,,,,Nord,Süd,Other (please specify),Speed,Price,Open-Ended Response\r\n"
    "101,9,05/04/2024 01:00:00 PM,05/04/2024 01:02:03 PM,10.0.0.1,Nord,,,4,5,\r\n"
    "102,9,05/05/2024 09:00:00 AM,05/05/2024 09:01:00 AM,10.0.0.2,,,by the lake,2,3,ok\r\n"
)


def test_dates_other_matrix_and_personal_columns() -> None:
    plan = plan_of(NEW_LAYOUT.encode(), timezone="Europe/Paris")
    first, second = plan.responses
    assert first.submitted_at == datetime(2024, 5, 4, 13, 2, 3, tzinfo=ZoneInfo("Europe/Paris"))
    assert second.submitted_at == datetime(2024, 5, 5, 9, 1, tzinfo=ZoneInfo("Europe/Paris"))
    cafe, speed, price, comment = plan.definition.questions
    assert [o.id for o in cafe.options] == ["nord", "sud", "other"]
    assert (first.answers[cafe.id], second.answers[cafe.id]) == ("nord", "other")
    assert (speed.type.value, first.answers[speed.id], second.answers[price.id]) == (
        "likert",
        "4",
        "3",
    )  # raw: the import checks and converts
    assert comment.type.value == "text" and second.answers[comment.id] == "ok"
    features = {(u.source, u.feature) for u in plan.unsupported}
    assert ("Collector ID", "column Collector ID") in features
    assert ("IP Address", "column IP Address") in features
    assert ("Which café?", "Other (please specify)") in features
    assert ("Rate us", "matrix") in features


def test_windows_1252_is_detected() -> None:
    utf8 = plan_of(NEW_LAYOUT.encode("utf-8"))
    cp1252 = plan_of(NEW_LAYOUT.encode("cp1252"))
    assert cp1252.summary()["mapping"] == utf8.summary()["mapping"]
    assert "read as cp1252" in cp1252.warnings[0]


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ("Name,Q\r\n,Response\r\nx,y\r\n", "header"),
        ("RespondentID,Q\r\n,Response\r\n1,a\r\n1,b\r\n", "row 4, column RespondentID"),
        ("RespondentID,EndDate,Q\r\n,,Response\r\n1,yesterday,a\r\n", "row 3, column EndDate"),
    ],
)
def test_bad_files_name_where(body: str, location: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        plan_of(body.encode())
    assert err.value.errors[0].location == location


# -- the same exports as Excel workbooks -----------------------------------------------------

_WHOLE = re.compile(r"^(0|[1-9]\d{0,14})$")
_US_TIME = "%m/%d/%Y %I:%M:%S %p"


def _excel_cell(cell: str) -> object:
    """A body cell as Excel holds it: whole numbers and dates typed, text as text
    (a ZIP code such as 00544 stays text, as SurveyMonkey writes it)."""
    if not cell:
        return None
    if _WHOLE.match(cell):
        return int(cell)
    try:
        return datetime.strptime(cell, _US_TIME)
    except ValueError:
        return cell


def xlsx_of(csv_bytes: bytes) -> bytes:
    """The .xlsx SurveyMonkey writes for the rows of a CSV export: header rows as text, a
    question text merged over the columns it spans, numbers and dates as typed cells."""
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8"), newline="")))
    expanded = len(rows) > 1 and rows[1][0] == ""
    headers = 2 if expanded else 1
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet"
    for index, row in enumerate(rows):
        sheet.append([c or None for c in row] if index < headers else [_excel_cell(c) for c in row])
    start = 0
    for col in range(1, len(rows[0]) + 1):
        if col == len(rows[0]) or rows[0][col]:
            if col - start > 1:
                sheet.merge_cells(start_row=1, start_column=start + 1, end_row=1, end_column=col)
            start = col
    book.create_sheet("Notes")  # a second sheet is not read
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _same_import(from_csv, from_xlsx) -> None:  # type: ignore[no-untyped-def]
    csv_report, xlsx_report = from_csv.summary(), from_xlsx.summary()
    assert xlsx_report["warnings"][0] == "read the Excel sheet 'Sheet' (the first of 2)"
    assert {**csv_report, "warnings": None} == {**xlsx_report, "warnings": None}
    assert csv_report["warnings"][1:] == xlsx_report["warnings"][1:]
    assert from_xlsx.responses == from_csv.responses  # ids, answers, times, rows


@pytest.mark.parametrize("name", [n for n, *_ in HAND_COUNTS])
def test_an_xlsx_export_imports_exactly_as_its_csv(name: str) -> None:
    data = (DATA / name).read_bytes()
    workbook = xlsx_of(data)
    assert workbook[:4] == b"PK\x03\x04"
    _same_import(plan_of(data), plan_of(workbook))


def test_excel_date_cells_are_read_in_the_time_zone() -> None:
    workbook = xlsx_of(NEW_LAYOUT.encode())
    sheet = load_workbook(io.BytesIO(workbook)).worksheets[0]
    assert sheet["D3"].is_date and sheet["A3"].value == 101  # typed cells, not text
    from_xlsx = plan_of(workbook, timezone="Europe/Paris")
    _same_import(plan_of(NEW_LAYOUT.encode(), timezone="Europe/Paris"), from_xlsx)
    assert from_xlsx.responses[0].submitted_at == datetime(
        2024, 5, 4, 13, 2, 3, tzinfo=ZoneInfo("Europe/Paris")
    )


def test_a_broken_workbook_is_named() -> None:
    with pytest.raises(ValidationFailed) as err:
        plan_of(b"PK\x03\x04 not really a zip")
    assert err.value.errors[0].location == "definition"
    assert "not a readable .xlsx workbook" in err.value.errors[0].message
