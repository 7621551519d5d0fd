"""One computation per key at a time (``services/versioned_cache.SingleFlight``), and the
caches built on it: a caller that arrives while its key is being computed gets that result
and computes nothing; a failed computation leaves each waiter to compute for itself."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from rapport.services.versioned_cache import SingleFlight, SlotCache, VersionedCache


def _slow(
    started: threading.Event, release: threading.Event, value: object
) -> Callable[[], object]:
    calls: list[object] = []

    def compute() -> object:
        calls.append(value)
        started.set()
        assert release.wait(10)
        return value

    compute.calls = calls  # type: ignore[attr-defined]
    return compute


def _beside(run: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(run()))
    thread.start()
    return thread, got


def _until_joined(flights: SingleFlight, count: int) -> None:
    for _ in range(1000):
        if flights.joined >= count:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the second caller never waited")


def test_a_caller_during_a_computation_gets_its_result() -> None:
    flights, started, release = SingleFlight(), threading.Event(), threading.Event()
    first = _slow(started, release, "map")
    thread, got = _beside(lambda: flights.run("k", first))
    assert started.wait(10)
    second: list[str] = []
    waiter, got2 = _beside(lambda: flights.run("k", lambda: second.append("again") or "again"))
    _until_joined(flights, 1)
    release.set()
    thread.join(10)
    waiter.join(10)
    assert got == got2 == ["map"]
    assert first.calls == ["map"] and second == []  # type: ignore[attr-defined]
    # Done: the next caller computes anew (the caches keep results, not the flights).
    assert flights.run("k", lambda: "new") == "new"


def test_other_keys_do_not_wait() -> None:
    flights, started, release = SingleFlight(), threading.Event(), threading.Event()
    thread, _ = _beside(lambda: flights.run("k", _slow(started, release, 1)))
    assert started.wait(10)
    assert flights.run("other", lambda: 2) == 2
    release.set()
    thread.join(10)


def test_a_failed_computation_leaves_each_waiter_to_compute() -> None:
    flights, started, release = SingleFlight(), threading.Event(), threading.Event()

    def failing() -> object:
        started.set()
        assert release.wait(10)
        raise RuntimeError("database away")

    errors: list[BaseException] = []

    def first() -> None:
        try:
            flights.run("k", failing)
        except RuntimeError as error:
            errors.append(error)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    waiter, got = _beside(lambda: flights.run("k", lambda: "mine"))
    _until_joined(flights, 1)
    release.set()
    thread.join(10)
    waiter.join(10)
    assert [str(e) for e in errors] == ["database away"] and got == ["mine"]


def test_a_waiter_stops_waiting_after_its_bound() -> None:
    flights, started, release = SingleFlight(wait=0.05), threading.Event(), threading.Event()
    thread, _ = _beside(lambda: flights.run("k", _slow(started, release, "slow")))
    assert started.wait(10)
    assert flights.run("k", lambda: "mine") == "mine"
    release.set()
    thread.join(10)


@pytest.mark.parametrize("kind", ["slot", "versioned"])
def test_the_caches_compute_a_value_asked_twice_at_once_once(kind: str) -> None:
    started, release = threading.Event(), threading.Event()
    compute = _slow(started, release, "page")
    if kind == "slot":
        slots: SlotCache[object] = SlotCache()
        ask: Callable[[], object] = lambda: slots.get_or_compute("map", 2, compute)  # noqa: E731
        flights = slots._flights
    else:
        kept: VersionedCache[object] = VersionedCache()
        ask = lambda: kept.get_or_compute(("map", 2), compute)  # noqa: E731
        flights = kept._flights
    thread, got = _beside(ask)
    assert started.wait(10)
    waiter, got2 = _beside(ask)
    _until_joined(flights, 1)
    release.set()
    thread.join(10)
    waiter.join(10)
    assert got == got2 == ["page"] and compute.calls == ["page"]  # type: ignore[attr-defined]
    assert ask() == "page" and compute.calls == ["page"]  # type: ignore[attr-defined]
