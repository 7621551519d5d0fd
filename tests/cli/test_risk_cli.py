"""``rapport risk fit`` on the IBM attrition sample, in-process (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

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
