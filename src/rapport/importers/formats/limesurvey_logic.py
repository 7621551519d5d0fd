"""LimeSurvey relevance equations (Expression Manager) → Rapport display conditions.

An equation is rewritten into the SurveyJS expression syntax and read by
:func:`~rapport.importers.formats.surveyjs_logic.parse_expression`, so both importers say
exactly the same conditions. Understood: ``Q1 == "A1"`` (``!=``, ``<``, ``<=``, ``>``,
``>=``, and the word forms ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``), ``.NAOK`` /
``.code`` suffixes, ``is_empty(Q1)`` and ``!is_empty(Q1)``, a multiple-choice box
``Q2_SQ001 == "Y"`` (→ *Q2 contains SQ001*), ``and`` / ``or`` / ``&&`` / ``||`` / ``!`` with
parentheses. Anything else (other functions, arithmetic, ``.shown``/``.relevanceStatus``,
``self``/``that``, SGQA names) raises :class:`NotExpressible`. Tokens come from the shared
:func:`~rapport.importers.formats._tokens.tokenize` in the :data:`LIMESURVEY` dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from rapport.domain.logic import Condition
from rapport.importers.formats._tokens import Dialect, NotExpressible, tokenize
from rapport.importers.formats.surveyjs_logic import Resolve, parse_expression

LIMESURVEY: Final = Dialect(
    operators=("&&", "||", "==", "!=", "<>", "<=", ">=", "<", ">", "!", "(", ")", ","),
    name=r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z]+)?",
    escapes=True,
)
_WORDS: Final = {
    **{"and": "and", "or": "or", "not": "!", "eq": "==", "ne": "!="},
    **{"lt": "<", "le": "<=", "gt": ">", "ge": ">="},
}
_SUFFIXES: Final = frozenset({"NAOK", "code", "value"})
ALWAYS: Final = frozenset({"", "1", "true"})


def is_always(equation: str) -> bool:
    """Whether the equation means "always shown" (LimeSurvey writes ``1`` or nothing)."""
    return equation.strip().lower() in ALWAYS


def to_surveyjs(equation: str, ticks: Mapping[str, tuple[str, str]]) -> str:
    """The SurveyJS spelling of a LimeSurvey equation; ``ticks`` maps a multiple-choice
    box's variable (``Q2_SQ001``) to (question code, subquestion code).

    >>> to_surveyjs('!is_empty(age.NAOK) && (Q1 == "A2" or Q2_SQ1 eq "Y")',
    ...     {"Q2_SQ1": ("Q2", "SQ1")})
    "! {age} empty and ( {Q1} == 'A2' or {Q2} contains 'SQ1' )"
    """
    tokens = tokenize(equation, LIMESURVEY)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        lowered = value.lower()
        if kind == "name" and lowered in _WORDS:
            out.append(_WORDS[lowered])
        elif kind == "name" and lowered == "is_empty":
            if [t[0] for t in tokens[i + 1 : i + 4]] != ["op", "name", "op"] or (
                tokens[i + 1][1],
                tokens[i + 3][1],
            ) != ("(", ")"):
                raise NotExpressible("is_empty() of something other than one question")
            out.append(f"{{{_variable(tokens[i + 2][1])}}} empty")
            i += 4
            continue
        elif kind == "name" and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
            raise NotExpressible(f"the function {value}() has no Rapport equivalent")
        elif kind == "name" and lowered in ("true", "false"):
            raise NotExpressible("a constant true/false")
        elif kind == "name":
            name = _variable(value)
            nxt = tokens[i + 1 : i + 3]
            if name in ticks and len(nxt) == 2 and nxt[0][1] in ("==", "eq"):
                question, sub = ticks[name]
                if nxt[1][1].strip("'\"") != "Y":
                    raise NotExpressible(f"{name} compared with something other than 'Y'")
                out.append(f"{{{question}}} contains '{sub}'")
                i += 3
                continue
            out.append(f"{{{name}}}")
        elif kind == "str":
            out.append("'" + value[1:-1].replace("'", "") + "'")
        elif kind == "op":
            out.append({"&&": "and", "||": "or", "<>": "!="}.get(value, value))
        else:
            out.append(value)
        i += 1
    return " ".join(out)


def _variable(token: str) -> str:
    name, _, suffix = token.partition(".")
    if suffix and suffix not in _SUFFIXES:
        raise NotExpressible(f"{token}: .{suffix} has no Rapport equivalent")
    if name in ("self", "that"):
        raise NotExpressible(f"{name}.… references have no Rapport equivalent")
    return name


def parse_relevance(
    equation: str,
    ticks: Mapping[str, tuple[str, str]],
    question_id: Callable[[str], str],
    resolve: Resolve,
    multi: Callable[[str], bool],
) -> Condition:
    """The Rapport condition of a relevance equation (NotExpressible when there is none)."""
    return parse_expression(to_surveyjs(equation, ticks), question_id, resolve, multi)
