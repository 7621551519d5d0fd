"""SurveyJS results as a table: the CSV (or .xlsx) that SurveyJS Dashboard's Table View
(survey-analytics on Tabulator) downloads → raw answers by Rapport question id.

The layout, as survey-analytics builds it (``src/tables/columns.ts``, ``columnbuilder.ts``):

* one column per question, headed by its **title** (its **name** with ``useNamesAsTitles``),
  holding the *shown* answer: a choice's text (its value with ``useValuesAsLabels``), the
  boolean's ``labelTrue``/``labelFalse``, checkbox choices joined by ``", "``, a number as
  written, a multiple text as a JSON object of its items by item title (name);
* a matrix: one column per row, ``Title - Row text``; a checkbox split into columns
  (``splitMultiSelectIntoColumns``): ``Title - Choice text``, ticked cells not empty;
* the text beside "other" and a comment box: a column right after the question's, headed by
  the question's ``otherText`` / ``commentText`` (``Other (describe)`` by default);
* every cell quoted, ``\\n`` between lines, ``'`` before a cell starting with ``=``, ``+``,
  ``-`` or ``@`` (against spreadsheet formulas).

Columns are matched by header, never by position: a question's name first, then its title in
any of the survey's languages. A header that is a question's name and another's title is
read as the earlier question. The table has no response id nor time of its own; a column
named ``id`` / ``response id`` / ``result id`` is the response id (idempotency key) and one
named ``submitted`` / ``submitted at`` / ``created at`` / ``timestamp`` the submission time
(ISO 8601, ``--timezone`` when written without an offset). Without an id the key is the
row's content with its occurrence number, as for JSON results.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final

from rapport.domain.survey import Translatable
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats._text import every_text
from rapport.importers.formats.plan import ContentKeys, SourceResponse, time_zone
from rapport.importers.formats.surveyjs_results import SjsQuestion
from rapport.importers.spreadsheets import is_xlsx, read_xlsx
from rapport.importers.text_files import read_csv

ID_HEADERS: Final = frozenset({"id", "_id", "response id", "responseid", "result id", "resultid"})
TIME_HEADERS: Final = frozenset(
    {"submitted", "submitted at", "submittedat", "created at", "createdat", "timestamp"}
)
COMMENT_HEADERS: Final = frozenset({"other (describe)", "comment"})
_FORMULA_GUARD: Final = re.compile(r"^'(?=[=+\-@\t\r])")
SEPARATOR: Final = ", "
ANSWERS: Final = frozenset({"answer", "tick", "object"})  # the column kinds that are read


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class _Column:
    """What one column of the table is."""

    kind: str  # answer, tick, object, comment, skipped, id, time, unknown, twice
    source: str  # the SurveyJS name it belongs to (or the header)
    questions: list[SjsQuestion] = field(default_factory=list)
    option: str = ""  # tick: the option id a non-empty cell chooses
    folded: dict[str, Any] = field(default_factory=dict)  # answer: shown text, any case
    known: dict[str, Any] = field(default_factory=dict)  # answer: values and shown texts

    def __post_init__(self) -> None:
        if self.kind == "answer":
            q = self.questions[0]
            self.folded = {_norm(k): v for k, v in q.labels.items()}
            self.known = {**q.values, **q.labels}


class _Headers:
    """Every header a survey's table export may write, and what each is."""

    def __init__(
        self, by_name: Mapping[str, list[SjsQuestion]], not_imported: Mapping[str, Translatable]
    ) -> None:
        self.exact: dict[str, list[_Column]] = {}
        self.skipped_prefixes: list[tuple[str, str]] = []
        for name, questions in by_name.items():
            heads = [name, *every_text(questions[0].title)]
            first = questions[0]
            if first.element == "multipletext":
                self._add(heads, _Column("object", name, questions))
            elif first.item is not None:  # matrix rows
                for q in questions:
                    rows = [str(q.item), *every_text(q.item_title)]
                    self._add(
                        [f"{h} - {r}" for h in heads for r in rows], _Column("answer", name, [q])
                    )
            else:
                self._add(heads, _Column("answer", name, [first]))
                if first.read == "choices":
                    ticks = {**first.values, **first.labels}
                    for shown, option in ticks.items():
                        column = _Column("tick", name, [first], option)
                        self._add([f"{h} - {shown}" for h in heads], column)
        for name, title in not_imported.items():
            heads = [name, *every_text(title)]
            self._add(heads, _Column("skipped", name))
            self.skipped_prefixes += [(_norm(f"{h} - "), name) for h in heads]

    def _add(self, headers: Sequence[str], column: _Column) -> None:
        for header in dict.fromkeys(_norm(h) for h in headers):
            self.exact.setdefault(header, []).append(column)

    def resolve(self, header: str, claimed: set[int], previous: _Column | None) -> _Column:
        key = _norm(header)
        candidates = self.exact.get(key, [])
        for column in candidates:
            if id(column) not in claimed or column.kind == "skipped":
                claimed.add(id(column))
                return column
        if candidates:
            return _Column("twice", header)
        if key in ID_HEADERS:
            return _Column("id", header)
        if key in TIME_HEADERS:
            return _Column("time", header)
        if previous is not None and previous.questions and _is_comment(key, previous):
            return _Column("comment", previous.source, previous.questions)
        for prefix, name in self.skipped_prefixes:
            if key.startswith(prefix):
                return _Column("skipped", name)
        return _Column("unknown", header)


