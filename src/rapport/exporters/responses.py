"""Responses as a wide table (one row per response, one column per question or item)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pandas as pd

from rapport.exporters.csv_safety import frame_to_csv


def wide_frame(responses: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Long answers → wide columns: ``nps``, ``minds.ease``, ``channels.web``, ``comment``.

    Numeric answers become numbers, text answers strings; a chosen single-choice option is
    its id; multi-choice and emotion columns hold 1 or the intensity.
    """
    records = []
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
        for a in r["answers"]:
            column = a["question_id"] + (
                f".{a['item']}" if a["item"] and a["value_num"] is not None else ""
            )
            rec[column] = a["value_num"] if a["value_num"] is not None else a["value_text"]
        records.append(rec)
    return pd.DataFrame.from_records(records)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV; text that a spreadsheet would run as a formula is neutralised."""
    return frame_to_csv(frame).encode("utf-8")


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()
