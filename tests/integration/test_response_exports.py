"""Response exports over real HTTP on both engines: SPSS .sav read back with pyreadstat and
JSON records equal what was submitted; the survey document survives export → import.

The expected labels and codes are written out here from the definition below, not computed
by the exporter's own helpers.
"""

from __future__ import annotations

import copy
import io
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyreadstat
from sqlalchemy import select

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.models import AuditRow
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import EVERY_TYPE, seed_org

LABELLED = copy.deepcopy(EVERY_TYPE)
LABELLED["key"] = "every-type-labelled"
_nps, _csat = LABELLED["pages"][0]["questions"][1:3]
_delight = LABELLED["pages"][0]["questions"][5]
_delight["show_if"] = {"question": "nps", "op": "<=", "value": 6}
_nps["scale"] = {
    "low": {"en": "Not at all likely", "es": "Nada probable"},
    "high": {"en": "Extremely likely", "es": "Muy probable"},
}
_csat["scale"] = {"labels": ["Very unhappy", "Unhappy", "Neutral", "Happy", "Very happy"]}
_csat["text"] = {"en": "How satisfied are you with {org}? " + "é" * 200, "es": "¿Satisfecho?"}

#: Three responses: a detractor with everything, a promoter (``why`` hidden), a low CSAT.
SUBMITTED: list[dict[str, Any]] = [
    {
        "nps": 4, "csat": 4, "ces": 6, "delight": 5, "minds": {"ease": 4, "fast": 2},
        "why": "Slow checkout", "channel": "web", "channels": ["store", "web"],
        "feelings": {"ignored": 2, "frustrated": 3}, "visits": 12, "when": "2026-10-01",
        "comment": "Nice staff",
    },
    {"nps": 10, "minds": {"fast": 5}, "channel": "store"},
    {"nps": 6, "csat": 1, "csat_low": "Nobody came", "why": "Waiting", "visits": 0},
]  # fmt: skip

NOT_SHOWN = -1.0
NPS_LABELS = {0.0: "Not at all likely", 10.0: "Extremely likely"}
MATRIX_LABELS = {1.0: "Disagree", 5.0: "Agree"}
#: variable → (label, value labels, measure) as an SPSS user should see them.
EXPECTED_VARIABLES: dict[str, tuple[str, dict[float, str], str]] = {
    "response_id": ("Response id", {}, "nominal"),
    "submitted_at": ("Submitted at (UTC)", {}, "scale"),
    "unit": ("Unit code", {}, "nominal"),
    "language": ("Language of the answers", {}, "nominal"),
    "channel": ("Channel", {}, "nominal"),
    "nps": ("How likely are you to recommend us?", NPS_LABELS, "scale"),
    "csat": (
        ("How satisfied are you with Acme Retail? " + "é" * 200).encode()[:256].decode(),
        {1.0: "Very unhappy", 2.0: "Unhappy", 3.0: "Neutral", 4.0: "Happy", 5.0: "Very happy"},
        "ordinal",
    ),
    "csat_low": ("Sorry to hear that. What happened?", {}, "nominal"),
    "ces": ("It was easy.", {}, "ordinal"),
    "delight": (
        "You delight me.",
        {1.0: "Disagree", 5.0: "Agree", NOT_SHOWN: "Not shown (display logic)"},
        "ordinal",
    ),
    "minds.ease": ("How do we do?: Easy", MATRIX_LABELS, "ordinal"),
    "minds.fast": ("How do we do?: Fast", MATRIX_LABELS, "ordinal"),
    "why": ("What went wrong?", {}, "nominal"),
    "channel_2": ("Main channel", {1.0: "Store", 2.0: "Web"}, "nominal"),
    **{
        f"channels.{o}": (f"All channels: {t}", {0.0: "Not selected", 1.0: "Selected"}, "nominal")
        for o, t in (("store", "Store"), ("phone", "Phone"), ("web", "Web"))
    },
    **{
        f"feelings.{e}": (
            f"How did you feel?: {t}",
            {0.0: "Not chosen", 1.0: "A little", 2.0: "Quite", 3.0: "Very"},
            "ordinal",
        )
        for e, t in (
            ("delighted", "Delighted"),
            ("ignored", "Ignored"),
            ("frustrated", "Frustrated"),
        )
    },
    "visits": ("Visits this year", {}, "scale"),
    "when": ("Last visit", {}, "scale"),
    "comment": ("Anything else?", {}, "nominal"),
}
NAN = math.nan
#: The values read back, one row per response (NaN: system-missing; -1: not shown).
EXPECTED_VALUES: dict[str, list[Any]] = {
    "nps": [4, 10, 6],
    "csat": [4, NAN, 1],
    "csat_low": ["", "", "Nobody came"],
    "ces": [6, NAN, NAN],
    "delight": [5, NAN, NAN],
    "minds.ease": [4, NAN, NAN],
    "minds.fast": [2, 5, NAN],
    "why": ["Slow checkout", "", "Waiting"],
    "channel_2": [2, 1, NAN],
    "channels.store": [1, NAN, NAN],
    "channels.phone": [0, NAN, NAN],
    "channels.web": [1, NAN, NAN],
    "feelings.delighted": [0, NAN, NAN],
    "feelings.ignored": [2, NAN, NAN],
    "feelings.frustrated": [3, NAN, NAN],
    "visits": [12, NAN, 0],
    "when": [date(2026, 10, 1), None, None],
    "comment": ["Nice staff", "", ""],
    "unit": ["north-1"] * 3,
    "language": ["en"] * 3,
    "channel": ["api"] * 3,
}