def _is_comment(key: str, previous: _Column) -> bool:
    q = previous.questions[0]
    other = [
        t for o in q.data.get("options", []) if o["id"] == "other" for t in every_text(o["text"])
    ]
    names = {_norm(f"{previous.source}-Comment"), *COMMENT_HEADERS, *(_norm(t) for t in other)}
    return key in names


def _cell(text: str) -> str:
    """A cell without the quote the export puts before ``=``, ``+``, ``-`` and ``@``."""
    return _FORMULA_GUARD.sub("", text.strip())


def _shown(column: _Column, cell: str) -> Any:
    """The raw answer of a cell showing one answer: a shown text, else a SurveyJS value,
    else the cell as it is (the import's check then names the row and the question)."""
    q = column.questions[0]
    if cell in q.labels:
        return q.labels[cell]
    if _norm(cell) in column.folded:
        return column.folded[_norm(cell)]
    if q.read in ("choice", "bool", "row_choice"):
        return q.values.get(cell, cell)
    return cell


def _several(known: Mapping[str, Any], cell: str) -> list[Any]:
    """The chosen options of a checkbox cell: shown texts (or values) joined by ", ",
    matched against the ``known`` ones first, so a choice whose text holds ", " stays one
    choice; an unknown part is kept as it is (the import's check names it).

    >>> _several({"A, B": "ab", "C": "c"}, "A, B, C, D")
    ['ab', 'c', 'D']
    """
    out: list[Any] = []
    rest = cell
    while rest:
        fits = [k for k in known if rest == k or rest.startswith(k + SEPARATOR)]
        if fits:
            label = max(fits, key=len)
            out.append(known[label])
            rest = rest[len(label) + len(SEPARATOR) :]
        else:
            head, _, rest = rest.partition(SEPARATOR)
            out.append(head)
    return out


