"""Read a CSV table with named columns (units, people): header checks, rows with numbers.

Header names are trimmed and lower-cased; cells are trimmed. Rows are numbered as a
spreadsheet shows them (the header is row 1), so error reports point at the right line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from rapport.errors import FieldError
from rapport.importers.csv_responses import decode


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]  # cells padded to the header (trimmed unless strip=False)
    lines: list[int]  # each row's number as a spreadsheet shows it
    encoding: str

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Rows as (row number, column → cell) (convenient for small tables)."""
        return [
            (line, dict(zip(self.columns, cells, strict=True)))
            for line, cells in zip(self.lines, self.rows, strict=True)
        ]


def read_table(
    data: bytes, required: Sequence[str], *, strip: bool = True
) -> tuple[Table | None, list[FieldError]]:
    """The table, or None and the errors (binary data, no header, missing or repeated
    columns, rows with more cells than the header). ``strip=False`` leaves the cells as
    they are, for a caller that trims them column by column.

    >>> t, errs = read_table(b"code,name\\nnorth, North \\n", ["code", "name"])
    >>> t.records(), errs
    ([(2, {'code': 'north', 'name': 'North'})], [])
    """
    if b"\x00" in data:  # no CSV text holds NUL bytes; spreadsheets, images and zips do
        return None, [FieldError("file", "it holds binary data; save it as CSV (UTF-8)", "binary")]
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        return None, [FieldError("file", "expected a header row naming the columns", "empty")]
    columns = [h.strip().lower() for h in header]
    errors = [
        FieldError(f"column {name}", "required column is missing", "missing_column")
        for name in required
        if name not in columns
    ]
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            errors.append(FieldError(f"column {name}", "appears twice", "duplicate_column"))
        seen.add(name)
    if errors:
        return None, errors
    width = len(columns)
    rows = list(reader)  # parsed in C; rows of the header's width are kept as they are
    lines = list(range(2, len(rows) + 2))
    if any(len(cells) != width for cells in rows):
        rows, lines = _regular(rows, width, errors)
    if strip:
        rows = [[c.strip() for c in cells] for cells in rows]
    return Table(columns, rows, lines, encoding), errors


def _regular(
    rows: list[list[str]], width: int, errors: list[FieldError]
) -> tuple[list[list[str]], list[int]]:
    """Rows without blank lines, short rows padded, long rows reported."""
    kept: list[list[str]] = []
    lines: list[int] = []
    pad = [""] * width
    for line, cells in enumerate(rows, start=2):
        if len(cells) != width:
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) > width:
                message = f"{len(cells)} cells for {width} columns"
                errors.append(FieldError(f"row {line}", message, "extra_cells"))
                continue
            cells = cells + pad[len(cells) :]
        kept.append(cells)
        lines.append(line)
    return kept, lines
