"""The dashboard's data tables are written by ``templating.table_rows``: the same HTML as
the template loop it replaced, cell by cell (dates, floats, integers, missing values,
markup in text)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from jinja2 import Environment

from rapport.web.templating import format_number, table_rows

# The template loop of dashboard.html before table_rows, kept as the oracle.
LOOP = (
    "{% for row in frame.itertuples(index=False) %}<tr>{% for c in row %}<td>"
    '{% if c.strftime is defined and c == c %}{{ c.strftime("%Y-%m-%d") }}'
    "{% elif c is number and c == c %}{{ c | num(1) if c is float else c }}"
    "{% elif c is none or c != c %}–{% else %}{{ c }}{% endif %}"
    "</td>{% endfor %}</tr>{% endfor %}"
)


def _loop(frame: pd.DataFrame) -> str:
    env = Environment(autoescape=True)
    env.filters["num"] = format_number
    return env.from_string(LOOP).render(frame=frame)


def test_table_rows_write_what_the_template_loop_wrote() -> None:
    frame = pd.DataFrame(
        {
            "unit": ["north <b>&</b>", "south", None],
            "period": [pd.Timestamp("2026-01-01"), pd.NaT, pd.Timestamp("2026-03-01")],
            "day": [date(2026, 1, 5), None, date(2026, 2, 1)],
            "value": [12.345, float("nan"), -0.04],
            "n": np.array([7, 0, 12], dtype="int64"),
            "hidden": [True, False, True],
            "note": ["", "too few", "hidden to protect anonymity"],
        }
    )
    assert str(table_rows(frame)) == _loop(frame)
    assert str(table_rows(frame.iloc[:0])) == _loop(frame.iloc[:0]) == ""
