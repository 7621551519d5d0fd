"""CSV exports neutralise spreadsheet formulas (OWASP "CSV injection") but keep numbers."""

from __future__ import annotations

import csv
import io

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import seed_org

DANGEROUS = [
    "=1+2",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
]  # tab and carriage return are trimmed on import; tests/unit/exporters covers them


def test_response_export_neutralises_formulas_and_keeps_negative_numbers(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        headers = {"Authorization": f"Bearer {auth.create_token(uow, 't', Role.ADMIN)}"}
    base = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["unit", "nps", "comment"])
    for text in [*DANGEROUS, "-3", "plain"]:
        writer.writerow(["north-1", 9, text])
    r = httpx.post(
        base + "/import",
        content=rows.getvalue().encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    exported = list(csv.DictReader(io.StringIO(httpx.get(base + "/export", headers=headers).text)))
    comments = [row["comment"] for row in exported]
    assert comments == [*("'" + t for t in DANGEROUS), "-3", "plain"]
    assert {row["nps"] for row in exported} == {"9.0"}  # numbers are not quoted
