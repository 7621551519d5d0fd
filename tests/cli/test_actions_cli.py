"""``rapport actions add|list|effect`` in-process on the demo (SQLite file), and
``Client.action_effect`` on the same database, operational and DuckDB engines alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rapport.cli._common import console
from rapport.cli.main import app
from rapport.client import connect


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 160)
    return CliRunner()


@pytest.mark.slow
def test_actions_from_the_shell_and_the_client(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["demo"]).exit_code == 0
    listed = cli.invoke(app, ["actions", "list"])
    assert listed.exit_code == 0, listed.output
    assert "West programme" in listed.output and "2026-01-01" in listed.output

    effect = cli.invoke(app, ["actions", "effect", "1", "--survey", "customer-relationship"])
    assert effect.exit_code == 0, effect.output
    assert "Effect +3.7 points (95 % interval +1.7 to +6.7)" in effect.output
    assert "excluded central-store-03" in effect.output and "Event study" in effect.output

    added = cli.invoke(app, ["actions", "add", "west-store-01", "Swap roles",
                             "--started", "2026-05-01", "--intended", "Customers feel special"])  # fmt: skip
    assert added.exit_code == 0 and "Action 2 logged for west-store-01" in added.output
    bad = cli.invoke(app, ["actions", "add", "nowhere", "X", "--started", "2026-13-01"])
    assert bad.exit_code != 0 and "--started must be a date" in bad.output
    unknown = cli.invoke(app, ["actions", "add", "nowhere", "X", "--started", "2026-01-01"])
    assert unknown.exit_code != 0 and "unit" in unknown.output

    url = f"sqlite:///{tmp_path / 'rapport.db'}"
    with connect(url) as r:
        frame = r.action_effect(1, "customer-relationship")
        r.snapshot(tmp_path / "snapshot")
    assert frame.loc[0, "estimate"] == pytest.approx(3.68, abs=0.01)
    assert {"estimate", "lower", "upper", "method", "pre_trend_p"} <= set(frame.columns)
    events = frame.attrs["event_study"]
    assert list(events.columns) == ["relative_period", "estimate", "lower", "upper"]
    assert list(events["relative_period"]) == list(range(-6, 9))
    with connect(url, engine="duckdb", snapshot_dir=tmp_path / "snapshot") as r:
        duck = r.action_effect(1, "customer-relationship")
    numbers = ["estimate", "lower", "upper", "pre_trend_p"]
    pd.testing.assert_frame_equal(duck[numbers], frame[numbers], rtol=1e-6)
