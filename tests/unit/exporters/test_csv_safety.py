"""Formula neutralisation of CSV cells (OWASP CSV injection), including a property test."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.exporters.csv_safety import FORMULA_STARTS, frame_to_csv, safe_cell, safe_frame


@pytest.mark.parametrize(
    "text", ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\rfoo", "-", "+", "=", "-1e3x"]
)
def test_formula_starts_get_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-3", "+3", "-0.5", "-.5", "-2e3", "1E-4", "12", "plain", ""])
def test_numbers_and_plain_text_are_unchanged(text: str) -> None:
    assert safe_cell(text) == text


@given(st.text())
def test_no_text_cell_can_start_a_formula_after_neutralising(text: str) -> None:
    safe = safe_cell(text)
    if safe.startswith(FORMULA_STARTS):
        float(safe)  # only plain numbers may keep a sign in front
    assert safe.removeprefix("'") == text or safe == text


def test_frames_keep_numeric_columns_and_names_are_safe_too() -> None:
    frame = pd.DataFrame({"attr.=x": ["=evil()", "ok"], "nps": [-3, 9], "v": [-1.5, None]})
    out = safe_frame(frame)
    assert list(out.columns) == ["attr.=x", "nps", "v"]  # "=" inside a name is harmless
    rows = list(csv.reader(io.StringIO(frame_to_csv(frame))))
    assert rows[0] == ["attr.=x", "nps", "v"]
    assert rows[1] == ["'=evil()", "-3", "-1.5"]
    assert out["nps"].tolist() == [-3, 9]
    header = next(csv.reader(io.StringIO(frame_to_csv(pd.DataFrame({"=h": [1]})))))
    assert header == ["'=h"]
