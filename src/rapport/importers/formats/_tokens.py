"""One tokenizer for the expression languages of survey tools (display logic, relevance).

SurveyJS ``visibleIf`` and LimeSurvey relevance equations are nearly the same grammar:
quoted strings, numbers, comparison and boolean operators, parentheses and names. They
differ in a few places, which a :class:`Dialect` states: SurveyJS writes questions as
``{name}`` references and reads words such as ``equal`` as operators; LimeSurvey writes bare
names with a suffix (``Q1.NAOK``), ``&&``/``||``, and backslash escapes inside strings.

>>> tokenize("{q} = 'a' and {n} <= -2", Dialect(("=", "<="), r"[A-Za-z_]+", references=True))
[('ref', '{q}'), ('op', '='), ('str', "'a'"), ('name', 'and'), ('ref', '{n}'), ('op', '<='), \
('num', '-2')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

Token = tuple[str, str]
"""(kind, text): kind is ``ref``, ``str``, ``num``, ``op`` or the dialect's name kind."""

_PLAIN_STRING: Final = r"""'[^']*'|"[^"]*\""""
_ESCAPED_STRING: Final = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""


class NotExpressible(ValueError):
    """The expression uses something Rapport's condition language cannot say."""


@dataclass(frozen=True)
class Dialect:
    """What one tool's expression language writes.

    ``operators`` are read as ``op`` tokens (longest first, whatever the order given);
    ``name`` is the pattern of a bare name or word, whose token kind is ``name_kind``;
    ``references`` reads ``{...}`` as one ``ref`` token; ``escapes`` lets a backslash
    escape a quote inside a string; ``word_operators`` turns words into ``op`` tokens
    (case-insensitive), and ``fold_case`` lower-cases every other word.
    """

    operators: tuple[str, ...]
    name: str
    name_kind: str = "name"
    references: bool = False
    escapes: bool = False
    word_operators: Mapping[str, str] = field(default_factory=dict)
    fold_case: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ops = "|".join(re.escape(o) for o in sorted(self.operators, key=len, reverse=True))
        parts = [r"(?P<ref>\{[^{}]+\})"] if self.references else []
        parts += [
            f"(?P<str>{_ESCAPED_STRING if self.escapes else _PLAIN_STRING})",
            r"(?P<num>-?\d+(?:\.\d+)?)",
            f"(?P<op>{ops})",
            f"(?P<name>{self.name})",
        ]
        object.__setattr__(self, "pattern", re.compile(r"\s*(?:" + "|".join(parts) + ")"))


def tokenize(text: str, dialect: Dialect) -> list[Token]:
    """The tokens of ``text``; NotExpressible naming the first thing that is none.

    >>> lime = Dialect(("&&", "=="), r"[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z]+)?", escapes=True)
    >>> tokenize(r'Q1.NAOK == "it\\"s" && x', lime)
    [('name', 'Q1.NAOK'), ('op', '=='), ('str', '"it\\\\"s"'), ('op', '&&'), ('name', 'x')]
    >>> tokenize("Q1 # 2", lime)
    Traceback (most recent call last):
    ...
    rapport.importers.formats._tokens.NotExpressible: cannot read '# 2'
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = dialect.pattern.match(text, pos)
        if match is None or match.end() == pos:
            raise NotExpressible(f"cannot read {text[pos:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind).strip()
        if kind == "name":
            lowered = value.lower()
            if lowered in dialect.word_operators:
                kind, value = "op", dialect.word_operators[lowered]
            else:
                kind, value = dialect.name_kind, lowered if dialect.fold_case else value
        tokens.append((kind, value))
        pos = match.end()
    return tokens
