"""Survey definition documents: YAML/JSON text ↔ validated :class:`SurveyDefinition`.

Text is checked in two steps: the published JSON Schema (``schemas/survey.schema.json``,
shipped as ``rapport/data/survey.schema.json``) for shape, then the domain parser for
meaning (unique ids, scales, translations, display logic references). Problems come back
as one :class:`rapport.errors.ValidationFailed` whose ``errors`` name each JSON path.

Built-in templates live in ``rapport/data/templates/<key>.yaml``.

>>> [key for key in list_templates()][:2]
['customer-relationship', 'employee-relationship']
>>> load_template("transactional").question("csat").type.value
'csat'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from rapport.domain.survey import (
    KEY_PATTERN,
    Audience,
    SurveyDefinition,
    SurveyDefinitionError,
    Translatable,
    definition_from_dict,
    definition_to_dict,
)
from rapport.errors import FieldError, NotFound, ValidationFailed

MAX_DEFINITION_CHARS = 1_000_000
FORMATS = ("yaml", "json")


@dataclass(frozen=True)
class TemplateSummary:
    """What a "new survey from template" picker shows."""

    key: str
    title: Translatable
    audience: Audience
    anonymous: bool
    languages: tuple[str, ...]
    questions: int


@cache
def survey_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of survey definitions."""
    text = resources.files("rapport.data").joinpath("survey.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(survey_schema())


def schema_errors(data: object) -> list[FieldError]:
    """Where ``data`` breaks the JSON Schema, one error per place, in path order.

    >>> for error in schema_errors({"key": "Bad Key", "title": "T", "audience": "customer"}):
    ...     print(f"{error.location}: {error.message}")
    key: expected a key: lowercase words joined by '-', such as customer-relationship, got 'Bad Key'
    pages: is required
    """
    found = {_describe(error) for error in _validator().iter_errors(data)}
    return [FieldError(path, message, "schema") for path, message in sorted(found)]


def _path(error: ValidationError) -> str:
    path = error.json_path
    return path[2:] if path.startswith("$.") else path


def _join(path: str, key: str) -> str:
    return key if path == "$" else f"{path}.{key}"


def _describe(error: ValidationError) -> tuple[str, str]:
    path, kind, schema = _path(error), error.validator, error.schema
    title = schema.get("title") if isinstance(schema, dict) else None
    if error.context:
        # anyOf/oneOf: report the branch that got furthest, else the expected shape.
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _describe(deepest)
        typed = [e for e in error.context if e.validator != "type"]
        if len(typed) == 1:
            return _describe(typed[0])
        return path, f"expected {title}" if title else best_match(error.context).message
    if kind == "required":
        missing = re.match(r"'([^']+)'", error.message)
        return _join(path, missing.group(1) if missing else "?"), "is required"
    if kind == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        return _join(path, ", ".join(extra)), "unknown field"
    if kind == "enum" and "propertyNames" in error.schema_path:
        return _join(path, str(error.instance)), "does not apply to this question type"
    if title and kind in ("pattern", "type", "maxLength"):
        return path, f"expected {title}, got {error.instance!r}"
    if kind == "type":
        wanted = error.validator_value
        types = wanted if isinstance(wanted, list) else [wanted]
        names = " or ".join(_A.get(str(name), str(name)) for name in types)
        return path, f"expected {names}, got {error.instance!r}"
    return path, error.message


_A = {"number": "a number", "string": "a string", "boolean": "true or false", "array": "a list"}
_A |= {"object": "an object", "integer": "an integer"}


def load_definition_data(data: object) -> SurveyDefinition:
    """Check parsed JSON/YAML data against the schema, then build the definition.

    Raises :class:`ValidationFailed` naming every problem's path.
    """
    errors = schema_errors(data)
    if errors:
        raise ValidationFailed(_summary(len(errors)), errors)
    try:
        return definition_from_dict(data)
    except SurveyDefinitionError as exc:
        problems = [FieldError(p.path, p.message, "definition") for p in exc.problems]
        raise ValidationFailed(_summary(len(problems)), problems) from exc


def _summary(count: int) -> str:
    plural = "problem" if count == 1 else "problems"
    return f"The survey definition is not valid ({count} {plural})."


def load_definition_text(text: str, fmt: str = "yaml") -> SurveyDefinition:
    """Parse YAML or JSON text into a checked definition.

    YAML is read safely, with YAML 1.2 booleans (``no`` stays a string), dates kept as
    ``YYYY-MM-DD`` strings and duplicate keys rejected.

    >>> d = load_definition_text('''
    ... key: pulse
    ... title: Pulse
    ... audience: employee
    ... pages:
    ...   - id: p1
    ...     questions:
    ...       - id: enps
    ...         type: nps
    ...         text: Would you recommend working here?
    ... ''')
    >>> d.key, d.questions[0].id
    ('pulse', 'enps')
    """
    fmt = _format(fmt)
    if len(text) > MAX_DEFINITION_CHARS:
        size = f"{len(text)} characters, at most {MAX_DEFINITION_CHARS}"
        detail = f"The definition is too long ({size})."
        raise ValidationFailed(detail, [FieldError("$", detail, "too_long")])
    try:
        data = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_yaml_loader())  # noqa: S506
    except (ValueError, yaml.YAMLError) as exc:
        error = _syntax_error(exc)
        raise ValidationFailed(f"The definition is not valid {fmt.upper()}.", [error]) from exc
    return load_definition_data(data)


