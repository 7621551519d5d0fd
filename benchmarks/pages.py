"""Benchmark every page and API call of issue 13 (and issue 15's relationship pages, issue
17's learning log) on the demo and on large organisations.

Generates (or reuses) the demo organisation and generated ones of ``--sizes`` units ×
``--months`` months (``rapport demo --units N --months M``), starts a real ``rapport serve``
subprocess on a copy of each database, logs in as the demo admin and times each request
``--runs`` times over HTTP: p50/p95 wall time, and the server's CPU time per request read
from ``/proc/<pid>/stat`` (steadier than the wall clock on a loaded machine). Reports the
server's resident memory when idle and its peak (``VmHWM``), and the ratio of each size to
the first (the demo). The server reads the first pages' tables at start (``warm_up``);
requests start once ``/healthz`` says it is done (``--no-warm-up``: off, first requests
cold). Goals (issue 13): every page under 300 ms p95 at the largest size and
within 2× of the demo; peak RSS under 600 MB.

    uv run python benchmarks/pages.py --sizes demo,160,400 --data-dir /tmp/orgs --runs 5
    uv run python benchmarks/pages.py --reuse /work/bench --sizes demo,160   # demo/, org160/
    uv run python benchmarks/pages.py --sizes 40 --months 12 --runs 1        # smoke
    uv run python benchmarks/pages.py --reuse /work/bench --sizes demo,400 --only /dashboard
    uv run python benchmarks/pages.py --reuse /work/bench --sizes 400 --after-response

A generated organisation's last month is the current one (``--start live``), as a live
organisation's is: a new response then falls in its one open month. ``--start 2025-07``
generates the calendar of the rounds before the thirteenth (seven months after today's at
24 months, all of them read again after each response).

A reused database is copied before the server writes to it (sessions, secret key).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from _common import verdict

from rapport.services import demo

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TICKS = os.sysconf("SC_CLK_TCK")
GOAL_P95 = 0.300  # seconds, every page at the largest size
GOAL_RATIO = 2.0  # largest size / demo
GOAL_RSS_MB = 600.0
DEMO_MONTHS = 15


@dataclass(frozen=True)
class Size:
    name: str
    units: int
    months: int

    @property
    def folder(self) -> str:
        return "demo" if self.name == "demo" else f"org{self.units}"


@dataclass(frozen=True)
class Figures:
    p50: float
    p95: float
    cpu: float  # server CPU seconds per request, median
    cold: float  # server CPU seconds of the first request (after the server's warm-up, if on)
    after: float | None = None  # median server CPU seconds of the request after a new response
    # ... and of the request once the server's background refresh after it is done
    refreshed: float | None = None


def requests_for(db_file: Path) -> dict[str, str]:
    """The issue's table: label → path, with this organisation's survey ids and a head-office
    department (read from the SQLite file before the server starts)."""
    with sqlite3.connect(db_file) as conn:
        ids = dict(conn.execute("SELECT key, id FROM surveys").fetchall())
        dept = conn.execute(
            "SELECT path FROM units WHERE path LIKE '%/head-office/%' ORDER BY path LIMIT 1"
        ).fetchone()
        # A store under an action (the demo's West programme) if any: its page estimates
        # the action's effect, the page's dearest part.
        store = conn.execute(
            "SELECT code FROM units WHERE kind = 'store' ORDER BY path LIKE '%/west/%' DESC, path"
            " LIMIT 1"
        ).fetchone()
    customer, employee = ids["customer-relationship"], "employee-relationship"
    return {
        "/dashboard default": "/dashboard",
        "/dashboard employee survey": f"/dashboard?survey={employee}",
        "/dashboard employee, one HQ department": f"/dashboard?survey={employee}&unit={dept[0]}",
        "survey results page (customer)": f"/surveys/{customer}",
        "comments page (customer)": f"/surveys/{customer}/comments",
        "GET /api/v1/metrics unit × month (employee)": (
            f"/api/v1/metrics?survey={employee}&metric=hearts&by=unit&period=month"
        ),
        "home page": "/",
        "relationships page (organisation map)": f"/relationships?survey={customer}",
        "relationship unit page (a west store)": (
            f"/relationships/unit?survey={customer}&unit={store[0]}"
        ),
        "learning log page (each change's effect)": "/learnings",
    }


def ensure_database(
    size: Size, data_dir: Path, reuse: Path | None, first_month: str = "live"
) -> Path:
    """The organisation's SQLite file: reused from ``reuse/<folder>`` or generated once.
    A generated size's months start at ``first_month`` (``rapport demo --start``; ``live``: the
    last month is this one, as a live organisation's is; the demo keeps its own calendar)."""
    if reuse is not None and (reuse / size.folder / "rapport.db").exists():
        return reuse / size.folder / "rapport.db"
    folder = data_dir / size.folder
    target = folder / "rapport.db"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {size.name}: {size.units} units × {size.months} months ...", flush=True)
        start = time.perf_counter()
        command = ["demo", "--units", str(size.units), "--months", str(size.months)]
        if size.name != "demo":
            command += ["--start", first_month]
        subprocess.run(
            [sys.executable, "-m", "rapport", *command],
            env={**os.environ, "RAPPORT_DATA_DIR": str(folder)},
            check=True,
            capture_output=True,
        )
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _memory_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_size(
    db_file: Path,
    runs: int,
    arena: int | None,
    only: list[str] | None = None,
    cron_themes: bool = True,
    after_response: bool = False,
    workers: bool = False,
    warm_up: bool = True,
) -> tuple[dict[str, Figures], float, float]:
    """Serve a copy of ``db_file`` and time every request; (figures, idle MB, peak MB).
    Without ``workers`` the server's periodic workers (case sweeper, webhook deliverer) are
    off, as when cron runs them: their CPU would be charged to whichever request is timed.
    With ``cron_themes``, ``rapport text themes`` runs first, as cron would: the comments
    page then shows kept themes (else it finds them in a background thread of the server,
    whose CPU would be charged to whichever request is being timed). With ``warm_up`` (the
    server's default) the requests start once the server's start-up read is done."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(db_file, Path(folder) / "rapport.db")
        port = _free_port()
        env = {**os.environ, "RAPPORT_DATA_DIR": folder}
        if not workers:  # the pages alone: the sweeper's CPU would be charged to them
            env.update(RAPPORT_CASE_SWEEP_SECONDS="0", RAPPORT_WEBHOOK_DELIVER_SECONDS="0")
        if arena is not None:
            env["MALLOC_ARENA_MAX"] = str(arena)
        if not warm_up:  # first requests find empty caches
            env["RAPPORT_WARM_UP"] = "0"
        if cron_themes:
            start = time.perf_counter()
            for command in (["db", "upgrade"], ["text", "themes"]):
                subprocess.run(
                    [sys.executable, "-m", "rapport", *command],
                    env=env,
                    check=True,
                    capture_output=True,
                )
            print(f"  rapport text themes: {time.perf_counter() - start:.0f} s", flush=True)
        token = _admin_token(env) if after_response else None
        server = subprocess.Popen(
            [sys.executable, "-m", "rapport", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            paths = requests_for(db_file)
            if only:
                paths = {k: v for k, v in paths.items() if any(part in k for part in only)}
            survey = requests_for(db_file)["survey results page (customer)"].rsplit("/", 1)[1]
            return _time_server(server.pid, port, paths, runs, token and (token, survey))
        finally:
            server.terminate()
            server.wait(timeout=30)


def log_in_when_up(client: httpx.Client) -> None:
    """Wait for the server to answer, then log in as the demo admin."""
    deadline = time.monotonic() + 600  # a loaded 2-core machine: a minute or more
    while True:
        try:
            page = client.get("/login")
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError("rapport serve did not start") from None
            time.sleep(0.2)
    found = TOKEN.search(page.text)
    assert found, "no login form"
    form = {"email": demo.DEMO_ADMIN, "password": demo.DEMO_PASSWORD}
    r = client.post("/login", data={**form, "csrf_token": found.group(1)})
    assert r.status_code == 303, f"login failed: {r.status_code}"


def wait_for_warm_up(client: httpx.Client, pid: int) -> None:
    """Wait until the server's start-up read of the first pages' tables is done
    (``/healthz`` ``warm_up``), and print how long it took and the server's CPU since start
    (the warm-up's, with the login's and the start-up's)."""
    start = time.perf_counter()
    while (state := client.get("/healthz").json().get("warm_up")) == "running":
        time.sleep(0.2)
    if state == "done":
        waited = time.perf_counter() - start
        cpu = _cpu_seconds(pid)
        print(f"  warm-up done {waited:.1f} s after login; server CPU since start {cpu:.1f} s")


def _admin_token(env: dict[str, str]) -> str:
    """An admin API token, created with the CLI before the server starts."""
    done = subprocess.run(
        [sys.executable, "-m", "rapport", "token", "create", "--role", "admin", "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    found = re.search(r"rpt_[A-Za-z0-9_-]+", done.stdout)
    assert found, "no token printed"
    return found.group(0)


def submit_a_response(client: httpx.Client, token: str, survey: str) -> None:
    """Submit, over the API, a copy of the survey's first response: a new response in the
    open month (the write a live organisation makes all day)."""
    auth = {"Authorization": f"Bearer {token}"}
    page = client.get(f"/api/v1/surveys/{survey}/responses", params={"limit": 1}, headers=auth)
    assert page.status_code == 200, page.text
    first = page.json()["items"][0]
    answers: dict[str, Any] = {}
    for a in first["answers"]:
        value = a["value_num"] if a["value_num"] is not None else a["value_text"]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if a["item"]:
            answers.setdefault(a["question_id"], {})[a["item"]] = value
        else:
            answers[a["question_id"]] = value
    body = {"answers": answers, "unit": first["unit"]}
    r = client.post(f"/api/v1/surveys/{survey}/responses", json=body, headers=auth)
    assert r.status_code == 201, r.text


def _time_server(
    pid: int, port: int, paths: dict[str, str], runs: int, write: tuple[str, str] | None = None
) -> tuple[dict[str, Figures], float, float]:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=600) as client:
        log_in_when_up(client)
        wait_for_warm_up(client, pid)
        idle = _memory_mb(pid, "VmRSS")
        figures = {}
        for label, path in paths.items():
            walls, cpus = [], []
            for _ in range(runs):
                cpu, wall = _cpu_seconds(pid), time.perf_counter()
                answer = client.get(path)
                walls.append(time.perf_counter() - wall)
                cpus.append(_cpu_seconds(pid) - cpu)
                assert answer.status_code == 200, f"{path}: {answer.status_code}"
            figures[label] = Figures(
                statistics.median(walls),
                _percentile(walls, 0.95),
                statistics.median(cpus),
                cpus[0],
            )
        if write is not None:
            for label, path in paths.items():  # each request right after a new response
                after = []
                for _ in range(runs):  # the median of ``runs``: one alone varies by 2×
                    wait_for_refresh(client)  # none due: its CPU is not the page's
                    submit_a_response(client, *write)
                    cpu = _cpu_seconds(pid)
                    assert client.get(path).status_code == 200, path
                    after.append(_cpu_seconds(pid) - cpu)
                figures[label] = replace(figures[label], after=statistics.median(after))
            refreshes: list[tuple[float, float]] = []
            for label, path in paths.items():  # ... and once the refresh after it is done
                cpus = []
                for _ in range(runs):
                    wait_for_refresh(client)
                    submit_a_response(client, *write)
                    cpu, wall = _cpu_seconds(pid), time.perf_counter()
                    if not wait_for_refresh(client):
                        break  # the server has no refresh
                    refreshes.append((time.perf_counter() - wall, _cpu_seconds(pid) - cpu))
                    cpu = _cpu_seconds(pid)
                    assert client.get(path).status_code == 200, path
                    cpus.append(_cpu_seconds(pid) - cpu)
                if cpus:
                    figures[label] = replace(figures[label], refreshed=statistics.median(cpus))
            if refreshes:
                wall, cpu = (statistics.median(x) for x in zip(*refreshes, strict=True))
                print(
                    f"  a new response to the refresh's end: {wall:.1f} s (median of"
                    f" {len(refreshes)}), server CPU {cpu:.2f} s"
                )
        return figures, idle, _memory_mb(pid, "VmHWM")


def wait_for_refresh(client: httpx.Client) -> bool:
    """Wait until the server's background refresh (``/healthz`` ``refresh``) has read the
    current data; False when it is off."""
    deadline = time.monotonic() + 300
    while (state := client.get("/healthz").json().get("refresh", "off")) != "done":
        if state == "off":
            return False
        if time.monotonic() > deadline:
            raise RuntimeError("the server's refresh did not end")
        time.sleep(0.05)
    return True


def parse_sizes(text: str, months: int) -> list[Size]:
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if part == "demo":
            sizes.append(Size("demo", 40, DEMO_MONTHS))
        else:
            sizes.append(Size(f"{part} units", int(part), months))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="demo,160,400", help="demo and/or unit counts")
    parser.add_argument("--months", type=int, default=24, help="months of generated history")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--start",
        default="live",
        help="first month of a generated size (YYYY-MM; live: its last month is this one)",
    )
    parser.add_argument("--data-dir", type=Path, help="where to generate (default: temporary)")
    parser.add_argument("--reuse", type=Path, help="take <dir>/demo, <dir>/org<N> if present")
    parser.add_argument("--malloc-arena-max", type=int, help="MALLOC_ARENA_MAX for the server")
    parser.add_argument(
        "--only", help="time only the requests whose label contains one of these (a,b,...)"
    )
    parser.add_argument(
        "--after-response",
        action="store_true",
        help="then time each request right after submitting a new response (API), "
        "--runs times: the median",
    )
    parser.add_argument(
        "--with-workers",
        action="store_true",
        help="keep the server's case sweeper and webhook deliverer on (their CPU is counted)",
    )
    parser.add_argument(
        "--no-cron-themes",
        action="store_true",
        help="do not run `rapport text themes` before serving (themes found by the server)",
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="turn the server's start-up read off (RAPPORT_WARM_UP=0): first requests cold",
    )
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes, args.months)
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir or Path(scratch)
        results = {}
        for size in sizes:
            db_file = ensure_database(size, data_dir, args.reuse, args.start)
            only = args.only.split(",") if args.only else None
            figures, idle, peak = time_size(
                db_file,
                args.runs,
                args.malloc_arena_max,
                only,
                not args.no_cron_themes,
                args.after_response,
                args.with_workers,
                not args.no_warm_up,
            )
            results[size.name] = (figures, idle, peak)
            print(f"{size.name}: idle RSS {idle:.0f} MB, peak RSS {peak:.0f} MB", flush=True)
    report(sizes, results, args.runs)


