"""SurveyJS results: a JSON list of result objects → raw answers by Rapport question id."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapport.domain.survey import Translatable
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats.plan import ContentKeys, SourceResponse
from rapport.importers.text_files import decode_text


@dataclass
class SjsQuestion:
    """A Rapport question being built, with how its answers are read from results."""

    data: dict[str, Any]
    source: str  # the SurveyJS name
    read: str  # how a result value becomes the raw answer: value, choice, choices, bool, row
    values: dict[str, str] = field(default_factory=dict)  # SurveyJS value → option id
    item: str | None = None  # matrix row / multipletext item
    expression: str | None = None
    element: str = ""  # the SurveyJS type (matrix, multipletext, …)
    title: Translatable | None = None  # the SurveyJS title: a CSV export's column header
    item_title: Translatable | None = None  # the matrix row's / item's text
    labels: dict[str, Any] = field(default_factory=dict)  # shown text → raw answer (CSV)


def raw_answer(q: SjsQuestion, value: Any) -> Any:
    """A result value as the raw answer to ``q`` (None: nothing to import for it). A value
    that is not one of the question's choices is kept as it is, so the import's check
    names the row and the question instead of dropping it."""
    if q.read == "none" or value is None:
        return None
    if q.read in ("choice", "bool"):
        return q.values.get(choice_key(value), str(value))
    if q.read == "choices":
        items = value if isinstance(value, list) else [value]
        return [q.values.get(choice_key(v), str(v)) for v in items]
    if q.read in ("row", "row_choice"):
        if not isinstance(value, Mapping) or q.item not in value:
            return None
        cell = value[q.item]
        return q.values.get(choice_key(cell), str(cell)) if q.read == "row_choice" else cell
    return value


def choice_key(value: object) -> str:
    """A SurveyJS value as a lookup key: text as it is, numbers and booleans as JSON.

    >>> choice_key("yes"), choice_key(True), choice_key(3)
    ('yes', 'true', '3')
    """
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


def _answers(
    by_name: Mapping[str, list[SjsQuestion]], result: Mapping[str, Any], unknown: dict[str, int]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in result.items():
        questions = by_name.get(name)
        if not questions:
            if not name.endswith("-Comment"):
                unknown[name] = unknown.get(name, 0) + 1
            continue
        for q in questions:
            raw = raw_answer(q, value)
            if raw is not None:
                out[q.data["id"]] = raw
    return out


def read_results(
    data: bytes,
    by_name: Mapping[str, list[SjsQuestion]],
    report: Callable[[str, str, str], None],
    warnings: list[str],
) -> list[SourceResponse]:
    """The responses of a JSON list of SurveyJS results; answers under names the survey does
    not have are reported (``-Comment`` texts beside "other" are reported by the survey)."""
    results = load_json(data, "responses")
    if isinstance(results, Mapping) and isinstance(results.get("data"), list):
        results = results["data"]  # the SurveyJS service's export wraps them
    if not isinstance(results, list):
        raise not_surveyjs("responses", "expected a JSON list of result objects")
    unknown: dict[str, int] = {}
    keys = ContentKeys("sjs")
    out = []
    for index, result in enumerate(results):
        if not isinstance(result, Mapping):
            raise not_surveyjs(
                f"responses[{index}]", "expected an object of answers by question name"
            )
        key = keys.key(json.dumps(result, sort_keys=True, ensure_ascii=False))
        out.append(SourceResponse(key, _answers(by_name, result, unknown), line=index + 1))
    for name, count in sorted(unknown.items()):
        report(
            name, "answers to a name the survey does not have", f"not imported ({count} result(s))"
        )
    warnings.append(
        "SurveyJS results carry no submission time: the responses are dated at the import"
    )
    return out


def looks_like_json(data: bytes) -> bool:
    """Whether a results file is JSON (a list or an object) rather than a CSV table.

    >>> looks_like_json(b' [{"a": 1}]'), looks_like_json(b'"Title","Other"\\n')
    (True, False)
    """
    head = data[:256].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")  # BOMs, UTF-16 NULs, blanks
    return head[:1] in (b"[", b"{")


def load_json(data: bytes, what: str) -> Any:
    text, _ = decode_text(data, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"the {what} is not valid JSON",
            [FieldError(f"{what}: line {exc.lineno}, column {exc.colno}", exc.msg, "syntax")],
        ) from exc


def not_surveyjs(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"the {where.split('[')[0]} is not SurveyJS JSON", [FieldError(where, message, "format")]
    )
