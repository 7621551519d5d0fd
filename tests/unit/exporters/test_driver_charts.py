"""Key-driver charts: ranked bars with intervals, importance × performance, hearts/minds apart."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rapport.exporters import charts, driver_charts

FRAME = pd.DataFrame(
    {
        "driver": ["minds", "hearts", "ces"],
        "construct": ["minds", "hearts", "other"],
        "weight": [0.05, 0.2, 0.01],
        "lower": [0.04, 0.18, 0.0],
        "upper": [0.06, 0.22, 0.02],
        "share": [0.19, 0.77, 0.04],
        "mean": [68.0, 60.0, None],
        "mean_lower": [67.5, 59.5, None],
        "mean_upper": [68.5, 60.5, None],
    }
)


def _data(spec: dict) -> list[dict]:
    """The chart's rows (Altair moves data shared by the layers to the top)."""
    return spec["data"]["values"] if "data" in spec else spec["layer"][0]["data"]["values"]


def test_ranked_drivers_sort_by_weight_and_draw_intervals_in_percent() -> None:
    spec = json.loads(driver_charts.ranked_drivers(FRAME, outcome="nps").to_json())
    bars, whiskers = spec["layer"]
    assert bars["encoding"]["y"]["sort"] == ["hearts", "minds", "ces"]
    assert (whiskers["encoding"]["x"]["field"], whiskers["encoding"]["x2"]["field"]) == (
        "lower_pct",
        "upper_pct",
    )
    row = next(r for r in _data(spec) if r["driver"] == "hearts")
    assert [row[c] for c in ("weight_pct", "lower_pct", "upper_pct")] == pytest.approx([20, 18, 22])
    scale = bars["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True))["hearts"] == charts.HEART
    assert dict(zip(scale["domain"], scale["range"], strict=True))["minds"] == charts.MIND


def test_importance_performance_leaves_out_drivers_without_a_score() -> None:
    spec = json.loads(driver_charts.importance_performance(FRAME).to_json())
    assert sorted(r["driver"] for r in _data(spec)) == ["hearts", "minds"]
