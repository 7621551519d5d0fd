"""Invitation links to hand over: a CSV, and a ZIP of that CSV with one QR code per link."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence

import segno

from rapport.exporters.csv_safety import safe_cell

HEADER = ("external_id", "name", "email", "link")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def links_csv(rows: Sequence[tuple[str, str, str | None, str]]) -> str:
    """``external_id, name, email, link`` per invitation; no cell can run as a formula.

    >>> links_csv([("c1", "=Ann", None, "https://x/s/t")]).splitlines()
    ['external_id,name,email,link', "c1,'=Ann,,https://x/s/t"]
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def qr_file_name(external_id: str, taken: set[str]) -> str:
    """A safe, unique ``qr/<external_id>.png`` name inside the ZIP.

    >>> qr_file_name("../c 1", set())
    'qr/c_1.png'
    """
    stem = _UNSAFE.sub("_", external_id).strip("._") or "person"
    name, n = f"qr/{stem}.png", 1
    while name in taken:
        n += 1
        name = f"qr/{stem}-{n}.png"
    taken.add(name)
    return name


def links_zip(table: str, links: Sequence[tuple[str, str]]) -> tuple[bytes, str]:
    """``links.csv`` plus ``qr/<external_id>.png`` for each ``(external_id, url)``."""
    buf = io.BytesIO()
    taken: set[str] = set()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("links.csv", table)
        for external_id, url in links:
            png = io.BytesIO()
            segno.make(url, error="m").save(png, kind="png", scale=6)
            archive.writestr(qr_file_name(external_id, taken), png.getvalue())
    return buf.getvalue(), "application/zip"
