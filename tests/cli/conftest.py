"""A fresh SQLite installation for in-process CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli._common import console, err_console
from rapport.cli.main import app


@pytest.fixture
def fresh_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """``rapport init --org Acme`` done in ``tmp_path`` (the SQLite file lives there),
    with wide consoles so that messages are not folded."""
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 160)
    monkeypatch.setattr(err_console, "width", 200)
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    return runner
