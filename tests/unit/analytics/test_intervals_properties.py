"""Properties of the Wilson and t intervals: they contain the estimate, widen with
confidence and shrink with n."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rapport.analytics.estimates import Estimate
from rapport.analytics.intervals import mean_estimate, proportion_estimate

confidences = st.floats(min_value=0.5, max_value=0.999)
samples = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=2, max_size=40
)


def _width(estimate: Estimate) -> float:
    assert estimate.lower is not None
    assert estimate.upper is not None
    return estimate.upper - estimate.lower


@st.composite
def shares(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=5000))
    return draw(st.integers(min_value=0, max_value=n)), n


@given(shares(), confidences)
def test_wilson_contains_the_share(share: tuple[int, int], confidence: float) -> None:
    estimate = proportion_estimate(*share, confidence)
    assert estimate.lower is not None
    assert estimate.upper is not None
    assert estimate.value is not None
    assert 0.0 <= estimate.lower <= estimate.value + 1e-9
    assert estimate.value - 1e-9 <= estimate.upper <= 100.0


@given(shares(), confidences, confidences)
def test_wilson_widens_with_confidence(share: tuple[int, int], c1: float, c2: float) -> None:
    low, high = sorted((c1, c2))
    assert (
        _width(proportion_estimate(*share, low)) <= _width(proportion_estimate(*share, high)) + 1e-9
    )


@given(shares(), st.integers(min_value=2, max_value=20))
def test_wilson_shrinks_with_n(share: tuple[int, int], factor: int) -> None:
    successes, n = share
    assert _width(proportion_estimate(successes * factor, n * factor)) < _width(
        proportion_estimate(successes, n)
    )


@given(samples, confidences)
def test_t_interval_contains_the_mean(values: list[float], confidence: float) -> None:
    estimate = mean_estimate(values, confidence)
    assert estimate.lower is not None
    assert estimate.upper is not None
    assert estimate.value is not None
    assert estimate.lower <= estimate.value <= estimate.upper


@given(samples, confidences, confidences)
def test_t_interval_widens_with_confidence(values: list[float], c1: float, c2: float) -> None:
    low, high = sorted((c1, c2))
    assert _width(mean_estimate(values, low)) <= _width(mean_estimate(values, high)) + 1e-9


@given(samples, st.integers(min_value=2, max_value=10))
def test_t_interval_shrinks_with_n(values: list[float], copies: int) -> None:
    # Repeating the sample keeps its mean and shrinks its standard error.
    assert _width(mean_estimate(values * copies)) <= _width(mean_estimate(values)) + 1e-9
