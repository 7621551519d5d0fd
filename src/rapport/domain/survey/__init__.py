"""Survey definitions: the model, reading and writing dictionaries, and checks.

One import for everything about a definition; the pieces live in ``survey_*`` modules
(model, text, parse, dump, checks) and display logic in :mod:`rapport.domain.logic`.

>>> d = definition_from_dict({
...     "key": "pulse", "title": {"en": "Pulse", "es": "Pulso"}, "audience": "employee",
...     "languages": ["en", "es"],
...     "pages": [{"id": "p1", "questions": [
...         {"id": "enps", "type": "nps", "tags": ["loyalty.recommend_employer"],
...          "text": {"en": "Recommend us?", "es": "¿Nos recomendaría?"}}]}]})
>>> text_for(d.question("enps").text, "es", d.default_language)
'¿Nos recomendaría?'
>>> definition_from_dict(definition_to_dict(d)) == d
True
"""

from __future__ import annotations

from rapport.domain.survey.checks import check_definition
from rapport.domain.survey.dump import condition_to_dict, definition_to_dict
from rapport.domain.survey.model import (
    CONSTRUCT_TAGS,
    DEFAULT_TEXT_MAX_LENGTH,
    FIELDS_BY_TYPE,
    FIXED_SCALES,
    ID_PATTERN,
    INTENSITY_RANGE,
    KEY_PATTERN,
    LANGUAGE_PATTERN,
    LIKERT_POINTS,
    SCALE_TYPES,
    TAG_PATTERN,
    Audience,
    DefinitionProblem,
    MatrixRow,
    Option,
    Page,
    Question,
    QuestionType,
    Scale,
    SurveyDefinition,
    SurveyDefinitionError,
    default_scale,
)
from rapport.domain.survey.parse import condition_from_dict, definition_from_dict
from rapport.domain.survey.reader import json_type
from rapport.domain.survey.text import (
    EMOTION_LABELS,
    EMOTIONS,
    INTENSITY_LABELS,
    Translatable,
    fill_placeholders,
    pick_language,
    text_for,
    translations,
)

__all__ = [
    "CONSTRUCT_TAGS",
    "DEFAULT_TEXT_MAX_LENGTH",
    "EMOTIONS",
    "EMOTION_LABELS",
    "FIELDS_BY_TYPE",
    "FIXED_SCALES",
    "ID_PATTERN",
    "INTENSITY_LABELS",
    "INTENSITY_RANGE",
    "KEY_PATTERN",
    "LANGUAGE_PATTERN",
    "LIKERT_POINTS",
    "SCALE_TYPES",
    "TAG_PATTERN",
    "Audience",
    "DefinitionProblem",
    "MatrixRow",
    "Option",
    "Page",
    "Question",
    "QuestionType",
    "Scale",
    "SurveyDefinition",
    "SurveyDefinitionError",
    "Translatable",
    "check_definition",
    "condition_from_dict",
    "condition_to_dict",
    "default_scale",
    "definition_from_dict",
    "definition_to_dict",
    "fill_placeholders",
    "json_type",
    "pick_language",
    "text_for",
    "translations",
]
