"""LimeSurvey importer on real .lss/.lsa files of five DBVersions (155, 359, 450, 604, 630)
and hand-written response exports (tests/data/formats/PROVENANCE.md).

Every count below was made by hand from the file, as the comment beside it says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rapport.domain.logic import AllOf, Comparison, Not, Op
from rapport.errors import ValidationFailed
from rapport.importers.formats import ReadOptions, read_plan
from rapport.importers.formats.limesurvey_logic import to_surveyjs

DATA = Path(__file__).parents[2] / "data" / "formats" / "limesurvey"
LS2 = DATA / "ls2_subquestion_relevance.lss"
CODES = DATA / "ls2_responses_codes.csv"
VV = DATA / "ls2_responses_vv.txt"
LSA = DATA / "ls4_archive_with_responses.lsa"


def plan_of(path: Path, responses: Path | bytes | None = None):
    data = responses.read_bytes() if isinstance(responses, Path) else responses
    return read_plan("limesurvey", path.read_bytes(), data, ReadOptions(path.stem))


HAND_COUNTS = [
    # (file, DBVersion, questions, pages, responses, languages), counted in the XML:
    # M afSrcFilter (1) + N min, N max (2) + K afK and K afeK with 6 subquestions each
    # (sq1–sq5, other: 12) + X Notes (1) = 16, all in the one group G1.
    ("ls2_subquestion_relevance.lss", "155", 16, 1, 0, ["en"]),
    # the ':' array of numbers is not imported; S QHiddenJS in G1, T Prev and
    # S QHiddenPHP in "To move previous": 3 on 2 pages.
    ("ls3_array_number_checkbox.lss", "359", 3, 2, 0, ["en"]),
    # the archive's .lss has one T question; its .lsr has 2 <row> elements (ids 19, 20).
    ("ls4_archive_with_responses.lsa", "450", 1, 1, 2, ["en"]),
    # three D questions Q00–Q02 in one group (texts in question_l10ns).
    ("ls6_date_and_time.lss", "604", 3, 1, 0, ["en"]),
    # one T question; base language en, additional_languages et.
    ("ls6_one_question_two_languages.lss", "630", 1, 1, 0, ["en", "et"]),
]


@pytest.mark.parametrize(
    ("name", "db_version", "questions", "pages", "responses", "languages"), HAND_COUNTS
)
def test_every_real_file_dry_runs_with_the_hand_counts(
    name: str, db_version: str, questions: int, pages: int, responses: int, languages: list[str]
) -> None:
    report = plan_of(DATA / name).summary()
    assert report["format"] == "limesurvey"
    assert (report["survey"]["questions"], report["survey"]["pages"]) == (questions, pages)
    assert report["responses"] == responses
    assert report["survey"]["languages"] == languages
    assert f"LimeSurvey DBVersion {db_version}" in report["warnings"]
    assert json.loads(json.dumps(report)) == report


def test_every_copied_file_is_in_the_hand_counts() -> None:
    copied = {p.name for p in DATA.iterdir() if p.suffix in (".lss", ".lsa")}
    assert copied == {name for name, *_ in HAND_COUNTS}


def test_unsupported_features_are_reported() -> None:
    found = {
        (u.source, u.feature) for u in plan_of(DATA / "ls3_array_number_checkbox.lss").unsupported
    }
    assert ("question", "array of numbers question (type :)") in found
    # relevance on a cell of the dropped array: cannot be said, so reported
    assert ("QHiddenJS", "relevance !is_empty(question_SY003_SX002)") in found
    assert ("questions", "1 question attribute(s)") in found
    ls2 = {(u.source, u.feature) for u in plan_of(LS2).unsupported}
    assert ("afSrcFilter", "other option with a text") in ls2
    assert ("afK", "expressions in the question text") in ls2
    assert ("questions", "123 question attribute(s)") in ls2  # array_filter among them


def test_ls6_texts_come_from_the_l10n_tables() -> None:
    plan = plan_of(DATA / "ls6_date_and_time.lss")
    assert [q.type.value for q in plan.definition.questions] == ["date"] * 3
    assert (
        plan.definition.questions[0].text
        == "A first example question. Please answer this question:"
    )
    two = plan_of(DATA / "ls6_one_question_two_languages.lss").definition
    assert two.pages[0].title == {"en": "G1", "et": "G1"}  # one group_l10ns row per language
    assert two.questions[0].text == "Q1"  # both texts empty: the question code stands in


def test_response_csv_is_read_by_question_code() -> None:
    plan = plan_of(LS2, CODES)
    # 4 data rows; id 14 has no submitdate (incomplete): 3 imported.
    assert [r.key for r in plan.responses] == ["ls:11", "ls:12", "ls:13"]
    first, second, third = (r.answers for r in plan.responses)
    assert first == {"af_src_filter": ["sq1", "sq3"], "min": 2, "max": 9, "af_k_sq1": 5}
    # the text beside "other" ticks the option other (the text itself is reported)
    assert second == {
        "af_src_filter": ["sq2", "other"], "min": 1, "max": 3, "af_k_sq3": 7, "af_k_other": 4
    }  # fmt: skip
    assert third == {}
    assert plan.responses[1].submitted_at is not None
    assert plan.responses[1].submitted_at.isoformat() == "2024-03-02T18:40:30+00:00"
    reported = {(u.source, u.feature) for u in plan.unsupported}
    assert ("responses", "1 incomplete response(s) (no submitdate)") in reported
    assert ("ipaddr", "column ipaddr") in reported


def test_columns_in_another_order_give_the_same_answers() -> None:
    lines = CODES.read_text("utf-8").splitlines()
    cells = [line.split(",") for line in lines]
    flipped = "\n".join(",".join(reversed(row)) for row in cells).encode()
    assert [r.answers for r in plan_of(LS2, flipped).responses] == [
        r.answers for r in plan_of(LS2, CODES).responses
    ]


def test_vv_export_and_lsa_archive() -> None:
    plan = plan_of(LS2, VV)
    assert [(r.key, r.answers) for r in plan.responses] == [
        ("ls:21", {"af_src_filter": ["sq1"], "min": 3, "max": 8}),
        ("ls:22", {"af_src_filter": ["sq2"], "min": 0, "max": 12}),
    ]
    assert any("VV export" in w for w in plan.warnings)
    archive = plan_of(LSA)
    # .lsr columns are SGQA names (337667X62X109), not codes
    assert [(r.key, r.answers) for r in archive.responses] == [
        ("ls:19", {"q00": "1"}), ("ls:20", {"q00": "2"})
    ]  # fmt: skip


LSS_V3 = """<?xml version="1.0" encoding="UTF-8"?>
<document><LimeSurveyDocType>Survey</LimeSurveyDocType><DBVersion>366</DBVersion>
<answers><rows>
{answers}
</rows></answers>
<groups><rows>
<row><gid>1</gid><sid>9</sid><group_name>Eins</group_name><group_order>0</group_order><language>de</language><grelevance></grelevance></row>
<row><gid>1</gid><sid>9</sid><group_name>One</group_name><group_order>0</group_order><language>en</language><grelevance></grelevance></row>
</rows></groups>
<questions><rows>
{questions}
</rows></questions>
<subquestions><rows>
<row><qid>5</qid><parent_qid>3</parent_qid><sid>9</sid><gid>1</gid><type>T</type><title>SQ1</title><question>Price</question><question_order>1</question_order><language>en</language><scale_id>0</scale_id><relevance>1</relevance></row>
<row><qid>6</qid><parent_qid>3</parent_qid><sid>9</sid><gid>1</gid><type>T</type><title>SQ2</title><question>Speed</question><question_order>2</question_order><language>en</language><scale_id>0</scale_id><relevance>1</relevance></row>
</rows></subquestions>
<surveys><rows><row><sid>9</sid><language>en</language><additional_languages>de</additional_languages></row></rows></surveys>
<surveys_languagesettings><rows>
<row><surveyls_survey_id>9</surveyls_survey_id><surveyls_language>en</surveyls_language><surveyls_title>Shop</surveyls_title></row>
<row><surveyls_survey_id>9</surveyls_survey_id><surveyls_language>de</surveyls_language><surveyls_title>Laden</surveyls_title></row>
</rows></surveys_languagesettings>
</document>"""


def _question(
    qid: int, kind: str, code: str, text: str, order: int, relevance: str, lang: str
) -> str:
    return (
        f"<row><qid>{qid}</qid><parent_qid>0</parent_qid><sid>9</sid><gid>1</gid>"
        f"<type>{kind}</type><title>{code}</title><question><![CDATA[{text}]]></question>"
        f"<other>N</other><mandatory>N</mandatory><question_order>{order}</question_order>"
        f"<language>{lang}</language><scale_id>0</scale_id>"
        f"<relevance><![CDATA[{relevance}]]></relevance></row>"
    )


def _survey() -> bytes:
    questions = [
        (2, "L", "sat", "How satisfied?", 1, "1"),
        (3, "M", "liked", "What did you like?", 2, 'sat == "A1" or sat.NAOK == "A2"'),
        (4, "T", "why", "Why?", 3, '!is_empty(sat) && liked_SQ2 == "Y"'),
        (7, "N", "spend", "How much?", 4, "sum(sat, 1) > 2"),
    ]
    rows = [_question(*q, lang="en") for q in questions]
    rows.append(_question(2, "L", "sat", "Wie zufrieden?", 1, "1", lang="de"))
    answers = "".join(
        f"<row><qid>2</qid><code>{code}</code><answer>{text}</answer><sortorder>{n}</sortorder>"
        f"<language>{lang}</language><scale_id>0</scale_id></row>"
        for code, text, lang, n in [
            ("A1", "Happy", "en", 1), ("A2", "Unhappy", "en", 2),
            ("A1", "Froh", "de", 1), ("A2", "Traurig", "de", 2),
        ]
    )  # fmt: skip
    return LSS_V3.format(answers=answers, questions="".join(rows)).encode()


def test_answer_options_languages_and_relevance_equations() -> None:
    plan = read_plan("limesurvey", _survey(), None, ReadOptions("shop"))
    d = plan.definition
    assert d.key == "shop" and d.languages == ("en", "de")
    sat, liked, why, spend = d.questions
    assert sat.text == {"en": "How satisfied?", "de": "Wie zufrieden?"}
    assert [(o.id, o.text) for o in sat.options] == [
        ("a1", {"en": "Happy", "de": "Froh"}), ("a2", {"en": "Unhappy", "de": "Traurig"})
    ]  # fmt: skip
    assert [o.id for o in liked.options] == ["sq1", "sq2"]
    # sat == "A1" or sat.NAOK == "A2": both answer codes become option ids
    assert liked.show_if is not None
    assert {c.value for c in liked.show_if.conditions} == {"a1", "a2"}  # type: ignore[union-attr]
    assert why.show_if == AllOf(
        (Not(Comparison("sat", Op.NOT_ANSWERED)), Comparison("liked", Op.CONTAINS, "sq2"))
    )
    assert spend.show_if is None
    assert ("spend", "relevance sum(sat, 1) > 2") in {
        (u.source, u.feature) for u in plan.unsupported
    }
    csv = b"id,submitdate,sat,liked[SQ1],liked[SQ2],why,spend\n1,2024-01-01 10:00:00,Unhappy,,Y,Slow,12.5\n"
    [response] = read_plan("limesurvey", _survey(), csv, ReadOptions("shop")).responses
    # full answer texts (not only codes) are mapped to the option
    assert response.answers == {"sat": "a2", "liked": ["sq2"], "why": "Slow", "spend": 12.5}


def test_to_surveyjs_spelling() -> None:
    assert to_surveyjs("Q1 eq 'A' || Q2 >= 3", {}) == "{Q1} == 'A' or {Q2} >= 3"


@pytest.mark.parametrize(
    ("definition", "responses", "location"),
    [
        (b"not xml", None, "definition: line 1, column 0"),
        (
            b"<document><LimeSurveyDocType>Responses</LimeSurveyDocType></document>",
            None,
            "definition",
        ),
        (b"PK\x03\x04garbage", None, "definition"),
        (
            LS2.read_bytes().replace(b"<title><![CDATA[min]]></title>", b"<title></title>"),
            None,
            "definition: <questions> row 2",
        ),
        (None, b"a,b\n1,2\n", "responses: header"),
        (None, b"id,submitdate,min\n1,yesterday,3\n", "responses: row 2, column submitdate"),
        (None, b"id,min\n1,2,3,4\n", "responses: row 2"),
    ],
)
def test_bad_files_name_where(
    definition: bytes | None, responses: bytes | None, location: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        read_plan("limesurvey", definition or LS2.read_bytes(), responses, ReadOptions("x"))
    assert err.value.errors[0].location == location


def test_short_text_of_numbers_only_is_a_number() -> None:
    survey = _survey().replace(
        b"<surveys>",
        b"<question_attributes><rows><row><qid>2</qid><attribute>numbers_only</attribute>"
        b"<value>1</value></row></rows></question_attributes><surveys>",
    )
    plain_text = survey.replace(b"<type>L</type><title>sat", b"<type>S</type><title>sat")
    assert (
        read_plan("limesurvey", plain_text, None, ReadOptions()).definition.questions[0].type.value
        == "number"
    )
    without = _survey().replace(b"<type>L</type><title>sat", b"<type>S</type><title>sat")
    first = read_plan("limesurvey", without, None, ReadOptions()).definition.questions[0]
    assert first.type.value == "text"


def test_hidden_questions_are_reported() -> None:
    survey = _survey().replace(
        b"<surveys>",
        b"<question_attributes><rows><row><qid>4</qid><attribute>hidden</attribute>"
        b"<value>1</value></row></rows></question_attributes><surveys>",
    )
    found = {
        (u.source, u.feature)
        for u in read_plan("limesurvey", survey, None, ReadOptions()).unsupported
    }
    assert ("why", "hidden question") in found
    assert ("why", "hidden question") not in {
        (u.source, u.feature)
        for u in read_plan("limesurvey", _survey(), None, ReadOptions()).unsupported
    }
