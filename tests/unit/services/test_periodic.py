"""The periodic worker behind the case sweeper and the webhook deliverer: runs every
interval, outlives a failing run (logged), stops at once."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from rapport.errors import Unavailable
from rapport.services.periodic import PeriodicWorker


class Flaky(PeriodicWorker):
    """Fails its first two runs (the database away, then a bug), then reports each run."""

    def __init__(self) -> None:
        super().__init__("rapport-test", interval=0.01, logger=logging.getLogger("test.periodic"))
        self.runs = 0
        self.fourth = threading.Event()

    def run_once(self) -> str | None:
        self.runs += 1
        if self.runs == 1:
            raise Unavailable("database away")
        if self.runs == 2:
            raise ValueError("a bug")
        if self.runs >= 4:
            self.fourth.set()
        return f"run {self.runs}" if self.runs == 3 else None


def test_a_failing_run_is_logged_and_the_next_one_still_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = Flaky()
    with caplog.at_level(logging.INFO, logger="test.periodic"):
        worker.start()
        assert worker.fourth.wait(5), "the worker stopped after a failing run"
        worker.stop()
    assert not worker.running
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert logged[:3] == [
        ("WARNING", "rapport-test: run skipped: database away"),
        ("ERROR", "rapport-test: run failed"),
        ("INFO", "run 3"),
    ]
    assert caplog.records[1].exc_info is not None  # the bug's traceback is logged


def test_stop_wakes_a_long_interval_at_once() -> None:
    worker = Flaky()
    worker.interval = 3600
    worker.start()
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 2 and worker.runs == 0 and not worker.running
