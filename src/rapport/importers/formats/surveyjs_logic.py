"""SurveyJS ``visibleIf`` expressions → Rapport display conditions, where they fit.

Understood: ``{q} = 'a'`` (also ``==``, ``!=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``),
``{q} empty`` / ``notempty``, ``{q} contains 'a'`` / ``notcontains``, ``{q} anyof ['a', 'b']``
/ ``noneof``, joined by ``and`` / ``or`` / ``!`` with parentheses. Values are numbers,
quoted strings or ``true``/``false``. Anything else (functions such as ``age({birthdate})``,
arithmetic, comparing two questions, ``{panel.q}``) raises :class:`NotExpressible` and the
importer reports it. Tokens come from the shared
:func:`~rapport.importers.formats._tokens.tokenize` in the :data:`SURVEYJS` dialect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from rapport.domain.logic import AllOf, AnyOf, Comparison, Condition, Not, Op, Scalar
from rapport.importers.formats._tokens import Dialect, NotExpressible, Token, tokenize

_COMPARE: Final = {
    **{"=": Op.EQ, "==": Op.EQ, "!=": Op.NE, "<>": Op.NE},
    **{"<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE},
}
SURVEYJS: Final = Dialect(
    operators=("<>", "!=", "==", "<=", ">=", "=", "<", ">", "!", "(", ")", "[", "]", ","),
    name=r"[A-Za-z_]+",
    name_kind="word",
    references=True,
    word_operators={
        **{"equal": "=", "notequal": "!=", "less": "<", "greater": ">"},
        **{"lessorequal": "<=", "greaterorequal": ">="},
    },
    fold_case=True,
)

Resolve = Callable[[str, object], Scalar]
"""(SurveyJS question name, SurveyJS value) → the Rapport value (an option id, a number);
raises NotExpressible when the value does not fit the question."""


def parse_expression(
    text: str,
    question_id: Callable[[str], str],
    resolve: Resolve,
    multi: Callable[[str], bool] = lambda name: False,
) -> Condition:
    """The Rapport condition of a SurveyJS expression.

    ``question_id`` maps a SurveyJS name to the Rapport question id (NotExpressible when
    there is none); ``resolve`` maps a compared value to the Rapport answer value;
    ``multi`` tells whether a name's answer is a set (a checkbox), where ``contains`` and
    ``anyof`` apply.

    >>> parse_expression("{nps-score} <= 6 or {rebuy} = false",
    ...     lambda n: n.replace("-", "_"), lambda n, v: "no" if v is False else v)
    AnyOf(conditions=(Comparison(question='nps_score', op=<Op.LE: '<='>, value=6, row=None), \
Comparison(question='rebuy', op=<Op.EQ: '=='>, value='no', row=None)))
    """
    tokens = tokenize(text, SURVEYJS)
    parser = _Parser(tokens, question_id, resolve, multi)
    condition = parser.any_of()
    if parser.pos != len(tokens):
        raise NotExpressible(f"unexpected {tokens[parser.pos][1]!r}")
    return condition


class _Parser:
    def __init__(
        self,
        tokens: list[Token],
        question_id: Callable[[str], str],
        resolve: Resolve,
        multi: Callable[[str], bool],
    ) -> None:
        self.tokens, self.pos = tokens, 0
        self.question_id, self.resolve, self.multi = question_id, resolve, multi

    def peek(self) -> Token:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self) -> Token:
        token = self.peek()
        if token[0] == "end":
            raise NotExpressible("the expression ends too early")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise NotExpressible(f"expected {value!r}")

    def any_of(self) -> Condition:
        parts = [self.all_of()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def all_of(self) -> Condition:
        parts = [self.negation()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def negation(self) -> Condition:
        if self.peek() in (("op", "!"), ("word", "not")):
            self.take()
            return Not(self.negation())
        if self.peek() == ("op", "("):
            self.take()
            inner = self.any_of()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        kind, ref = self.take()
        if kind != "ref":
            raise NotExpressible(f"expected a {{question}} reference, got {ref!r}")
        name = ref[1:-1].strip()
        qid = self.question_id(name)
        kind, op = self.take()
        if kind == "word" and op in ("empty", "notempty"):
            return Comparison(qid, Op.NOT_ANSWERED if op == "empty" else Op.ANSWERED)
        if kind == "word" and op in ("contains", "notcontains"):
            if not self.multi(name):
                raise NotExpressible(f"'{op}' on an answer that is not a set of choices")
            value = self.resolve(name, self.literal())
            found = Comparison(qid, Op.CONTAINS, value)
            return found if op == "contains" else Not(found)
        if kind == "word" and op in ("anyof", "noneof", "allof"):
            values = tuple(self.resolve(name, v) for v in self.literal_list())
            if self.multi(name):
                return self._set_test(qid, op, values)
            if op == "allof":
                raise NotExpressible("'allof' on a single answer")
            return Comparison(qid, Op.IN if op == "anyof" else Op.NOT_IN, values)
        if kind != "op" or op not in _COMPARE:
            raise NotExpressible(f"operator {op!r} has no Rapport equivalent")
        literal = self.literal()
        return Comparison(qid, _COMPARE[op], self.resolve(name, literal))

    def _set_test(self, qid: str, op: str, values: tuple[Scalar, ...]) -> Condition:
        # On a checkbox: "contains any / all / none of".
        contains = tuple(Comparison(qid, Op.CONTAINS, v) for v in values)
        if op == "allof":
            return AllOf(contains)
        test: Condition = AnyOf(contains) if len(contains) > 1 else contains[0]
        return test if op == "anyof" else Not(test)

    def literal(self) -> object:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1]
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "word" and value in ("true", "false"):
            return value == "true"
        raise NotExpressible(f"expected a value, got {value!r}")

    def literal_list(self) -> list[object]:
        self.expect("[")
        values = [self.literal()]
        while self.peek() == ("op", ","):
            self.take()
            values.append(self.literal())
        self.expect("]")
        return values