def _problem(row: int, column: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(
        f"row {row}, column {column}: {message}",
        [FieldError(f"row {row}, column {column}", message, code)],
    )


def _when(cell: str, zone: tzinfo, row: int, header: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(cell)
    except ValueError as exc:
        raise _problem(
            row,
            header,
            f"expected an ISO 8601 date-time such as 2024-05-04T13:02:03, got {cell!r}",
            "type",
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _table(data: bytes, warnings: list[str]) -> list[list[str]]:
    if is_xlsx(data):
        rows, sheet, _ = read_xlsx(data, "responses")
        warnings.append(f"results read from the Excel sheet {sheet!r} (a SurveyJS table export)")
        return rows
    rows, encoding, delimiter = read_csv(data, "responses")
    warnings.append(
        f"results read as a CSV table (a SurveyJS Dashboard export): {encoding}, "
        f"cells separated by {delimiter!r}"
    )
    return rows


def _columns(
    header: Sequence[str],
    by_name: Mapping[str, list[SjsQuestion]],
    not_imported: Mapping[str, Translatable],
) -> list[_Column]:
    headers = _Headers(by_name, not_imported)
    columns: list[_Column] = []
    claimed: set[int] = set()
    for text in header:
        column = headers.resolve(text, claimed, columns[-1] if columns else None)
        if column.kind == "twice":
            raise _problem(1, text, "a second column for the same question", "duplicate")
        columns.append(column)
    if not any(c.kind in ANSWERS for c in columns):
        message = "expected question names or titles as headers (a SurveyJS table export)"
        raise ValidationFailed(
            "no column of the results table is a question of the survey",
            [FieldError("responses: row 1", message, "format")],
        )
    return columns


def _put(answers: dict[str, Any], column: _Column, cell: str, row: int, header: str) -> None:
    q = column.questions[0]
    qid = str(q.data["id"])
    if column.kind == "tick":
        answers.setdefault(qid, []).append(column.option)
    elif column.kind == "object":
        try:
            items = json.loads(cell)
        except json.JSONDecodeError:
            items = None
        if not isinstance(items, dict):
            raise _problem(
                row, header, 'expected a JSON object of the items, {"item": "text"}', "type"
            )
        for item in column.questions:  # keyed by item title (shown texts), else by name
            keys = [*every_text(item.item_title), str(item.item)]
            value = next((items[k] for k in keys if items.get(k) not in (None, "")), None)
            if value is not None:
                answers[str(item.data["id"])] = value
    elif q.read == "choices":
        answers[qid] = _several(column.known, cell)
    elif q.read != "none":
        answers[qid] = _shown(column, cell)


_WHAT_HAPPENS: Final = {
    "comment": "the text written beside 'other' or in a comment box is not imported",
    "skipped": "answers to a question that is not imported",
    "unknown": "not imported: no question of the survey has this name or title",
}


def read_table_results(
    data: bytes,
    by_name: Mapping[str, list[SjsQuestion]],
    not_imported: Mapping[str, Translatable],
    report: Callable[[str, str, str], None],
    warnings: list[str],
    timezone: str,
) -> list[SourceResponse]:
    """The responses of a SurveyJS results table (CSV or .xlsx), all or nothing; every
    column that is not imported is reported with the number of answers it held."""
    zone = time_zone(timezone)
    rows = _table(data, warnings)
    if not rows:
        message = "expected a header row of question titles or names"
        raise ValidationFailed(
            "the results file is empty", [FieldError("responses", message, "format")]
        )
    header = [h.strip() or f"column {i}" for i, h in enumerate(rows[0], start=1)]
    columns = _columns(header, by_name, not_imported)
    kinds = [c.kind for c in columns]
    id_col = kinds.index("id") if "id" in kinds else None
    time_col = kinds.index("time") if "time" in kinds else None
    filled = [0] * len(columns)
    keys = ContentKeys("sjs-csv")
    seen: dict[str, int] = {}
    out: list[SourceResponse] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(columns) and any(c.strip() for c in row[len(columns) :]):
            raise _problem(number, f"{len(columns) + 1}", "a cell beyond the header row", "format")
        cells = [_cell(c) for c in row[: len(columns)]] + [""] * (len(columns) - len(row))
        answers: dict[str, Any] = {}
        for index, (column, cell) in enumerate(zip(columns, cells, strict=True)):
            if cell:
                filled[index] += 1
                if column.kind in ANSWERS:
                    _put(answers, column, cell, number, header[index])
        if id_col is None:
            key = keys.key(json.dumps(cells, ensure_ascii=False))
        else:
            rid = cells[id_col]
            if not rid:
                raise _problem(number, header[id_col], "expected a response id", "missing")
            if rid in seen:
                message = f"response id {rid} is also on row {seen[rid]}"
                raise _problem(number, header[id_col], message, "duplicate")
            seen[rid], key = number, f"sjs:{rid}"
        when = None
        if time_col is not None and cells[time_col]:
            when = _when(cells[time_col], zone, number, header[time_col])
        out.append(SourceResponse(key, answers, when, line=number))
    for index, column in enumerate(columns):
        if column.kind in _WHAT_HAPPENS:
            what = f"{_WHAT_HAPPENS[column.kind]} ({filled[index]} answer(s))"
            report(column.source, f"column {header[index]}", what)
    matched = sum(1 for k in kinds if k in ANSWERS)
    warnings.append(f"{matched} of {len(columns)} columns matched to questions by name or title")
    if id_col is None:
        warnings.append(
            "the results table has no response id column: each response is keyed by its "
            "content and occurrence, so importing the same file again adds nothing (the JSON "
            "and the CSV of the same results are different files: import one of them)"
        )
    if time_col is None:
        warnings.append(
            "the results table carries no submission time: the responses are dated at the import"
        )
    return out
