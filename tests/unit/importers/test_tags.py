"""Tag overrides of an import (the preview page, the API's ``tags`` field, ``--tags``):
read from JSON, checked against the plan's questions and the known construct tags, and
applied to the definition as well as to the report."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rapport.domain.survey import CONSTRUCT_TAGS
from rapport.domain.survey.rows import item_tags
from rapport.errors import ValidationFailed
from rapport.importers.formats import ReadOptions, read_plan
from rapport.importers.formats.tags import apply_tags, read_tag_overrides

DATA = Path(__file__).parents[2] / "data" / "formats" / "qualtrics"
TEMPLATES = Path(__file__).parents[3] / "src" / "rapport" / "data" / "templates"


def _plan(name: str, responses: str | None = None):
    csv = (DATA / responses).read_bytes() if responses else None
    return read_plan("qualtrics", (DATA / name).read_bytes(), csv, ReadOptions(name))


def test_overrides_replace_the_tags_of_questions_and_matrix_rows() -> None:
    plan = _plan("surveyhelper_sample_2015.qsf")  # Q4 is a matrix with rows row_1..row_3
    assert plan.definition.question("q4").tags == ()
    edited = apply_tags(plan, {"q4.row_2": ("mind.ease",), "q1": ("satisfaction.overall",)})
    tags = item_tags(edited.definition)
    assert tags[("q4", "row_2")].tags == ("mind.ease",)
    assert tags[("q4", "row_1")].tags == ()
    assert edited.definition.question("q1").tags == ("satisfaction.overall",)
    by_id = {m["question_id"]: m["tags"] for m in edited.summary()["mapping"]}
    assert by_id["q4.row_2"] == ["mind.ease"] and by_id["q1"] == ["satisfaction.overall"]
    assert by_id["q4.row_1"] == []
    # the plan read from the files is left as it was
    assert plan.definition.question("q1").tags == ()


def test_an_empty_list_removes_the_importers_tag() -> None:
    plan = _plan("qt_nps_store_visit.qsf", "qt_nps_store_visit.csv")
    assert plan.definition.question("q5").tags == ("loyalty.recommend",)
    edited = apply_tags(plan, read_tag_overrides('{"q5": []}'))
    assert edited.definition.question("q5").tags == ()
    assert len(edited.responses) == len(plan.responses) == 26


def test_unknown_questions_and_tags_are_named() -> None:
    plan = _plan("qt_nps_store_visit.qsf")
    with pytest.raises(ValidationFailed) as err:
        apply_tags(plan, {"q2": ("heart.delight", "heart.delite"), "q99": ()})
    found = [(e.location, e.code) for e in err.value.errors]
    assert found == [("tags.q2", "tag"), ("tags.q99", "question")]
    assert "unknown construct tag 'heart.delite' for q2" in err.value.errors[0].message
    assert "heart.delight" in err.value.errors[0].message  # the known ones are listed


@pytest.mark.parametrize(
    ("text", "location", "says"),
    [
        ("{not json", "tags", "not JSON"),
        ('["q1"]', "tags", "got list"),
        ('{"q1": "mind.ease"}', "tags.q1", "expected a list of tags"),
        ('{"q1": [1]}', "tags.q1", "expected a list of tags"),
        (b"\xff\xfe", "tags", "not JSON"),
    ],
)
def test_bad_json_is_named(text: str | bytes, location: str, says: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        read_tag_overrides(text)
    assert err.value.errors[0].location == location
    assert says in err.value.errors[0].message


def test_duplicates_and_blanks_are_dropped_in_order() -> None:
    assert read_tag_overrides('{"q1": ["mind.ease", " ", "heart.cared", "mind.ease"]}') == {
        "q1": ("mind.ease", "heart.cared")
    }


def test_every_tag_of_the_built_in_templates_is_known() -> None:
    used = set()
    for path in TEMPLATES.glob("*.yaml"):
        for page in yaml.safe_load(path.read_text("utf-8"))["pages"]:
            for q in page["questions"]:
                used.update(q.get("tags", ()))
                used.update(t for row in q.get("rows", ()) for t in row.get("tags", ()))
    assert used and used <= CONSTRUCT_TAGS, sorted(used - CONSTRUCT_TAGS)
