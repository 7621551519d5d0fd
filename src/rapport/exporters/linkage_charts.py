"""Linkage charts (Altair → Vega-Lite): the paths' effects with their intervals.

Takes the frame :meth:`rapport.client.Client.linkage` returns and draws, for the paths
measured in index points, the change in the target that follows a 5-point rise in the source
at each level (within, pooled, between), with its interval.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from rapport.exporters.charts import FIT_X, HEART, LEGEND, MIND, records

LEVEL_COLOURS = alt.Scale(domain=["within", "pooled", "between"], range=[HEART, MIND, "#6b7280"])
STEP = 5.0


def path_effects(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """One point per path and level: the target's change per 5 source points, whiskers for
    the interval; paths without an estimate are left out (the table says why)."""
    data = frame[(frame["scale"] == "points") & frame["estimate"].notna()].copy()
    data["path"] = data["source"] + " → " + data["target"]
    for column in ("estimate", "lower", "upper"):
        data[f"{column}_step"] = data[column].astype(float) * STEP
    rows = records(data[["path", "level", "estimate_step", "lower_step", "upper_step"]])
    y = alt.Y("path:N", title=None)
    offset = alt.YOffset("level:N", sort=["within", "pooled", "between"])
    colour = alt.Color("level:N", scale=LEVEL_COLOURS, title=None, legend=alt.Legend(**LEGEND))
    tooltip: list[Any] = [
        alt.Tooltip("path:N"),
        alt.Tooltip("level:N"),
        alt.Tooltip("estimate_step:Q", format=".2f", title="change per 5 points"),
        alt.Tooltip("lower_step:Q", format=".2f", title="lower"),
        alt.Tooltip("upper_step:Q", format=".2f", title="upper"),
    ]
    x_title = "Change in the target per 5-point rise in the source (index points)"
    points = (
        alt.Chart(rows)
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("estimate_step:Q", title=x_title),
            y=y,
            yOffset=offset,
            color=colour,
            tooltip=tooltip,
        )
    )
    whiskers = (
        alt.Chart(rows)
        .mark_rule(strokeWidth=2)
        .encode(x="lower_step:Q", x2="upper_step:Q", y=y, yOffset=offset, color=colour)
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    height = max(120, 70 * data["path"].nunique())
    return alt.layer(whiskers, points, zero, title="Linkage paths, with 95% intervals").properties(
        width="container", height=height, autosize=FIT_X
    )
