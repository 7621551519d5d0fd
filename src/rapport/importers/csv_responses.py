"""Read a CSV export of responses into raw answers keyed by question id.

Columns are matched to questions by id (``nps``, matrix rows as ``minds.ease``, emotions
as ``feelings.ignored``) or by the question's text in any of the survey's languages
(matrix rows as ``<question> - <row>``). Metadata columns: ``unit`` (required), and
optionally ``submitted_at`` (ISO 8601), ``person`` (external id), ``language``.

Cells stay strings here; :func:`rapport.domain.answers.normalise_answers` types them.
Multi-choice cells list option ids separated by ``;`` or ``|``; an emotion-picker cell may
instead list ``emotion:intensity`` pairs (``ignored:2;frustrated:3``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rapport.domain.survey import QuestionType, SurveyDefinition, translations
from rapport.errors import FieldError

META_COLUMNS = ("unit", "submitted_at", "person", "language")
ENCODINGS = ("utf-8-sig", "cp1252")


@dataclass(frozen=True)
class ColumnTarget:
    question_id: str
    item: str | None  # matrix row or emotion id
    qtype: QuestionType


@dataclass
class CsvRow:
    line: int  # 1-based data row number as shown in spreadsheet tools (header is row 1)
    meta: dict[str, str]
    raw: dict[str, Any] = field(default_factory=dict)
    key: str | None = None  # the source's response id, when an import is idempotent
    attributes: dict[str, str] = field(default_factory=dict)  # e.g. Qualtrics embedded data


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), falling back to Windows-1252."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("cp1252 decodes any byte")  # pragma: no cover


def _labels(definition: SurveyDefinition) -> dict[str, ColumnTarget]:
    """Every name a column may have → what it targets (ids first, then texts, casefolded)."""
    names: dict[str, ColumnTarget] = {}
    for q in definition.questions:
        if not q.answerable:
            continue
        texts = list(translations(q.text).values())
        if q.type in (QuestionType.MATRIX, QuestionType.EMOTION_PICKER):
            keys = (
                [(r.id, list(translations(r.text).values())) for r in q.rows]
                if q.type is QuestionType.MATRIX
                else [(e, []) for e in q.emotions]
            )
            for key, row_texts in keys:
                target = ColumnTarget(q.id, key, q.type)
                names[f"{q.id}.{key}"] = target
                for qt in texts:
                    for rt in row_texts or [key]:
                        names.setdefault(f"{qt} - {rt}".casefold(), target)
            if q.type is QuestionType.EMOTION_PICKER:
                names[q.id] = ColumnTarget(q.id, None, q.type)
        else:
            target = ColumnTarget(q.id, None, q.type)
            names[q.id] = target
            for qt in texts:
                names.setdefault(qt.casefold(), target)
    return names


def map_columns(
    header: list[str], definition: SurveyDefinition
) -> tuple[dict[int, ColumnTarget], dict[int, str], list[FieldError]]:
    """Column index → question target or metadata name; errors for unknown columns."""
    names = _labels(definition)
    targets: dict[int, ColumnTarget] = {}
    meta: dict[int, str] = {}
    errors: list[FieldError] = []
    for i, raw_name in enumerate(header):
        name = raw_name.strip()
        if name.lower() in META_COLUMNS:
            meta[i] = name.lower()
        elif name in names or name.casefold() in names:
            targets[i] = names.get(name) or names[name.casefold()]
        elif name:
            errors.append(
                FieldError(
                    f"column {i + 1} ({name})",
                    "matches no question id or text of this survey",
                    "column",
                )
            )
    if "unit" not in meta.values():
        errors.append(FieldError("header", "a 'unit' column is required", "column"))
    return targets, meta, errors


def _split(cell: str) -> list[str]:
    return [p.strip() for p in cell.replace("|", ";").split(";") if p.strip()]


def read_rows(text: str, definition: SurveyDefinition) -> tuple[list[CsvRow], list[FieldError]]:
    """Parse CSV text into rows of raw answers; header problems are returned as errors."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [FieldError("file", "the file is empty; expected a header row", "empty")]
    targets, meta_cols, errors = map_columns(header, definition)
    if errors:
        return [], errors
    # In column order; the target only where a cell is more than the question's answer.
    columns = [(i, t.question_id, None if _whole_cell(t) else t) for i, t in targets.items()]
    width = max([*targets, *meta_cols]) + 1
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not "".join(cells).strip():
            continue
        if len(cells) < width:  # a short row: the missing cells are empty
            cells += [""] * (width - len(cells))
        row = CsvRow(number, {name: cells[i].strip() for i, name in meta_cols.items()})
        raw = row.raw
        for i, qid, target in columns:
            cell = cells[i].strip()
            if not cell:
                continue
            if target is None:
                raw[qid] = cell
            else:
                _put(raw, target, cell)
        rows.append(row)
    return rows, []


def _whole_cell(target: ColumnTarget) -> bool:
    """True when the cell is the question's whole answer, as it is (ratings, text …)."""
    return target.item is None and target.qtype not in (
        QuestionType.MULTI_CHOICE,
        QuestionType.EMOTION_PICKER,
    )


def _put(raw: dict[str, Any], target: ColumnTarget, cell: str) -> None:
    qid = target.question_id
    if target.qtype is QuestionType.MULTI_CHOICE:
        raw[qid] = _split(cell)
    elif target.item is not None:
        raw.setdefault(qid, {})[target.item] = cell
    elif target.qtype is QuestionType.EMOTION_PICKER:
        picked = raw.setdefault(qid, {})
        for part in _split(cell):
            emotion, _, level = part.partition(":")
            picked[emotion.strip()] = level.strip() or "1"
    else:
        raw[qid] = cell


def iter_chunks(rows: list[CsvRow], size: int) -> Iterator[list[CsvRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
