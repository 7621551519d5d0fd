"""LimeSurvey XML (``.lss`` survey structure, ``.lsr`` responses, ``.lsa`` archive) as tables.

Every LimeSurvey XML document is a set of tables: ``<questions><fields>…</fields><rows>
<row><qid>…</qid>…</row></rows></questions>``. Up to DBVersion 3xx, texts sit in the
table rows with a ``language`` column (one row per language); from LimeSurvey 4 (DBVersion
400+) they sit in separate ``*_l10ns`` tables. :func:`tables` reads both the same way.
"""

from __future__ import annotations

import io
import zipfile
from typing import Final
from xml.etree import ElementTree as ET

from rapport.errors import FieldError, ValidationFailed

Row = dict[str, str]
MAX_ARCHIVE_BYTES: Final = 50_000_000


def not_limesurvey(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"the {where} is not a LimeSurvey file", [FieldError(where, message, "format")]
    )


def parse_document(data: bytes, what: str) -> ET.Element:
    """The root ``<document>`` of a LimeSurvey XML file; ValidationFailed naming the line."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - stdlib parser expands no external entities
    except ET.ParseError as exc:
        line, column = exc.position
        raise ValidationFailed(
            f"the {what} is not valid XML",
            [FieldError(f"{what}: line {line}, column {column}", str(exc), "syntax")],
        ) from exc
    if root.tag != "document" or root.find("LimeSurveyDocType") is None:
        raise not_limesurvey(what, "expected <document> with <LimeSurveyDocType>")
    return root


REQUIRED: Final = {
    "questions": ("qid", "gid", "type", "title"),
    "subquestions": ("qid", "parent_qid", "title"),
    "groups": ("gid",),
    "group_l10ns": ("gid",),
    "question_l10ns": ("qid",),
    "answers": ("qid", "code"),
    "answer_l10ns": ("aid",),
    "question_attributes": ("qid",),
}


def table(root: ET.Element, name: str) -> list[Row]:
    """The rows of one table, each as {column: text} (empty cells as ""); a row without a
    column the importer needs is an error naming the table, the row and the column."""
    found = root.find(name)
    if found is None:
        return []
    rows = [
        {cell.tag.lstrip("_"): (cell.text or "") for cell in row}
        for row in found.findall("rows/row")
    ]
    for number, row in enumerate(rows, start=1):
        missing = [c for c in REQUIRED.get(name, ()) if not row.get(c, "").strip()]
        if missing:
            raise not_limesurvey(
                f"definition: <{name}> row {number}", f"expected <{missing[0]}> with a value"
            )
    return rows


def unpack_archive(data: bytes) -> tuple[bytes, bytes | None]:
    """The ``.lss`` and (if any) ``.lsr`` of a ``.lsa`` survey archive (a ZIP file)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise not_limesurvey("definition", f"not a readable .lsa archive: {exc}") from exc
    with archive:
        names = archive.namelist()
        if sum(i.file_size for i in archive.infolist()) > MAX_ARCHIVE_BYTES:
            raise not_limesurvey("definition", "the .lsa archive unpacks to over 50 MB")
        lss = [n for n in names if n.lower().endswith(".lss")]
        lsr = [n for n in names if n.lower().endswith("_responses.lsr")]
        if len(lss) != 1:
            raise not_limesurvey(
                "definition", f"expected one .lss in the .lsa archive, found {len(lss)}"
            )
        responses = archive.read(lsr[0]) if len(lsr) == 1 else None
        return archive.read(lss[0]), responses