def _syntax_error(exc: Exception) -> FieldError:
    """Where the text breaks, as ``line L, column C``, and what the parser expected."""
    if isinstance(exc, json.JSONDecodeError):
        return FieldError(f"line {exc.lineno}, column {exc.colno}", exc.msg, "syntax")
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
    if mark is None:
        return FieldError("$", str(problem), "syntax")
    return FieldError(f"line {mark.line + 1}, column {mark.column + 1}", str(problem), "syntax")


def dump_definition(definition: SurveyDefinition, fmt: str = "yaml") -> str:
    """The definition as YAML (readable, Unicode kept) or JSON (2-space indent).

    >>> print(dump_definition(load_template("transactional"), "json")[:27])
    {
      "key": "transactional",
    """
    data = definition_to_dict(definition)
    if _format(fmt) == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _format(fmt: str) -> str:
    normal = fmt.lower().lstrip(".")
    normal = "yaml" if normal == "yml" else normal
    if normal not in FORMATS:
        message = f"unknown definition format {fmt!r}; expected yaml or json"
        raise ValidationFailed(message, [FieldError("format", message, "format")])
    return normal


def list_templates() -> list[str]:
    """The keys of the built-in templates, sorted."""
    folder = resources.files("rapport.data").joinpath("templates")
    names = (entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml"))
    return sorted(name.removesuffix(".yaml") for name in names)


def template_summaries() -> list[TemplateSummary]:
    """Title, audience and size of every built-in template, sorted by key."""
    summaries = []
    for key in list_templates():
        d = load_template(key)
        summaries.append(
            TemplateSummary(key, d.title, d.audience, d.anonymous, d.languages, len(d.questions))
        )
    return summaries


def template_text(key: str) -> str:
    """The YAML source of a built-in template, comments included (to start an edit from)."""
    if not re.fullmatch(KEY_PATTERN, key) or key not in list_templates():
        known = ", ".join(list_templates())
        raise NotFound(f"No built-in survey template {key!r}; the templates are {known}.")
    folder = resources.files("rapport.data").joinpath("templates")
    return folder.joinpath(f"{key}.yaml").read_text("utf-8")


@cache
def load_template(key: str) -> SurveyDefinition:
    """A built-in template, checked like any other definition (cached; definitions are frozen)."""
    return load_definition_text(template_text(key), "yaml")


@cache
def _yaml_loader() -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        """Safe YAML with 1.2 booleans, dates as text and no duplicate keys."""

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)
    return Loader


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.Node) -> dict[Any, Any]:
    if not isinstance(node, yaml.MappingNode):
        raise RuntimeError("internal error: expected isinstance(node, yaml.MappingNode)")
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result
