"""Risk per unit where people are not known (``level=unit``) on the demo organisation.

A small demo (seed 7, 24 units × 6 months) on SQLite and PostgreSQL: its staff turnover
rate falls with the unit's employee hearts (docs/demo-data.md, 0.1 points of turnover per
point). Through the service, the Python client and real HTTP:

- the fit equals :func:`rapport.analytics.risk.fit_unit_risk` on a panel built from
  another path, :func:`rapport.services.outcome_panel.outcome_panel` (1e-9);
- a unit whose employee cell of the latest month the anonymity gate hides is listed as
  suppressed, without a risk, and those are exactly the hidden cells of that panel;
- the planted direction is found: the hearts interval lies below zero; and a survey's own
  share of detractors (no stored outcome) falls with its hearts index too;
- bad input is a problem+json naming the field.
"""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

from rapport.analytics.linkage import period_number
from rapport.analytics.risk import fit_unit_risk
from rapport.client import connect
from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.storage.uow import Database

EMPLOYEE = "employee-relationship"
TARGET = "staff_turnover_rate"
PROBLEM = "application/problem+json"


@pytest.fixture
def url(db: Database) -> str:
    demo.load(db, demo.generate(seed=7, units=24, months=6))
    return db.engine.url.render_as_string(hide_password=False)


def _independent_panel(url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leaf units' month panel from ``outcome_panel``, renamed for ``fit_unit_risk``."""
    with connect(url) as r:
        wide = r.outcome_panel(EMPLOYEE, "month", ("hearts", "minds"), outcomes=[TARGET])
    paths = set(wide["unit_path"])
    leaves = wide[[not any(q.startswith(f"{p}/") for q in paths) for p in wide["unit_path"]]]
    panel = pd.DataFrame(
        {
            "unit": leaves["unit"],
            "period": [period_number(p.date(), "month") for p in leaves["period"]],
            "hearts": leaves[f"{EMPLOYEE}.hearts"],
            "minds": leaves[f"{EMPLOYEE}.minds"],
            "hearts_n": leaves[f"{EMPLOYEE}.hearts.n"],
            TARGET: leaves[TARGET],
        }
    )
    return panel, leaves


def test_unit_risk_through_service_client_and_http(url: str, request) -> None:
    with connect(url) as r:
        units = r.risk("employee", TARGET, EMPLOYEE, level="unit")
    drivers = units.attrs["drivers"].set_index("driver")
    panel, leaves = _independent_panel(url)
    expected = fit_unit_risk(panel, TARGET, ["hearts", "minds"], lag=1, size="hearts_n")
    check = expected.drivers.set_index("driver")
    for column in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(
            drivers.loc[["hearts", "minds"], "weight" if column == "estimate" else column],
            check.loc[["hearts", "minds"], column],
            rtol=1e-9,
        )
    assert units.attrs["n"] == expected.n_cells and units.attrs["n_units"] == expected.n_units
    # Planted: turnover falls as employee hearts rise.
    assert drivers.loc["hearts", "upper"] < 0
    last = leaves["period"].max()
    assert units.attrs["predicts"] == (last + pd.DateOffset(months=1)).strftime("%Y-%m")
    shown = units[~units["suppressed"]].set_index("unit")
    latest = expected.units[expected.units["period"] == period_number(last.date(), "month")]
    np.testing.assert_allclose(
        shown.loc[latest["unit"], ["mean_risk", "lower", "upper"]].to_numpy(float),
        latest[["risk", "lower", "upper"]].to_numpy(float),
        rtol=1e-9,
    )
    assert (shown["lower"] < shown["mean_risk"]).all() and (
        shown["mean_risk"] < shown["upper"]
    ).all()
    # Suppressed: exactly the leaf units whose latest employee cell the gate hides.
    at_last = leaves[leaves["period"] == last]
    hidden = set(at_last.loc[at_last[f"{EMPLOYEE}.hearts"].isna(), "unit"])
    assert hidden and set(units.loc[units["suppressed"], "unit"]) == hidden
    assert units.loc[units["suppressed"], ["mean_risk", "lower", "upper"]].isna().all().all()

    with connect(url) as r:
        detractors = r.risk("customer", "detractors", "customer-relationship", level="unit")
    assert detractors.attrs["n_units"] >= 10 and detractors.attrs["target"] == "detractors"
    assert detractors.attrs["drivers"].set_index("driver").loc["hearts", "upper"] < 0
    assert detractors["mean_risk"].between(0, 1).all()

    db = request.getfixturevalue("db")
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "analyst", Role.ANALYST)
    live = request.getfixturevalue("live_server")

    def get(**params: object) -> httpx.Response:
        return httpx.get(
            live.url + "/api/v1/risk",
            params={"kind": "employee", "survey": EMPLOYEE, "level": "unit", **params},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )

    body = get(target=TARGET).json()
    assert body["level"] == "unit" and body["auc"] is None and body["people"] is None
    by_driver = {d["driver"]: d for d in body["drivers"]}
    assert by_driver["hearts"]["weight"] == pytest.approx(drivers.loc["hearts", "weight"])
    assert {u["unit"] for u in body["units"] if u["suppressed"]} == hidden
    for params, field in (
        ({"target": "absence_rate"}, "target"),
        ({"target": TARGET, "survey": ""}, "survey"),
        ({"target": TARGET, "kind": "customer"}, "survey"),
    ):
        bad = get(**params)
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith(PROBLEM)
        assert field in [e["location"] for e in bad.json()["errors"]], bad.json()
