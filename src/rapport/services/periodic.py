"""The app's periodic workers: one small base class for a job run every ``interval`` seconds
in a daemon thread (case escalation, webhook delivery), started and stopped by the app's
lifespan.

A run that raises does not end the thread: a :class:`~rapport.errors.RapportError` (the
database away, say) is logged as a warning and the next run retries; anything else is
logged with its traceback. ``stop`` wakes the thread at once and waits for the run under
way, at most ``join_timeout`` seconds.
"""

from __future__ import annotations

import logging
import threading

from rapport.errors import RapportError


class PeriodicWorker:
    """Calls :meth:`run_once` every ``interval`` seconds until stopped; a subclass says what
    one run does and returns a line to log when it did something.

    >>> class Tick(PeriodicWorker):
    ...     def run_once(self) -> str | None:
    ...         return None
    >>> worker = Tick("rapport-tick", interval=60, logger=logging.getLogger("tick"))
    >>> worker.start(); worker.running
    True
    >>> worker.stop(); worker.running
    False
    """

    def __init__(
        self,
        name: str,
        *,
        interval: float,
        logger: logging.Logger,
        join_timeout: float = 10.0,
    ) -> None:
        self.name, self.interval, self.logger = name, interval, logger
        self.join_timeout = join_timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> str | None:
        """One run; the line to log at INFO, or None when there was nothing to do."""
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                done = self.run_once()
            except RapportError as exc:  # the database may be away; the next run retries
                self.logger.warning("%s: run skipped: %s", self.name, exc)
                continue
            except Exception:  # a scheduler thread must outlive one bad run
                self.logger.exception("%s: run failed", self.name)
                continue
            if done:
                self.logger.info("%s", done)
