"""A server imports only what its pages use: the libraries that only risk, key drivers,
linkage, PNG/SVG/PDF exports and DuckDB snapshots need are imported where they are used
(docs/performance.md "Memory": statsmodels with polars, scikit-learn, vl-convert, typst and
pyarrow.parquet were about 100 MB of every server's resident memory)."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_AT_START = ("statsmodels", "sklearn", "vl_convert", "typst", "pyarrow.parquet", "polars")


def test_the_app_does_not_import_what_few_pages_use() -> None:
    code = (
        "import json, sys; import rapport.app; "
        f"print(json.dumps([m for m in {list(NOT_AT_START)!r} if m in sys.modules]))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(found) == []
