"""Risk on Rapport's own people through the service, on SQLite and PostgreSQL.

A seeded organisation: 240 customers whose churn was drawn from a planted model (their
hearts answers matter most) and 60 employees with a ``left`` attribute. The service must
read exactly the seeded data (its AUC equals ``fit_risk`` on a frame built here from the
seed, 1e-9), find the planted driver, keep employee risk per unit behind the anonymity
gate, and show per-person risk only for customers and only to roles that may read profiles.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.risk import fit_risk
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, PersonKind, Principal, Role, UnitKind
from rapport.errors import Confidential, NotFound, PermissionDenied, ValidationFailed
from rapport.services import people, responses, risk, surveys
from rapport.services.survey_definitions import load_template
from rapport.storage.uow import Database

POLICY = SuppressionPolicy(period="quarter")
TODAY = date(2026, 12, 1)
MANAGER = Principal("user", 2, "north@example.com", Role.MANAGER, unit_path="acme/north")
VIEWER = Principal("user", 3, "viewer@example.com", Role.VIEWER)
EMPLOYEE_UNITS = {"n1": 30, "n2": 26, "s1": 4}


def _customers() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 240
    frame = pd.DataFrame(
        {
            "external_id": [f"c{i:03d}" for i in range(n)],
            "unit": np.where(
                np.arange(n) % 3 == 0, "s1", np.where(np.arange(n) % 3 == 1, "n1", "n2")
            ),
            "plan": rng.choice(["basic", "pro"], n),
            "latent": rng.normal(size=n),
            "start": [date(2024, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 600, n)],
        }
    )
    # Hearts items 1–5 follow the latent; churn falls steeply with it; plan matters a little.
    frame["score"] = np.clip(np.round(3 + 1.2 * frame["latent"] + rng.normal(0, 0.5, n)), 1, 5)
    logit = -1.0 - 1.8 * frame["latent"] + 0.3 * (frame["plan"] == "pro")
    frame["churned"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


def _employees() -> pd.DataFrame:
    rows, i = [], 0
    for unit, count in EMPLOYEE_UNITS.items():
        for _ in range(count):
            rows.append(
                {
                    "external_id": f"e{i:03d}",
                    "unit": unit,
                    "role": "cashier" if i % 3 else "advisor",
                    "overtime": "yes" if i % 4 == 0 else "no",
                    "left": "yes" if (i % 4 == 0 and i % 12) or i % 7 == 0 else "no",
                    "start": date(2020, 1, 1) + timedelta(days=37 * i),
                }
            )
            i += 1
    return pd.DataFrame(rows)


def _csv(frame: pd.DataFrame, kind: str, attributes: list[str]) -> bytes:
    lines = [",".join(["external_id", "kind", "unit", "relationship_start", *attributes])]
    for r in frame.itertuples():
        cells = [
            r.external_id,
            kind,
            r.unit,
            r.start.isoformat(),
            *(getattr(r, a) for a in attributes),
        ]
        lines.append(",".join(map(str, cells)))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def engine(db: Database):
    seed_risk(db)
    analytics = OperationalEngine(db.engine)
    yield analytics
    analytics.dispose()


def seed_risk(db: Database) -> int:
    """Units, both kinds of people and the customers' answers; returns the survey id."""
    customers, employees = _customers(), _employees()
    with db.unit_of_work() as uow:
        acme = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        north = uow.units.add("north", "North", UnitKind.REGION, acme)
        south = uow.units.add("south", "South", UnitKind.REGION, acme)
        units = {
            "n1": uow.units.add("n1", "N1", UnitKind.STORE, north),
            "n2": uow.units.add("n2", "N2", UnitKind.STORE, north),
            "s1": uow.units.add("s1", "S1", UnitKind.STORE, south),
        }
        people.import_people(uow, SYSTEM, _csv(customers, "customer", ["plan", "churned"]))
        people.import_people(uow, SYSTEM, _csv(employees, "employee", ["role", "overtime", "left"]))
        version = surveys.save_definition(uow, SYSTEM, load_template("customer-relationship"))
        published = surveys.get_version(uow, version.id)
        found = uow.people.by_external_id(PersonKind.CUSTOMER)
        subs = []
        for r in customers.itertuples():
            s = int(r.score)
            given = dict.fromkeys(("heart_delight", "heart_special", "heart_about_me", "heart_exceeded", "heart_cared"), s)  # fmt: skip
            given["nps"] = 5
            for when, value in ((0, 6 - s), (40, s)):  # an older answer, then the latest
                subs.append(
                    responses.Submission(
                        answers={**given, "heart_delight": value} if when == 0 else given,
                        unit_id=units[r.unit].id,
                        person=found[r.external_id],
                        channel="link",
                        submitted_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=when),
                    )
                )
        responses.store_many(uow, published, subs, validate=True)
    return version.survey_id


