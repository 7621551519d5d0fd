"""CSV cells that a spreadsheet will not run as formulas ("CSV injection", OWASP).

Excel, LibreOffice and Google Sheets treat a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula; a comment such as ``=HYPERLINK(...)`` or
``=cmd|' /C calc'!A0`` in an export would then run on the analyst's machine. OWASP's
advice: prefix such cells with a single quote, so they show as text. A plain number
(``-3``, ``+1.5``, ``-2e3``) is not a formula and is left alone, so negative values stay
numeric. Every CSV Rapport writes passes through :func:`safe_cell` or :func:`safe_frame`.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should see it: text that would start a formula gets a
    leading ``'``; numbers and other values pass unchanged.

    >>> safe_cell("=1+2"), safe_cell("@SUM(A1)"), safe_cell("-3"), safe_cell(-3), safe_cell("ok")
    ("'=1+2", "'@SUM(A1)", '-3', -3, 'ok')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if _NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name made safe; numeric columns untouched.

    >>> safe_frame(pd.DataFrame({"=x": ["=1+2", "-3"], "n": [-1, 2]})).to_dict("list")
    {"'=x": ["'=1+2", '-3'], 'n': [-1, 2]}
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def frame_to_csv(frame: pd.DataFrame) -> str:
    """CSV text of a frame (no index), formula-safe."""
    return safe_frame(frame).to_csv(index=False)
