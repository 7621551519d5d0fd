"""Built-in templates, the JSON Schema, and loading/dumping definition text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from rapport.domain.survey import (
    EMOTIONS,
    FIELDS_BY_TYPE,
    ID_PATTERN,
    KEY_PATTERN,
    LANGUAGE_PATTERN,
    TAG_PATTERN,
    QuestionType,
    definition_to_dict,
)
from rapport.errors import NotFound, ValidationFailed
from rapport.services.survey_definitions import (
    dump_definition,
    list_templates,
    load_definition_data,
    load_definition_text,
    load_template,
    schema_errors,
    survey_schema,
    template_summaries,
    template_text,
)

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ["customer-relationship", "employee-relationship", "readiness", "transactional"]


def test_templates_are_listed() -> None:
    assert list_templates() == TEMPLATES
    summaries = {s.key: s for s in template_summaries()}
    assert summaries["employee-relationship"].anonymous
    assert summaries["transactional"].audience == "customer"
    assert summaries["readiness"].audience == "employee"


@pytest.mark.parametrize("key", TEMPLATES)
def test_template_validates_against_schema_and_round_trips(key: str) -> None:
    data = yaml.safe_load(template_text(key))
    assert schema_errors(data) == []
    definition = load_template(key)
    assert definition.key == key
    dumped = definition_to_dict(definition)
    assert schema_errors(dumped) == []
    for fmt in ("yaml", "json"):
        assert load_definition_text(dump_definition(definition, fmt), fmt) == definition


def test_load_template_unknown_key() -> None:
    with pytest.raises(NotFound, match="transactional"):
        load_template("../../etc/passwd")


def test_schema_copies_are_identical_and_valid() -> None:
    published = (ROOT / "schemas" / "survey.schema.json").read_text("utf-8")
    packaged = (ROOT / "src" / "rapport" / "data" / "survey.schema.json").read_text("utf-8")
    assert published == packaged
    Draft202012Validator.check_schema(json.loads(published))


def test_schema_agrees_with_the_domain() -> None:
    schema = survey_schema()
    defs = schema["$defs"]
    assert defs["question"]["properties"]["type"]["enum"] == [t.value for t in QuestionType]
    assert defs["question"]["properties"]["emotions"]["items"]["enum"] == list(EMOTIONS)
    by_type = {
        rule["if"]["properties"]["type"]["enum"][0]: set(rule["then"]["propertyNames"]["enum"])
        for rule in defs["question"]["allOf"]
        if "propertyNames" in rule["then"]
    }
    assert by_type == {t.value: set(fields) for t, fields in FIELDS_BY_TYPE.items()}
    for name, pattern in [("id", ID_PATTERN), ("tag", TAG_PATTERN), ("language", LANGUAGE_PATTERN)]:
        assert defs[name]["pattern"] == "^" + pattern.replace("(?:", "(") + "$"
    assert re.fullmatch(KEY_PATTERN, "customer-relationship")


def _base(questions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": "k",
        "title": "T",
        "audience": "customer",
        "pages": [{"id": "p", "questions": questions}],
    }


SCHEMA_ERRORS = [
    (
        _base([{"id": "nps", "type": "nps", "text": "x", "tags": ["Heart"]}]),
        "pages[0].questions[0].tags[0]",
        "expected a tag: lowercase words joined by dots, such as heart.delight, got 'Heart'",
    ),
    (
        _base([{"id": "nps", "type": "nps", "text": "x", "options": [{"id": "a", "text": "A"}]}]),
        "pages[0].questions[0].options",
        "does not apply to this question type",
    ),
    (
        _base([{"id": "nps", "type": "nps", "text": "x", "scale": {"points": 7}}]),
        "pages[0].questions[0].scale.points",
        "does not apply to this question type",
    ),
    (
        _base([{"id": "nps", "type": "nps", "text": 5}]),
        "pages[0].questions[0].text",
        "expected a text (a string, or an object of language code → string)",
    ),
    (
        _base([{"id": "nps", "type": "nps", "text": {"EN": "x"}}]),
        "pages[0].questions[0].text",
        "expected a language code such as en or pt-BR, got 'EN'",
    ),
    (
        _base([{"id": "nps", "type": "nps", "text": "x", "colour": 1}]),
        "pages[0].questions[0].colour",
        "unknown field",
    ),
    (
        _base(
            [
                {"id": "nps", "type": "nps", "text": "x"},
                {"id": "q", "type": "text", "text": "y", "show_if": {"question": "nps", "op": "~"}},
            ]
        ),
        "pages[0].questions[1].show_if.op",
        "'~' is not one of ['==', '!=', '<', '<=', '>', '>=', "
        "'in', 'not_in', 'answered', 'not_answered', 'contains']",
    ),
    (
        _base(
            [
                {"id": "nps", "type": "nps", "text": "x"},
                {
                    "id": "q",
                    "type": "text",
                    "text": "y",
                    "show_if": {"any": [{"question": "nps", "op": "<", "value": [6]}]},
                },
            ]
        ),
        "pages[0].questions[1].show_if.any[0].value",
        "expected a string or a number, got [6]",
    ),
    (
        _base([{"id": "n", "type": "number", "text": "x", "min": "low"}]),
        "pages[0].questions[0].min",
        "expected a number, got 'low'",
    ),
    ({"title": "T", "audience": "customer", "pages": []}, "key", "is required"),
]


@pytest.mark.parametrize(("data", "location", "message"), SCHEMA_ERRORS)
def test_schema_errors_name_the_json_path(data: Any, location: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_definition_data(data)
    found = [(e.location, e.message, e.code) for e in caught.value.errors]
    assert (location, message, "schema") in found


def test_domain_errors_after_the_schema() -> None:
    data = _base(
        [{"id": "q", "type": "text", "text": "y", "show_if": {"question": "nsp", "op": "answered"}}]
    )
    with pytest.raises(ValidationFailed) as caught:
        load_definition_data(data)
    assert caught.value.status == 422
    assert [(e.location, e.message, e.code) for e in caught.value.errors] == [
        ("pages[0].questions[0].show_if", "unknown question 'nsp'", "definition")
    ]


YAML_HEAD = "key: k\ntitle: T\naudience: customer\npages:\n  - id: p\n    questions:\n"


def test_yaml_reading_rules() -> None:
    text = YAML_HEAD + (
        "      - id: resolved\n        type: single_choice\n        text: Resolved?\n"
        "        options:\n          - {id: yes_fully, text: Yes}\n          - {id: no, text: No}\n"
        "      - id: when\n        type: date\n        text: When?\n        min: 2020-01-01\n"
    )
    d = load_definition_text(text, "yml")
    assert d.question("resolved").option_ids == ("yes_fully", "no")  # "no" stays a string
    assert [o.text for o in d.question("resolved").options] == ["Yes", "No"]
    assert str(d.question("when").min_date) == "2020-01-01"  # unquoted YAML date accepted


@pytest.mark.parametrize(
    ("text", "fmt", "location", "message"),
    [
        ("key: k\nkey: j\n", "yaml", "line 2, column 1", "duplicate key 'key'"),
        (
            "key: [1,\n",
            "yaml",
            "line 2, column 1",
            "expected the node content, but found '<stream end>'",
        ),
        ('{"key": }', "json", "line 1, column 9", "Expecting value"),
        ("- 1\n", "yaml", "$", "expected a Rapport survey definition (an object), got [1]"),
    ],
)
def test_syntax_errors_name_line_and_column(
    text: str, fmt: str, location: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_definition_text(text, fmt)
    first = caught.value.errors[0]
    assert (first.location, first.message) == (location, message)


def test_unknown_format_and_size_limit() -> None:
    with pytest.raises(ValidationFailed, match="expected yaml or json"):
        load_definition_text("{}", "xml")
    with pytest.raises(ValidationFailed, match="too long"):
        load_definition_text(" " * 1_000_001)


def test_dump_yaml_is_readable() -> None:
    text = dump_definition(load_template("customer-relationship"))
    assert text.startswith("key: customer-relationship\n")
    assert "¿Cómo va nuestra relación?" in text  # unicode kept
    assert json.loads(dump_definition(load_template("transactional"), "JSON"))["key"] == (
        "transactional"
    )


def test_the_documented_example_loads() -> None:
    docs = (ROOT / "docs" / "surveys.md").read_text("utf-8")
    example = re.search(r"```yaml\n(key: pulse.*?)```", docs, re.DOTALL)
    assert example is not None
    d = load_definition_text(example.group(1))
    assert [q.id for q in d.questions] == ["enps", "why"]
    assert d.question("enps").scale is not None
