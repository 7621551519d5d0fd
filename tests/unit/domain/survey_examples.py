"""One small survey definition using every question type, shared by the domain tests."""

from __future__ import annotations

import copy
from typing import Any

from rapport.domain.survey import SurveyDefinition, definition_from_dict

EXAMPLE: dict[str, Any] = {
    "key": "example",
    "title": {"en": "Example", "es": "Ejemplo"},
    "audience": "customer",
    "languages": ["en", "es"],
    "pages": [
        {
            "id": "one",
            "questions": [
                {"id": "intro", "type": "display", "text": "Hello"},
                {"id": "nps", "type": "nps", "text": "Recommend?", "required": True},
                {"id": "csat", "type": "csat", "text": "Satisfied?"},
                {"id": "ces", "type": "ces", "text": "Easy?"},
                {"id": "agree", "type": "likert", "text": "Agree?", "scale": {"points": 7}},
                {
                    "id": "minds",
                    "type": "matrix",
                    "text": "Rate",
                    "tags": ["mind"],
                    "rows": [
                        {"id": "ease", "text": "Ease", "tags": ["mind.ease"]},
                        {"id": "fast", "text": "Fast", "reverse_keyed": True},
                    ],
                },
                {
                    "id": "resolved",
                    "type": "single_choice",
                    "text": "Resolved?",
                    "options": [{"id": "yes_fully", "text": "Yes"}, {"id": "no", "text": "No"}],
                },
                {
                    "id": "channels",
                    "type": "multi_choice",
                    "text": "Channels?",
                    "options": [
                        {"id": "phone", "text": "Phone"},
                        {"id": "email", "text": "Email"},
                        {"id": "chat", "text": "Chat"},
                    ],
                },
            ],
        },
        {
            "id": "two",
            "questions": [
                {
                    "id": "feel",
                    "type": "emotion_picker",
                    "text": "Feel?",
                    "emotions": ["delighted", "angry", "calm"],
                },
                {"id": "comment", "type": "text", "text": "Comment", "max_length": 10},
                {
                    "id": "contacts",
                    "type": "number",
                    "text": "How many?",
                    "min": 1,
                    "max": 20,
                    "integer": True,
                },
                {"id": "spent", "type": "number", "text": "Spent?", "min": 0},
                {
                    "id": "when",
                    "type": "date",
                    "text": "When?",
                    "min": "2020-01-01",
                    "max": "2030-12-31",
                },
                {
                    "id": "why",
                    "type": "text",
                    "text": "Why?",
                    "required": True,
                    "show_if": {"question": "nps", "op": "<=", "value": 6},
                },
                {
                    "id": "why_more",
                    "type": "text",
                    "text": "More?",
                    "show_if": {"question": "why", "op": "answered"},
                },
            ],
        },
    ],
}


def example() -> SurveyDefinition:
    """The example definition, parsed (fresh copy of the dict each time)."""
    return definition_from_dict(copy.deepcopy(EXAMPLE))
