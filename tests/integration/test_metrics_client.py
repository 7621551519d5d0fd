"""The analyst's Python API and the ``metrics`` CLI commands, on a real SQLite file."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from rapport.analytics.snapshot import CURRENT, SNAPSHOT_TABLES
from rapport.cli._common import console as cli_console
from rapport.cli.metrics_cmds import metrics_app
from rapport.client import ANALYST, connect
from rapport.domain.org import Principal, Role
from rapport.settings import Settings
from tests.integration.test_metrics_data import seed


@pytest.fixture
def url(sqlite_db, monkeypatch):
    # The seeded employees answer in January and February: by closed quarter, all count.
    monkeypatch.setenv("RAPPORT_CONFIDENTIAL_PERIOD", "quarter")
    seed(sqlite_db)
    return sqlite_db.engine.url.render_as_string(hide_password=False)


def test_connect_gives_frames_with_suppression(url) -> None:
    with connect(url) as r:
        assert r.principal == ANALYST
        frame = r.metrics("employee-relationship", "enps", by="unit")
    assert isinstance(frame, pd.DataFrame)
    assert {"unit_path", "n", "value", "lower", "upper", "suppressed", "reason"} <= set(
        frame.columns
    )
    assert set(frame.period_label) == {"2026-Q1"}  # employee figures: per closed period
    hidden = frame.set_index("unit_code").loc["north-3"]
    assert bool(hidden.suppressed) and pd.isna(hidden.value) and hidden.reason == "below_threshold"


def test_polars_frames_equal_the_pandas_ones(url) -> None:
    import polars as pl

    with connect(url) as r:
        expected = r.metrics("employee-relationship", "hearts", by="unit", segment="role=advisor")
        frame = r.metrics_polars(
            "employee-relationship", "hearts", by="unit", segment="role=advisor"
        )
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == list(expected.columns)
    pd.testing.assert_frame_equal(frame.to_pandas(), expected, check_dtype=False)
    assert frame.filter(pl.col("unit_code") == "north-3")["suppressed"].to_list() == [True]


def test_detail_periods_and_manager_principal(url) -> None:
    manager = Principal("user", 1, "m", Role.MANAGER, unit_path="acme/north")
    with connect(url, principal=manager) as r:
        frame = r.metrics("employee-relationship", "hearts", period="quarter", detail=True)
    assert list(frame.unit_code.unique()) == ["north"]
    assert pd.api.types.is_datetime64_any_dtype(frame.period)
    assert {"mean", "sd"} <= set(frame.columns)


def test_duckdb_snapshot_gives_the_same_frame(url, tmp_path) -> None:
    with connect(url) as r:
        info = r.snapshot(tmp_path / "snap")
        expected = r.metrics("customer-relationship", "minds", by=["unit"], period="month")
    assert info.rows["responses"] == 73
    with connect(url, engine="duckdb", snapshot_dir=tmp_path / "snap") as d:
        assert d.engine.name == "duckdb"
        got = d.metrics("customer-relationship", "minds", by=["unit"], period="month")
    pd.testing.assert_frame_equal(got, expected, rtol=0, atol=1e-9)


def test_compare_reliability_and_definitions(url) -> None:
    with connect(Settings(database_url=url)) as r:
        found = r.compare("customer-relationship", "nps", {"unit": "north-1"}, {"unit": "south-1"})
        assert found.difference is not None
        assert r.reliability("customer-relationship", "minds").reliability is not None
        assert "hearts" in set(r.definitions().name)


def test_cli_snapshot_and_show(url, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RAPPORT_DATABASE_URL", url)
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    # Rows carry their period: keep each on one line. The CLI's console reads COLUMNS when
    # first imported (perhaps by an earlier test), so its width is set here too.
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setattr(cli_console, "width", 160)
    runner = CliRunner()
    done = runner.invoke(metrics_app, ["snapshot", str(tmp_path / "snap")])
    assert done.exit_code == 0, done.output
    assert "Snapshot" in done.output
    folder = tmp_path / "snap" / (tmp_path / "snap" / CURRENT).read_text().strip()
    assert all((folder / f"{t}.parquet").is_file() for t in SNAPSHOT_TABLES)
    # Of the people directory only who is in which unit (reach's denominators).
    assert set(pq.read_schema(folder / "people.parquet").names) == {"id", "kind", "unit_id"}
    shown = runner.invoke(
        metrics_app,
        ["show", "employee-relationship", "--metric", "enps", "--by", "unit", "--engine",
         "duckdb", "--snapshot-dir", str(tmp_path / "snap")],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "hidden (below_threshold)" in shown.output
    bad = runner.invoke(metrics_app, ["show", "nope"])
    assert bad.exit_code == 1 and "does not exist" in bad.output
