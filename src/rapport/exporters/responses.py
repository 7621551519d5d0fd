"""Responses in the export formats: a wide table (CSV, Parquet), JSON records, SPSS.

Every format is rendered from the same rows (:func:`rapport.services.responses.export_for`,
which decides who may read them), by :func:`render`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from rapport.domain.alerts import answers_from_values
from rapport.domain.survey import SCALE_TYPES, QuestionType, SurveyDefinition
from rapport.exporters.csv_safety import frame_to_csv


@dataclass(frozen=True)
class ExportFormat:
    """How a format travels: its media type and file suffix."""

    media_type: str
    suffix: str


FORMATS: Mapping[str, ExportFormat] = {
    "csv": ExportFormat("text/csv; charset=utf-8", ".csv"),
    "parquet": ExportFormat("application/vnd.apache.parquet", ".parquet"),
    "json": ExportFormat("application/json", ".json"),
    "sav": ExportFormat("application/x-spss-sav", ".sav"),
}
"""The response export formats, by the name ``?format=`` and ``--format`` take."""

#: Question types whose numeric answers are whole numbers (kept as JSON integers).
_WHOLE = SCALE_TYPES | {QuestionType.MATRIX, QuestionType.EMOTION_PICKER}


def format_for_suffix(suffix: str) -> str | None:
    """The format a file name's suffix asks for.

    >>> format_for_suffix(".SAV"), format_for_suffix(".txt")
    ('sav', None)
    """
    return next((name for name, f in FORMATS.items() if f.suffix == suffix.lower()), None)


def wide_frame(responses: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Long answers → wide columns: ``nps``, ``minds.ease``, ``channels.web``, ``comment``.

    Numeric answers become numbers, text answers strings; a chosen single-choice option is
    its id; multi-choice and emotion columns hold 1 or the intensity. An answer column whose
    name is also a response column (a question called ``channel``, or ``attr`` with items)
    is written as ``channel_2`` (the next free suffix), so no value overwrites another.

    >>> r = {"id": 1, "submitted_at": "2026-01-05", "unit": "u1", "language": "en",
    ...      "channel": "web", "attributes": {"tier": "gold"},
    ...      "answers": [{"question_id": "channel", "item": None, "value_num": None,
    ...                   "value_text": "phone"}]}
    >>> wide_frame([r]).loc[0, ["channel", "channel_2", "attr.tier"]].tolist()
    ['web', 'phone', 'gold']
    """
    records: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    for r in responses:
        rec: dict[str, Any] = {
            "response_id": r["id"],
            "submitted_at": r["submitted_at"],
            "unit": r.get("unit"),
            "language": r["language"],
            "channel": r["channel"],
        }
        for key, value in (r.get("attributes") or {}).items():
            rec[f"attr.{key}"] = value
        records.append(rec)
        answer_rows.append(
            {
                wide_column(a): a["value_num"] if a["value_num"] is not None else a["value_text"]
                for a in r["answers"]
            }
        )
    response_columns = {key for rec in records for key in rec}
    answer_columns = {key for row in answer_rows for key in row}
    rename = _free_names(answer_columns & response_columns, response_columns | answer_columns)
    for rec, row in zip(records, answer_rows, strict=True):
        rec.update({rename.get(key, key): value for key, value in row.items()})
    return pd.DataFrame.from_records(records)


def _free_names(clashing: set[str], taken: set[str]) -> dict[str, str]:
    """Each clashing column → ``name_2`` (or the next suffix no column has)."""
    taken = set(taken)
    out: dict[str, str] = {}
    for name in sorted(clashing):
        n = 2
        while f"{name}_{n}" in taken:
            n += 1
        out[name] = f"{name}_{n}"
        taken.add(out[name])
    return out


def wide_column(answer: Mapping[str, Any]) -> str:
    """The column of a stored answer: the question id, ``.item`` for items with a number.

    >>> wide_column({"question_id": "minds", "item": "ease", "value_num": 4.0})
    'minds.ease'
    >>> wide_column({"question_id": "channel", "item": "web", "value_num": None})
    'channel'
    """
    item = answer["item"]
    return str(answer["question_id"]) + (
        f".{item}" if item and answer["value_num"] is not None else ""
    )


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV; text that a spreadsheet would run as a formula is neutralised."""
    return frame_to_csv(frame).encode("utf-8")


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def json_records(
    definition: SurveyDefinition, responses: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One record per response, answers shaped as a submission takes them (docs/surveys.md).

    The metadata fields are the CSV's columns; ``answers`` maps question ids to an integer
    (ratings, whole numbers), a number, a string (text, ISO date, chosen option id), a list
    of option ids (multi choice) or ``{row or emotion: integer}``.
    """
    types = {q.id: q.type for q in definition.questions}
    integer = {q.id for q in definition.questions if q.integer}
    records = []
    for r in responses:
        values = [
            (a["question_id"], a["item"], a["value_num"], a["value_text"]) for a in r["answers"]
        ]
        answers = answers_from_values(definition, values)
        for qid, value in answers.items():
            if types.get(qid) in _WHOLE or qid in integer:
                answers[qid] = _whole(value)
        submitted: datetime = r["submitted_at"]
        records.append(
            {
                "response_id": r["id"],
                "submitted_at": submitted.isoformat(),
                "unit": r.get("unit"),
                "language": r["language"],
                "channel": r["channel"],
                "attributes": dict(r.get("attributes") or {}),
                "answers": answers,
            }
        )
    return records


def _whole(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return value


def render(
    fmt: str,
    definition: SurveyDefinition,
    responses: Sequence[dict[str, Any]],
    org_name: str = "us",
) -> bytes:
    """The responses as a file in ``fmt`` (a key of :data:`FORMATS`); ``{org}`` in the
    survey's texts (SPSS labels) reads ``org_name``."""
    if fmt == "json":
        records = json_records(definition, responses)
        return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "sav":
        from rapport.exporters import spss  # pyreadstat is loaded for SPSS exports only

        return spss.to_sav_bytes(definition, responses, org_name)
    frame = wide_frame(responses)
    return to_parquet_bytes(frame) if fmt == "parquet" else to_csv_bytes(frame)
