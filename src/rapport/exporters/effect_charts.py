"""The event-study chart of an action's effect (Altair → Vega-Lite), drawn like
:mod:`rapport.exporters.charts`: the treated − comparison difference per month from the
start, with its interval, against the month before the start (fixed at 0)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from rapport.exporters.charts import FIT_X, HEART, records

BEFORE = "#6b7280"


def event_study(frame: pd.DataFrame, *, metric: str = "hearts") -> alt.TopLevelMixin:
    """Points and whiskers per ``relative_period`` (``estimate``, ``lower``, ``upper``);
    leads grey, lags in the hearts colour, a rule at zero and one where the action starts.

    >>> data = pd.DataFrame({"relative_period": [-2, -1, 0], "estimate": [0.2, 0.0, 3.0],
    ...                      "lower": [-1.0, 0.0, 1.5], "upper": [1.4, 0.0, 4.5]})
    >>> event_study(data).to_dict()["layer"][0]["mark"]["type"]
    'rule'
    """
    data = frame.assign(
        when=["after the start" if p >= 0 else "before" for p in frame["relative_period"]]
    )
    x = alt.X(
        "relative_period:Q",
        title="Months from the start of the action",
        axis=alt.Axis(tickMinStep=1, format="d"),
    )
    colour = alt.Color(
        "when:N",
        scale=alt.Scale(domain=["before", "after the start"], range=[BEFORE, HEART]),
        legend=alt.Legend(orient="bottom", title=None),
    )
    base = alt.Chart(records(data)).encode(x=x, color=colour)
    whiskers = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("lower:Q", title=f"Difference in {metric} (points)"), y2="upper:Q"
    )
    points = base.mark_point(filled=True, size=70).encode(
        y="estimate:Q",
        tooltip=[
            alt.Tooltip("relative_period:Q", title="month"),
            alt.Tooltip("estimate:Q", format="+.1f"),
            alt.Tooltip("lower:Q", format="+.1f"),
            alt.Tooltip("upper:Q", format="+.1f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#1b1f24").encode(y="y:Q")
    start = alt.Chart(pd.DataFrame({"x": [-0.5]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return alt.layer(zero, start, whiskers, points).properties(height=260, autosize=FIT_X)
