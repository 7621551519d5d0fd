"""SPSS export details that the HTTP round trip does not reach: names SPSS refuses, empty
surveys, answers to questions an older version had, labels longer than SPSS holds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyreadstat

from rapport.domain.survey import definition_from_dict
from rapport.exporters import spss
from rapport.exporters.responses import render

LONG_ID = "q" + "x" * 63  # the longest question id; with ".row" past SPSS's 64 bytes
DEFINITION = definition_from_dict(
    {
        "key": "odd-names",
        "title": "Odd names",
        "audience": "customer",
        "pages": [
            {
                "id": "p",
                "questions": [
                    {"id": "to", "type": "nps", "text": "Reserved word"},
                    {
                        "id": LONG_ID,
                        "type": "matrix",
                        "text": "Ж" * 300,
                        "rows": [{"id": "row", "text": "R" * 10}],
                        "scale": {"points": 5, "low": "Ü" * 100, "high": "High"},
                    },
                ],
            }
        ],
    }
)


def _response(rid: int, answers: list[tuple[str, str, float | None, str | None]]) -> dict[str, Any]:
    return {
        "id": rid,
        "submitted_at": datetime(2026, 5, 4, 10, 30, tzinfo=UTC),
        "unit": "north-1",
        "language": "en",
        "channel": "link",
        "attributes": {"segment": "gold", "2nd key": 7},
        "answers": [
            {"question_id": q, "item": i, "value_num": n, "value_text": t} for q, i, n, t in answers
        ],
    }


def _read(tmp_path: Path, data: bytes) -> tuple[Any, Any]:
    path = tmp_path / "x.sav"
    path.write_bytes(data)
    return pyreadstat.read_sav(str(path))


def test_names_spss_refuses_are_renamed_and_noted(tmp_path: Path) -> None:
    rows = [
        _response(1, [("to", "", 9.0, None), (LONG_ID, "row", 4.0, None)]),
        # an answer to a question a later version dropped: kept, unlabelled
        _response(2, [("to", "", 3.0, None), ("gone", "", None, "old text")]),
    ]
    frame, meta = _read(tmp_path, spss.to_sav_bytes(DEFINITION, rows))
    long_name = LONG_ID[:64]
    assert meta.column_names == [
        "response_id", "submitted_at", "unit", "language", "channel",
        "attr.2nd_key", "attr.segment", "to_", long_name, "gone",
    ]  # fmt: skip
    notes = " ".join(meta.notes)
    assert f"{long_name} is {LONG_ID}.row" in notes and "to_ is to" in meta.notes
    label = meta.column_names_to_labels[long_name]
    assert len(label.encode()) <= 256 and label == ("Ж" * 300 + ": " + "R" * 10).encode()[
        :256
    ].decode("utf-8", "ignore")
    assert meta.variable_value_labels[long_name] == {1.0: "Ü" * 60, 5.0: "High"}
    assert frame["to_"].tolist() == [9.0, 3.0]
    assert frame["gone"].tolist() == ["", "old text"]
    assert frame["attr.2nd_key"].tolist() == ["7", "7"]
    assert frame["submitted_at"].tolist()[0] == datetime(2026, 5, 4, 10, 30)


def test_a_survey_without_responses_still_describes_its_variables(tmp_path: Path) -> None:
    frame, meta = _read(tmp_path, render("sav", DEFINITION, []))
    assert len(frame) == 0
    assert meta.column_names[-2:] == ["to_", LONG_ID[:64]]
    assert meta.variable_measure["to_"] == "scale"
    assert render("json", DEFINITION, []) == b"[]"


def test_spss_names_are_unique_whatever_the_case() -> None:
    taken: set[str] = set()
    names = [spss.spss_name(s, taken) for s in ("a.", "A", "a", "_x", "with", "9")]
    assert names == ["a", "A_2", "a_3", "v_x", "with_", "v9"]
