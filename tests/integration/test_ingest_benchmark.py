"""benchmarks/ingest_load.py runs (``--smoke``: 1 s at 20 req/s on SQLite), so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "ingest_load.py"


@pytest.mark.slow
def test_ingest_benchmark_smoke() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "accepted 40, stored afterwards 40, lost 0" in run.stdout, run.stdout
    assert "5xx" in run.stdout and "raw batched INSERT" in run.stdout
