"""Time staff pages on a loaded database (the demo): median and best of N GETs per page.

Usage (after ``rapport demo``; the settings come from the environment as for ``serve``)::

    uv run python benchmarks/page_times.py [--runs 7] [--email admin@northwind.example]
        [--password northwind-demo] [PATH ...]

Default pages: ``/``, ``/dashboard``, ``/surveys``. Requests go through the whole app
(middleware, session, templates) in process, so the figures are the server's own time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from fastapi.testclient import TestClient

from rapport.app import create_app
from rapport.settings import get_settings

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=["/", "/dashboard", "/surveys"])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--email", default="admin@northwind.example")
    parser.add_argument("--password", default="northwind-demo")
    args = parser.parse_args()
    with TestClient(create_app(get_settings()), base_url="http://127.0.0.1") as client:
        form = client.get("/login")
        found = TOKEN.search(form.text)
        assert found, "no login form"
        data = {"email": args.email, "password": args.password, "csrf_token": found.group(1)}
        r = client.post("/login", data=data, follow_redirects=False)
        assert r.status_code == 303, f"login failed: {r.status_code}"
        print(f"{'page':<40} {'median s':>9} {'best s':>8}")
        for path in args.paths:
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                page = client.get(path)
                times.append(time.perf_counter() - start)
                assert page.status_code == 200, f"{path}: {page.status_code}"
            print(f"{path:<40} {statistics.median(times):>9.3f} {min(times):>8.3f}")


if __name__ == "__main__":
    main()
