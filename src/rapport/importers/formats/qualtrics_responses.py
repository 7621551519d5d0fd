"""Qualtrics response CSVs, both layouts, mapped by question id (never by column position).

* **current** (2017 on): three header rows — export tags, question texts, and an ImportId
  object per column: ``{"ImportId":"QID2_1"}`` (JSON) or ``{'ImportId': 'QID2-1'}``
  (Python-dict style, as some exports and the QualtricsTools samples write it);
  the ``startDate``/``endDate`` objects may carry a ``timeZone``;
* **legacy** (before 2017): two header rows — ``V1``…``V10`` then the export tags, and the
  question texts; columns are mapped through each question's ``DataExportTag`` (and
  ``ChoiceDataExportTags``) in the .qsf.

Each column becomes ``(QID, sub-key)`` (``QID4-2-TEXT`` → ``("QID4", "2-TEXT")``), read by
the :class:`~rapport.importers.formats.qualtrics.QtColumn` the survey made for it.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats.plan import ReadOptions, SourceResponse, time_zone
from rapport.importers.text_files import read_csv

if TYPE_CHECKING:
    from rapport.importers.formats.qualtrics import QtColumn, _Builder

LEGACY_META: Final = {
    "V1": "responseId",
    "V2": "responseSet",
    "V3": "name",
    "V4": "externalDataReference",
    "V5": "emailAddress",
    "V6": "ipAddress",
    "V7": "status",
    "V8": "startDate",
    "V9": "endDate",
    "V10": "finished",
}
META_NAMES: Final = {  # export tags of metadata in current files without ImportIds
    "responseid": "responseId",
    "_recordid": "responseId",
    "response id": "responseId",
    "enddate": "endDate",
    "end date": "endDate",
    "recordeddate": "recordedDate",
    "recorded date": "recordedDate",
    "userlanguage": "userLanguage",
}
_QID: Final = re.compile(r"^(QID\d+)(#\d+)?(?:[-_](.+))?$")
_FORMATS: Final = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %H:%M:%S",
)


def import_id(cell: str) -> tuple[str, dict[str, Any]] | None:
    """The ImportId (and the whole object) of a third-row cell, JSON or Python-dict style.

    >>> import_id('{"ImportId":"QID2_1"}')[0], import_id("{'ImportId': 'startDate'}")[0]
    ('QID2_1', 'startDate')
    >>> import_id("Q1") is None
    True
    """
    text = cell.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
    if not isinstance(value, dict) or not isinstance(value.get("ImportId"), str):
        return None
    return value["ImportId"], value


def split_qid(name: str) -> tuple[str, str] | None:
    """``QID4-2-TEXT`` or ``QID4_2_TEXT`` → ``("QID4", "2-TEXT")``; side-by-side ``QID6#1-1``
    keeps its ``#1`` in the QID.

    >>> split_qid("QID4_2_TEXT"), split_qid("QID1"), split_qid("QID6#1-2")
    (('QID4', '2-TEXT'), ('QID1', ''), ('QID6#1', '2'))
    """
    m = _QID.match(name)
    if not m:
        return None
    qid, sbs, rest = m.groups()
    return qid + (sbs or ""), (rest or "").replace("_", "-")


def _legacy_key(name: str, b: _Builder) -> tuple[str, str] | None:
    """A legacy column name (an export tag, maybe with ``_row``/``_choice``/``_TEXT``)."""
    best: str | None = None
    for tag in b.by_tag:
        if (name == tag or name.startswith(tag + "_")) and (best is None or len(tag) > len(best)):
            best = tag
    if best is None:
        return None
    qid = b.by_tag[best]
    rest = name[len(best) + 1 :]
    tags = (b.payloads.get(qid) or {}).get("ChoiceDataExportTags")
    if isinstance(tags, dict):
        for key, row_tag in tags.items():
            if rest == str(row_tag) or rest.startswith(f"{row_tag}_"):
                rest = str(key) + rest[len(str(row_tag)) :]
                break
    return qid, rest.replace("_", "-")


def _cell(column: QtColumn, value: str, answers: dict[str, Any]) -> None:
    if column.read == "skip":
        return
    if column.read == "multi":
        if value not in ("0",):  # a ticked choice holds 1 (or its label); 0 is not ticked
            answers.setdefault(column.question, [])
            if column.option not in answers[column.question]:
                answers[column.question].append(column.option)
        return
    if column.read == "matrix":
        answers.setdefault(column.question, {})[column.row] = column.values.get(value, value)
        return
    if column.read in ("choice", "nps"):
        answers[column.question] = column.values.get(value, value)
        return
    if column.read == "number":
        try:
            number = float(value)
        except ValueError:
            answers[column.question] = value  # the import's check names row and column
            return
        answers[column.question] = int(number) if number.is_integer() else number
        return
    answers[column.question] = value


class _Times:
    def __init__(self, zone: str, what: str) -> None:
        self.zone = time_zone(zone, what)

    def parse(self, cell: str) -> datetime | None:
        try:
            parsed = datetime.fromisoformat(cell.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
            for fmt in _FORMATS:
                try:
                    parsed = datetime.strptime(cell, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone)


def read_responses(data: bytes, b: _Builder, options: ReadOptions) -> list[SourceResponse]:
    rows, encoding, delimiter = read_csv(data, "responses")
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValidationFailed(
            "the responses file is not a Qualtrics export",
            [FieldError("responses", "expected 2 (legacy) or 3 header rows", "format")],
        )
    first = [c.strip() for c in rows[0]]
    third = rows[2] if len(rows) > 2 else []
    ids = [import_id(c) for c in third]
    layout = "current" if any(ids) else "legacy" if first[:2] == ["V1", "V2"] else ""
    if not layout:
        raise ValidationFailed(
            "the responses file is not a Qualtrics export",
            [
                FieldError(
                    "responses: row 1",
                    "expected V1..V10 (legacy) or a third header row of ImportId objects",
                    "format",
                )
            ],
        )
    b.warnings.append(
        f"responses read as {encoding}, cells separated by {delimiter!r}, {layout} layout "
        f"({2 if layout == 'legacy' else 3} header rows)"
    )
    header_rows = 2 if layout == "legacy" else 3
    width = len(first)
    zone = options.timezone
    meta: dict[str, int] = {}
    readers: dict[int, QtColumn] = {}
    unknown: list[str] = []
    embedded = set(b.embedded)
    kept: dict[int, str] = {}  # column → embedded data field
    for index, name in enumerate(first):
        if layout == "current":
            found = ids[index] if index < len(ids) else None
            key = found[0] if found else name
            if found and found[1].get("timeZone") and key in ("endDate", "recordedDate"):
                zone = str(found[1]["timeZone"])
            parts = split_qid(key) if found else None
        else:
            key = LEGACY_META.get(name, name)
            parts = _legacy_key(name, b) if name not in LEGACY_META else None
        key = META_NAMES.get(key.lower(), key) if not parts else key
        if key in ("responseId", "endDate", "recordedDate", "userLanguage"):
            meta[key] = index
            continue
        if parts is None:
            if not name:
                continue
            label = name
            if layout == "legacy" and name in LEGACY_META and index < len(rows[1]):
                label = f"{name} ({rows[1][index]})"
            if name in embedded:
                kept[index] = name
            else:
                unknown.append(label)
            continue
        qid, sub = parts
        q = b.questions.get(qid)
        column = q.columns.get(sub) if q else None
        if column is None:
            if q is not None and sub in q.ignored:
                continue  # reported with the question
            unknown.append(name)
            continue
        readers[index] = column
    if "responseId" not in meta:
        raise ValidationFailed(
            "the responses file has no response id column",
            [
                FieldError(
                    "responses: header",
                    "expected ResponseId (or V1 in the legacy layout)",
                    "missing_column",
                )
            ],
        )
    if unknown:
        b.report(
            "responses",
            "columns with no imported question",
            "not imported: " + ", ".join(unknown),
        )
    missing = [name for name in dict.fromkeys(b.embedded) if name not in kept.values()]
    if missing:
        b.warnings.append(
            "embedded data fields with no column in the responses file: " + ", ".join(missing)
        )
    when_column = meta.get("recordedDate", meta.get("endDate"))
    times = _Times(zone, "timezone")
    if layout == "legacy" or zone == options.timezone:
        b.warnings.append(
            f"dates read in {zone} (the file does not say its time zone; give --timezone if "
            "the Qualtrics account used another)"
        )
    order = {
        data["id"]: {o["id"]: i for i, o in enumerate(data.get("options", []))}
        for q in b.questions.values()
        for data in q.data
    }
    out: list[SourceResponse] = []
    for number, cells in enumerate(rows[header_rows:], start=header_rows + 1):
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise ValidationFailed(
                f"row {number} has more cells than the header",
                [
                    FieldError(
                        f"row {number}", f"{len(cells)} cells for {width} columns", "extra_cells"
                    )
                ],
            )
        cells = [c.strip() for c in (cells + [""] * width)[:width]]
        key = cells[meta["responseId"]]
        if not key:
            message = "expected a response id such as R_1a2B3c4D5e6F7g8"
            raise ValidationFailed(
                f"row {number}: no response id",
                [
                    FieldError(
                        f"row {number}, column {first[meta['responseId']]}", message, "required"
                    )
                ],
            )
        when = None
        if when_column is not None and cells[when_column]:
            when = times.parse(cells[when_column])
            if when is None:
                message = (
                    f"expected a date-time such as 2016-05-27 11:44:08, got {cells[when_column]!r}"
                )
                raise ValidationFailed(
                    f"row {number}: unreadable date",
                    [FieldError(f"row {number}, column {first[when_column]}", message, "type")],
                )
        answers: dict[str, Any] = {}
        for index, column in readers.items():
            if cells[index]:
                _cell(column, cells[index], answers)
        for qid, value in answers.items():
            if isinstance(value, list):  # ticked in column order: keep the survey's order
                rank = order[qid]
                value.sort(key=lambda option: rank.get(option, len(rank)))
        language = None
        if "userLanguage" in meta and cells[meta["userLanguage"]]:
            from rapport.importers.formats.qualtrics import language_code

            language = language_code(cells[meta["userLanguage"]])
            language = language if language in b.languages else None
        attributes = {name: cells[i] for i, name in kept.items() if cells[i]}
        out.append(SourceResponse(f"qualtrics:{key}", answers, when, language, number, attributes))
    return out
