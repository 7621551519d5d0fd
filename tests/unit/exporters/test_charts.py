"""Chart specs: gaps stay gaps, charts fit their container, quadrant names never collide."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from rapport.exporters import charts


def _boxes(placed: pd.DataFrame, sx: float, sy: float, x0: float, y1: float) -> list[tuple]:
    out = []
    for r in placed.itertuples():
        w, h = 0.6 * 10 * len(r.text), 12
        px, py = (r.x - x0) * sx, (y1 - r.y) * sy
        left = {"left": px, "right": px - w, "center": px - w / 2}[r.align]
        out.append((left, py - h / 2, left + w, py + h / 2))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quadrant_names_overlap_neither_each_other_nor_points(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    frame = pd.DataFrame(
        {
            "unit": [f"Store number {i}" for i in range(n)],
            "hearts": rng.normal(60, 3, n),
            "minds": rng.normal(67, 3, n),
        }
    )
    xd, yd = [55.0, 80.0], [50.0, 70.0]
    placed = charts.place_labels(frame, "unit", "minds", "hearts", xd, yd, 560, 420)
    assert 10 <= len(placed) <= n
    sx, sy = 560 / (xd[1] - xd[0]), 420 / (yd[1] - yd[0])
    boxes = _boxes(placed, sx, sy, xd[0], yd[1])
    for a, b in itertools.combinations(boxes, 2):
        assert not (
            a[0] < b[2] - 0.01 and b[0] < a[2] - 0.01 and a[1] < b[3] - 0.01 and b[1] < a[3] - 0.01
        )
    for box in boxes:
        assert box[0] >= -0.01 and box[2] <= 560.01 and box[1] >= -0.01 and box[3] <= 420.01
        points = list(
            zip((frame["minds"] - xd[0]) * sx, (yd[1] - frame["hearts"]) * sy, strict=True)
        )
        for px, py in points:
            assert not (box[0] < px < box[2] and box[1] < py < box[3])


def test_trend_breaks_lines_at_missing_values_and_fits_its_container() -> None:
    frame = pd.DataFrame(
        {
            "series": ["Hearts"] * 3,
            "period": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
            "value": [60.0, None, 62.0],
            "lower": [55.0, None, 57.0],
            "upper": [65.0, None, 67.0],
            "n": [30, 1, 40],
            "note": ["", "too few responses", ""],
        }
    )
    spec = charts.trend(frame, series="series").to_dict()
    assert spec["width"] == "container"
    assert {layer["mark"]["invalid"] for layer in spec["layer"]} == {"break-paths-show-domains"}
    values = (
        spec["layer"][0]["data"]["values"] if "data" in spec["layer"][0] else spec["data"]["values"]
    )
    assert values[1]["value"] is None  # a null, not a dropped row: the line breaks there
    png = charts.to_png(charts.trend(frame, series="series"))
    assert png[:4] == b"\x89PNG"
