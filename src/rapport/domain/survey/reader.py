"""Reading JSON-shaped values with paths: the generic half of the definition parser."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final

from rapport.domain.survey.model import DefinitionProblem
from rapport.domain.survey.text import Translatable

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def json_type(value: object) -> str:
    """How a JSON value's type reads in a message.

    >>> json_type([1]), json_type(True), json_type(1.5)
    ('a list', 'true/false', 'a number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Reader:
    """Reads JSON-shaped values, collecting problems (with paths) instead of raising."""

    def __init__(self) -> None:
        self.problems: list[DefinitionProblem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(DefinitionProblem(path or "$", message))

    def mapping(
        self, value: object, path: str, allowed: frozenset[str], required: tuple[str, ...]
    ) -> Mapping[str, object] | None:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {json_type(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail(at(path, str(key)), "unknown field")
        for key in required:
            if key not in value:
                self.fail(at(path, key), "is required")
        return value

    def items(self, data: Mapping[str, object], key: str, path: str) -> list[tuple[str, object]]:
        value = data.get(key, [])
        if not isinstance(value, list | tuple):
            self.fail(at(path, key), f"expected a list, got {json_type(value)}")
            return []
        return [(at(at(path, key), i), item) for i, item in enumerate(value)]

    def string(self, data: Mapping[str, object], key: str, path: str, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.fail(at(path, key), f"expected a string, got {json_type(value)}")
            return default
        return value

    def flag(self, data: Mapping[str, object], key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail(at(path, key), f"expected true or false, got {json_type(value)}")
            return False
        return value

    def number(self, data: Mapping[str, object], key: str, path: str) -> float | None:
        value = data.get(key)
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            return value
        self.fail(at(path, key), f"expected a number, got {json_type(value)}")
        return None

    def day(self, data: Mapping[str, object], key: str, path: str) -> date | None:
        value = data.get(key)
        if value is None or isinstance(value, date):
            return value
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(at(path, key), f"expected a date YYYY-MM-DD, got {value!r}")
        return None

    def text(self, value: object, path: str) -> Translatable:
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return dict(value)
        self.fail(path, "expected a string or an object of language → string")
        return ""

    def optional_text(self, data: Mapping[str, object], key: str, path: str) -> Translatable | None:
        return None if data.get(key) is None else self.text(data[key], at(path, key))

    def strings(self, data: Mapping[str, object], key: str, path: str) -> tuple[str, ...]:
        result = []
        for item_path, item in self.items(data, key, path):
            if isinstance(item, str):
                result.append(item)
            else:
                self.fail(item_path, f"expected a string, got {json_type(item)}")
        return tuple(result)
