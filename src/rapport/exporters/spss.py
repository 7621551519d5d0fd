"""Responses as an SPSS ``.sav`` file (pyreadstat): one variable per question or item, with
the survey's wording as variable labels and its answer labels as value labels.

Coding (docs/surveys.md, "Exports"):

- ratings (NPS, CSAT, CES, Likert, matrix rows): the score; value labels are the scale's
  per-point labels, else its end anchors (what the respondent saw);
- single choice: the option's position (1, 2, ...) labelled with its text;
- multi choice: one variable per option, 1 chosen, 0 not (question answered);
- emotion picker: one variable per emotion, its intensity 1–3, 0 not chosen;
- number: the number; date: an SPSS date; text: a string.

A numeric question not answered is system-missing; one hidden by display logic holds
:data:`NOT_SHOWN`, declared user-missing, so SPSS tells "not asked" from "skipped".
Labels are in the survey's default language, cut to what SPSS holds (variable labels 256
bytes, value labels 120, at a character boundary).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import pyreadstat

from rapport.domain.alerts import answers_from_values
from rapport.domain.logic import visible_questions
from rapport.domain.survey import (
    EMOTION_LABELS,
    INTENSITY_LABELS,
    SCALE_TYPES,
    Question,
    QuestionType,
    SurveyDefinition,
    fill_placeholders,
    text_for,
)
from rapport.exporters.responses import wide_column

NOT_SHOWN = -1
"""The code of a question hidden by display logic (user-missing)."""
NOT_SHOWN_LABEL = "Not shown (display logic)"
VARIABLE_LABEL_BYTES = 256
VALUE_LABEL_BYTES = 120
NAME_BYTES = 64
NOTE_BYTES = 80
#: SPSS keywords that cannot name a variable (compared case-insensitively).
RESERVED = frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to"})
RESERVED_WITH = RESERVED | {"with"}

NOMINAL, ORDINAL, SCALE = "nominal", "ordinal", "scale"


@dataclass
class Variable:
    """One SPSS variable: where its values come from and how SPSS should describe them."""

    source: str  # the CSV column name: ``nps``, ``minds.ease``, ``attr.segment``
    label: str
    measure: str
    kind: str  # "number", "string", "date" or "datetime"
    value_labels: dict[float, str] = field(default_factory=dict)
    spss_format: str | None = None
    question: Question | None = None
    item: str = ""
    #: Response metadata (id, time, unit, attributes), kept apart from answers of the same
    #: name: a question may be called ``channel``.
    meta: bool = False

    @property
    def key(self) -> str:
        return f"meta:{self.source}" if self.meta else self.source

    @property
    def coded(self) -> bool:
        """Whether the values are codes (a free number question may take any value)."""
        q = self.question
        return self.kind == "number" and q is not None and q.type is not QuestionType.NUMBER


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes, cut at a character boundary.

    >>> cut("Très bien", 3)
    'Tr'
    """
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def spss_name(source: str, taken: set[str]) -> str:
    """A valid, unused SPSS variable name for ``source`` (added to ``taken``, lower case).

    >>> taken = set()
    >>> spss_name("minds.ease", taken), spss_name("to", taken), spss_name("attr.2nd key", taken)
    ('minds.ease', 'to_', 'attr.2nd_key')
    >>> spss_name("MINDS.EASE", taken)
    'MINDS.EASE_2'
    """
    name = re.sub(r"[^A-Za-z0-9_.@#$]", "_", source)
    if not name[:1].isalpha():
        name = "v" + name
    name = name[:NAME_BYTES].rstrip(".")
    if name.lower() in RESERVED_WITH:
        name += "_"
    base, n = name, 1
    while name.lower() in taken:
        n += 1
        suffix = f"_{n}"
        name = base[: NAME_BYTES - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def question_variables(definition: SurveyDefinition, org_name: str = "us") -> list[Variable]:
    """The variables of the survey's questions, in the order respondents meet them; ``{org}``
    in a text reads ``org_name``."""
    lang = definition.default_language

    def t(text: Any) -> str:
        return fill_placeholders(text_for(text, lang, lang), {"org": org_name})

    out: list[Variable] = []
    for q in definition.questions:
        label = t(q.text)
        if q.type in SCALE_TYPES:
            measure = SCALE if q.type is QuestionType.NPS else ORDINAL
            out.append(Variable(q.id, label, measure, "number", _scale_labels(q, t), "F3.0", q))
        elif q.type is QuestionType.MATRIX:
            labels = _scale_labels(q, t)
            for row in q.rows:
                out.append(
                    Variable(
                        f"{q.id}.{row.id}",
                        f"{label}: {t(row.text)}",
                        ORDINAL,
                        "number",
                        labels,
                        "F3.0",
                        q,
                        row.id,
                    )
                )
        elif q.type is QuestionType.SINGLE_CHOICE:
            labels = {float(i): t(o.text) for i, o in enumerate(q.options, 1)}
            out.append(Variable(q.id, label, NOMINAL, "number", labels, "F3.0", q))
        elif q.type is QuestionType.MULTI_CHOICE:
            for o in q.options:
                labels = {0.0: "Not selected", 1.0: "Selected"}
                source = f"{q.id}.{o.id}"
                full = f"{label}: {t(o.text)}"
                out.append(Variable(source, full, NOMINAL, "number", labels, "F3.0", q, o.id))
        elif q.type is QuestionType.EMOTION_PICKER:
            labels = {0.0: "Not chosen"} | {float(k): t(v) for k, v in INTENSITY_LABELS.items()}
            for e in q.emotions:
                full = f"{label}: {t(EMOTION_LABELS.get(e, e))}"
                out.append(Variable(f"{q.id}.{e}", full, ORDINAL, "number", labels, "F3.0", q, e))
        elif q.type is QuestionType.NUMBER:
            fmt = "F12.0" if q.integer else None
            out.append(Variable(q.id, label, SCALE, "number", {}, fmt, q))
        elif q.type is QuestionType.DATE:
            out.append(Variable(q.id, label, SCALE, "date", {}, None, q))
        elif q.type is QuestionType.TEXT:
            out.append(Variable(q.id, label, NOMINAL, "string", {}, None, q))
    for v in out:
        if v.coded and v.question is not None and v.question.show_if is not None:
            v.value_labels = {**v.value_labels, float(NOT_SHOWN): NOT_SHOWN_LABEL}
    return out


def _scale_labels(q: Question, t: Any) -> dict[float, str]:
    scale = q.scale
    if scale is None:
        return {}
    if scale.labels:
        return {float(scale.min + i): t(text) for i, text in enumerate(scale.labels)}
    ends = {float(scale.min): t(scale.low), float(scale.max): t(scale.high)}
    return {k: v for k, v in ends.items() if v}


META = (
    Variable("response_id", "Response id", NOMINAL, "number", spss_format="F12.0", meta=True),
    Variable("submitted_at", "Submitted at (UTC)", SCALE, "datetime", meta=True),
    Variable("unit", "Unit code", NOMINAL, "string", meta=True),
    Variable("language", "Language of the answers", NOMINAL, "string", meta=True),
    Variable("channel", "Channel", NOMINAL, "string", meta=True),
)


def sav_frame(
    definition: SurveyDefinition, responses: Sequence[dict[str, Any]], org_name: str = "us"
) -> tuple[pd.DataFrame, list[Variable]]:
    """The responses as the columns of an SPSS file (by source name), with its variables.

    Answers to questions the definition no longer has (an older version's) follow, unlabelled.
    """
    attributes = sorted({k for r in responses for k in (r.get("attributes") or {})})
    questions = question_variables(definition, org_name)
    variables = [
        *META,
        *(
            Variable(f"attr.{k}", f"Attribute: {k}", NOMINAL, "string", meta=True)
            for k in attributes
        ),
        *questions,
    ]
    rows = [_cells(definition, questions, r) for r in responses]
    known = {v.key for v in variables}
    extra: dict[str, str] = {}
    for row in rows:
        for key in row.keys() - known:
            if key not in extra:
                extra[key] = "string" if isinstance(row[key], str) else "number"
    variables += [Variable(key, "", NOMINAL, kind) for key, kind in sorted(extra.items())]
    frame = pd.DataFrame(
        {v.key: [row.get(v.key, blank) for row in rows] for v, blank in _blanks(variables)}
    )
    for v in variables:
        if v.kind == "number":
            frame[v.key] = pd.to_numeric(frame[v.key], errors="coerce").astype("float64")
    return frame, variables


def _blanks(variables: list[Variable]) -> list[tuple[Variable, Any]]:
    return [(v, _missing(v)) for v in variables]


def _missing(v: Variable) -> Any:
    return "" if v.kind == "string" else (None if v.kind == "date" else math.nan)


def _cells(
    definition: SurveyDefinition, variables: list[Variable], r: dict[str, Any]
) -> dict[str, Any]:
    submitted = pd.Timestamp(r["submitted_at"])
    if submitted.tzinfo is not None:
        submitted = submitted.tz_convert("UTC").tz_localize(None)
    cells: dict[str, Any] = {
        "meta:response_id": r["id"],
        "meta:submitted_at": submitted,
        "meta:unit": r.get("unit") or "",
        "meta:language": r["language"],
        "meta:channel": r["channel"],
    }
    for key, value in (r.get("attributes") or {}).items():
        cells[f"meta:attr.{key}"] = "" if value is None else str(value)
    values = [(a["question_id"], a["item"], a["value_num"], a["value_text"]) for a in r["answers"]]
    answers = answers_from_values(definition, values)
    shown = {q.id for q in visible_questions(definition, answers)}
    for a in r["answers"]:
        cells[wide_column(a)] = a["value_num"] if a["value_num"] is not None else a["value_text"]
    for v in variables:
        q = v.question
        if q is None:
            continue
        if q.id not in shown:
            cells[v.source] = NOT_SHOWN if v.coded else _missing(v)
        elif q.type is QuestionType.SINGLE_CHOICE and q.id in answers:
            chosen = answers[q.id]
            cells[v.source] = next(
                (i for i, o in enumerate(q.options, 1) if o.id == chosen), math.nan
            )
        elif q.type in (QuestionType.MULTI_CHOICE, QuestionType.EMOTION_PICKER):
            if q.id in answers:
                cells.setdefault(v.source, 0)
        elif q.type is QuestionType.DATE and q.id in answers:
            cells[v.source] = date.fromisoformat(str(answers[q.id]))
    return cells


def to_sav_bytes(
    definition: SurveyDefinition, responses: Sequence[dict[str, Any]], org_name: str = "us"
) -> bytes:
    """The responses as an SPSS ``.sav`` file, labelled from ``definition``."""
    frame, variables = sav_frame(definition, responses, org_name)
    taken: set[str] = set()
    names = [spss_name(v.source, taken) for v in variables]
    frame.columns = pd.Index(names)
    by_name = dict(zip(names, variables, strict=True))
    for name, v in by_name.items():
        if v.kind == "date":
            frame[name] = frame[name].astype(object)
    notes = [f"Rapport export of survey {definition.key}; labels in {definition.default_language}"]
    notes += [f"{name} is {v.source}" for name, v in by_name.items() if name != v.source]
    title = fill_placeholders(
        text_for(definition.title, definition.default_language, "en"), {"org": org_name}
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "export.sav")
        pyreadstat.write_sav(
            frame,
            path,
            file_label=cut(title, 64),
            column_labels={
                n: cut(v.label, VARIABLE_LABEL_BYTES) or None for n, v in by_name.items()
            },
            # SPSS documents are lines of 80 bytes (the names and key are ASCII)
            note=[line for n in notes for line in textwrap.wrap(n, NOTE_BYTES)],
            variable_value_labels={
                n: {k: cut(text, VALUE_LABEL_BYTES) for k, text in v.value_labels.items()}
                for n, v in by_name.items()
                if v.value_labels
            },
            missing_ranges={
                n: [NOT_SHOWN]
                for n, v in by_name.items()
                if v.coded and NOT_SHOWN in v.value_labels
            },
            variable_measure={n: v.measure for n, v in by_name.items()},
            variable_format={n: v.spss_format for n, v in by_name.items() if v.spss_format},
        )
        with open(path, "rb") as f:
            return f.read()
