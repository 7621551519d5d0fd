"""Every benchmark runs at a tiny size, so none can rot (``ingest_load.py`` has its own test).

At these sizes the ratios mean nothing; what is checked is that each script still runs to
its verdict without a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
TINY = {
    "metrics_sqlite.py": ["--rows", "3000", "--runs", "1"],
    "metrics_postgres.py": ["--rows", "3000", "--runs", "1"],
    "metrics_duckdb.py": ["--rows", "3000", "--runs", "1"],
    "import_csv.py": ["--rows", "300", "--runs", "1"],
    "import_qualtrics.py": ["--rows", "300", "--runs", "1"],
    "people_import.py": ["--rows", "300", "--runs", "1"],
    "response_export.py": ["--units", "6", "--months", "3", "--runs", "1"],
    "outcomes_import.py": ["--units", "20", "--months", "3", "--runs", "1"],
    "suppression_audit.py": ["--runs", "1", "--units", "40", "--months", "12"],
    "pages.py": ["--sizes", "40", "--months", "12", "--runs", "1", "--after-response"],
    "aggregates_refresh.py": ["--size", "3000", "--runs", "1", "--ingest", "20"],
    "drivers.py": [
        "--rows",
        "2000",
        "--drivers",
        "5",
        "--lmg-drivers",
        "4",
        "--resamples",
        "20",
        "--runs",
        "1",
        "--baseline-resamples",
        "3",
    ],
    "relationships.py": ["--units", "40", "--months", "15", "--runs", "1"],
    "webhook_delivery.py": ["--messages", "60", "--runs", "1"],
    "roi.py": ["--units", "40", "--months", "15", "--draws", "2000", "--runs", "1"],
    "import_page.py": ["--runs", "1"],
    "import_surveyjs_table.py": ["--rows", "300", "--runs", "1"],
    "wild_bootstrap.py": [
        "--units",
        "40",
        "--baseline-units",
        "20",
        "--months",
        "12",
        "--draws",
        "199",
        "--runs",
        "1",
    ],
}


def test_every_benchmark_has_a_smoke_run() -> None:
    scripts = {p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_")}
    assert scripts - {
        "run_all.py",
        "ingest_load.py",
        "emotion.py",
        "emotion_transformer.py",
    } == set(TINY)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_to_its_verdict(script: str) -> None:
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *TINY[script]],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=BENCHMARKS.parent,
    )
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output[-4000:]
    assert run.returncode in (0, 1), output[-4000:]
    assert "PASS" in run.stdout or "FAIL" in run.stdout, output[-4000:]
