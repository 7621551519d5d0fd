"""Benchmark staff pages on the demo organisation: the home page answers in < 1 s.

Loads the demo (seed 7) into a throwaway SQLite file, logs in as the demo admin and times
GETs through the whole app in process (middleware, session, templates, metric queries): the
median and best of ``--runs`` per page. ``--database-url`` times an existing database instead
(log in with ``--email``/``--password``).

    uv run python benchmarks/page_times.py                         # /, /dashboard, /surveys
    uv run python benchmarks/page_times.py / /surveys/1/comments --runs 9
    uv run python benchmarks/page_times.py /surveys /people/customer/cust-000890  # a profile
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from _common import migrated_sqlite, verdict
from fastapi.testclient import TestClient

from rapport.app import create_app
from rapport.services import demo
from rapport.settings import Settings
from rapport.storage.uow import Database

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
GOAL_SECONDS = 1.0  # the home page, median


def time_pages(settings: Settings, paths: list[str], runs: int, email: str, password: str) -> None:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        found = TOKEN.search(client.get("/login").text)
        assert found, "no login form"
        data = {"email": email, "password": password, "csrf_token": found.group(1)}
        r = client.post("/login", data=data, follow_redirects=False)
        assert r.status_code == 303, f"login failed: {r.status_code}"
        print(f"{'page':<40} {'median s':>9} {'best s':>8}")
        medians = {}
        for path in paths:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                page = client.get(path)
                times.append(time.perf_counter() - start)
                assert page.status_code == 200, f"{path}: {page.status_code}"
            medians[path] = statistics.median(times)
            print(f"{path:<40} {medians[path]:>9.3f} {min(times):>8.3f}")
    if "/" in medians:
        ok = medians["/"] < GOAL_SECONDS
        print(f"\nhome page median {medians['/']:.3f} s, goal < {GOAL_SECONDS} s: {verdict(ok)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=["/", "/dashboard", "/surveys"])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", help="time this database instead of a fresh demo")
    parser.add_argument("--email", default=demo.DEMO_ADMIN)
    parser.add_argument("--password", default=demo.DEMO_PASSWORD)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url
        if url is None:
            path = migrated_sqlite(Path(folder) / "demo.db")
            url = f"sqlite:///{path}"
            db = Database(url)
            demo.load(db, demo.generate(seed=7))
            db.dispose()
            print("Demo (seed 7, 40 units, 15 months)")
        settings = Settings(data_dir=Path(folder), database_url=url)  # type: ignore[call-arg]
        time_pages(settings, args.paths, args.runs, args.email, args.password)


if __name__ == "__main__":
    main()
