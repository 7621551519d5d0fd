"""Google Forms: the responses CSV (``Download responses`` or the linked sheet's CSV).

The file is the definition *and* the responses: the header row holds the question texts,
after a ``Timestamp`` column. A grid question has one column per row, ``Question [Row]``.
A checkbox question writes the chosen options joined by ``", "``. The form itself (types,
choices never chosen, sections, logic) is not in the file, so types are inferred from the
answers, by these rules, in order (docs/importers.md):

1. no answers at all → text (reported as a warning);
2. every answer an integer: all in 1–5 → Likert 5, all in 1–7 → Likert 7 (a linear scale);
   all in 0–10 and the text mentions "recommend" → NPS; otherwise → number;
3. some answer holds ", " and splitting the answers there gives fewer distinct parts than
   there are answers, at most 30 and none longer than 200 characters → multi choice;
4. one distinct answer given more than once → multi choice with that one option (a lone
   tick box such as a consent: Google writes its label when ticked; Rapport's single
   choice needs two options);
5. at most 30 distinct answers, none longer than 200 characters, and each distinct answer
   given twice on average (distinct ≤ answers / 2) → single choice;
6. otherwise → text.

Grids: when every cell is an integer 1–5 (or 1–7) the grid becomes one Likert matrix,
otherwise each row becomes a single-choice question with the grid's answers as options.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from rapport.domain.survey import (
    DEFAULT_TEXT_MAX_LENGTH,
)
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats._ids import IdMaker, survey_key
from rapport.importers.formats.plan import (
    ContentKeys,
    ImportPlan,
    MappingRow,
    ReadOptions,
    SourceResponse,
    Unsupported,
    build_definition,
    time_zone,
)
from rapport.importers.text_files import read_csv

TIMESTAMP_NAMES: Final = frozenset(
    {
        "timestamp",
        "marca temporal",
        "horodateur",
        "zeitstempel",
        "carimbo de data/hora",
        "informazioni cronologiche",
        "tijdstempel",
    }
)
PERSONAL: Final = {
    "email address": "collected e-mail addresses are not imported; the responses are "
    "anonymous in Rapport",
    "score": "quiz scores are not imported; Rapport does not score quizzes",
}
_Reader = tuple[int, str, str | None, dict[str, str] | None, bool]
"""A column → (column index, question id, matrix row, answer text → option id, multi)."""
MAX_CHOICES: Final = 30
MAX_CHOICE_LENGTH: Final = 200
GRID: Final = re.compile(r"^(?P<question>.+?) \[(?P<row>[^\[\]]+)\]$")
SPLIT: Final = ", "
_US: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})$")
_FORMS: Final = re.compile(
    r"^(\d{4})/(\d{2})/(\d{2}) (\d{1,2}):(\d{2}):(\d{2}) ?([AP]M)? GMT([+-]\d{1,2})(?::?(\d{2}))?$"
)


def _int(value: str) -> int | None:
    return int(value) if re.fullmatch(r"-?\d+", value) else None


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def infer(text: str, answers: Sequence[str]) -> dict[str, Any]:
    """The Rapport question fields (type, scale, options) the answers of a column suggest.

    >>> infer("Q", ["4", "5", "1"])["type"], infer("Recommend us?", ["0", "9"])["type"]
    ('likert', 'nps')
    >>> infer("Q", ["a, b", "a", "b", "c"])["type"], infer("Q", ["No", "Yes", "Yes", "No"])["type"]
    ('multi_choice', 'single_choice')
    """
    given = [a for a in answers if a]
    if not given:
        return {"type": "text"}
    ints = [_int(a) for a in given]
    if all(i is not None for i in ints):
        low, high = min(i for i in ints if i is not None), max(i for i in ints if i is not None)
        if low >= 1 and high <= 7:
            return {"type": "likert", "scale": {"points": 5 if high <= 5 else 7}}
        if low >= 0 and high <= 10 and "recommend" in text.lower():
            return {"type": "nps", "tags": ["loyalty.recommend"]}
        return {"type": "number", "integer": True}
    if all(_number(a) is not None for a in given):
        return {"type": "number"}
    distinct = list(dict.fromkeys(given))
    short = all(len(a) <= MAX_CHOICE_LENGTH for a in distinct)
    if any(SPLIT in a for a in given):
        parts = list(dict.fromkeys(p.strip() for a in given for p in a.split(SPLIT)))
        if len(parts) < len(given) and len(parts) <= MAX_CHOICES and short:
            return {"type": "multi_choice", "choices": parts}
    if len(distinct) == 1 and short and len(given) > 1:
        return {"type": "multi_choice", "choices": distinct}  # a lone tick box
    if len(distinct) <= MAX_CHOICES and short and len(distinct) * 2 <= len(given):
        return {"type": "single_choice", "choices": distinct}
    longest = max(len(a) for a in given)
    return {
        "type": "text",
        **({"max_length": longest} if longest > DEFAULT_TEXT_MAX_LENGTH else {}),
    }


class _Times:
    """Reads the Timestamp column: Google's own ``2024/05/04 1:02:03 PM GMT+2`` (offset
    given) or a sheet's ``M/D/YYYY H:MM:SS`` (day first when a first number exceeds 12),
    in ``zone``."""

    def __init__(self, cells: Sequence[str], zone: str) -> None:
        self.zone: Any = time_zone(zone)
        firsts = [int(m.group(1)) for c in cells if (m := _US.match(c))]
        seconds = [int(m.group(2)) for c in cells if (m := _US.match(c))]
        self.day_first = any(f > 12 for f in firsts)
        if self.day_first and any(s > 12 for s in seconds):
            message = "the Timestamp column mixes day-first and month-first dates"
            raise ValidationFailed(message, [FieldError("column Timestamp", message, "type")])
        self.undecided = bool(firsts) and not self.day_first and not any(s > 12 for s in seconds)
        self.local = bool(firsts)

    def parse(self, cell: str) -> datetime | None:
        if m := _FORMS.match(cell):
            y, mo, d, h, mi, s, half, off_h, off_m = m.groups()
            hour = int(h) % 12 + (12 if half == "PM" else 0) if half else int(h)
            sign = -1 if off_h.startswith("-") else 1
            offset = timedelta(hours=int(off_h), minutes=sign * int(off_m or 0))
            return datetime(int(y), int(mo), int(d), hour, int(mi), int(s), tzinfo=timezone(offset))
        if m := _US.match(cell):
            a, b, y, h, mi, s = (int(g) for g in m.groups())
            day, month = (a, b) if self.day_first else (b, a)
            return datetime(y, month, day, h, mi, s, tzinfo=self.zone)
        try:
            parsed = datetime.fromisoformat(cell)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone)


def read_google_forms(
    definition: bytes, responses: bytes | None, options: ReadOptions
) -> ImportPlan:
    """Read a Google Forms responses CSV into a plan (``responses`` must be None: the one
    file holds both)."""
    if responses is not None:
        message = "a Google Forms CSV holds the questions and the responses: give it once"
        raise ValidationFailed(message, [FieldError("responses", message, "format")])
    rows, encoding, delimiter = read_csv(definition, "definition")
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ValidationFailed(
            "the file is empty", [FieldError("file", "expected a header row of questions", "empty")]
        )
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    width = len(header)
    for number, cells in enumerate(body, start=2):
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise ValidationFailed(
                f"row {number} has more cells than the header",
                [
                    FieldError(
                        f"row {number}", f"{len(cells)} cells for {width} columns", "extra_cells"
                    )
                ],
            )
    body = [[c.strip() for c in (cells + [""] * width)[:width]] for cells in body]
    column = {i: [r[i] for r in body] for i in range(width)}
    unsupported: list[Unsupported] = []
    warnings = [f"read as {encoding}, cells separated by {delimiter!r}"]
    stamp = next((i for i, h in enumerate(header) if h.lower() in TIMESTAMP_NAMES), None)
    if stamp is None:
        message = "expected a Timestamp column: Google Forms writes one before the questions"
        raise ValidationFailed(
            "the file is not a Google Forms responses CSV",
            [FieldError("header", message, "missing_column")],
        )
    times = _Times(column[stamp], options.timezone)
    if times.local:
        layout = "D/M/YYYY" if times.day_first else "M/D/YYYY"
        warnings.append(
            f"Timestamp read as {layout} H:MM:SS in {options.timezone} (the sheet's time zone "
            "is not in the file; give --timezone if it was another)"
            + (
                "; no day above 12 was seen, so month-first (US) was assumed"
                if times.undecided
                else ""
            )
        )
    ids = IdMaker()
    questions: list[dict[str, Any]] = []
    mapping: list[MappingRow] = []
    readers: list[_Reader] = []
    grids: dict[str, list[tuple[int, str]]] = {}
    order: list[tuple[str, Any]] = []
    for i, name in enumerate(header):
        if i == stamp:
            continue
        if name.lower() in PERSONAL:
            unsupported.append(Unsupported(name, "column " + name, PERSONAL[name.lower()]))
            continue
        if not name:
            unsupported.append(
                Unsupported(f"column {i + 1}", "column without a header", "not imported")
            )
            continue
        grid = GRID.match(name)
        if grid:
            key = grid.group("question")
            if key not in grids:
                grids[key] = []
                order.append(("grid", key))
            grids[key].append((i, grid.group("row")))
        else:
            order.append(("column", i))
    for kind, item in order:
        if kind == "column":
            i = int(item)
            text = header[i]
            fields = infer(text, column[i])
            qid = ids.make(text, 40)
            choices = fields.pop("choices", None)
            values = None
            if choices is not None:
                option_ids = IdMaker("option")
                values = {c: option_ids.make(c, 40) for c in choices}
                fields["options"] = [{"id": v, "text": c} for c, v in values.items()]
            if not any(column[i]):
                warnings.append(f"{text!r} has no answers: imported as a text question")
            questions.append({"id": qid, "text": text, **fields})
            mapping.append(MappingRow(text, qid, fields["type"], tuple(fields.get("tags", ()))))
            readers.append((i, qid, None, values, fields["type"] == "multi_choice"))
        else:
            _grid(str(item), grids[str(item)], column, ids, questions, mapping, readers)
    if not questions:
        raise ValidationFailed(
            "the file has no question columns",
            [FieldError("header", "expected question texts after Timestamp", "empty")],
        )
    if any(q["type"] == "multi_choice" for q in questions):
        warnings.append(
            "checkbox answers are split at ', ': an option whose own text holds "
            "', ' is read as two options"
        )
    unsupported.append(
        Unsupported(
            "form",
            "sections, descriptions, choices nobody chose, required marks and logic",
            "not in a responses CSV: the "
            "survey is one page of the questions found, typed from the answers",
        )
    )
    data = {
        "key": options.survey_key or survey_key(options.source_name),
        "title": options.source_name,
        "audience": options.audience,
        "pages": [{"id": "page1", "questions": questions}],
    }
    built = build_definition(data, "the file's columns")
    plan = ImportPlan("google-forms", built, mapping, [], unsupported, warnings)
    keys = ContentKeys("gf")
    for number, cells in enumerate(body, start=2):
        when = None
        if cells[stamp]:
            when = times.parse(cells[stamp])
            if when is None:
                message = f"expected a date-time such as 8/21/2019 13:10:31, got {cells[stamp]!r}"
                raise ValidationFailed(
                    f"row {number}: unreadable Timestamp",
                    [FieldError(f"row {number}, column Timestamp", message, "type")],
                )
        answers: dict[str, Any] = {}
        for i, qid, row, values, multi in readers:
            _put(answers, (qid, row, values, multi), cells[i])
        plan.responses.append(
            SourceResponse(keys.key("\x1f".join(cells)), answers, when, line=number)
        )
    return plan


def _grid(
    text: str,
    columns: list[tuple[int, str]],
    cells: dict[int, list[str]],
    ids: IdMaker,
    questions: list[dict[str, Any]],
    mapping: list[MappingRow],
    readers: list[_Reader],
) -> None:
    pooled = [c for i, _ in columns for c in cells[i]]
    fields = infer(text, pooled)
    if fields["type"] == "likert":
        qid = ids.make(text, 40)
        row_ids = IdMaker("row")
        rows = []
        for i, row in columns:
            rid = row_ids.make(row, 40)
            rows.append({"id": rid, "text": row})
            mapping.append(MappingRow(f"{text} [{row}]", f"{qid}.{rid}", "matrix"))
            readers.append((i, qid, rid, None, False))
        questions.append(
            {"id": qid, "type": "matrix", "text": text, "scale": fields["scale"], "rows": rows}
        )
        return
    choices = list(dict.fromkeys(c for c in pooled if c))
    option_ids = IdMaker("option")
    values = {c: option_ids.make(c, 40) for c in choices}
    options = [{"id": v, "text": c} for c, v in values.items()]
    for i, row in columns:
        source = f"{text} [{row}]"
        qid = ids.make(f"{text} {row}", 40)
        questions.append(
            {"id": qid, "type": "single_choice", "text": f"{text}: {row}", "options": options}
        )
        mapping.append(MappingRow(source, qid, "single_choice"))
        readers.append((i, qid, None, values, False))


def _put(answers: dict[str, Any], target: tuple[str, str | None, Any, bool], cell: str) -> None:
    qid, row, values, multi = target
    if not cell:
        return
    if row is not None:
        answers.setdefault(qid, {})[row] = cell
    elif values is None:
        answers[qid] = cell
    elif multi:
        answers[qid] = [values.get(p.strip(), p.strip()) for p in cell.split(SPLIT)]
    else:
        answers[qid] = values.get(cell, cell)
