"""Excel workbooks from other tools (``.xlsx``), read as the same rows of text cells a CSV
export of the same data gives, so one reader serves both.

Cells become text the way the tool's CSV writes them: whole numbers without ``.0``, date
cells as ISO 8601 (``2024-05-04T13:02:03``; the reader applies its time zone), empty
cells as ``""``. Only the first sheet is read (a warning names it when there are more).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from typing import Final

from rapport.errors import FieldError, ValidationFailed

ZIP_MAGIC: Final = b"PK\x03\x04"


def is_xlsx(data: bytes) -> bool:
    """Whether the bytes are a zip archive (an ``.xlsx`` is one; a text export never is)."""
    return data.startswith(ZIP_MAGIC)


def cell_text(value: object) -> str:
    """One cell as the text a CSV export writes for it.

    >>> cell_text(3126802202), cell_text(4.0), cell_text(3.5), cell_text(None)
    ('3126802202', '4', '3.5', '')
    >>> cell_text(datetime(2024, 5, 4, 13, 2, 3)), cell_text(date(2024, 5, 4))
    ('2024-05-04T13:02:03', '2024-05-04')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, what: str = "file") -> tuple[list[list[str]], str, int]:
    """The first sheet's rows of text cells, its name and the number of sheets.

    A merged cell (a question text over several columns) holds its text in its first
    column only, as the CSV export leaves the others blank.
    """
    from openpyxl import load_workbook  # a large import, paid only for Excel files

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        message = "not a readable .xlsx workbook (export it again, or as CSV)"
        raise ValidationFailed(
            f"the {what} is {message}", [FieldError(what, message, "format")]
        ) from exc
    try:
        sheet = book.worksheets[0]
        rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        return rows, sheet.title, len(book.worksheets)
    finally:
        book.close()
