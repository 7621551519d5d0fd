"""The organisation map and a unit's stage history are valid Vega-Lite (validated by Altair),
keep their fixed stage colours, show probability as opacity or height, draw too little data
apart from every stage, and render offline to PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rapport.exporters import charts, stage_charts


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": ["north", "north", "a", "a", "b", "b"],
            "region": ["North", "North", "North", "North", "South", "South"],
            "period_label": ["2026-01", "2026-02"] * 3,
            "stage": ["new", "settled", "new", "insufficient_data", "fresh", "taken_for_granted"],
            "probability": [1.0, 0.9, 1.0, np.nan, 0.4, 0.8],
            "alarm": [False, False, False, False, False, True],
            "evidence": ["long text"] * 6,
        }
    )


def _values(spec: dict) -> list[dict]:  # type: ignore[type-arg]
    data = spec["data"]
    return spec["datasets"][data["name"]] if "datasets" in spec else data["values"]  # type: ignore[no-any-return]


def test_stage_map_groups_by_region_with_stage_colour_and_probability_opacity() -> None:
    spec = stage_charts.stage_map(_frame(), link="/relationships/unit?unit=").to_dict()
    assert spec["facet"]["row"]["field"] == "group"
    assert spec["facet"]["row"]["sort"] == ["North", "South"]  # the frame's order
    assert spec["resolve"]["scale"]["y"] == "independent"  # a region lists its own units
    cells, marks = spec["spec"]["layer"]
    colour = cells["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"], strict=True)) == stage_charts.STAGE_COLOURS
    assert cells["encoding"]["opacity"]["field"] == "shade"
    assert marks["encoding"]["text"]["field"] == "mark"
    values = _values(spec)
    assert [v["mark"] for v in values] == ["", "", "", "?", "", "!"]
    assert values[3]["probability"] is None  # no NaN in the spec; shade 1 with its own look
    assert [v["shade"] for v in values] == [1.0, 0.9, 1.0, 1.0, 0.4, 0.8]
    assert values[0]["url"] == "/relationships/unit?unit=north"
    assert "probability 0.40" in values[4]["description"]
    assert all("evidence" not in v for v in values)  # kept to the page's table
    # Too little data is white, outlined, marked "?": never a stage's colour.
    assert stage_charts.STAGE_COLOURS["insufficient_data"] == "#ffffff"
    assert len(set(stage_charts.STAGE_COLOURS.values())) == len(stage_charts.STAGE_COLOURS)
    png = charts.to_png(stage_charts.stage_map(_frame()))
    assert png[:4] == b"\x89PNG"


def test_stage_history_bars_are_as_high_as_the_stage_probability() -> None:
    one = _frame()[lambda f: f["unit"] == "b"]
    spec = stage_charts.stage_history(one).to_dict()
    bars, marks = spec["layer"]
    assert marks["encoding"]["text"]["field"] == "mark"
    assert bars["encoding"]["y"]["field"] == "height"
    assert [v["height"] for v in _values(spec)] == [0.4, 0.8]
    assert [v["mark"] for v in _values(spec)] == ["", "!"]
    assert charts.to_png(stage_charts.stage_history(one))[:4] == b"\x89PNG"