def report(
    sizes: list[Size], results: dict[str, tuple[dict[str, Figures], float, float]], runs: int
) -> None:
    first, last = sizes[0].name, sizes[-1].name
    labels = list(results[first][0])
    print(
        f"\nper request, {runs} runs: p50 / p95 wall s, server CPU s median (first)"
        " [median right after a new response] {median once the refresh after it is done}"
    )
    head = "".join(f" | {s.name:>32}" for s in sizes)
    print(f"{'request':<45}{head} | {'ratio':>6}")
    slow, far = [], []
    for label in labels:
        cells = ""
        for s in sizes:
            f = results[s.name][0][label]
            cells += f" | {f.p50:>6.3f} / {f.p95:>6.3f}, {f.cpu:>6.3f} ({f.cold:>6.3f})"
            if f.after is not None:
                cells += f" [{f.after:>6.3f}]"
            if f.refreshed is not None:
                cells += f" {{{f.refreshed:>6.3f}}}"
        base, top = results[first][0][label], results[last][0][label]
        ratio = top.p50 / base.p50 if base.p50 else float("nan")
        if not top.p95 < GOAL_P95:
            slow.append(label)
        if not ratio <= GOAL_RATIO:
            far.append(f"{label} {ratio:.1f}×")
        print(f"{label:<45}{cells} | {ratio:>5.1f}×")
    peak = max(r[2] for r in results.values())
    print(f"peak RSS {peak:.0f} MB (goal < {GOAL_RSS_MB:.0f} MB at {last})")
    # Each goal on its own line: one verdict for all three hid which of them failed.
    print(f"\nevery request < {GOAL_P95 * 1000:.0f} ms p95 at {last}: {verdict(not slow)}")
    for label in slow:
        print(f"  not: {label}")
    within = f"every request's p50 within {GOAL_RATIO:.0f}× of {first}'s at {last}"
    print(f"{within}: {verdict(not far)}")
    for label in far:
        print(f"  not: {label}")
    print(f"peak RSS < {GOAL_RSS_MB:.0f} MB at {last}: {verdict(results[last][2] < GOAL_RSS_MB)}")


if __name__ == "__main__":
    main()
