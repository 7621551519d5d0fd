"""The ROI simulator's chart (Altair → Vega-Lite) and its one-page PDF (Typst).

:func:`payback_chart` draws the cumulative benefit less cost period by period, with its
interval band, so payback is where the line crosses zero. :func:`pdf` lays the scenario,
the figures as the page shows them (:func:`rapport.services.roi.figures`), the chart
(rendered offline by vl-convert) and the method on one A4 page with the ``typst`` package
(a self-contained compiler: no system libraries, no network). Data reach the template as
JSON, so nothing a user typed is read as Typst markup.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import altair as alt
import pandas as pd

from rapport.exporters.charts import FIT_X, HEART, records, to_png

TEMPLATE = "roi.typ"


def payback_chart(
    timeline: Sequence[tuple[int, float, float, float]], period: str = "month"
) -> alt.TopLevelMixin:
    """Cumulative benefit − cost at the end of each period: a line, its interval band and
    the zero line (payback where the line crosses it)."""
    frame = pd.DataFrame(timeline, columns=["period", "net", "lower", "upper"])
    rows = records(frame)
    x = alt.X(
        "period:Q", title=f"{period.capitalize()}s from the start", axis=alt.Axis(tickMinStep=1)
    )
    band = (
        alt.Chart(rows)
        .mark_area(opacity=0.2, color=HEART)
        .encode(x=x, y=alt.Y("lower:Q", title="Cumulative benefit − cost"), y2="upper:Q")
    )
    line = (
        alt.Chart(rows)
        .mark_line(color=HEART, point=alt.OverlayMarkDef(color=HEART))
        .encode(
            x=x,
            y="net:Q",
            tooltip=[
                alt.Tooltip("period:Q"),
                alt.Tooltip("net:Q", format=",.0f", title="benefit − cost"),
                alt.Tooltip("lower:Q", format=",.0f"),
                alt.Tooltip("upper:Q", format=",.0f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return alt.layer(
        band, line, zero, title="Cumulative benefit less cost, 95% interval"
    ).properties(width="container", height=220, autosize=FIT_X)


def pdf(report: dict[str, Any], chart: alt.TopLevelMixin | None = None) -> bytes:
    """One A4 page: ``report`` holds ``title``, ``subtitle``, ``statement``, ``confidence``,
    ``scenario`` and ``paths`` ((label, value) pairs), ``figures`` ((label, value, interval)
    triples), ``notes``, ``method`` and ``footer``."""
    return _compile(report, chart, "pdf")


def png(report: dict[str, Any], chart: alt.TopLevelMixin | None = None, ppi: int = 100) -> bytes:
    """The same page as a PNG, to look at it as a reader would."""
    return _compile(report, chart, "png", ppi)


def _compile(
    report: dict[str, Any],
    chart: alt.TopLevelMixin | None,
    fmt: Literal["pdf", "png"],
    ppi: int = 144,
) -> bytes:
    template = resources.files("rapport.exporters").joinpath("templates", TEMPLATE).read_text()
    with tempfile.TemporaryDirectory(prefix="rapport-roi-") as folder:
        root = Path(folder)
        (root / "main.typ").write_text(template, encoding="utf-8")
        (root / "data.json").write_text(json.dumps(report), encoding="utf-8")
        image = ""
        if chart is not None:
            image = "chart.png"
            (root / image).write_bytes(to_png(chart, scale=3.0))
        import typst  # only this export compiles PDF: not held by every server

        return bytes(
            typst.compile(
                str(root / "main.typ"),
                root=str(root),
                ignore_system_fonts=True,  # the fonts inside the typst wheel: same page anywhere
                format=fmt,
                ppi=ppi,
                sys_inputs={"chart": image},
            )
        )
