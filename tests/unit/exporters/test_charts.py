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


def _kinds() -> dict[str, object]:
    """One chart of each kind the dashboard draws, with gaps, links and a hidden cell."""
    heat = pd.DataFrame(
        {
            "unit": ["North", "North", "South", "South"],
            "unit_code": ["north", "north", "south", "south"],
            "metric": ["Hearts", "Minds", "Hearts", "Minds"],
            "value": [61.0, 70.5, None, 66.0],
            "n": [40, 40, 3, 3],
            "note": ["", "", "hidden to protect anonymity", ""],
        }
    )
    trend = pd.DataFrame(
        {
            "series": ["Hearts", "Hearts", "Minds", "Minds"],
            "period": pd.to_datetime(["2026-01-01", "2026-02-01"] * 2),
            "value": [60.0, None, 66.0, 67.5],
            "lower": [55.0, None, 61.0, 62.0],
            "upper": [65.0, None, 71.0, 73.0],
            "n": [30, 2, 30, 31],
            "note": ["", "too few responses", "", ""],
        }
    )
    rng = np.random.default_rng(5)
    quad = pd.DataFrame(
        {
            "unit": [f"Store {i}" for i in range(12)],
            "unit_code": [f"s{i}" for i in range(12)],
            "hearts": rng.normal(60, 3, 12),
            "minds": rng.normal(67, 3, 12),
        }
    )
    return {
        "heatmap": charts.heatmap(heat, title="Units", link="/dashboard?unit="),
        "trend": charts.trend(trend, series="series", title="Trend", y_title="Index"),
        "quadrant": charts.quadrant(quad, link="/dashboard?unit="),
    }


@pytest.mark.parametrize("kind", ["heatmap", "trend", "quadrant"])
def test_each_chart_kind_is_valid_vega_lite_and_drawn_unchecked_the_same(kind: str) -> None:
    """Pages draw specs without Altair's schema check (charts.spec); this is the check:
    each kind validates against the Vega-Lite JSON schema and is the same spec."""
    chart = _kinds()[kind]
    checked = chart.to_dict(validate=True)  # raises on a spec the schema refuses
    assert charts.spec(chart) == checked
    assert "</" not in charts.embed_json(checked)  # never closes the page's <script>


def test_frame_key_changes_with_any_value_type_or_column() -> None:
    frame = pd.DataFrame({"unit": ["a", "b"], "value": [1.0, None], "n": [5, 6]})
    same = pd.DataFrame({"unit": ["a", "b"], "value": [1.0, None], "n": [5, 6]})
    assert charts.frame_key(frame) == charts.frame_key(same)
    changed = [
        frame.assign(value=[1.0, 0.0]),
        frame.assign(value=[1.0 + 1e-12, None]),
        frame.assign(n=[5, 7]),
        frame.rename(columns={"n": "count"}),
        frame.assign(n=[5.0, 6.0]),
        frame.iloc[:1],
    ]
    keys = {charts.frame_key(f) for f in changed}
    assert len(keys) == len(changed) and charts.frame_key(frame) not in keys


class _EveryBox:
    """The placement's occupancy without a grid: every new box against every box."""

    def __init__(self, boxes: list[tuple[float, ...]]) -> None:
        self.boxes = list(boxes)

    def add(self, box: tuple[float, ...]) -> None:
        self.boxes.append(box)

    def free(self, box: tuple[float, ...]) -> bool:
        return not any(charts._overlap(box, other) for other in self.boxes)


def test_label_placement_matches_testing_every_box(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid of placed boxes gives exactly the placement of testing every box."""
    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame(
        {
            "unit": [f"Store {i:03d}" for i in range(n)],
            "hearts": rng.normal(60, 4, n),
            "minds": rng.normal(67, 4, n),
        }
    )
    args = (frame, "unit", "minds", "hearts", [50.0, 85.0], [45.0, 75.0], 560, 420)
    placed = charts.place_labels(*args)
    monkeypatch.setattr(charts, "_Occupancy", _EveryBox)
    expected = charts.place_labels(*args)
    assert 20 <= len(expected) < n
    pd.testing.assert_frame_equal(placed, expected)
