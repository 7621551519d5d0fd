"""Text files from other tools: detect the encoding and the CSV delimiter, never assume them.

Exports come as UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode text",
SurveyMonkey's and Qualtrics' options) or Windows-1252 (older Windows tools), and European
spreadsheets write ``;`` between cells.
"""

from __future__ import annotations

import codecs
import csv
import io

from rapport.errors import FieldError, ValidationFailed

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
DELIMITERS = ",;\t"


def decode_text(data: bytes, what: str = "file") -> tuple[str, str]:
    """The text and the encoding it was read with.

    A byte-order mark decides; without one, UTF-16 is recognised by its NUL bytes (ASCII
    text in UTF-16 has one in every pair), then UTF-8 is tried and Windows-1252 is the
    fallback (it decodes any byte, so it comes last).

    >>> decode_text("Très".encode("utf-16"))
    ('Très', 'utf-16')
    >>> decode_text("Très".encode("cp1252"))
    ('Très', 'cp1252')
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data, encoding, what), encoding
    if data and data.count(0) * 3 >= len(data):
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        return _decode(data, encoding, what), encoding
    if b"\x00" in data:
        raise ValidationFailed(
            f"the {what} is not text",
            [FieldError(what, "it holds binary data; export it as CSV or JSON text", "binary")],
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _decode(data: bytes, encoding: str, what: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"the {what} is not valid {encoding}",
            [FieldError(what, f"byte {exc.start}: not {encoding} text", "encoding")],
        ) from exc


def sniff_delimiter(text: str) -> str:
    """``,``, ``;`` or a tab: the one that splits the header line into most cells outside
    quotes (a comma inside a quoted question text does not count).

    >>> sniff_delimiter('Timestamp;"Q1, really?";Q2\\n1;2;3\\n')
    ';'
    """
    lines = text.splitlines()
    first = lines[0] if lines else ""
    best, cells = ",", 0
    for delimiter in DELIMITERS:
        try:
            row = next(csv.reader(io.StringIO(first, newline=""), delimiter=delimiter), [])
        except csv.Error:  # e.g. a quote left open on the header line
            continue
        if len(row) > cells:
            best, cells = delimiter, len(row)
    return best


def read_csv(data: bytes, what: str = "file") -> tuple[list[list[str]], str, str]:
    """Rows of cells (quoted line breaks kept), the encoding and the delimiter found."""
    text, encoding = decode_text(data, what)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        where = f"{what}: line {reader.line_num}"
        raise ValidationFailed(
            f"the {what} is not CSV", [FieldError(where, str(exc), "syntax")]
        ) from exc
    return rows, encoding, delimiter
