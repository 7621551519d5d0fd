"""Relationship-stage charts (Altair → Vega-Lite), drawn like :mod:`rapport.exporters.charts`:
the organisation map (units × periods, grouped by region) and one unit's stage history.

Colour is the stage, on a fixed scale (:data:`STAGE_COLOURS`); how sure the model is shows
as the cell's opacity (faint: a probability near 0.25, solid: near 1) and the probability is
in every tooltip and in the page's table. Too little data is its own look — an outlined
white cell with "?" — never a stage colour; a decline alarm adds "!".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import altair as alt
import pandas as pd

from rapport.exporters.charts import LEGEND, records

#: Relationship stages in their order along the chain, with their colours (green → red;
#: grey for the baseline; white, outlined, for too little data).
STAGE_COLOURS: dict[str, str] = {
    "fresh": "#1a7f37",
    "settled": "#8fc7a0",
    "taken_for_granted": "#e8a33d",
    "at_risk": "#c2332f",
    "new": "#c8d1dc",
    "insufficient_data": "#ffffff",
}
INSUFFICIENT = "insufficient_data"
#: Opacity for a probability: four stages, so 0.25 is a guess and 1 is certain.
OPACITY = alt.Scale(domain=[0.25, 1.0], range=[0.3, 1.0], clamp=True)
CELL = 18  # pixels a unit (row) and a period (column) of the map


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns a chart draws: ``shade`` (the probability; 1 for the certain baseline and
    for too little data, which has its own look), ``mark`` ("!" alarm, "?" no data) and an
    accessible ``description`` per cell. The further signals (lists) are not drawn."""
    data = frame.drop(columns=["signals"], errors="ignore")
    data["shade"] = data["probability"].fillna(1.0)
    data["mark"] = [
        "!" if a else "?" if s == INSUFFICIENT else ""
        for a, s in zip(data["alarm"].tolist(), data["stage"].tolist(), strict=True)
    ]
    data["description"] = [
        f"{u} · {p} · {s.replace('_', ' ')}"
        + ("" if pd.isna(q) else f" · probability {q:.2f}")
        + (" · decline alarm" if a else "")
        for u, p, s, q, a in zip(
            *(data[c].tolist() for c in ("unit_code", "period_label", "stage", "probability",
                                          "alarm")),
            strict=True,
        )
    ]  # fmt: skip
    return data


def _encodings(y: alt.Y, tooltip_unit: bool = True) -> tuple[dict[str, Any], list[Any]]:
    colour = alt.Color(
        "stage:N",
        scale=alt.Scale(domain=list(STAGE_COLOURS), range=list(STAGE_COLOURS.values())),
        legend=alt.Legend(title="Stage", **LEGEND),
    )
    tooltip = [
        *([alt.Tooltip("unit_code:N", title="unit")] if tooltip_unit else []),
        alt.Tooltip("period_label:N", title="period"),
        alt.Tooltip("stage:N"),
        alt.Tooltip("probability:Q", format=".2f"),
        alt.Tooltip("alarm:N"),
    ]
    opacity = alt.Opacity(
        "shade:Q", scale=OPACITY, legend=alt.Legend(title="Probability", format=".2f", **LEGEND)
    )
    return {"y": y, "color": colour, "opacity": opacity}, tooltip


def stage_map(
    frame: pd.DataFrame, *, title: str = "", link: str | None = None, group: str = "region"
) -> alt.TopLevelMixin:
    """Units × periods coloured by stage, one panel per ``group`` (a region).

    ``frame`` has ``unit``, ``period_label``, ``stage``, ``probability``, ``alarm`` and
    ``group``, one row per unit and period, in the order to draw (a region's own row first);
    other columns are left out of the spec (the evidence is in the page's table). ``link``
    makes a cell go to ``link + unit code``.
    """
    shown = frame[["unit", group, "period_label", "stage", "probability", "alarm"]]
    data = _cells(shown.rename(columns={"unit": "unit_code", group: "group"}))
    if link is not None:
        data["url"] = [link + quote(str(code)) for code in data["unit_code"].tolist()]
    order = list(dict.fromkeys(data["group"].tolist()))
    y = alt.Y("unit_code:N", sort=None, title=None)
    encodings, tooltip = _encodings(y)
    extra: dict[str, Any] = {"href": "url:N"} if link is not None else {}
    base = alt.Chart().encode(
        x=alt.X("period_label:N", sort=None, title=None, axis=alt.Axis(labelAngle=-45)),
        description="description:N",
        **extra,
    )
    cells = base.mark_rect(stroke="#9aa4b1", strokeWidth=0.5).encode(tooltip=tooltip, **encodings)
    marks = base.mark_text(fontSize=12, fontWeight="bold", color="#1b1f24").encode(
        y=y, text="mark:N"
    )
    header = alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold", title=None)
    chart: alt.TopLevelMixin = (
        alt.layer(cells, marks, data=records(data))
        .properties(width=alt.Step(CELL), height=alt.Step(CELL))
        .facet(row=alt.Row("group:N", sort=order, header=header, title=None), title=title)
        .resolve_scale(y="independent")
    )
    return chart


def stage_history(frame: pd.DataFrame, *, title: str = "") -> alt.TopLevelMixin:
    """One unit's stage by period: a bar as high as the stage's probability, coloured by
    stage; too little data is an outlined white bar marked "?", an alarm "!" above it."""
    data = _cells(frame.rename(columns={"unit": "unit_code"}))
    data["height"] = data["probability"].fillna(1.0)
    x = alt.X("period_label:N", sort=None, title=None, axis=alt.Axis(labelAngle=-45))
    y = alt.Y(
        "height:Q", title="Probability of the stage", scale=alt.Scale(domain=[0, 1.15]),
        axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=".2f"),
    )  # fmt: skip
    encodings, tooltip = _encodings(y, tooltip_unit=False)
    encodings.pop("opacity")
    base = alt.Chart(records(data)).encode(x=x, description="description:N")
    bars = base.mark_bar(stroke="#9aa4b1", strokeWidth=0.5).encode(tooltip=tooltip, **encodings)
    marks = base.mark_text(dy=-8, fontSize=13, fontWeight="bold", color="#1b1f24").encode(
        y="height:Q", text="mark:N"
    )
    return alt.layer(bars, marks, title=title).properties(
        width="container", height=220, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    )
