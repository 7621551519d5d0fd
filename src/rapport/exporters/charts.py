"""Charts as Vega-Lite specs (Altair), rendered in the browser by the vendored vega-embed and
offline to PNG/SVG by vl-convert. Inputs are tidy pandas frames from the metrics engine;
suppressed or missing values are drawn as gaps, never as zeros.

In the browser charts take their container's width (``width: "container"``); offline
renderings, which have no container, are drawn :data:`EXPORT_WIDTH` pixels wide. A ``link``
prefix makes marks clickable: a unit's mark goes to ``link + unit_code``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from typing import Any, Literal
from urllib.parse import quote

import altair as alt
import pandas as pd
from altair.utils.schemapi import disable_debug_mode

# Altair checks every schema object against the Vega-Lite schema as it is made (its "debug
# mode"): each step of a chart (layer, properties, facet) checked its inline rows again, 3.5 s
# of CPU for the relationship map's 9,600 cells at 400 units. The charts here are built from
# our own typed frames; :func:`spec` skips the final check too, and
# ``tests/unit/exporters/test_charts.py`` validates each chart kind against the schema. One
# process-wide switch, set once on import (altair's ``debug_mode`` context manager flips the
# same global and is not thread-safe).
disable_debug_mode()

HEART = "#b3264b"
MIND = "#1f6f8b"
EXPORT_WIDTH = 640
#: Charts fill their container's width; their height is their own.
FIT_X = alt.AutoSizeParams(type="fit-x", contains="padding")
LEGEND: dict[str, Any] = {
    "orient": "bottom",
    "labelFontSize": 12,
    "titleFontSize": 12,
    "symbolSize": 120,
}


def heatmap(
    frame: pd.DataFrame,
    *,
    row: str = "unit",
    column: str = "metric",
    value: str = "value",
    title: str = "",
    link: str | None = None,
) -> alt.TopLevelMixin:
    """Units × metrics. Colour shows each unit's standing *within* a metric (metrics have
    different scales); the number is the value. Hidden or missing cells are grey with "–"
    and their tooltip says why (the frame's ``note``)."""
    data = _linked(frame, link)
    grouped = data.groupby(column)[value]
    spread = (grouped.transform("max") - grouped.transform("min")).replace(0, 1)
    data["standing"] = (data[value] - grouped.transform("min")) / spread
    data["label"] = data[value].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}")
    why = data["note"] if "note" in data else pd.Series("", index=data.index)
    data["description"] = [
        f"{r} · {c} · " + (f"no value: {why_ or 'none'}" if pd.isna(v) else f"value {v:.1f}")
        for r, c, v, why_ in zip(data[row], data[column], data[value], why, strict=True)
    ]
    extra: dict[str, Any] = {"href": "url:N"} if "url" in data else {}
    base = alt.Chart(_records(data)).encode(
        y=alt.Y(f"{row}:N", sort=None, title=None),
        x=alt.X(f"{column}:N", sort=None, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
        description="description:N",  # the marks' aria-label: no URL, a reason, not ""
        **extra,
    )
    empty = base.mark_rect(color="#e5e7eb").encode(
        tooltip=[alt.Tooltip("description:N", title="value")]
    )
    cells = (
        base.transform_filter(f"isValid(datum['{value}'])")
        .mark_rect()
        .encode(
            color=alt.Color(
                "standing:Q",
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
                legend=alt.Legend(
                    title="Standing within the metric",
                    format=".0%",
                    gradientLength=220,
                    titleLimit=400,
                    **LEGEND,
                ),
            ),
            tooltip=[
                alt.Tooltip(f"{row}:N"),
                alt.Tooltip(f"{column}:N"),
                alt.Tooltip(f"{value}:Q", format=".1f"),
                *([alt.Tooltip("n:Q")] if "n" in data else []),
            ],
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("datum.standing > 0.6", alt.value("white"), alt.value("#1b1f24")),
    )
    # A fixed height (24 px a unit) rather than a step: Vega-Lite fits only continuous
    # sizes, and warns otherwise.
    height = 24 * max(data[row].nunique(), 1)
    return alt.layer(empty, cells, text, title=title).properties(
        width="container", height=height, autosize=FIT_X
    )


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
    """A line per series over periods with its confidence band. A period without a value
    (null: none, too few or hidden) breaks the line and its band: a line never joins two
    periods across one it has no figure for."""
    axis = alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 1}, labelOverlap=True)
    enc: dict[str, Any] = {"x": alt.X(f"{x}:T", title=None, axis=axis)}
    if series:
        key = alt.Legend(symbolType="stroke", symbolStrokeWidth=3, **LEGEND)
        enc["color"] = alt.Color(f"{series}:N", title=None, legend=key)
    data = _records(frame)
    gaps: Literal["break-paths-show-domains"] = "break-paths-show-domains"
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.2, invalid=gaps)
        .encode(y=alt.Y(f"{lower}:Q", title=y_title), y2=f"{upper}:Q", **enc)
    )
    shown = [alt.Tooltip(f"{x}:T", format="%b %Y"), alt.Tooltip(f"{value}:Q", format=".1f")]
    shown += [
        alt.Tooltip(f"{c}:N" if c != "n" else "n:Q") for c in (series, "n", "note") if c in frame
    ]
    line = (
        alt.Chart(data)
        .mark_line(point=True, invalid=gaps)
        .encode(y=alt.Y(f"{value}:Q", title=y_title), tooltip=shown, **enc)
    )
    return alt.layer(line, band, title=title).properties(
        width="container", height=260, autosize=FIT_X
    )


