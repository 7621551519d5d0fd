"""Key-driver charts (Altair → Vega-Lite), drawn like :mod:`rapport.exporters.charts`.

Both take the frame :meth:`rapport.client.Client.drivers` returns (``driver``,
``construct``, ``weight``, ``lower``, ``upper``, ``mean``, ``mean_lower``, ``mean_upper``)
and tell hearts, minds and other drivers apart by colour (the dashboard's hearts and minds
colours).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from rapport.exporters.charts import FIT_X, HEART, LEGEND, MIND, records

OTHER = "#6b7280"
CONSTRUCT_COLOURS = alt.Scale(domain=["hearts", "minds", "other"], range=[HEART, MIND, OTHER])


def _percent(frame: pd.DataFrame) -> pd.DataFrame:
    """Weights as percentages of the outcome's variance (a weight is a part of R²)."""
    data = frame.copy()
    for column in ("weight", "lower", "upper"):
        data[f"{column}_pct"] = data[column] * 100
    data["share_pct"] = data["share"] * 100
    return data


def ranked_drivers(frame: pd.DataFrame, *, outcome: str = "the outcome") -> alt.TopLevelMixin:
    """One bar per driver, largest first, with its bootstrap interval as a whisker."""
    data = records(_percent(frame))
    order = list(frame.sort_values("weight", ascending=False)["driver"])
    y = alt.Y("driver:N", sort=order, title=None)
    title = f"Variance of {outcome} explained (%)"
    colour = alt.Color(
        "construct:N", scale=CONSTRUCT_COLOURS, title=None, legend=alt.Legend(**LEGEND)
    )
    tooltip: list[Any] = [
        alt.Tooltip("driver:N"),
        alt.Tooltip("construct:N"),
        alt.Tooltip("weight_pct:Q", format=".2f", title="explained (%)"),
        alt.Tooltip("lower_pct:Q", format=".2f", title="lower"),
        alt.Tooltip("upper_pct:Q", format=".2f", title="upper"),
        alt.Tooltip("share_pct:Q", format=".1f", title="share of R² (%)"),
    ]
    bars = (
        alt.Chart(data)
        .mark_bar(opacity=0.85)
        .encode(x=alt.X("weight_pct:Q", title=title), y=y, color=colour, tooltip=tooltip)
    )
    whiskers = (
        alt.Chart(data)
        .mark_rule(color="#1b1f24", strokeWidth=1.5)
        .encode(x="lower_pct:Q", x2="upper_pct:Q", y=y)
    )
    height = max(120, 26 * len(frame))
    return alt.layer(bars, whiskers, title="Drivers ranked, with 95% intervals").properties(
        width="container", height=height, autosize=FIT_X
    )


def importance_performance(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """Drivers placed by current score (x, 0–100) and importance (y), both with intervals:
    important drivers with low scores (top left) are the ones to fix first."""
    data = records(_percent(frame.dropna(subset=["mean"])))
    x = alt.X("mean:Q", title="Current score (0–100)", scale=alt.Scale(zero=False))
    y = alt.Y("weight_pct:Q", title="Importance: variance explained (%)")
    colour = alt.Color(
        "construct:N", scale=CONSTRUCT_COLOURS, title=None, legend=alt.Legend(**LEGEND)
    )
    points = (
        alt.Chart(data)
        .mark_circle(size=90, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("driver:N"),
                alt.Tooltip("mean:Q", format=".1f", title="score"),
                alt.Tooltip("weight_pct:Q", format=".2f", title="explained (%)"),
            ],
        )
    )
    across = (
        alt.Chart(data)
        .mark_rule(opacity=0.5)
        .encode(x="mean_lower:Q", x2="mean_upper:Q", y=y, color=colour)
    )
    up = (
        alt.Chart(data)
        .mark_rule(opacity=0.5)
        .encode(x=x, y="lower_pct:Q", y2="upper_pct:Q", color=colour)
    )
    names = (
        alt.Chart(data)
        .mark_text(align="left", dx=7, fontSize=10, color="#1b1f24")
        .encode(x=x, y=y, text="driver:N")
    )
    return alt.layer(across, up, points, names, title="Importance × performance").properties(
        width="container", height=360, autosize=FIT_X
    )