def _submit_all(live_server: LiveServer, db: Database, definition: dict[str, Any]) -> tuple:
    sid = seed_org(db, definition)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "t", Role.ANALYST)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    ids = []
    for answers in SUBMITTED:
        r = httpx.post(url, json={"answers": answers, "unit": "north-1"}, headers=headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return sid, headers, ids


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got)) or got is pd.NaT
    return bool(got == want)


def _export(base: str, headers: dict[str, str], fmt: str, media_type: str) -> httpx.Response:
    """The export in ``fmt``, checked for its media type and file name."""
    r = httpx.get(f"{base}/export", params={"format": fmt}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == media_type
    sid = base.split("/")[-2]
    assert r.headers["content-disposition"] == f'attachment; filename="survey-{sid}.{fmt}"'
    return r


def test_sav_round_trip_keeps_every_value_and_label(
    live_server: LiveServer, db: Database, tmp_path: Path
) -> None:
    sid, headers, ids = _submit_all(live_server, db, LABELLED)
    base = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    r = _export(base, headers, "sav", "application/x-spss-sav")
    path = tmp_path / "export.sav"
    path.write_bytes(r.content)
    frame, meta = pyreadstat.read_sav(str(path))
    # Variables in the definition's order; "channel" (the response's channel) keeps its name,
    # the question "channel" gets the next free one.
    assert meta.column_names == list(EXPECTED_VARIABLES)
    for name, (label, values, measure) in EXPECTED_VARIABLES.items():
        assert meta.column_names_to_labels[name] == label, name
        assert meta.variable_value_labels.get(name, {}) == values, name
        assert meta.variable_measure[name] == measure, name
    assert meta.file_label == "Every question type"
    assert "channel_2 is channel" in meta.notes
    assert frame["response_id"].tolist() == ids
    for name, want in EXPECTED_VALUES.items():
        got = frame[name].tolist()
        assert all(_same(g, w) for g, w in zip(got, want, strict=True)), (name, got, want)
    listed = httpx.get(base, headers=headers).json()["items"]
    stored = [datetime.fromisoformat(i["submitted_at"]).astimezone(UTC) for i in listed]
    for got, want in zip(frame["submitted_at"], stored, strict=True):  # UTC, to the millisecond
        assert abs((got.to_pydatetime() - want.replace(tzinfo=None)).total_seconds()) < 1e-3
    # "delight" is hidden for the promoter: user-missing -1, distinct from a skipped answer.
    raw, raw_meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert raw["delight"].tolist()[:2] == [5.0, NOT_SHOWN] and math.isnan(raw["delight"][2])
    assert raw_meta.missing_ranges == {"delight": [{"lo": NOT_SHOWN, "hi": NOT_SHOWN}]}


def test_json_records_keep_types_and_answers(live_server: LiveServer, db: Database) -> None:
    sid, headers, ids = _submit_all(live_server, db, EVERY_TYPE)
    r = _export(
        f"{live_server.url}/api/v1/surveys/{sid}/responses", headers, "json", "application/json"
    )
    records = r.json()
    assert [rec["response_id"] for rec in records] == ids
    for rec, answers in zip(records, SUBMITTED, strict=True):
        assert set(rec) == {
            "response_id", "submitted_at", "unit", "language", "channel", "attributes", "answers"
        }  # fmt: skip
        assert rec["answers"] == answers
        assert type(rec["answers"]["nps"]) is int
        assert datetime.fromisoformat(rec["submitted_at"]).utcoffset() is not None
        assert (rec["unit"], rec["language"], rec["channel"]) == ("north-1", "en", "api")
    with db.unit_of_work() as uow:
        audit = uow.session.scalars(
            select(AuditRow).where(AuditRow.action == "responses.export")
        ).all()
    assert [a.detail for a in audit] == [{"format": "json"}]


def test_csv_keeps_a_question_named_like_a_response_column(
    live_server: LiveServer, db: Database
) -> None:
    """EVERY_TYPE has a question called ``channel``: its answers go to ``channel_2`` and the
    response's own channel (``api``) stays in ``channel`` — nothing overwritten."""
    sid, headers, ids = _submit_all(live_server, db, EVERY_TYPE)
    r = _export(
        f"{live_server.url}/api/v1/surveys/{sid}/responses",
        headers,
        "csv",
        "text/csv; charset=utf-8",
    )
    frame = pd.read_csv(io.BytesIO(r.content)).set_index("response_id").loc[ids]
    assert frame["channel"].tolist() == ["api"] * 3
    want = [a.get("channel") for a in SUBMITTED]
    assert [None if pd.isna(v) else v for v in frame["channel_2"]] == want
