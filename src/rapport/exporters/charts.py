"""Charts as Vega-Lite specs (Altair), rendered in the browser by the vendored vega-embed and
offline to PNG/SVG by vl-convert. Inputs are tidy pandas frames from the metrics engine;
suppressed or missing values are drawn as gaps, never as zeros.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

HEART = "#b3264b"
MIND = "#1f6f8b"


def heatmap(
    frame: pd.DataFrame,
    *,
    row: str = "unit",
    column: str = "metric",
    value: str = "value",
    title: str = "",
) -> alt.TopLevelMixin:
    """Units × metrics. Colour shows each unit's standing *within* a metric (metrics have
    different scales); the number is the value. Hidden or missing cells are grey with "–"."""
    data = frame.copy()
    grouped = data.groupby(column)[value]
    spread = (grouped.transform("max") - grouped.transform("min")).replace(0, 1)
    data["standing"] = (data[value] - grouped.transform("min")) / spread
    data["label"] = data[value].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}")
    base = alt.Chart(_records(data)).encode(
        y=alt.Y(f"{row}:N", sort=None, title=None),
        x=alt.X(f"{column}:N", sort=None, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
    )
    empty = base.mark_rect(color="#e5e7eb")
    cells = (
        base.transform_filter(f"isValid(datum['{value}'])")
        .mark_rect()
        .encode(
            color=alt.Color(
                "standing:Q",
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
                legend=alt.Legend(title="Within metric", format=".0%"),
            ),
            tooltip=[
                alt.Tooltip(f"{row}:N"),
                alt.Tooltip(f"{column}:N"),
                alt.Tooltip(f"{value}:Q", format=".1f"),
            ],
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("datum.standing > 0.6", alt.value("white"), alt.value("#1b1f24")),
    )
    width = max(70 * data[column].nunique(), 240)
    return alt.layer(empty, cells, text, title=title).properties(width=width)


def trend(
    frame: pd.DataFrame,
    *,
    x: str = "period",
    value: str = "value",
    lower: str = "lower",
    upper: str = "upper",
    series: str | None = None,
    title: str = "",
    y_title: str = "",
) -> alt.TopLevelMixin:
    """A line per series over periods with its confidence band."""
    enc: dict[str, Any] = {"x": alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%b %Y"))}
    if series:
        enc["color"] = alt.Color(f"{series}:N", title=None)
    band = (
        alt.Chart(frame)
        .mark_area(opacity=0.2)
        .encode(y=alt.Y(f"{lower}:Q", title=y_title), y2=f"{upper}:Q", **enc)
    )
    line = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(y=alt.Y(f"{value}:Q", title=y_title), tooltip=list(frame.columns), **enc)
    )
    return alt.layer(band, line, title=title).properties(width=560, height=260)


def quadrant(
    frame: pd.DataFrame,
    *,
    label: str = "unit",
    hearts: str = "hearts",
    minds: str = "minds",
    title: str = "Hearts and minds",
) -> alt.TopLevelMixin:
    """Units placed by minds (x) and hearts (y), split at the organisation's medians."""
    data = frame.dropna(subset=[hearts, minds])
    points = (
        alt.Chart(data)
        .mark_circle(size=90, color=HEART)
        .encode(
            x=alt.X(f"{minds}:Q", title="Minds index (rational)", scale=alt.Scale(zero=False)),
            y=alt.Y(f"{hearts}:Q", title="Hearts index (emotional)", scale=alt.Scale(zero=False)),
            tooltip=list(data.columns),
        )
    )
    names = points.mark_text(align="left", dx=7, fontSize=10, color="#1b1f24").encode(
        text=f"{label}:N"
    )
    rules = [
        alt.Chart(pd.DataFrame({"v": [data[minds].median()]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(x="v:Q"),
        alt.Chart(pd.DataFrame({"v": [data[hearts].median()]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(y="v:Q"),
    ]
    return alt.layer(points, names, *rules, title=title).properties(width=520, height=420)


def _records(frame: pd.DataFrame) -> alt.Data:
    """Inline data with missing values as JSON null (Vega-Lite has no NaN)."""
    rows = [
        {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]
    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render offline (no browser, no network) to PNG bytes."""
    return bytes(vlc.vegalite_to_png(chart.to_json(), scale=scale))


def to_svg(chart: alt.TopLevelMixin) -> str:
    return str(vlc.vegalite_to_svg(chart.to_json()))
