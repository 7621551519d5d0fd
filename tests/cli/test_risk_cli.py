"""``rapport risk fit`` on the IBM attrition sample and ``rapport risk units`` on a
simulated unit panel, in-process (no database needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rapport.analytics.risk import fit_unit_risk
from rapport.cli._common import console
from rapport.cli.main import app

HR = Path(__file__).parents[1] / "data" / "risk" / "WA_Fn-UseC_-HR-Employee-Attrition.csv"


def test_fit_prints_auc_brier_calibration_and_drivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)
    scores = tmp_path / "scores.csv"
    done = CliRunner().invoke(
        app, ["risk", "fit", str(HR), "--target", "Attrition", "--scores", str(scores)]
    )
    assert done.exit_code == 0, done.output
    assert "Attrition: 1,470 rows, 237 yes (16.1%)" in done.output
    assert "AUC 0.834 [0.803, 0.865] (95%, DeLong)" in done.output
    assert "Brier 0.0955 (base rate 0.1352" in done.output
    assert "│ OverTime " in done.output
    assert "not used: EmployeeNumber (an identifier)" in done.output
    written = pd.read_csv(scores)
    assert len(written) == 1470 and written["risk"].between(0, 1).all()


def test_bad_target_and_missing_file_are_one_clear_line(tmp_path: Path) -> None:
    runner = CliRunner()
    wrong = runner.invoke(app, ["risk", "fit", str(HR), "--target", "Department"])
    assert wrong.exit_code == 1
    assert "column 'Department' must be yes/no" in " ".join(wrong.output.split())
    gone = runner.invoke(app, ["risk", "fit", str(tmp_path / "x.csv"), "--target", "a"])
    assert gone.exit_code == 1 and "no file" in gone.output


def _unit_panel(path: Path) -> Path:
    """40 units × 7 months: turnover (t) falls 0.3 log-odds per 10 hearts points (t − 1)."""
    rng = np.random.default_rng(4)
    hearts = 65 + rng.normal(0, 8, (40, 1)) + rng.normal(0, 5, (40, 7))
    mean = 1 / (1 + np.exp(1.6 + 0.03 * (hearts[:, :-1] - 65)))
    rate = rng.binomial(40, mean) / 40
    months = pd.period_range("2025-06", periods=7, freq="M").astype(str)
    pd.DataFrame(
        {
            "unit": np.repeat([f"store-{u:02d}" for u in range(40)], 7),
            "period": np.tile(months, 40),
            "hearts": hearts.ravel(),
            "staff_turnover_rate": np.column_stack([np.full(40, np.nan), rate]).ravel(),
        }
    ).to_csv(path, index=False)
    return path


def test_units_prints_drivers_with_intervals_and_each_units_risk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)
    panel = _unit_panel(tmp_path / "panel.csv")
    args = ["risk", "units", str(panel), "--target", "staff_turnover_rate", "--driver", "hearts"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "staff_turnover_rate: 240 unit-periods of 40 units" in done.output
    frame = pd.read_csv(panel)
    frame["period"] = pd.PeriodIndex(frame["period"], freq="M").month
    expected = fit_unit_risk(frame, "staff_turnover_rate", ["hearts"]).drivers.iloc[0]
    assert f"[{expected.lower:+.3f}, {expected.upper:+.3f}]" in done.output
    assert expected.upper < 0 and done.output.count("store-") == 40
    bad = CliRunner().invoke(
        app, ["risk", "units", str(panel), "--target", "hearts", "--driver", "hearts"]
    )
    assert bad.exit_code == 1
    assert "column 'hearts', row 0: expected a rate between 0 and 1" in " ".join(bad.output.split())
