"""The map's data table rows written in Python (``relationship_pages.MapRows``) are what the
template loop they replaced wrote, character for character, the first time and when most
rows come from the previous drawing."""

from __future__ import annotations

import math

import pandas as pd

from rapport.web.relationship_pages import MapRows
from rapport.web.templating import make_templates, records

LOOP = (
    "{% for r in map %}<tr><td>{{ r.unit }}</td><td>{{ r.region }}</td>"
    '<td>{{ r.period_label }}</td><td>{{ r.stage }}</td><td>{{ "%.2f" | format(r.probability) '
    'if r.probability == r.probability else "–" }}</td><td>{{ "yes" if r.alarm else "no" }}'
    '</td><td>{{ r.hearts | num(1) if r.hearts == r.hearts else "–" }}</td><td>{{ r.minds | '
    'num(1) if r.minds == r.minds else "–" }}</td><td>{{ r.n }}</td><td>{{ r.evidence }}</td>'
    "</tr>{% endfor %}"
)


def _frame(hearts: float) -> pd.DataFrame:
    nan = math.nan
    return pd.DataFrame(
        {
            "region": ["North", "North", "Sud & Ouest", "Sud & Ouest"],
            "unit": ["n-1", "n-1", "s<2>", "s<2>"],
            "unit_name": ["N1", "N1", "S2", "S2"],
            "period": pd.to_datetime(["2026-05-01", "2026-06-01"] * 2),
            "period_label": ["2026-05", "2026-06", "2026-05", "2026-06"],
            "stage": ["fresh", "taken_for_granted", "too_little_data", "at_risk"],
            "probability": [0.915, 0.5, nan, 0.004],
            "alarm": [False, True, False, True],
            "hearts": [hearts, -0.04, nan, 100.0],
            "minds": [12.345, nan, nan, -3.25],
            "n": [12, 3, 0, 40],
            "evidence": ["hearts 71 – “warm”", 'a "quote" & <b>', "", "CUSUM 4.2 > 4.00"],
        }
    )


def test_rows_are_what_the_template_loop_wrote() -> None:
    loop = make_templates().env.from_string(LOOP)
    rows = MapRows()
    # First drawing, all kept, one cell moved, a row gone and the rest moved up, one back.
    for hearts, drop in ((71.25, 4), (71.25, 4), (-0.3, 4), (-0.3, 1), (-0.3, 4)):
        found = records(_frame(hearts))
        found = found[:drop] + found[drop + 1 :]
        assert rows.html(("map", "s"), found) == loop.render(map=found).encode()
    assert b"s&lt;2&gt;" in rows.html(("map", "s"), records(_frame(1.0)))
