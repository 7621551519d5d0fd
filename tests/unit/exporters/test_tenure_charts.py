"""The honeymoon-curve chart: a valid Vega-Lite spec, hidden bands as gaps, the fall marked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rapport.exporters import tenure_charts


def test_tenure_curve_is_a_valid_spec_with_gaps_and_the_fall() -> None:
    frame = pd.DataFrame(
        {
            "band": ["0-3m", "3-12m", "1-3y", "3y+"],
            "lower_days": [0, 90, 365, 1095],
            "upper_days": pd.array([90, 365, 1095, None], dtype="Int64"),
            "estimate": [np.nan, 63.5, 58.3, 57.7],
            "lower": [np.nan, 62.7, 57.7, 57.3],
            "upper": [np.nan, 64.2, 59.0, 58.1],
            "n": [3, 1211, 1600, 4274],
            "suppressed": [True, False, False, False],
        }
    )
    spec = tenure_charts.tenure_curve(frame, metric="hearts", fall_band="1-3y").to_dict()
    line, whiskers, points, label = spec["layer"]  # validated by to_dict()
    assert line["mark"]["invalid"] == "break-paths-show-domains"
    assert points["encoding"]["description"]["field"] == "description"
    assert label["encoding"]["text"]["field"] == "fall"
    assert (whiskers["encoding"]["y"]["field"], whiskers["encoding"]["y2"]["field"]) == (
        "lower",
        "upper",
    )
    values = (
        spec["datasets"][spec["data"]["name"]] if "datasets" in spec else spec["data"]["values"]
    )
    assert values[0]["estimate"] is None and values[0]["note"] == "hidden (anonymity)"
    assert values[0]["description"] == "0-3m · hidden (anonymity) · n 3"
    assert values[1]["description"] == "3-12m · hearts 63.5 (62.7 to 64.2) · n 1211"
    assert [v["fall"] for v in values] == ["", "", "fall", ""]
    assert line["encoding"]["x"]["sort"] == ["0-3m", "3-12m", "1-3y", "3y+"]