QUADRANTS = (
    ("hearts and minds", "right", "top"),
    ("minds, not hearts", "right", "bottom"),
    ("hearts, not minds", "left", "top"),
    ("neither", "left", "bottom"),
)


#: Room kept free in each corner of the quadrant for its name (pixels: width, height).
CORNER_CAPTION = (130.0, 20.0)


def quadrant(
    frame: pd.DataFrame,
    *,
    label: str = "unit",
    hearts: str = "hearts",
    minds: str = "minds",
    title: str = "Hearts and minds",
    link: str | None = None,
    width: int = 560,
    height: int = 420,
) -> alt.TopLevelMixin:
    """Units placed by minds (x) and hearts (y), split at the organisation's medians.

    The four quadrants are named in their corners. Unit names are placed beside their
    points where they overlap no other name or point (:func:`place_labels`); a name with
    no free place is left to the tooltip and the data table. Fixed size, so that the
    placement holds in the browser and in exports alike.
    """
    data = _linked(frame.dropna(subset=[hearts, minds]), link)
    data["description"] = [
        f"{name}: hearts {h:.1f}, minds {m:.1f}"
        for name, h, m in zip(data[label], data[hearts], data[minds], strict=True)
    ]
    x_domain = _padded(data[minds])
    y_domain = _padded(data[hearts])
    extra: dict[str, Any] = {"href": "url:N"} if "url" in data else {}
    # Fixed domains, not "nice" ones: the label placement computes pixels from them.
    xs, ys = alt.Scale(domain=x_domain, nice=False), alt.Scale(domain=y_domain, nice=False)
    x = alt.X(f"{minds}:Q", title="Minds index (rational)", scale=xs)
    y = alt.Y(f"{hearts}:Q", title="Hearts index (emotional)", scale=ys)
    points = (
        alt.Chart(_records(data))
        .mark_circle(size=90, color=HEART, opacity=0.85)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip(f"{label}:N"),
                alt.Tooltip(f"{hearts}:Q", format=".1f"),
                alt.Tooltip(f"{minds}:Q", format=".1f"),
            ],
            description="description:N",
            **extra,
        )
    )
    placed = place_labels(data, label, minds, hearts, x_domain, y_domain, width, height)
    names = [
        alt.Chart(_records(placed[placed["align"] == align]))
        .mark_text(align=align, baseline="middle", fontSize=10, color="#1b1f24")
        .encode(
            x=alt.X("x:Q", scale=xs),
            y=alt.Y("y:Q", scale=ys),
            text="text:N",
        )
        for align in ("left", "right", "center")
        if (placed["align"] == align).any()
    ]
    mid_x, mid_y = float(data[minds].median()), float(data[hearts].median())
    rules = [
        alt.Chart(pd.DataFrame({"v": [mid_x]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(x=alt.X("v:Q", scale=xs)),
        alt.Chart(pd.DataFrame({"v": [mid_y]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(y=alt.Y("v:Q", scale=ys)),
    ]
    corner_marks = [
        alt.Chart(
            pd.DataFrame(
                {
                    "text": [name],
                    "x": [x_domain[1] if side == "right" else x_domain[0]],
                    "y": [y_domain[1] if end == "top" else y_domain[0]],
                }
            )
        )
        .mark_text(
            align=side,  # type: ignore[arg-type]
            baseline=end,  # type: ignore[arg-type]
            dx=-4 if side == "right" else 4,
            dy=4 if end == "top" else -4,
            fontSize=11,
            fontStyle="italic",
            color="#5b6470",
        )
        .encode(
            x=alt.X("x:Q", scale=xs),
            y=alt.Y("y:Q", scale=ys),
            text="text:N",
        )
        for name, side, end in QUADRANTS
    ]
    return alt.layer(*rules, *corner_marks, *names, points, title=title).properties(
        width=width, height=height
    )


def place_labels(
    data: pd.DataFrame,
    label: str,
    x: str,
    y: str,
    x_domain: list[float],
    y_domain: list[float],
    width: int,
    height: int,
    font_px: float = 10.0,
) -> pd.DataFrame:
    """Greedy label placement in pixel space: each name goes right, left, above or below its
    point, in the first place that overlaps no placed name, no point and stays inside the
    plot; names with no such place are left out. Returns ``text, x, y, align`` in data units.

    >>> frame = pd.DataFrame({"unit": ["A", "B"], "m": [50.0, 50.0], "h": [50.0, 50.1]})
    >>> list(place_labels(frame, "unit", "m", "h", [0, 100], [0, 100], 400, 400)["text"])
    ['B', 'A']
    """
    sx = width / (x_domain[1] - x_domain[0])
    sy = height / (y_domain[1] - y_domain[0])
    pts = [
        (str(r[label]), (r[x] - x_domain[0]) * sx, (y_domain[1] - r[y]) * sy)
        for _, r in data.sort_values(y, ascending=False).iterrows()
    ]
    radius = 6.0
    taken = [(px - radius, py - radius, px + radius, py + radius) for _, px, py in pts]
    w, h = CORNER_CAPTION
    taken += [  # the quadrants' names in the corners
        (0, 0, w, h),
        (width - w, 0, width, h),
        (0, height - h, w, height),
        (width - w, height - h, width, height),
    ]
    free = _Occupancy(taken)
    placed = []
    for text, px, py in pts:
        w, h = 0.6 * font_px * len(text), font_px + 2
        options = [
            ("left", px + radius + 2, py - h / 2),  # text starts right of the point
            ("right", px - radius - 2 - w, py - h / 2),
            ("center", px - w / 2, py - radius - 2 - h),
            ("center", px - w / 2, py + radius + 2),
        ]
        for align, left, top in options:
            box = (left, top, left + w, top + h)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and free.free(box):
                free.add(box)
                anchor = {"left": box[0], "right": box[2], "center": (box[0] + box[2]) / 2}
                placed.append(
                    {
                        "text": text,
                        "x": x_domain[0] + anchor[align] / sx,
                        "y": y_domain[1] - (top + h / 2) / sy,
                        "align": align,
                    }
                )
                break
    return pd.DataFrame(placed, columns=["text", "x", "y", "align"])


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Occupancy:
    """The boxes placed so far, filed by the grid cells they touch: a new box is tested
    against its neighbours only, not every box (400 units: 250,000 tests became a few
    thousand). Two boxes that overlap share a cell, so the answers are the same.

    >>> taken = _Occupancy([(0, 0, 10, 10)])
    >>> taken.free((5, 5, 20, 20)), taken.free((10, 0, 20, 10))
    (False, True)
    """

    CELL = 40.0  # pixels: about one label's height × width

    def __init__(self, boxes: Iterable[tuple[float, ...]]) -> None:
        self._cells: dict[tuple[int, int], list[tuple[float, ...]]] = {}
        for box in boxes:
            self.add(box)

    def _keys(self, box: tuple[float, ...]) -> list[tuple[int, int]]:
        c = self.CELL
        xs = range(math.floor(box[0] / c), math.floor(box[2] / c) + 1)
        ys = range(math.floor(box[1] / c), math.floor(box[3] / c) + 1)
        return [(x, y) for x in xs for y in ys]

    def add(self, box: tuple[float, ...]) -> None:
        for key in self._keys(box):
            self._cells.setdefault(key, []).append(box)

    def free(self, box: tuple[float, ...]) -> bool:
        return not any(
            _overlap(box, other) for key in self._keys(box) for other in self._cells.get(key, ())
        )


def _padded(values: pd.Series) -> list[float]:
    """A scale domain around ``values`` with room for names and the corner captions."""
    lo, hi = float(values.min()), float(values.max())
    pad = max((hi - lo) * 0.15, 2.0)
    return [lo - pad, hi + pad]


def _linked(frame: pd.DataFrame, link: str | None) -> pd.DataFrame:
    """The frame with a ``url`` per row (``link`` + its unit code) when a link is given."""
    data = frame.copy()
    if link is not None and "unit_code" in data:
        data["url"] = [link + quote(str(code)) for code in data["unit_code"]]
    return data


def _records(frame: pd.DataFrame) -> alt.Data:
    """Inline data with missing values as JSON null (Vega-Lite has no NaN)."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec, not checked against the Vega-Lite JSON schema: the
    charts here are built from our own typed frames, checking every spec took most of a
    dashboard's drawing time, and ``tests/unit/exporters/test_charts.py`` checks each chart
    kind against the schema instead."""
    found: dict[str, Any] = chart.to_dict(validate=False)
    return found


def frame_key(frame: pd.DataFrame) -> bytes:
    """A digest of a frame's columns, types and every value (each row's 64-bit hash): part
    of the key a drawn chart is kept under, so a kept spec is one of exactly this data.

    >>> a = pd.DataFrame({"v": [1.0, None]})
    >>> frame_key(a) == frame_key(a.copy()), frame_key(a) == frame_key(a.fillna(0))
    (True, False)
    """
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.digest()


def embed_json(found: dict[str, Any]) -> str:
    """A spec as JSON to embed in a page's ``<script type="application/json">``."""
    return json.dumps(found).replace("<", "\\u003c")


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render offline (no browser, no network) to PNG bytes."""
    import vl_convert as vlc  # only exports render: not held by every server

    return bytes(vlc.vegalite_to_png(_offline(chart), scale=scale))


def to_svg(chart: alt.TopLevelMixin) -> str:
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(_offline(chart)))


def _offline(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The spec with a fixed width where it takes its container's (there is none offline)."""
    offline = spec(chart)
    if offline.get("width") == "container":
        offline["width"] = EXPORT_WIDTH
    return offline


records = _records
"""Inline Vega-Lite data from a frame (missing values as null), for the other chart modules."""