def _ask(**kwargs: object) -> risk.RiskRequest:
    return risk.RiskRequest(**kwargs)  # type: ignore[arg-type]


def test_customer_risk_reads_the_seeded_people_and_latest_answers(engine) -> None:
    ask = _ask(kind="customer", target="churned", survey="customer-relationship")
    found = risk.person_risk(engine, SYSTEM, ask, POLICY, today=TODAY)
    seeded = _customers()
    expected = fit_risk(
        pd.DataFrame(
            {
                "tenure_days": [(TODAY - d).days for d in seeded["start"]],
                "plan": seeded["plan"],
                "churned": seeded["churned"],
                "hearts": (seeded["score"] - 1) * 25,  # the latest answers, rescaled 0–100
                "nps": 50.0,
            }
        ),
        "churned",
    )
    assert found.n == 240 and found.n_positive == expected.n_positive
    assert found.auc == pytest.approx(expected.auc.auc, abs=1e-9)
    assert found.brier == pytest.approx(expected.brier, abs=1e-9)
    assert found.drivers[0].driver == "hearts" and found.drivers[0].direction == "−"
    assert found.left_out.get("nps") == "constant"
    assert found.people is not None and len(found.people) == 50
    risks = [p.risk for p in found.people]
    assert risks == sorted(risks, reverse=True) and all(p.out_of_fold for p in found.people)
    assert [u.unit for u in found.units] == ["acme", "north", "n1", "n2", "south", "s1"]
    assert all(not u.suppressed for u in found.units)  # customers are not protected


def test_employee_risk_is_per_unit_only_and_behind_the_anonymity_gate(engine) -> None:
    found = risk.person_risk(engine, SYSTEM, _ask(), POLICY, today=TODAY)
    assert found.people is None and "never shown" in (found.people_withheld or "")
    assert found.anonymity_threshold == 5 and found.n == 60
    rows = {u.unit: u for u in found.units}
    assert rows["s1"].suppressed and rows["s1"].mean_risk is None  # 4 < 5
    assert rows["south"].suppressed  # the same 4 people
    # acme − north − … would give them away: complementary suppression hides north and n2.
    assert {u.unit for u in found.units if u.suppressed} == {"s1", "south", "north", "n2"}
    assert not rows["n1"].suppressed and rows["n1"].mean_risk is not None
    assert rows["acme"].observed == pytest.approx(
        float((_employees()["left"] == "yes").mean()), abs=1e-12
    )
    assert found.drivers[0].driver == "overtime"
    # A manager sees the same figures for the units of their subtree only.
    mine = risk.person_risk(engine, MANAGER, _ask(), POLICY, today=TODAY)
    assert [u.unit for u in mine.units] == ["north", "n1", "n2"]
    assert mine.auc == found.auc and mine.units[1] == rows["n1"]


def test_who_sees_people(engine) -> None:
    ask = _ask(kind="customer", target="churned")
    viewer = risk.person_risk(engine, VIEWER, ask, POLICY, today=TODAY)
    assert viewer.people is None and "view_comments" in (viewer.people_withheld or "")
    manager = risk.person_risk(engine, MANAGER, ask, POLICY, today=TODAY)
    assert manager.people and {p.unit for p in manager.people} <= {"n1", "n2"}


def test_errors_name_the_field(engine) -> None:
    cases = [
        (_ask(target="resigned"), "target"),
        (_ask(kind="supplier"), "kind"),
        (_ask(model="forest"), "model"),
        (_ask(survey="customer-relationship"), "survey"),
        (_ask(kind="customer", target="plan"), "target"),
    ]
    for ask, field in cases:
        with pytest.raises(ValidationFailed) as error:
            risk.person_risk(engine, SYSTEM, ask, POLICY, today=TODAY)
        assert error.value.errors[0].location == field
    with pytest.raises(NotFound):
        risk.person_risk(engine, SYSTEM, _ask(kind="customer", survey="nope"), POLICY)
    with pytest.raises(PermissionDenied):
        risk.person_risk(engine, MANAGER, _ask(unit="south"), POLICY)


def test_too_few_employees_with_an_outcome_is_refused(engine) -> None:
    strict = SuppressionPolicy(min_scores=61, period="quarter")
    with pytest.raises(Confidential, match="60 employees"):
        risk.person_risk(engine, SYSTEM, _ask(), strict, today=TODAY)
