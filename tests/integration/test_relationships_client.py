"""``Client.relationship_health``: the API's rows as a DataFrame, on the operational database
and on a DuckDB snapshot of it (the demo organisation, seed 7, on a real SQLite file)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rapport.client import connect
from rapport.domain.org import Principal, Role
from rapport.services import demo
from rapport.services.relationships import COLUMNS, SIGNAL_COLUMNS
from rapport.storage.uow import Database

DECLINE = ("taken_for_granted", "at_risk")


def test_relationship_health_frames(sqlite_db: Database, tmp_path: Path) -> None:
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(sqlite_db, org)
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    with connect(url) as r:
        frame = r.relationship_health("customer-relationship")
        quarterly = r.relationship_health("customer-relationship", period="quarter", signals=False)
        r.snapshot(tmp_path / "snapshot")
    assert tuple(frame.columns) == COLUMNS
    signals = frame.attrs["signals"]
    assert tuple(signals.columns) == SIGNAL_COLUMNS
    assert set(signals["side"]) == {"customer", "employee"}
    assert quarterly.attrs["signals"].empty
    assert pd.api.types.is_datetime64_any_dtype(frame["period"])
    assert frame["alarm"].dtype == bool and frame["probability"].dtype == float
    drifting = set(org.truth["drift"]["stores"])
    late = frame[frame["unit"].isin(drifting) & (frame["period"] >= "2026-06-01")]
    assert late["unit"].nunique() == 5
    assert (late["alarm"] | late["stage"].isin(DECLINE)).all(), late
    assert set(quarterly["period_label"]) >= {"2025-Q3", "2026-Q3"}
    last = quarterly[quarterly["period_label"] == "2026-Q3"].set_index("unit")
    assert last.loc[sorted(drifting), "stage"].isin(DECLINE).all()

    with connect(url, engine="duckdb", snapshot_dir=tmp_path / "snapshot") as r:
        duck = r.relationship_health("customer-relationship")
    pd.testing.assert_frame_equal(
        duck.sort_values(["unit", "period"]).reset_index(drop=True),
        frame.sort_values(["unit", "period"]).reset_index(drop=True),
        check_exact=False,
        rtol=1e-9,
    )
    # The further signals too (reach reads the people table the snapshot now carries).
    order = ["unit", "period", "side", "name"]
    pd.testing.assert_frame_equal(
        duck.attrs["signals"].sort_values(order).reset_index(drop=True),
        signals.sort_values(order).reset_index(drop=True),
        check_exact=False,
        rtol=1e-9,
    )

    store = sorted(drifting)[0]
    manager = Principal("user", 1, "m", Role.MANAGER, unit_path=_path(org, store))
    with connect(url, principal=manager) as r:
        theirs = r.relationship_health("customer-relationship", signals=False)
    assert set(theirs["unit"]) == {store}
    mine = frame[frame["unit"] == store].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        theirs.drop(columns="evidence").reset_index(drop=True), mine.drop(columns="evidence")
    )


def _path(org: demo.DemoOrganisation, code: str) -> str:
    parents = {u.code: u.parent_code for u in org.units}
    chain = [code]
    while parents[chain[-1]] is not None:
        chain.append(str(parents[chain[-1]]))
    return "/".join(reversed(chain))
