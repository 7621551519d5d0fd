"""Suppression over a pandas frame of groups: blank the values, keep every row.

A convenience over :func:`rapport.analytics.suppression.suppress` for the metrics engine,
exports and tables: one row per group, a respondent-count column, the value columns to hide,
and optionally a column naming each row's parent row.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

import pandas as pd

from rapport.analytics.suppression import (
    Cell,
    Decision,
    Measure,
    SuppressionPolicy,
    suppress,
)
from rapport.domain.org import PersonKind

SUPPRESSED_COL = "suppressed"
REASON_COL = "suppression_reason"


def suppress_frame(
    df: pd.DataFrame,
    n_col: str,
    value_cols: Sequence[str],
    policy: SuppressionPolicy,
    *,
    audience: PersonKind | str,
    measure: Measure | str,
    key_col: str | None = None,
    parent_col: str | None = None,
    within: Iterable[Decision] = (),
) -> pd.DataFrame:
    """A copy of ``df`` with hidden groups' values blanked and two columns added.

    Rows are identified by ``key_col`` (default: the index) and linked to their parent row
    by ``parent_col`` (missing/None for a top-level row, or a key from a ``within``
    decision). Value columns of hidden rows become NaN (None for text); ``suppressed`` and
    ``suppression_reason`` say which and why. No row is dropped or reordered, so the caller
    can show "hidden to protect anonymity" in place. The count column is left as it is.

    >>> df = pd.DataFrame(
    ...     {"unit": ["north", "s1", "s2"], "parent": [None, "north", "north"],
    ...      "n": [12, 9, 3], "enps": [10.0, 20.0, -50.0]}
    ... )
    >>> out = suppress_frame(df, "n", ["enps"], SuppressionPolicy(), audience="employee",
    ...                      measure="scores", key_col="unit", parent_col="parent")
    >>> out[["unit", "enps", "suppressed", "suppression_reason"]]
        unit  enps  suppressed suppression_reason
    0  north  10.0       False               None
    1     s1   NaN        True      complementary
    2     s2   NaN        True    below_threshold
    """
    for col in [n_col, *value_cols, *(c for c in (key_col, parent_col) if c)]:
        if col not in df.columns:
            raise ValueError(f"column {col!r} is not in the frame")
    for col in (SUPPRESSED_COL, REASON_COL):
        if col in df.columns:
            raise ValueError(f"the frame already has a {col!r} column; rename it first")
    raw_keys = list(df[key_col]) if key_col else list(df.index)
    keys: list[str] = []
    for i, raw in enumerate(raw_keys):
        key = _key(raw)
        if key is None:
            raise ValueError(f"row {i}: the key ({key_col or 'index'}) is missing")
        keys.append(key)
    parents = [_key(p) for p in df[parent_col]] if parent_col else [None] * len(keys)
    cells = [
        Cell(key, _count(n, f"row {i}: {n_col}"), parent)
        for i, (key, n, parent) in enumerate(zip(keys, df[n_col], parents, strict=True))
    ]
    decisions = suppress(cells, policy, audience=audience, measure=measure, within=within)
    hidden = pd.Series([decisions[k].suppressed for k in keys], index=df.index, dtype=bool)
    out = df.copy()
    for col in value_cols:
        column = out[col]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            out[col] = column.astype("float64").mask(hidden)
        else:
            out[col] = column.astype(object).where(~hidden, None)
    out[SUPPRESSED_COL] = hidden
    out[REASON_COL] = pd.Series(
        [None if (r := decisions[k].reason) is None else str(r) for k in keys],
        index=df.index,
        dtype=object,
    )
    return out


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _key(value: Hashable) -> str | None:
    """Keys as strings; integral floats (ids in a column with gaps) lose their ``.0``."""
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _count(value: object, where: str) -> int:
    if _missing(value) or isinstance(value, bool):
        raise ValueError(f"{where}: expected a respondent count, got {value!r}")
    if isinstance(value, int | float) or hasattr(value, "__index__"):
        number = float(value)
        if number.is_integer() and number >= 0:
            return int(number)
    raise ValueError(f"{where}: expected a respondent count (int >= 0), got {value!r}")
