"""``rapport responses export`` in every format, chosen by the file suffix or ``--format``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from rapport.cli._common import console, err_console
from rapport.cli.main import app
from tests.integration._survey_fixtures import EVERY_TYPE

ANSWERS = "unit,nps,csat,comment\nacme,9,5,Great\nacme,3,2,Slow\n"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 160)
    monkeypatch.setattr(err_console, "width", 200)
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    survey = tmp_path / "every.json"
    survey.write_text(json.dumps(EVERY_TYPE))
    assert runner.invoke(app, ["survey", "import", str(survey)]).exit_code == 0
    answers = tmp_path / "answers.csv"
    answers.write_text(ANSWERS)
    done = runner.invoke(app, ["responses", "import", "every-type", str(answers)])
    assert done.exit_code == 0, done.output
    return runner


def test_the_suffix_chooses_the_format(cli: CliRunner, tmp_path: Path) -> None:
    for suffix in (".sav", ".json", ".csv", ".parquet"):
        out = tmp_path / f"export{suffix}"
        done = cli.invoke(app, ["responses", "export", "every-type", "--out", str(out)])
        assert done.exit_code == 0, done.output
        assert f"Wrote 2 responses to {out} ({suffix[1:]})" in done.output
    frame, meta = pyreadstat.read_sav(str(tmp_path / "export.sav"))
    assert frame["nps"].tolist() == [9.0, 3.0]
    assert meta.column_names_to_labels["nps"] == "How likely are you to recommend us?"
    records = json.loads((tmp_path / "export.json").read_text("utf-8"))
    assert [r["answers"] for r in records] == [
        {"nps": 9, "csat": 5, "comment": "Great"},
        {"nps": 3, "csat": 2, "comment": "Slow"},
    ]
    assert pd.read_parquet(tmp_path / "export.parquet")["nps"].tolist() == [9.0, 3.0]
    assert (tmp_path / "export.csv").read_text("utf-8").splitlines()[0].startswith("response_id,")


def test_format_option_wins_and_bad_choices_are_named(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "answers.data"
    done = cli.invoke(
        app, ["responses", "export", "every-type", "--out", str(out), "--format", "sav"]
    )
    assert done.exit_code == 0, done.output
    assert pyreadstat.read_sav(str(out))[0].shape[0] == 2
    bad = cli.invoke(app, ["responses", "export", "every-type", "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code == 1
    assert (
        "the suffix .txt of" in bad.output
        and "expected one of csv, parquet, json, sav" in bad.output
    )
    bad = cli.invoke(
        app, ["responses", "export", "every-type", "--out", str(out), "--format", "xlsx"]
    )
    assert bad.exit_code == 1 and "--format xlsx: expected one of" in bad.output
