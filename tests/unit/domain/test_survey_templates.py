"""The built-in templates' contents: the shared contract, mirroring and translations."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.domain.answers import item_tags, validate_answers
from rapport.domain.survey import (
    EMOTIONS,
    Question,
    QuestionType,
    SurveyDefinition,
    translations,
)
from rapport.services.survey_definitions import list_templates, load_template

TEMPLATES = ["customer-relationship", "employee-relationship", "readiness", "transactional"]


def test_the_templates() -> None:
    assert list_templates() == TEMPLATES


def _texts(d: SurveyDefinition) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = [
        ("title", d.title),
        ("description", d.description),
        ("thank_you", d.thank_you),
    ]
    for page in d.pages:
        found.append((f"{page.id}.title", page.title))
        for q in page.questions:
            found += [(f"{q.id}.text", q.text), (f"{q.id}.help", q.help)]
            found += [(f"{q.id}.{o.id}", o.text) for o in q.options]
            found += [(f"{q.id}.{r.id}", r.text) for r in q.rows]
            if q.scale is not None:
                found += [(f"{q.id}.low", q.scale.low), (f"{q.id}.high", q.scale.high)]
                found += [(f"{q.id}.label{i}", label) for i, label in enumerate(q.scale.labels)]
    return [(where, text) for where, text in found if text is not None]


@pytest.mark.parametrize("key", TEMPLATES)
def test_every_template_text_is_in_english_and_spanish(key: str) -> None:
    d = load_template(key)
    assert d.languages == ("en", "es")
    assert d.default_language == "en"
    for where, text in _texts(d):
        assert set(translations(text)) == {"en", "es"}, where


def test_every_question_type_is_in_some_template() -> None:
    used = {q.type for key in TEMPLATES for q in load_template(key).questions}
    assert used == set(QuestionType)


def _by_id(key: str) -> dict[str, Question]:
    return load_template(key).questions_by_id()


CUSTOMER_TAGS = {
    "nps": ("nps", ["loyalty.recommend"]),
    "csat": ("csat", ["satisfaction.overall"]),
    "heart_delight": ("likert", ["heart.delight"]),
    "heart_special": ("likert", ["heart.special"]),
    "heart_about_me": ("likert", ["heart.about_me"]),
    "heart_exceeded": ("likert", ["heart.expectations"]),
    "heart_cared": ("likert", ["heart.cared"]),
    "minds": ("matrix", []),
    "ces": ("ces", ["mind.effort"]),
    "fresh": ("likert", ["relationship.fresh"]),
    "taken_for_granted": ("likert", ["relationship.taken_for_granted"]),
    "emotions": ("emotion_picker", []),
    "detractor_reason": ("text", []),
    "comment": ("text", []),
}
MIND_ROWS = ["needs", "ease", "fast", "convenient", "trackable", "personalised", "predictive"]


def test_customer_relationship_follows_the_contract() -> None:
    d = load_template("customer-relationship")
    assert d.audience == "customer"
    assert not d.anonymous
    assert [p.id for p in d.pages] == ["relationship", "feelings"]
    assert [q.id for q in d.pages[1].questions] == ["emotions", "detractor_reason", "comment"]
    questions = d.questions_by_id()
    assert list(questions) == list(CUSTOMER_TAGS)
    for qid, (qtype, tags) in CUSTOMER_TAGS.items():
        assert (questions[qid].type, list(questions[qid].tags)) == (qtype, tags), qid
    minds = questions["minds"]
    assert minds.row_ids == tuple(MIND_ROWS)
    assert [r.tags for r in minds.rows] == [(f"mind.{row}",) for row in MIND_ROWS]
    assert all(q.scale and q.scale.points == 5 for q in questions.values() if q.type == "likert")
    assert [q.id for q in questions.values() if q.reverse_keyed] == ["taken_for_granted"]
    assert questions["emotions"].emotions == EMOTIONS
    assert "new again" in str(translations(questions["comment"].text)["en"])


def test_employee_relationship_mirrors_customer_relationship() -> None:
    customer, employee = _by_id("customer-relationship"), _by_id("employee-relationship")
    assert load_template("employee-relationship").anonymous
    assert set(customer) - set(employee) == {"nps", "csat"}
    assert set(employee) - set(customer) == {"enps", "challenge"}
    assert employee["enps"].tags == ("loyalty.recommend_employer",)
    assert employee["challenge"].tags == ("heart.challenge",)
    for qid in set(customer) & set(employee):
        c, e = customer[qid], employee[qid]
        assert (c.type, c.tags, c.row_ids, c.reverse_keyed) == (
            e.type,
            e.tags,
            e.row_ids,
            e.reverse_keyed,
        ), qid
        assert [r.tags for r in c.rows] == [r.tags for r in e.rows]
    hearts_minds = {
        key: {
            item
            for item, info in item_tags(load_template(key)).items()
            if any(t.startswith(("heart.", "mind.")) for t in info.tags)
        }
        for key in ("customer-relationship", "employee-relationship")
    }
    assert hearts_minds["employee-relationship"] - hearts_minds["customer-relationship"] == {
        ("challenge", None)
    }
    assert hearts_minds["customer-relationship"] <= hearts_minds["employee-relationship"]


@pytest.mark.parametrize(
    ("key", "score_id", "answers"),
    [("customer-relationship", "nps", {"nps": 6}), ("employee-relationship", "enps", {"enps": 6})],
)
def test_detractor_follow_up_logic(key: str, score_id: str, answers: dict[str, int]) -> None:
    d = load_template(key)
    assert validate_answers(d, {**answers, "detractor_reason": "late"}) == []
    errors = validate_answers(d, {score_id: 7, "detractor_reason": "late"})
    assert [(e.question_id, e.code) for e in errors] == [("detractor_reason", "not_visible")]


def test_readiness_has_five_factors_of_three_or_four_items() -> None:
    d = load_template("readiness")
    factors: dict[str, int] = {}
    for info in item_tags(d).values():
        for tag in info.tags:
            factors[tag] = factors.get(tag, 0) + 1
            assert (info.scale_min, info.scale_max) == (1, 5)
    assert set(factors) == {
        f"readiness.{f}" for f in ("leadership", "organised", "managers", "climate", "motivation")
    }
    assert all(3 <= n <= 4 for n in factors.values()), factors


def test_transactional_contents() -> None:
    d = load_template("transactional")
    types = {q.id: q.type.value for q in d.questions}
    assert {
        "csat": "csat",
        "ces": "ces",
        "resolved": "single_choice",
        "channels": "multi_choice",
        "contacts": "number",
        "when": "date",
        "intro": "display",
        "comment": "text",
    }.items() <= types.items()
    assert d.audience == "customer"
