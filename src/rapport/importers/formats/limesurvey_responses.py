"""LimeSurvey responses: a CSV / VV export or an ``.lsr`` (XML), read by column *name*.

Columns are found by the question code (``Q1``, ``Q1[SQ001]``, ``Q1_SQ001``) or the SGQA
name (``12345X6X78SQ001``, as in ``.lsr`` files and old VV exports), never by position.
A VV export (tab-separated, a first line of question texts above the codes) is recognised
by its second line. Answers may be answer codes or full answer texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats.limesurvey_xml import parse_document, table
from rapport.importers.formats.plan import ContentKeys, SourceResponse, time_zone
from rapport.importers.text_files import read_csv

META: Final = frozenset(
    {
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "token",
        "startdate",
        "datestamp",
        "ipaddr",
        "refurl",
        "interviewtime",
    }
)
PERSONAL: Final = frozenset({"token", "ipaddr", "refurl"})
TICKED: Final = frozenset({"Y", "Yes", "1"})
_VV: Final = {"{quote}": '"', "{cr}": "\r", "{newline}": "\n", "{lbrace}": "{", "{tab}": "\t"}
_DATE: Final = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")


@dataclass
class Column:
    """Where a response column's answer goes: question id and how the cell is read."""

    question_id: str
    read: str  # text, number, integer, date, choice, tick, none
    values: dict[str, str] = field(default_factory=dict)  # code or answer text → option id
    row: str | None = None  # matrix row id
    option: str | None = None  # tick: the option id a ticked box adds
    order: dict[str, int] = field(default_factory=dict)  # tick: option id → its position


def read_responses(
    data: bytes,
    columns: Mapping[str, Column],
    report: Callable[[str, str, str], None],
    warnings: list[str],
    zone_name: str,
) -> list[SourceResponse]:
    """The responses of a LimeSurvey export; columns the survey does not have, and
    incomplete responses (no ``submitdate``), are reported."""
    zone = time_zone(zone_name)
    if data.lstrip()[:5] == b"<?xml" or data.lstrip()[:9] == b"<document":
        header, body, first_line = _lsr(data)
        warnings.append("responses read from a LimeSurvey .lsr (XML)")
    else:
        rows, encoding, delimiter = read_csv(data, "responses")
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            raise _bad("responses", "expected a header row of question codes")
        first_line = 2
        if len(rows) > 1 and _known(rows[1], columns) > _known(rows[0], columns):
            rows, first_line = rows[1:], 3  # VV: question texts above the codes
            warnings.append("read as a VV export: the second line holds the column codes")
        header, body = [h.strip() for h in rows[0]], rows[1:]
        body = [[_vv(c) for c in r] for r in body]
        warnings.append(f"responses read as {encoding}, cells separated by {delimiter!r}")
    lowered = [h.lower() for h in header]
    if _known(header, columns) == 0:
        raise _bad(
            "responses: header",
            "no column is a question code of the survey (expected headings such as Q1 or "
            "Q1[SQ001]: export with 'Question code' headings)",
        )
    width = len(header)
    unknown: dict[str, int] = {}
    keys = ContentKeys("ls")
    out: list[SourceResponse] = []
    incomplete = 0
    for number, cells in enumerate(body, start=first_line):
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise _bad(f"responses: row {number}", f"{len(cells)} cells for {width} columns")
        cells = (cells + [""] * width)[:width]
        meta = {lowered[i]: cells[i].strip() for i in range(width) if lowered[i] in META}
        if "submitdate" in meta and not meta["submitdate"]:
            incomplete += 1
            continue
        answers: dict[str, Any] = {}
        for i, name in enumerate(header):
            if lowered[i] in META:
                continue
            cell = cells[i].strip()
            col = columns.get(name) or columns.get(name.replace(" ", ""))
            if col is None:
                if cell:
                    unknown[name] = unknown.get(name, 0) + 1
                continue
            _put(answers, col, cell, number, name)
        when = _when(meta.get("submitdate", ""), zone, number)
        rid = meta.get("id")
        key = f"ls:{rid}" if rid else keys.key("\x1f".join(cells))
        out.append(SourceResponse(key, answers, when, meta.get("startlanguage") or None, number))
    for name, count in sorted(unknown.items()):
        report(name, "answers in a column the survey does not have", f"not imported ({count})")
    for name in sorted(PERSONAL & set(lowered)):
        report(name, f"column {name}", "not imported: imported responses are anonymous")
    if incomplete:
        report(
            "responses",
            f"{incomplete} incomplete response(s) (no submitdate)",
            "not imported: only completed responses are",
        )
    if "id" not in lowered:
        warnings.append("no id column: responses are keyed by a hash of their content")
    return out


def _lsr(data: bytes) -> tuple[list[str], list[list[str]], int]:
    root = parse_document(data, "responses")
    rows = table(root, "responses")
    fields = [f.text or "" for f in root.findall("responses/fields/fieldname")]
    return fields, [[r.get(f, "") for f in fields] for r in rows], 1


def _known(row: list[str], columns: Mapping[str, Column]) -> int:
    return sum(1 for h in row if h.strip() in columns or h.strip().lower() == "id")


def _vv(cell: str) -> str:
    for code, char in _VV.items():
        cell = cell.replace(code, char)
    return cell


def _put(answers: dict[str, Any], col: Column, cell: str, row: int, name: str) -> None:
    if col.read == "tick":
        if cell and cell not in ("N", "No", "0"):
            chosen = answers.setdefault(col.question_id, [])
            if col.option and col.option not in chosen:
                chosen.append(col.option)
                chosen.sort(key=lambda o: col.order.get(o, len(col.order)))
        return
    if not cell or col.read == "none":
        return
    value: Any = cell
    if col.read in ("number", "integer"):
        try:
            number = float(cell.replace(",", ".") if cell.count(",") == 1 else cell)
            value = int(number) if number.is_integer() else number
        except ValueError:
            value = cell  # the import's check names the row and column
    elif col.read == "date":
        m = _DATE.match(cell)
        value = m.group(1) if m else cell
    elif col.read == "choice":
        value = col.values.get(cell, cell)
    if col.row is not None:
        answers.setdefault(col.question_id, {})[col.row] = value
    else:
        answers[col.question_id] = value


def _when(cell: str, zone: ZoneInfo, row: int) -> datetime | None:
    if not cell:
        return None
    try:
        parsed = datetime.fromisoformat(cell)
    except ValueError as exc:
        raise _bad(
            f"responses: row {row}, column submitdate",
            f"expected a date-time such as 2024-05-04 13:02:03, got {cell!r}",
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _bad(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"the LimeSurvey responses cannot be read: {message}",
        [FieldError(where, message, "format")],
    )
