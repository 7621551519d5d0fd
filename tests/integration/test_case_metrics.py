"""Closed-loop metrics over real HTTP and the Python client, on both engines: planted case
times come back with the t interval scipy computes; employee cases pass the anonymity gate."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import httpx
from scipy import stats

import rapport.client as rc
from rapport.domain.org import Principal, Role, UnitKind
from rapport.services import cases, responses, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org
from tests.integration.test_closed_loop import PULSE, _token

HOURS = [2.0, 4.0, 9.0]  # planted times to first contact in north-1


def _case(db: Database, survey: int, unit: str, opened: datetime, answers: dict) -> int:
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, survey)
        target = uow.units.one(unit)
        sub = responses.Submission(answers=answers, unit_id=target.id, submitted_at=opened)
        response_id = responses.submit(uow, published, sub).response_id
        audience = published.survey.audience
        return cases.open_case(uow, unit=target, audience=audience, title="t", priority="high",
                               actor="t", response_id=response_id, now=opened)  # fmt: skip


def test_case_times_and_shares_over_http_and_the_client(live_server: LiveServer, db: Database):
    sid = seed_org(db)
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    for i, hours in enumerate(HOURS):
        case_id = _case(db, sid, "north-1", start + timedelta(days=i), GOOD_ANSWERS)
        with db.unit_of_work() as uow:
            at = start + timedelta(days=i, hours=hours)
            uow.cases.add_note(case_id, "owner", at, "called")
            if i < 2:  # two resolved within the 24 h of a high priority, one left open
                done = at + timedelta(hours=10 * i + 1)
                uow.cases.update(case_id, status="closed", resolved_at=done,
                                 resolution_code="contacted_resolved")  # fmt: skip
    admin = _token(db)
    url = f"{live_server.url}/api/v1/metrics"
    got = httpx.get(url, params={"metric": "cases.time_to_first_contact", "by": "unit",
                                 "survey": sid}, headers=admin)  # fmt: skip
    assert got.status_code == 200, got.text
    rows = {r["unit_code"]: r for r in got.json()["rows"]}
    mean = sum(HOURS) / 3
    sd = math.sqrt(sum((h - mean) ** 2 for h in HOURS) / 2)
    half = stats.t.ppf(0.975, 2) * sd / math.sqrt(3)
    north1 = rows["north-1"]
    assert north1["n"] == 3 and math.isclose(north1["value"], mean, abs_tol=1e-9)
    assert math.isclose(north1["lower"], mean - half, abs_tol=1e-9)
    assert rows["acme"]["n"] == 3 and rows["south"]["n"] == 0  # rolled up the tree
    sla = httpx.get(url, params={"metric": "cases.closed_within_sla", "survey": sid},
                    headers=admin).json()["rows"]  # fmt: skip
    assert [(r["n"], r["value"]) for r in sla] == [(2, 100.0)]
    bad = httpx.get(url, params={"metric": "cases.nope"}, headers=admin)
    assert bad.status_code == 422 and "cases.time_to_first_contact" in bad.text
    by_attr = httpx.get(url, params={"metric": "cases.repeat_issue_rate", "attribute": "segment",
                                     "survey": sid}, headers=admin)  # fmt: skip
    assert by_attr.status_code == 422 and "person attribute" in by_attr.text
    with rc.connect(str(db.engine.url.render_as_string(hide_password=False))) as r:
        frame = r.metrics(sid, "cases.time_to_resolution", by="unit")
    resolved = frame.set_index("unit_code").loc["north-1"]
    assert resolved.n == 2 and math.isclose(resolved.value, (2 + 1 + 4 + 11) / 2, abs_tol=1e-9)


def test_employee_case_metrics_pass_the_anonymity_gate(live_server: LiveServer, db: Database):
    """Three employee cases in north-1 and six in south, in a closed month: north-1 and north
    are hidden, and so is what would give them away (south beside the total)."""
    sid = seed_org(db, PULSE)
    with db.unit_of_work() as uow:
        uow.units.add("south-1", "South 1", UnitKind.STORE, uow.units.one("south"))
    month = (datetime.now(UTC).replace(day=1) - timedelta(days=40)).replace(day=3, hour=9)
    for i, unit in enumerate(["north-1"] * 3 + ["south-1"] * 6):
        case_id = _case(db, sid, unit, month + timedelta(hours=i), {"enps": 2})
        with db.unit_of_work() as uow:
            uow.cases.add_note(case_id, "owner", month + timedelta(hours=i + 1 + i % 3), "x")
    admin = _token(db)
    got = httpx.get(f"{live_server.url}/api/v1/metrics", headers=admin, params={
        "metric": "cases.time_to_first_contact", "by": "unit", "survey": "pulse"})  # fmt: skip
    assert got.status_code == 200, got.text
    rows = {r["unit_code"]: r for r in got.json()["rows"]}
    assert rows["north-1"]["n"] == 3 and rows["north-1"]["suppressed"]
    assert rows["north"]["suppressed"] and rows["north"]["value"] is None
    assert rows["acme"]["suppressed"] or rows["south"]["suppressed"]  # no differencing
    for row in rows.values():
        assert row["suppressed"] or row["n"] >= 5 or row["n"] == 0
    manager = Principal(kind="user", id=None, name="m", role=Role.MANAGER, unit_path="acme/north")
    with rc.connect(str(db.engine.url.render_as_string(hide_password=False)),
                    principal=manager) as r:  # fmt: skip
        frame = r.metrics("pulse", "cases.time_to_first_contact", by="unit")
    assert frame.value.isna().all()  # a manager sees no more than an admin
