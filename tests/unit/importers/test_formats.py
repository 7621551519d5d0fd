"""Importers from other survey tools, on real export files (tests/data/formats/PROVENANCE.md).

Every count below was made by hand from the file, as the comment beside it says; the
plans must agree with them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.domain.logic import Comparison, Op
from rapport.errors import ValidationFailed
from rapport.importers.formats import FORMATS, ImportPlan, ReadOptions, read_plan
from rapport.importers.formats.google_forms import infer

DATA = Path(__file__).parents[2] / "data" / "formats"
GF = DATA / "google_forms" / "gf_autistica_citizen_science.csv"
NPS = DATA / "surveyjs" / "sjs_nps_survey.json"
NPS_RESULTS = DATA / "surveyjs" / "sjs_nps_survey_results.json"


def plan_of(fmt: str, path: Path, responses: Path | None = None, **options: str):
    return read_plan(
        fmt,
        path.read_bytes(),
        responses.read_bytes() if responses else None,
        ReadOptions(path.stem, **options),  # type: ignore[arg-type]
    )


HAND_COUNTS = [
    # (file, questions, pages, responses), counted by reading the JSON / CSV:
    # 7 + 6 + 3 + 7 + 3: page 1 has 7 inputs; page 2 7 choice questions less the ranking;
    # page 3 boolean, rating, single slider (range slider, signature, expression, file
    # dropped); page 4 the matrix's 3 rows + multipletext's 4 items (the dropdown and
    # dynamic matrices dropped); page 5 the panel's 2 texts + the html (paneldynamic and
    # image dropped).
    ("surveyjs", "sjs_all_question_types.json", 26, 5, 0),
    # html + username; civilwar (written 4 times under one name: imported once);
    # libertyordeath; magnacarta: 5 on 4 pages.
    ("surveyjs", "sjs_american_history_quiz.json", 5, 4, 0),
    # panel (rating, 2 comments, checkbox) + boolean + panel (radiogroup, text): 7, one page.
    ("surveyjs", "sjs_nps_survey.json", 7, 1, 0),
    ("surveyjs", "sjs_dropdown.json", 1, 1, 0),
    ("surveyjs", "sjs_text.json", 1, 1, 0),
    # 5 header cells less Timestamp; 42 lines start with a date M/D/YYYY (grep -c), the
    # other 21 of the file's 64 lines are line breaks inside quoted Q1 answers.
    ("google-forms", "gf_autistica_citizen_science.csv", 4, 1, 42),
]


@pytest.mark.parametrize(("fmt", "name", "questions", "pages", "responses"), HAND_COUNTS)
def test_every_real_file_dry_runs_with_the_hand_counts(
    fmt: str, name: str, questions: int, pages: int, responses: int
) -> None:
    folder = "surveyjs" if fmt == "surveyjs" else "google_forms"
    report = plan_of(fmt, DATA / folder / name).summary()
    assert set(report) == {
        "format", "survey", "mapping", "responses", "unsupported", "warnings"
    }  # fmt: skip
    assert set(report["survey"]) == {"key", "title", "languages", "questions", "pages"}
    assert (report["survey"]["questions"], report["survey"]["pages"]) == (questions, pages)
    assert report["responses"] == responses
    assert json.loads(json.dumps(report)) == report  # plain JSON


def test_every_copied_file_is_in_the_hand_counts() -> None:
    copied = {
        p.name
        for p in DATA.glob("*/*")
        if p.suffix in (".json", ".csv") and p.parent.name in ("surveyjs", "google_forms")
    }  # Qualtrics, LimeSurvey, SurveyMonkey: their own test modules
    counted = {name for _, name, *_ in HAND_COUNTS}
    written = {NPS_RESULTS.name, "sjs_nps_survey_results.csv", "sjs_all_question_types_results.csv"}
    assert copied - counted == written  # written for the tests: results, not surveys


def test_surveyjs_unsupported_features_are_reported() -> None:
    found = {(u.source, u.feature) for u in plan_of("surveyjs", DATA / "surveyjs" /
                                                     "sjs_all_question_types.json").unsupported}  # fmt: skip
    expected = {
        ("priorityItems", "ranking question"),
        ("priceRange", "range slider"),
        ("signature", "signaturepad question"),
        ("fullName", "expression question"),
        ("resume", "file question"),
        ("budgetMatrix", "matrixdropdown question"),
        ("employeeList", "matrixdynamic question"),
        ("education", "paneldynamic question"),
        ("thankYouImage", "image question"),
        ("contactPanel", "panel"),
        ("qualityMatrix", "matrix"),
        ("satisfaction", "rating 1–10"),
        ("email", "inputType email"),
        ("hobbies", "maxSelectedChoices"),
        ("favoriteColor", "choicesOrder random"),
    }
    assert expected <= found
    quiz = plan_of("surveyjs", DATA / "surveyjs" / "sjs_american_history_quiz.json")
    quiz_found = {(u.source, u.feature) for u in quiz.unsupported}
    assert {("civilwar", "correctAnswer"), ("survey", "timeLimit"),
            ("survey", "completedHtmlOnCondition"),
            ("survey", "placeholders in completedHtml")} <= quiz_found  # fmt: skip
    assert sum(f == ("civilwar", "question name used twice") for f in
               [(u.source, u.feature) for u in quiz.unsupported]) == 3  # fmt: skip


def test_surveyjs_mapping_types_and_languages() -> None:
    plan = plan_of("surveyjs", NPS)
    types = {m.source: (m.question_id, m.type, m.tags) for m in plan.mapping}
    # rateMax 10 without rateMin runs 1–10 in SurveyJS; a recommendation question: NPS.
    assert types["nps-score"] == ("nps_score", "nps", ("loyalty.recommend",))
    assert types["promoter-features"][1] == "multi_choice"
    assert types["rebuy"][1] == "single_choice"
    assert plan.definition.languages == ("en", "fr")
    features = plan.definition.question("promoter_features")
    assert features.option_ids[-1] == "other"
    assert features.show_if == Comparison("nps_score", Op.GE, 9)
    assert plan.definition.question("email").show_if == Comparison("testimonial", Op.EQ, "yes")
    matrix = plan_of("surveyjs", DATA / "surveyjs" / "sjs_all_question_types.json")
    rows = [m for m in matrix.mapping if m.source.startswith("qualityMatrix")]
    assert [m.source for m in rows] == [
        "qualityMatrix [product]", "qualityMatrix [service]", "qualityMatrix [support]"
    ]  # fmt: skip


def _sjs(elements: list[dict[str, object]]) -> bytes:
    return json.dumps({"pages": [{"name": "p", "elements": elements}]}).encode()


def test_visible_if_beyond_the_condition_language_is_reported_not_dropped_silently() -> None:
    survey = _sjs([
        {"type": "text", "name": "birth", "inputType": "date"},
        {"type": "rating", "name": "score", "rateMin": 0, "rateMax": 10,
         "title": "Would you recommend us?"},
        {"type": "comment", "name": "why", "visibleIf": "age({birth}) > 18"},
        {"type": "comment", "name": "low", "visibleIf": "{score} <= 6 and {birth} notempty"},
        {"type": "comment", "name": "later", "visibleIf": "{never} = 1"},
    ])  # fmt: skip
    plan = read_plan("surveyjs", survey, None, ReadOptions("t"))
    reported = {u.source: u.feature for u in plan.unsupported}
    assert reported["why"] == "visibleIf age({birth}) > 18"
    assert reported["later"] == "visibleIf {never} = 1"
    assert plan.definition.question("why").show_if is None
    assert plan.definition.question("low").show_if is not None


def test_surveyjs_results_become_raw_answers() -> None:
    plan = plan_of("surveyjs", NPS, NPS_RESULTS)
    assert len(plan.responses) == 12  # the file's 12 result objects
    second = plan.responses[2].answers
    assert second["nps_score"] == 9
    assert second["rebuy"] == "yes"
    assert second["promoter_features"] == ["support", "other"]
    assert len({r.key for r in plan.responses}) == 12
    assert plan_of("surveyjs", NPS, NPS_RESULTS).responses[0].key == plan.responses[0].key


def test_google_forms_types_timestamps_and_choices() -> None:
    plan = plan_of("google-forms", GF)
    types = [m.type for m in plan.mapping]
    # A consent ticked by all 42 (one distinct answer), a long free text, a checkbox
    # question (answers joined by ", "), a yes-only question.
    assert types == ["multi_choice", "text", "multi_choice", "multi_choice"]
    q2 = plan.definition.questions[2]
    # The 7 distinct parts of Q2's answers, counted by splitting every cell at ", ".
    assert len(q2.options) == 7
    first = plan.responses[0]
    assert first.submitted_at == datetime(2019, 8, 21, 13, 10, 31, tzinfo=UTC)
    assert any("M/D/YYYY" in w and "UTC" in w for w in plan.warnings)
    paris = plan_of("google-forms", GF, timezone="Europe/Paris").responses[0].submitted_at
    assert paris is not None and paris.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_encodings_and_delimiters_are_detected(encoding: str, delimiter: str) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(GF.read_text("utf-8"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    text = out.getvalue().replace("’", "'")  # cp1252 has ’, but keep the test exact
    expected = read_plan("google-forms", text.encode("utf-8"), None, ReadOptions("gf"))
    got = read_plan("google-forms", text.encode(encoding), None, ReadOptions("gf"))
    assert got.summary()["mapping"] == expected.summary()["mapping"]
    assert [r.answers for r in got.responses] == [r.answers for r in expected.responses]


def test_google_forms_dates_day_first_and_with_offset() -> None:
    csv_text = "Timestamp,Rate us\n13/02/2024 09:00:00,4\n01/03/2024 10:00:00,5\n"
    plan = read_plan("google-forms", csv_text.encode(), None, ReadOptions("x"))
    assert plan.responses[0].submitted_at == datetime(2024, 2, 13, 9, tzinfo=UTC)
    assert plan.responses[1].submitted_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    native = "Timestamp,Rate us\n2024/05/04 1:02:03 PM GMT+2,4\n"
    [one] = read_plan("google-forms", native.encode(), None, ReadOptions("x")).responses
    assert one.submitted_at == datetime(2024, 5, 4, 13, 2, 3, tzinfo=timezone(timedelta(hours=2)))


def test_google_forms_grids_and_inference_rules() -> None:
    csv_text = (
        "Timestamp,How likely are you to recommend us?,Rate [Speed],Rate [Care],Pick [A],"
        "Pick [B],Email Address\n"
        "1/2/2024 10:00:00,0,4,5,Good,Bad,a@example.com\n"
        "1/3/2024 10:00:00,9,2,3,Bad,Good,b@example.com\n"
    )
    plan = read_plan("google-forms", csv_text.encode(), None, ReadOptions("x"))
    mapping = {m.source: (m.question_id, m.type) for m in plan.mapping}
    assert mapping["How likely are you to recommend us?"][1] == "nps"
    assert mapping["Rate [Speed]"] == ("rate.speed", "matrix")
    assert mapping["Pick [B]"][1] == "single_choice"
    assert ("Email Address", "column Email Address") in {
        (u.source, u.feature) for u in plan.unsupported
    }
    assert plan.responses[0].answers["rate"] == {"speed": "4", "care": "5"}
    assert infer("Q", ["12", "40"])["type"] == "number"
    assert infer("Q", ["a long answer, with commas", "another, different one"])["type"] == "text"


def test_bad_input_names_the_place() -> None:
    with pytest.raises(ValidationFailed) as err:
        read_plan("typeform", b"{}", None, ReadOptions())
    assert err.value.errors[0].location == "format"
    with pytest.raises(ValidationFailed) as err:
        read_plan("surveyjs", b'{"pages": [', None, ReadOptions())
    assert err.value.errors[0].location.startswith("definition: line 1")
    with pytest.raises(ValidationFailed) as err:
        read_plan("surveyjs", _sjs([{"type": "text", "name": "a"}]), b'{"a": 1}', ReadOptions())
    assert err.value.errors[0].location == "responses"
    with pytest.raises(ValidationFailed) as err:
        read_plan("google-forms", b"true", None, ReadOptions())
    assert (err.value.errors[0].location, err.value.errors[0].code) == ("header", "missing_column")
    bad_time = b"Timestamp,Q\nyesterday,4\n"
    with pytest.raises(ValidationFailed) as err:
        read_plan("google-forms", bad_time, None, ReadOptions())
    assert err.value.errors[0].location == "row 2, column Timestamp"


def test_the_api_format_names_are_the_registry() -> None:
    from typing import get_args

    from rapport.api.tool_imports import FormatName
    from rapport.services.tool_import import FORMAT_LABELS  # the import page's list

    assert set(get_args(FormatName)) == set(FORMATS) == set(FORMAT_LABELS)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.sampled_from(["", "a", "{a} = 1"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["type", "name", "title", "elements", "pages", "choices", "rows", "columns",
             "items", "rateMin", "rateMax", "rateValues", "visibleIf", "inputType", "html",
             "showOtherItem", "a"]
        ),
        inner,
        max_size=6,
    ),
    max_leaves=25,
)  # fmt: skip
_TYPES = st.sampled_from(
    ["text", "comment", "radiogroup", "checkbox", "rating", "boolean", "matrix", "panel",
     "multipletext", "html", "slider", "dropdown", "x"]
)  # fmt: skip


@given(
    elements=st.lists(
        st.fixed_dictionaries({"type": _TYPES, "name": st.sampled_from(["a", "b", "c"])}).flatmap(
            lambda base: _JSON.map(
                lambda extra: {**(extra if isinstance(extra, dict) else {}), **base}
            )
        ),
        max_size=5,
    ),
    results=_JSON,
)
def test_any_surveyjs_json_is_a_plan_or_a_named_problem(elements, results) -> None:
    """Malformed surveys and results never crash the reader: a plan, or ValidationFailed."""
    survey = json.dumps({"pages": [{"name": "p", "elements": elements}]}).encode()
    plan = _plan_or_errors("surveyjs", survey, json.dumps(results).encode())
    if isinstance(plan, list):
        assert plan  # the problem names at least one place
    else:
        assert json.loads(json.dumps(plan.summary())) == plan.summary()


def _plan_or_errors(fmt: str, definition: bytes, responses: bytes | None) -> ImportPlan | list:
    try:
        return read_plan(fmt, definition, responses, ReadOptions("t"))
    except ValidationFailed as problem:
        return list(problem.errors)


@given(
    body=st.lists(st.sampled_from([*'ab1, ;"\n\r[]/:5', "1/2/2024 10:00:00"])).map("".join),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_any_google_forms_csv_is_a_plan_or_a_named_problem(body: str, encoding: str) -> None:
    data = ("Timestamp,Q [r],Q [s],P\n" + body).encode(encoding)
    plan = _plan_or_errors("google-forms", data, None)
    if isinstance(plan, list):
        assert plan
    else:
        assert len(plan.responses) <= body.count("\n") + body.count("\r") + 1
