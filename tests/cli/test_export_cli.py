"""``rapport responses export`` in every format, chosen by the file suffix or ``--format``;
``rapport survey export`` → ``rapport survey import`` gives the same document back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml
from typer.testing import CliRunner

from rapport.cli.main import app
from tests.integration._survey_fixtures import EVERY_TYPE
from tests.integration.test_survey_document_round_trip import RICH

ANSWERS = "unit,nps,csat,comment\nacme,9,5,Great\nacme,3,2,Slow\n"


@pytest.fixture
def cli(fresh_cli: CliRunner, tmp_path: Path) -> CliRunner:
    runner = fresh_cli
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


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_document_survives_the_cli(fresh_cli: CliRunner, tmp_path: Path, fmt: str) -> None:
    source = tmp_path / f"rich.{fmt}"
    source.write_text(json.dumps(RICH) if fmt == "json" else yaml.safe_dump(RICH), "utf-8")
    assert fresh_cli.invoke(app, ["survey", "import", str(source)]).exit_code == 0
    first = fresh_cli.invoke(app, ["survey", "export", "rich-document", "--format", fmt])
    assert first.exit_code == 0, first.output
    copy_file = tmp_path / f"copy.{fmt}"
    copy_file.write_text(first.output.replace("key: rich-document", "key: copy-of-rich").replace(
        '"key": "rich-document"', '"key": "copy-of-rich"'), "utf-8")  # fmt: skip
    imported = fresh_cli.invoke(app, ["survey", "import", str(copy_file)])
    assert imported.exit_code == 0, imported.output
    again = fresh_cli.invoke(app, ["survey", "export", "copy-of-rich", "--format", fmt])
    assert again.exit_code == 0, again.output
    assert again.output == copy_file.read_text("utf-8")
    assert again.output.replace("copy-of-rich", "rich-document") == first.output
