"""Every suggestion the unit page can show is documented word for word, and every construct
tag of the shipped employee survey has a suggestion of its own (not only its construct's)."""

from __future__ import annotations

from pathlib import Path

from rapport.domain.answers import item_tags
from rapport.services.suggestions import SUGGESTIONS, suggestion_for
from rapport.services.survey_definitions import load_template

DOCS = Path(__file__).parents[3] / "docs" / "relationship-health.md"


def test_every_suggestion_is_in_the_docs() -> None:
    text = DOCS.read_text()
    missing = [tag for tag, line in SUGGESTIONS.items() if f"| `{tag}` | {line} |" not in text]
    assert not missing, f"suggestions not in docs/relationship-health.md: {missing}"


def test_every_employee_item_tag_has_its_own_suggestion() -> None:
    definition = load_template("employee-relationship")
    tags = {t for info in item_tags(definition).values() for t in info.tags}
    causes = {t for t in tags if t.split(".")[0] in ("heart", "mind", "relationship")}
    assert len(causes) >= 15
    assert sorted(causes - SUGGESTIONS.keys()) == []
    assert suggestion_for("loyalty.recommend_employer") is None  # an outcome, not a cause
