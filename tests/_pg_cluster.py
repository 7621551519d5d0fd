"""A throwaway PostgreSQL 15 cluster of a test's own, in a temporary folder on a free port.

``initdb`` and ``pg_ctl`` run as the ``postgres`` OS user when the tests run as root (CI
does; initdb refuses root). The folder is outside pytest's ``tmp_path``: the postgres user
cannot enter root's 0700 folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import _free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*runner, *cmd], check=check, capture_output=True, text=True)


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own in a temporary folder, on a free loopback port."""

    folder: Path
    port: int = field(default_factory=_free_port)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        _as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )

    def _ctl(self, action: str, *extra: str, check: bool = True) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *extra, action, check=check)

    def _options(self) -> tuple[str, ...]:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        return ("-o", options, "-l", str(self.folder / "log"), "-w")

    def start(self) -> None:
        self._ctl("start", *self._options())

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast", "-w")

    def restart_immediately(self) -> None:
        """Stop without a checkpoint (as a crash would: every connection is cut, recovery
        runs at start) and start again."""
        self._ctl("restart", "-m", "immediate", *self._options())

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A started cluster, stopped and removed afterwards (also when the test fails)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed")
    base = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
    os.chmod(base, 0o755)
    own = Cluster(base / "cluster")
    try:
        own.init()
        own.start()
        yield own
    finally:
        if own.data.exists():
            own._ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(base, ignore_errors=True)
