"""Server CPU per request of the import page for other tools (``/imports``), on the demo.

Serves a copy of the demo database with ``rapport serve`` (generated once, or reused like
``benchmarks/pages.py``), logs in as the demo admin and times each request ``--runs`` times:
server CPU seconds from ``/proc/<pid>/stat`` (median) and wall time (p50). The file is the
largest export of ``tests/data/formats`` (SurveyMonkey, 275 KB, 1,129 responses).

* ``POST /imports`` — upload, dry run and keeping the files for the commit;
* ``GET /imports/{token}`` — the mapping preview page (from the kept report);
* baseline, measured in the same run: ``POST /api/v1/imports`` with ``dry_run`` (the same
  dry run without the page).

Goal: the upload within 1.5× of the API's dry run, the preview page under 50 ms of CPU.

    uv run python benchmarks/import_page.py --reuse /tmp/orgs --runs 5
    uv run python benchmarks/import_page.py --runs 1                   # smoke
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _common import verdict
from pages import (
    DEMO_MONTHS,
    TOKEN,
    Size,
    _cpu_seconds,
    _free_port,
    ensure_database,
    log_in_when_up,
)

FIXTURE = (
    Path(__file__).parents[1] / "tests" / "data" / "formats" / "surveymonkey"
    / "sm_comma_condensed.csv"
)  # fmt: skip
GOAL_RATIO = 1.5
GOAL_PREVIEW_CPU = 0.050


def _measure(pid: int, runs: int, call: Callable[[], httpx.Response]) -> tuple[float, float]:
    """(server CPU s median, wall s median) of ``runs`` calls."""
    cpus, walls = [], []
    for _ in range(runs):
        cpu, wall = _cpu_seconds(pid), time.perf_counter()
        answer = call()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu_seconds(pid) - cpu)
        assert answer.status_code < 400, f"{answer.request.url}: {answer.status_code}"
    return statistics.median(cpus), statistics.median(walls)


def time_requests(db_file: Path, runs: int) -> dict[str, tuple[float, float]]:
    data = FIXTURE.read_bytes()
    files = {"definition": (FIXTURE.name, data, "text/csv")}
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(db_file, Path(folder) / "rapport.db")
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "rapport", "serve", "--port", str(port)],
            env={**os.environ, "RAPPORT_DATA_DIR": folder},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=600) as client:
                log_in_when_up(client)
                found = TOKEN.search(client.get("/imports").text)
                assert found, "no form on /imports"
                csrf = found.group(1)
                tokens: list[str] = []

                def upload() -> httpx.Response:
                    form = {"csrf_token": csrf, "format": "surveymonkey"}
                    answer = client.post("/imports", data=form, files=files)
                    tokens.append(answer.headers.get("location", ""))
                    return answer

                def api_dry_run() -> httpx.Response:
                    form = {"format": "surveymonkey", "dry_run": "true"}
                    headers = {"X-CSRF-Token": csrf}
                    return client.post("/api/v1/imports", data=form, files=files, headers=headers)

                figures = {
                    "POST /api/v1/imports dry run (baseline)": _measure(
                        server.pid, runs, api_dry_run
                    ),
                    "POST /imports (upload + dry run + keep)": _measure(server.pid, runs, upload),
                }
                assert all(t.startswith("/imports/") for t in tokens), tokens
                figures["GET /imports/{token} (preview page)"] = _measure(
                    server.pid, runs, lambda: client.get(tokens[-1])
                )
                for token in tokens:  # the kept files go, as a user's Discard does
                    client.post(token, data={"csrf_token": csrf, "action": "discard"})
                left = list((Path(folder) / "tool-imports").iterdir())
                assert not left, f"kept uploads left behind: {left}"
        finally:
            server.terminate()
            server.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="where to generate (default: temporary)")
    parser.add_argument("--reuse", type=Path, help="take <dir>/demo if present")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        size = Size("demo", 40, DEMO_MONTHS)
        db_file = ensure_database(size, args.data_dir or Path(scratch), args.reuse)
        figures = time_requests(db_file, args.runs)
    baseline = figures["POST /api/v1/imports dry run (baseline)"][0]
    print(f"\n{FIXTURE.name} ({FIXTURE.stat().st_size // 1024} KB), {args.runs} runs, demo")
    print(f"{'request':<42} | {'server CPU s':>12} | {'wall s':>7} | ratio to baseline CPU")
    for label, (cpu, wall) in figures.items():
        ratio = cpu / baseline if baseline else float("nan")
        print(f"{label:<42} | {cpu:>12.3f} | {wall:>7.3f} | {ratio:>5.2f}×")
    upload = figures["POST /imports (upload + dry run + keep)"][0]
    preview = figures["GET /imports/{token} (preview page)"][0]
    ok = upload <= GOAL_RATIO * baseline and preview < GOAL_PREVIEW_CPU
    print(
        f"\nupload within {GOAL_RATIO}× of the API's dry run, preview page under "
        f"{GOAL_PREVIEW_CPU * 1000:.0f} ms CPU: {verdict(ok)}"
    )


if __name__ == "__main__":
    main()
