"""Key drivers through the service on SQLite and PostgreSQL: the respondent-level scores the
service reads equal the seeded answers (weights held to an independent frame built from
them), scope, anonymity and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rapport.analytics.drivers import lmg, relative_weights
from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.errors import Confidential, NotFound, PermissionDenied, ValidationFailed
from rapport.services import drivers
from tests.integration.test_metrics_data import CUSTOMERS, answers, seed

POLICY = SuppressionPolicy(period="quarter")
MANAGER = Principal("user", 2, "north@example.com", Role.MANAGER, unit_path="acme/north")


@pytest.fixture
def engine(db):
    seed(db)
    analytics = OperationalEngine(db.engine)
    yield analytics
    analytics.dispose()


def seeded_customers(units: tuple[str, ...] = ("north-1", "south-1")) -> pd.DataFrame:
    """The customers' answers as the seed wrote them (raw 1–5 / 0–10 / 1–7 scales)."""
    rows = []
    for code in units:
        for i in range(CUSTOMERS[code]):
            a = answers(i)
            hearts = [a[k] for k in ("heart_delight", "heart_special", "heart_about_me",
                                     "heart_exceeded", "heart_cared")]  # fmt: skip
            rows.append(
                {
                    "nps": a["enps"],
                    "hearts": float(np.mean(hearts)),
                    "minds:ease": a["minds"]["ease"],
                    "ces": a["ces"],
                    "heart_cared": a["heart_cared"],
                }
            )
    return pd.DataFrame(rows, dtype=float)


def test_weights_equal_an_independent_computation_on_the_seeded_answers(engine) -> None:
    chosen = ["hearts", "minds:ease", "ces", "heart_cared"]
    request = drivers.DriverRequest("customer-relationship", "nps", chosen, n_boot=200)
    found = drivers.key_drivers(engine, SYSTEM, request, POLICY)
    # Weights are invariant to rescaling (and reversing) a column, so the raw answers serve.
    expected = relative_weights(seeded_customers(), "nps", chosen)
    assert found.n == sum(CUSTOMERS.values()) and found.n_dropped == 0
    got = {r.driver: r for r in found.rows}
    for name in chosen:
        assert got[name].weight == pytest.approx(expected[name], abs=1e-9)
        assert 0 <= got[name].lower < got[name].upper  # near-0 weights: docs/drivers.md
    assert found.r_squared == pytest.approx(expected.attrs["r_squared"], abs=1e-9)
    assert sum(r.share for r in found.rows) == pytest.approx(1.0, abs=1e-9)
    assert [r.weight for r in found.rows] == sorted((r.weight for r in found.rows), reverse=True)
    assert {r.driver: r.construct for r in found.rows} == {
        "hearts": "hearts",
        "heart_cared": "hearts",
        "minds:ease": "minds",
        "ces": "minds",
    }
    # Performance: the mean on 0–100 (a 1–5 item v ↦ (v − 1) · 25) with its t interval.
    cared = seeded_customers()["heart_cared"]
    assert got["heart_cared"].mean == pytest.approx((cared.mean() - 1) * 25, abs=1e-9)
    assert got["heart_cared"].mean_lower < got["heart_cared"].mean < got["heart_cared"].mean_upper


def test_lmg_and_the_default_drivers(engine) -> None:
    chosen = ["hearts", "minds:ease"]
    request = drivers.DriverRequest("customer-relationship", "nps", chosen, method="lmg")
    found = drivers.key_drivers(engine, SYSTEM, request, POLICY)
    expected = lmg(seeded_customers(), "nps", chosen)
    assert {r.driver: r.weight for r in found.rows} == pytest.approx(expected.to_dict(), abs=1e-9)
    # By default every answered hearts and minds item; the seed gives minds:fast always 3.
    with pytest.raises(ValidationFailed) as caught:
        drivers.key_drivers(engine, SYSTEM, drivers.DriverRequest("customer-relationship"), POLICY)
    assert "minds:fast" in caught.value.errors[0].message


def test_a_manager_analyses_only_their_subtree(engine) -> None:
    request = drivers.DriverRequest("customer-relationship", "nps", ["hearts", "ces"], n_boot=50)
    found = drivers.key_drivers(engine, MANAGER, request, POLICY)
    assert found.n == CUSTOMERS["north-1"]
    expected = relative_weights(seeded_customers(("north-1",)), "nps", ["hearts", "ces"])
    assert {r.driver: r.weight for r in found.rows} == pytest.approx(expected.to_dict(), abs=1e-9)
    with pytest.raises(PermissionDenied):
        drivers.key_drivers(
            engine, MANAGER, drivers.DriverRequest("customer-relationship", unit="south"), POLICY
        )


def test_employee_drivers_show_weights_only_and_refuse_small_groups(engine) -> None:
    request = drivers.DriverRequest("employee-relationship", "enps", ["hearts", "minds"])
    found = drivers.key_drivers(engine, SYSTEM, request, POLICY)
    assert found.n == 40 and found.anonymity_threshold == POLICY.threshold("scores")
    assert all(r.mean is None and r.mean_lower is None for r in found.rows)
    small = drivers.DriverRequest(
        "employee-relationship", "enps", ["hearts", "minds"], unit="north-3"
    )
    with pytest.raises(Confidential, match="2 respondents"):
        drivers.key_drivers(engine, SYSTEM, small, POLICY)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (drivers.DriverRequest("customer-relationship", "nope"), "outcome"),
        (drivers.DriverRequest("customer-relationship", "nps", ["hearts", "x"]), "drivers"),
        (drivers.DriverRequest("customer-relationship", "nps", ["hearts", "hearts"]), "drivers"),
        (drivers.DriverRequest("customer-relationship", "nps", ["nps", "hearts"]), "drivers"),
        (drivers.DriverRequest("customer-relationship", method="shapley"), "method"),
        (drivers.DriverRequest("customer-relationship", confidence=1.5), "confidence"),
    ],
)
def test_bad_requests_name_the_field(engine, request_, field) -> None:
    with pytest.raises(ValidationFailed) as caught:
        drivers.key_drivers(engine, SYSTEM, request_, POLICY)
    assert [e.location for e in caught.value.errors] == [field]


def test_an_unknown_survey_is_not_found(engine) -> None:
    with pytest.raises(NotFound):
        drivers.key_drivers(engine, SYSTEM, drivers.DriverRequest("nope"), POLICY)
