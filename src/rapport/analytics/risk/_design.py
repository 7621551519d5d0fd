"""From a table of people to a numeric design matrix and a 0/1 outcome.

The rules (docs/drivers.md, "Attrition and churn risk"): the target is read as yes/no,
true/false, 1/0 (or ``positive=`` names the value that counts); rows without it are kept
aside for scoring. A text column whose non-blank cells are all numbers is numeric (blanks
missing: Telco's ``TotalCharges``). Other text columns with at most :data:`MAX_LEVELS`
levels become one indicator per level but a reference level (of two, the first in order:
``No``; of more, the most frequent).
Left out, each with the reason: identifiers (every value distinct and text, or a name
ending in ``id``/``number``), constant columns, text with too many levels, and indicators
or numbers that are a linear combination of those already kept (Telco's "No internet
service" levels repeat ``InternetService``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

MAX_LEVELS = 50
"""A text column with more distinct values than this is not a category but free text."""

DEPENDENCE_TOLERANCE = 1e-8
"""A column whose part not explained by the kept columns has relative variance below this
is a linear combination of them (the drivers' own collinearity check uses 1e-10)."""

_TRUE = frozenset({"yes", "y", "true", "1", "1.0", "left", "churned"})
_FALSE = frozenset({"no", "n", "false", "0", "0.0", "stayed", "retained"})


@dataclass(frozen=True)
class Design:
    """``features``: numeric (NaN where missing), one column per kept variable or level;
    ``source``: each feature's original column; ``outcome``: 1.0, 0.0 or NaN (unknown)."""

    features: pd.DataFrame
    outcome: npt.NDArray[np.float64]
    source: dict[str, str]
    left_out: dict[str, str] = field(default_factory=dict)
    """Column → why it was not used."""
    reference: dict[str, str] = field(default_factory=dict)
    """Text column → the level its indicators are compared with."""


def build_design(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    *,
    exclude: Sequence[str] = (),
    positive: str | None = None,
) -> Design:
    """The design matrix of ``features`` (default: every column but ``target``)."""
    if target not in df.columns:
        raise ValueError(f"target column {target!r} is not in the data")
    names = [c for c in (features if features is not None else df.columns) if c != target]
    missing = [c for c in [*names, *exclude] if c not in df.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the data")
    outcome = binary_outcome(df[target], target, positive)
    left_out: dict[str, str] = dict.fromkeys(exclude, "excluded")
    columns: dict[str, pd.Series] = {}
    source: dict[str, str] = {}
    reference: dict[str, str] = {}
    for name in names:
        if name in left_out:
            continue
        reason = _add_column(df[name], name, columns, source, reference)
        if reason:
            left_out[name] = reason
    frame = pd.DataFrame(columns, index=df.index)
    kept = _independent(frame, outcome)
    for dropped in [c for c in frame.columns if c not in kept]:
        left_out[dropped] = "a linear combination of other columns"
    frame = frame[kept]
    if frame.shape[1] == 0:
        raise ValueError(f"no usable feature column to predict {target!r} from")
    used = {source[c] for c in kept}
    return Design(
        frame,
        outcome,
        {c: source[c] for c in kept},
        left_out,
        {c: level for c, level in reference.items() if c in used},
    )


def binary_outcome(values: pd.Series, name: str, positive: str | None) -> npt.NDArray[np.float64]:
    """1.0 / 0.0 per row, NaN where blank; ``ValueError`` naming the column otherwise."""
    text = values.astype("string").str.strip().str.lower()
    blank = values.isna() | (text == "")
    seen = sorted(set(text[~blank].tolist()))
    if positive is not None:
        wanted = positive.strip().lower()
        if wanted not in seen:
            raise ValueError(f"column {name!r} has no value {positive!r} (found {seen[:5]})")
        if len(seen) > 2:
            raise ValueError(f"column {name!r} must have two values; found {seen[:5]}")
        result = (text == wanted).astype("float64")
    else:
        unknown = [v for v in seen if v not in _TRUE | _FALSE]
        if unknown:
            raise ValueError(
                f"column {name!r} must be yes/no, true/false or 1/0 (or name the value that "
                f"counts with positive=); found {unknown[:5]}"
            )
        result = text.isin(_TRUE).astype("float64")
    blank_rows = blank.to_numpy(dtype=bool, na_value=True)
    return np.where(blank_rows, np.nan, result.to_numpy(dtype=np.float64, na_value=np.nan))


def _add_column(
    values: pd.Series,
    name: str,
    columns: dict[str, pd.Series],
    source: dict[str, str],
    references: dict[str, str],
) -> str | None:
    """Add ``name``'s feature column(s); return why it is left out, or None."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    if not pd.api.types.is_numeric_dtype(values):
        text = values.astype("string").str.strip()
        text = text.mask(text == "")
        parsed = pd.to_numeric(text, errors="coerce")
        if text.notna().any() and parsed.notna().sum() == text.notna().sum():
            values = parsed
        else:
            present = text.dropna()
            if present.nunique() <= 1:
                return "constant"
            if present.nunique() == len(present) or _looks_like_id(name):
                return "an identifier"
            if present.nunique() > MAX_LEVELS:
                return f"text with more than {MAX_LEVELS} distinct values"
            reference = references[name] = _reference_level(present)
            for level in sorted(present.unique()):
                if level == reference:
                    continue
                key = f"{name}={level}"
                columns[key] = (text == level).astype("float64").mask(text.isna())
                source[key] = name
            return None
    numbers = values.astype("float64")
    if np.isinf(numbers).any():
        raise ValueError(f"column {name!r} has infinite values")
    present = numbers.dropna()
    if present.nunique() <= 1:
        return "constant"
    if _looks_like_id(name) and present.nunique() == len(present):
        return "an identifier"
    columns[name] = numbers
    source[name] = name
    return None


def _reference_level(present: pd.Series) -> str:
    """The level the others are compared with: of two, the first in order (``No`` before
    ``Yes``, so the indicator reads ``OverTime=Yes``); of more, the most frequent."""
    counts = present.value_counts()
    if len(counts) == 2:
        return str(sorted(counts.index)[0])
    return str(sorted(counts[counts == counts.max()].index)[0])


def _looks_like_id(name: str) -> bool:
    lowered = name.lower().replace("_", "").replace(" ", "")
    return lowered.endswith(("id", "number"))


def _independent(frame: pd.DataFrame, outcome: npt.NDArray[np.float64]) -> list[str]:
    """The columns in order, leaving out each one that the kept ones (and a constant)
    reproduce exactly on the labelled rows with every feature present."""
    rows = frame[~np.isnan(outcome)].dropna().to_numpy(dtype=np.float64)
    if len(rows) < 2:
        return list(frame.columns)
    kept: list[int] = []
    basis = np.ones((len(rows), 1)) / np.sqrt(len(rows))
    for j in range(rows.shape[1]):
        column = rows[:, j] - rows[:, j].mean()
        total = float(column @ column)
        if total == 0:
            continue
        residual = column - basis @ (basis.T @ column)
        residual -= basis @ (basis.T @ residual)  # a second pass keeps it orthogonal
        if float(residual @ residual) / total < DEPENDENCE_TOLERANCE:
            continue
        basis = np.column_stack([basis, residual / np.linalg.norm(residual)])
        kept.append(j)
    return [frame.columns[j] for j in kept]
