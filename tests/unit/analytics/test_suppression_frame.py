"""suppress_frame: blank hidden values, keep every row, say why."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rapport.analytics.suppression import Cell, SuppressionPolicy, suppress
from rapport.analytics.suppression.frame import suppress_frame

POLICY = SuppressionPolicy()


def region_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": ["north", "north/s1", "north/s2", "north/s3"],
            "parent": [None, "north", "north", "north"],
            "n": [40, 20, 17, 3],
            "enps": [12.5, 30.0, -5.0, -100.0],
            "answered": [40, 20, 17, 3],
            "top_comment": ["more staff", "rotas", "parking", "my manager, Sam"],
        }
    )


def test_hidden_rows_keep_their_place_with_values_blanked() -> None:
    df = region_frame()
    out = suppress_frame(
        df,
        "n",
        ["enps", "answered", "top_comment"],
        POLICY,
        audience="employee",
        measure="scores",
        key_col="unit",
        parent_col="parent",
    )
    assert list(out["unit"]) == list(df["unit"])
    assert list(out["suppressed"]) == [False, False, True, True]
    assert list(out["suppression_reason"]) == [None, None, "complementary", "below_threshold"]
    assert out["enps"].iloc[:2].tolist() == [12.5, 30.0]
    assert out["enps"].iloc[2:].isna().all()
    assert out["answered"].dtype == np.float64  # integers become floats to hold NaN
    assert math.isnan(out["answered"].iloc[3])
    assert out["top_comment"].tolist() == ["more staff", "rotas", None, None]
    assert out["n"].tolist() == [40, 20, 17, 3]  # counts stay; the caller decides to show them


def test_the_input_frame_is_not_modified() -> None:
    df = region_frame()
    before = df.copy()
    suppress_frame(
        df,
        "n",
        ["enps"],
        POLICY,
        audience="employee",
        measure="scores",
        key_col="unit",
        parent_col="parent",
    )
    pd.testing.assert_frame_equal(df, before)


def test_frame_and_cells_reach_the_same_decisions() -> None:
    df = region_frame()
    rows = zip(df["unit"], df["n"], df["parent"], strict=True)
    cells = [Cell(u, n, p if isinstance(p, str) else None) for u, n, p in rows]
    decisions = suppress(cells, POLICY, audience="employee", measure="scores")
    out = suppress_frame(
        df,
        "n",
        ["enps"],
        POLICY,
        audience="employee",
        measure="scores",
        key_col="unit",
        parent_col="parent",
    )
    assert out["suppressed"].tolist() == [decisions[u].suppressed for u in df["unit"]]


def test_index_as_key_and_numeric_ids_with_missing_parents() -> None:
    df = pd.DataFrame(
        {"parent_id": [np.nan, 1.0, 1.0], "n": [12, 9, 3], "score": [3.9, 4.1, 2.0]},
        index=pd.Index([1, 2, 3], name="unit_id"),
    )
    out = suppress_frame(
        df, "n", ["score"], POLICY, audience="employee", measure="scores", parent_col="parent_id"
    )
    assert out.index.tolist() == [1, 2, 3]
    assert out["suppression_reason"].tolist() == [None, "complementary", "below_threshold"]


def test_periods_under_a_total_from_an_earlier_decision() -> None:
    year = suppress([Cell("2024", 30)], POLICY, audience="employee", measure="scores")["2024"]
    months = pd.DataFrame(
        {"month": ["2024-01", "2024-02"], "year": "2024", "n": [26, 4], "enps": [5.0, 9.0]}
    )
    out = suppress_frame(
        months,
        "n",
        ["enps"],
        POLICY,
        audience="employee",
        measure="scores",
        key_col="month",
        parent_col="year",
        within=[year],
    )
    assert out["suppression_reason"].tolist() == ["complementary", "below_threshold"]


def test_customer_frames_gain_the_columns_but_lose_nothing() -> None:
    df = region_frame()
    out = suppress_frame(
        df,
        "n",
        ["enps"],
        POLICY,
        audience="customer",
        measure="scores",
        key_col="unit",
        parent_col="parent",
    )
    assert not out["suppressed"].any()
    assert out["suppression_reason"].isna().all()
    assert out["enps"].tolist() == df["enps"].tolist()


def test_comment_frames_use_the_comment_threshold() -> None:
    df = pd.DataFrame({"n": [9], "comments": [["fine", "ok"]]}, index=["team"])
    out = suppress_frame(df, "n", ["comments"], POLICY, audience="employee", measure="comments")
    assert out.loc["team", "comments"] is None
    assert out.loc["team", "suppression_reason"] == "below_threshold"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="n"), "column 'n' is not in the frame"),
        (lambda df: df.assign(suppressed=1), "already has a 'suppressed' column"),
        (lambda df: df.assign(n=[40, 20, None, 3]), r"row 2: n: expected a respondent count"),
        (lambda df: df.assign(n=[40, 20, 17.5, 3]), r"row 2: n: expected a respondent count"),
        (lambda df: df.assign(unit=["north", None, "b", "c"]), "row 1: the key"),
        (lambda df: df.assign(unit="same"), "appears more than once"),
        (lambda df: df.assign(parent=[None, "south", "north", "north"]), "parent 'south'"),
    ],
)
def test_bad_frames_are_refused_with_the_row_named(change: object, message: str) -> None:
    df = change(region_frame())  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        suppress_frame(
            df,
            "n",
            ["enps"],
            POLICY,
            audience="employee",
            measure="scores",
            key_col="unit",
            parent_col="parent",
        )
