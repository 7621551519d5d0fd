"""Key drivers on the demo organisation find the planted NPS drivers (issue 16, acceptance).

The generator makes NPS (and eNPS) follow ``0.6 · hearts + 0.4 · minds`` (docs/demo-data.md,
"How answers are generated"), so the hearts index must outweigh the minds index as a driver,
with intervals that do not overlap, through the same path the page and the API use
(:func:`rapport.services.drivers.key_drivers`, here via the Python client). Two seeds: 7 (the
documented organisation) and 11, each on the full 40 units × 15 months.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from rapport.client import Client, connect
from rapport.services import demo
from rapport.storage import migrate
from rapport.storage.uow import Database

CUSTOMER, EMPLOYEE = "customer-relationship", "employee-relationship"


@pytest.fixture(scope="module", params=[7, 11], ids=["seed7", "seed11"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Client]:
    path: Path = tmp_path_factory.mktemp(f"drivers{request.param}") / "demo.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    demo.load(db, demo.generate(seed=request.param, units=40, months=15))
    db.dispose()
    with connect(f"sqlite:///{path}") as r:
        yield r


def separated(frame: pd.DataFrame, first: str, second: str) -> bool:
    rows = frame.set_index("driver")
    return bool(rows.at[first, "lower"] > rows.at[second, "upper"])


@pytest.mark.parametrize("method", ["relative_weights", "lmg"])
def test_hearts_outweighs_minds_for_nps(client: Client, method: str) -> None:
    frame = client.drivers(CUSTOMER, "nps", drivers=["hearts", "minds"], method=method)
    assert list(frame["driver"]) == ["hearts", "minds"]  # ranked
    assert list(frame["construct"]) == ["hearts", "minds"]
    assert separated(frame, "hearts", "minds"), frame
    assert frame.attrs["n"] > 5000 and frame.attrs["n_boot"] >= 990
    # Importance × performance: each index's mean score with a narrow interval.
    assert (frame["mean_upper"] - frame["mean_lower"]).max() < 2


def test_hearts_items_lead_the_item_level_drivers(client: Client) -> None:
    frame = client.drivers(CUSTOMER, "nps")  # every hearts and minds item
    assert frame["construct"].iloc[0] == "hearts"
    by_construct = frame.groupby("construct")["share"].sum()
    assert by_construct["hearts"] > by_construct["minds"]
    assert set(frame["construct"]) == {"hearts", "minds"} and len(frame) == 13


def test_employee_hearts_outweighs_minds_for_enps(client: Client) -> None:
    frame = client.drivers(EMPLOYEE, "enps", drivers=["hearts", "minds"])
    assert list(frame["driver"]) == ["hearts", "minds"]
    assert separated(frame, "hearts", "minds"), frame
    assert frame["mean"].isna().all()  # employee surveys: weights only
