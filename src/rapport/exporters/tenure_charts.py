"""The honeymoon curve (Altair → Vega-Lite), drawn like :mod:`rapport.exporters.charts`.

Takes the frame :func:`rapport.services.tenure.as_frame` gives (``band``, ``estimate``,
``lower``, ``upper``, ``n``, ``suppressed``): a point per tenure band with its interval as a
whisker, joined by a line. A hidden or empty band is a gap, never a zero; the band the
largest significant fall lands in is marked.
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import pandas as pd

from rapport.exporters.charts import FIT_X, HEART, MIND, records

FALL = "#b45309"
METRIC_COLOURS = {"hearts": HEART, "minds": MIND, "nps": "#374151"}
METRIC_TITLES = {"hearts": "Hearts (0–100)", "minds": "Minds (0–100)", "nps": "NPS (−100…100)"}


def tenure_curve(
    frame: pd.DataFrame, *, metric: str = "hearts", fall_band: str | None = None, title: str = ""
) -> alt.TopLevelMixin:
    """``metric`` by tenure band with 95 % intervals; ``fall_band`` is marked "fall"."""
    data = frame[["band", "estimate", "lower", "upper", "n", "suppressed"]].copy()
    data["note"] = [
        "hidden (anonymity)" if hidden else "no responses" if n == 0 else ""
        for hidden, n in zip(data["suppressed"], data["n"], strict=True)
    ]
    data["fall"] = ["fall" if band == fall_band else "" for band in data["band"]]
    data["description"] = [
        f"{band} · {metric} {estimate:.1f} ({lower:.1f} to {upper:.1f}) · n {n}"
        if pd.notna(estimate) and pd.notna(lower)
        else f"{band} · {note or 'no figure'} · n {n}"
        for band, estimate, lower, upper, n, note in zip(
            data["band"], data["estimate"], data["lower"], data["upper"], data["n"],
            data["note"], strict=True,
        )
    ]  # fmt: skip
    order = list(frame["band"])
    colour = METRIC_COLOURS.get(metric, HEART)
    y_title = METRIC_TITLES.get(metric, metric)
    base = alt.Chart(records(data)).encode(
        x=alt.X("band:N", sort=order, title="Tenure", axis=alt.Axis(labelAngle=0))
    )
    tooltip: list[Any] = [
        alt.Tooltip("band:N", title="tenure"),
        alt.Tooltip("estimate:Q", format=".1f", title=metric),
        alt.Tooltip("lower:Q", format=".1f"),
        alt.Tooltip("upper:Q", format=".1f"),
        alt.Tooltip("n:Q"),
        alt.Tooltip("note:N"),
    ]
    gaps: Literal["break-paths-show-domains"] = "break-paths-show-domains"
    line = base.mark_line(color=colour, invalid=gaps).encode(
        y=alt.Y("estimate:Q", title=y_title, scale=alt.Scale(zero=False))
    )
    whiskers = base.mark_rule(color=colour, strokeWidth=2).encode(y="lower:Q", y2="upper:Q")
    points = base.mark_point(filled=True, size=80, color=colour).encode(
        y="estimate:Q", tooltip=tooltip, description="description:N"
    )
    label = base.mark_text(dy=-14, color=FALL, fontWeight="bold").encode(y="upper:Q", text="fall:N")
    return alt.layer(line, whiskers, points, label, title=title).properties(
        width="container", height=240, autosize=FIT_X
    )
