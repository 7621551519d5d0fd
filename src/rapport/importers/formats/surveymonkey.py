"""SurveyMonkey: the responses export (CSV or .xlsx), which carries the survey in its header
rows. An ``.xlsx`` is read into the same rows of text cells as the CSV (Excel date cells as
ISO 8601 in ``--timezone``), so both give the same import.

Row 1 holds the question texts; a blank cell continues the question on its left (one
question spread over several columns). Row 2 (the "expanded" layout) says what each column
is: ``Response`` (the one answer), ``Open-Ended Response`` (free text) or a choice / matrix
row label. A file whose second row is already answers ("condensed", one column per
question) is read with one header row. The survey's types are not in the file, so:

* ``Open-Ended Response`` → text; ``Response`` → typed from the answers by the Google Forms
  rules (:func:`~rapport.importers.formats.google_forms.infer`);
* several columns whose cells hold their own label (or nothing) are one choice question:
  multi choice when some respondent filled two of them, else single choice; a column
  labelled "Other (please specify)" is the option ``other`` (its text is reported);
* several columns whose cells hold other values are a matrix: one question per row,
  typed from that row's answers;
* ``RespondentID``/``Respondent ID`` is the response id; ``EndDate`` (else ``StartDate``)
  the submission time, in SurveyMonkey's ``MM/DD/YYYY HH:MM:SS [AM|PM]`` or ISO form, in
  ``--timezone``; collector, IP, e-mail, name and custom data columns are reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats._ids import IdMaker, survey_key
from rapport.importers.formats._text import plain
from rapport.importers.formats.google_forms import infer
from rapport.importers.formats.plan import (
    ImportPlan,
    MappingRow,
    ReadOptions,
    SourceResponse,
    Unsupported,
    build_definition,
    time_zone,
)
from rapport.importers.spreadsheets import is_xlsx, read_xlsx
from rapport.importers.text_files import read_csv

ID_NAMES: Final = frozenset({"respondentid", "respondent id"})
TIME_NAMES: Final = ("enddate", "end date", "startdate", "start date")
PERSONAL: Final = frozenset(
    {
        "collectorid", "collector id", "ip address", "email address", "first name",
        "firstname", "last name", "lastname", "custom data", "custom data 1",
    }
)  # fmt: skip
ROW2_SINGLE: Final = frozenset({"response", "open-ended response"})
OTHER: Final = re.compile(r"^other\b", re.IGNORECASE)
_US: Final = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?$", re.IGNORECASE
)


@dataclass
class _Reader:
    """How the columns of one Rapport question become its raw answer."""

    question_id: str
    kind: str  # value, choice, ticks
    columns: list[int]
    values: dict[str, str] = field(default_factory=dict)  # answer text → option id
    labels: dict[int, str] = field(default_factory=dict)  # ticks: column → option id


def _infer(text: str, answers: Sequence[str]) -> dict[str, Any]:
    """The Google Forms typing rules, except that a cell is never split at ", ": a
    SurveyMonkey multi-select is spread over columns, so a comma is part of the answer."""
    guard = ",\u2063 "  # an invisible separator keeps infer() from splitting
    fields = infer(text, [a.replace(", ", guard) for a in answers])
    if "choices" in fields:
        fields["choices"] = [c.replace(guard, ", ") for c in fields["choices"]]
    return fields


def _fail(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"the file is not a SurveyMonkey export: {message}",
        [FieldError(where, message, "format")],
    )


def _when(cell: str, zone: Any, row: int, name: str) -> datetime | None:
    if not cell:
        return None
    if m := _US.match(cell):
        mo, d, y, h, mi, s, half = m.groups()
        hour = int(h) % 12 + (12 if half.upper() == "PM" else 0) if half else int(h)
        return datetime(int(y), int(mo), int(d), hour, int(mi), int(s or 0), tzinfo=zone)
    try:
        parsed = datetime.fromisoformat(cell)
    except ValueError as exc:
        raise ValidationFailed(
            f"row {row}: unreadable {name}",
            [
                FieldError(
                    f"row {row}, column {name}",
                    f"expected a date-time such as 05/04/2024 01:02:03 PM, got {cell!r}",
                    "type",
                )
            ],
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def read_surveymonkey(
    definition: bytes, responses: bytes | None, options: ReadOptions
) -> ImportPlan:
    """Read a SurveyMonkey responses CSV (questions in its header rows) into a plan."""
    if responses is not None:
        message = "a SurveyMonkey export holds the questions and the responses: give it once"
        raise ValidationFailed(message, [FieldError("responses", message, "format")])
    zone = time_zone(options.timezone)
    if is_xlsx(definition):
        rows, sheet, sheets = read_xlsx(definition, "definition")
        how = f"read the Excel sheet {sheet!r}" + (
            f" (the first of {sheets})" if sheets > 1 else ""
        )
    else:
        rows, encoding, delimiter = read_csv(definition, "definition")
        how = f"read as {encoding}, cells separated by {delimiter!r}"
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise _fail("header", "the file is empty")
    width = max(len(r) for r in rows)
    rows = [[c.strip() for c in r] + [""] * (width - len(r)) for r in rows]
    top = rows[0]
    lowered = [h.lower() for h in top]
    id_col = next((i for i, h in enumerate(lowered) if h in ID_NAMES), None)
    if id_col is None:
        raise _fail("header", "expected a RespondentID (or Respondent ID) column")
    second = rows[1] if len(rows) > 1 else [""] * width
    expanded = second[id_col] == "" and any(c.lower() in ROW2_SINGLE for c in second)
    labels = second if expanded else [""] * width
    body = rows[2:] if expanded else rows[1:]
    first_line = 3 if expanded else 2
    warnings = [
        how,
        "two header rows (expanded export)" if expanded else "one header row (condensed export)",
    ]
    unsupported: list[Unsupported] = []
    time_col = next((lowered.index(n) for n in TIME_NAMES if n in lowered), None)
    meta = {id_col} | ({time_col} if time_col is not None else set())
    for i, h in enumerate(lowered):
        if h in PERSONAL or h.startswith("custom data") or h in TIME_NAMES:
            meta.add(i)
            if h not in TIME_NAMES:
                unsupported.append(
                    Unsupported(top[i], f"column {top[i]}", "not imported: responses are anonymous")
                )
    groups: list[tuple[str, list[int]]] = []
    for i in range(width):
        if i in meta:
            continue
        if top[i] or not groups:
            groups.append((top[i] or f"column {i + 1}", [i]))
        else:
            groups[-1][1].append(i)
    ids = IdMaker()
    questions: list[dict[str, Any]] = []
    mapping: list[MappingRow] = []
    readers: list[_Reader] = []
    for text, cols in groups:
        title = plain(text) or text
        cells = {i: [r[i] for r in body] for i in cols}
        if len(cols) == 1 and labels[cols[0]].lower() != "open-ended response":
            fields = _infer(title, cells[cols[0]])
            _add(ids, title, title, fields, [cols[0]], questions, mapping, readers)
            continue
        if len(cols) == 1:
            _add(ids, title, title, {"type": "text"}, cols, questions, mapping, readers)
            continue
        is_choice = all(
            c in ("", labels[i]) or OTHER.match(labels[i]) for i in cols for c in cells[i]
        )
        if is_choice:
            _choice(ids, title, cols, labels, body, questions, mapping, readers, unsupported)
            continue
        for i in cols:
            row = labels[i] or f"column {i + 1}"
            plain_text = row.lower() == "open-ended response" or OTHER.match(row)
            kind = {"type": "text"} if plain_text else _infer(title, cells[i])
            _add(ids, f"{title}: {row}", f"{title} [{row}]", kind, [i], questions, mapping, readers)
        unsupported.append(Unsupported(title, "matrix", f"one question per row ({len(cols)} rows)"))
    if not questions:
        raise _fail("header", "no question columns after RespondentID")
    unsupported.append(
        Unsupported(
            "survey",
            "pages, question types, choices nobody chose and logic",
            "not in the export: one page of the questions found, typed from the answers",
        )
    )
    data = {
        "key": options.survey_key or survey_key(options.source_name),
        "title": options.source_name,
        "audience": options.audience,
        "pages": [{"id": "page1", "questions": questions}],
    }
    built = build_definition(data, "the export's header rows")
    plan = ImportPlan("surveymonkey", built, mapping, [], unsupported, warnings)
    seen: set[str] = set()
    time_name = top[time_col] if time_col is not None else ""
    for number, cells_of in enumerate(body, start=first_line):
        rid = cells_of[id_col]
        if not rid:
            raise ValidationFailed(
                f"row {number}: no respondent id",
                [FieldError(f"row {number}, column {top[id_col]}", "expected an id", "missing")],
            )
        if rid in seen:
            raise ValidationFailed(
                f"row {number}: respondent id {rid} given twice",
                [FieldError(f"row {number}, column {top[id_col]}", "duplicate id", "duplicate")],
            )
        seen.add(rid)
        when = _when(cells_of[time_col], zone, number, time_name) if time_col is not None else None
        answers: dict[str, Any] = {}
        for r in readers:
            _put(answers, r, cells_of)
        plan.responses.append(SourceResponse(f"sm:{rid}", answers, when, line=number))
    if time_col is None:
        warnings.append("no StartDate/EndDate column: the responses are dated at the import")
    return plan


def _add(
    ids: IdMaker,
    text: str,
    source: str,
    fields: dict[str, Any],
    cols: list[int],
    questions: list[dict[str, Any]],
    mapping: list[MappingRow],
    readers: list[_Reader],
) -> None:
    qid = ids.make(source, 40)
    choices = fields.pop("choices", None)
    reader = _Reader(qid, "value", cols)
    if choices is not None:
        option_ids = IdMaker("option")
        reader.values = {c: option_ids.make(c, 40) for c in choices}
        reader.kind = "choice" if fields["type"] == "single_choice" else "split"
        fields["options"] = [{"id": v, "text": c} for c, v in reader.values.items()]
    questions.append({"id": qid, "text": text, **fields})
    mapping.append(MappingRow(source, qid, fields["type"], tuple(fields.get("tags", ()))))
    readers.append(reader)


def _choice(
    ids: IdMaker,
    title: str,
    cols: list[int],
    labels: Sequence[str],
    body: list[list[str]],
    questions: list[dict[str, Any]],
    mapping: list[MappingRow],
    readers: list[_Reader],
    unsupported: list[Unsupported],
) -> None:
    multi = any(sum(1 for i in cols if r[i]) > 1 for r in body)
    qid = ids.make(title, 40)
    option_ids = IdMaker("option")
    reader = _Reader(qid, "ticks", cols)
    options = []
    for i in cols:
        label = labels[i] or f"column {i + 1}"
        oid = "other" if OTHER.match(label) else option_ids.make(label, 40)
        if oid == "other":
            unsupported.append(
                Unsupported(title, label, "the choice 'other' is imported; its text is not")
            )
        reader.labels[i] = oid
        options.append({"id": oid, "text": label})
    kind = "multi_choice" if multi else "single_choice"
    if len(options) < 2 and not multi:
        kind = "multi_choice"  # a lone tick box
    questions.append({"id": qid, "type": kind, "text": title, "options": options})
    mapping.append(MappingRow(title, qid, kind, ()))
    reader.kind = "ticks" if kind == "multi_choice" else "tick"
    readers.append(reader)


def _put(answers: dict[str, Any], r: _Reader, cells: list[str]) -> None:
    if r.kind in ("tick", "ticks"):
        chosen = [r.labels[i] for i in r.columns if cells[i]]
        if chosen:
            answers[r.question_id] = chosen if r.kind == "ticks" else chosen[0]
        return
    cell = cells[r.columns[0]]
    if not cell:
        return
    if r.kind == "choice":
        answers[r.question_id] = r.values.get(cell, cell)
    elif r.kind == "split":
        answers[r.question_id] = [r.values.get(cell, cell)]  # one tick box (infer rule 4)
    else:
        answers[r.question_id] = cell
