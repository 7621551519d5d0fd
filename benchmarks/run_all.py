"""Run every benchmark script in this folder, one after the other (``make bench``).

Each ``benchmarks/*.py`` except this file and private helpers (``_*.py``) runs in its own
process with the same interpreter and its default arguments. Benchmarks report PASS/FAIL
against their goals but exit 0; this script exits 1 only if one of them crashed.

    uv run python benchmarks/run_all.py                          # every benchmark
    uv run python benchmarks/run_all.py import_csv metrics_sqlite   # just these
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(names: Sequence[str] = ()) -> list[Path]:
    """The benchmark scripts, all of them or those named (with or without ``.py``)."""
    found = sorted(
        path
        for path in HERE.glob("*.py")
        if path.name != Path(__file__).name and not path.name.startswith("_")
    )
    if not names:
        return found
    wanted = {name.removesuffix(".py") for name in names}
    unknown = wanted - {path.stem for path in found}
    if unknown:
        raise SystemExit(f"no benchmark named {', '.join(sorted(unknown))}")
    return [path for path in found if path.stem in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    crashed = []
    for script in scripts(sys.argv[1:] if argv is None else argv):
        print(f"=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], check=False).returncode
        print(f"=== {script.name}: exit {code} after {time.perf_counter() - start:.0f} s ===\n")
        if code != 0:
            crashed.append(script.name)
    if crashed:
        print(f"crashed: {', '.join(crashed)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
