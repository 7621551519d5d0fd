"""Reliability: listwise deletion, undefined cases, rescaling, and invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.analytics.reliability import cronbach_alpha, mcdonald_omega, rescale_to_0_100

ITEMS = np.array(
    [[1, 2, 2, 1], [2, 3, 3, 2], [3, 3, 4, 4], [4, 5, 4, 4], [5, 4, 5, 5], [2, 2, 1, 3]],
    dtype=float,
)


def test_rows_with_a_missing_item_are_dropped() -> None:
    with_gaps = np.vstack([ITEMS, [[np.nan, 1, 2, 3], [4, np.nan, np.nan, 1]]])
    alpha = cronbach_alpha(with_gaps)
    assert (alpha.n, alpha.n_items, alpha.n_dropped) == (6, 4, 2)
    assert alpha.value == pytest.approx(cronbach_alpha(ITEMS).value)
    omega = mcdonald_omega(with_gaps)
    assert (omega.n, omega.n_dropped) == (6, 2)
    assert omega.value == pytest.approx(mcdonald_omega(ITEMS).value)


@pytest.mark.parametrize(
    "items",
    [
        np.empty((0, 4)),
        ITEMS[:1],
        ITEMS[:, :1],
        np.ones((5, 3)),
        np.full((4, 3), np.nan),
    ],
)
def test_undefined_alpha_is_none(items: np.ndarray) -> None:
    result = cronbach_alpha(items)
    assert (result.value, result.lower, result.upper) == (None, None, None)


@pytest.mark.parametrize(
    "items",
    [
        ITEMS[:, :2],  # two items leave a one-factor model unidentified
        np.column_stack([ITEMS[:, :3], np.ones(6)]),  # an item that does not vary
        np.column_stack([ITEMS[:, :3], ITEMS[:, 0]]),  # a duplicated item: singular
        ITEMS[:3],  # fewer respondents than items: singular
    ],
)
def test_undefined_omega_is_none(items: np.ndarray) -> None:
    result = mcdonald_omega(items)
    assert result.value is None
    assert result.confidence is None


def test_alpha_can_be_negative_and_is_reported() -> None:
    opposed = np.column_stack([ITEMS[:, 0], 6 - ITEMS[:, 0] + [0, 1, 0, -1, 0, 0]])
    result = cronbach_alpha(opposed)
    assert result.value is not None
    assert result.value < 0


def test_items_must_be_two_dimensional_and_finite() -> None:
    with pytest.raises(ValueError):
        cronbach_alpha([1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        mcdonald_omega([[1.0, 2.0, np.inf]] * 4)


def test_rescale_maps_the_scale_ends_to_0_and_100() -> None:
    assert rescale_to_0_100([[1, 5], [3, np.nan]], 1, 5).tolist()[0] == [0.0, 100.0]
    assert np.isnan(rescale_to_0_100([np.nan], 0, 10)[0])
    assert rescale_to_0_100([0, 7, 10], 0, 10).tolist() == [0.0, 70.0, 100.0]


@pytest.mark.parametrize(("values", "low", "high"), [([6], 1, 5), ([0], 1, 5), ([3], 5, 1)])
def test_rescale_rejects_values_off_the_scale(values: list[int], low: float, high: float) -> None:
    with pytest.raises(ValueError):
        rescale_to_0_100(values, low, high)


def test_standardized_omega_ignores_item_scales_and_raw_omega_follows_them() -> None:
    rescaled = ITEMS * [1, 10, 1, 1]
    assert mcdonald_omega(rescaled, standardized=True).value == pytest.approx(
        mcdonald_omega(ITEMS, standardized=True).value, abs=1e-8
    )
    assert mcdonald_omega(rescaled).value != pytest.approx(mcdonald_omega(ITEMS).value)


@st.composite
def item_matrices(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(min_value=8, max_value=60))
    k = draw(st.integers(min_value=3, max_value=6))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, 1))
    return factor @ rng.uniform(0.3, 1.0, size=(1, k)) + rng.normal(size=(n, k))


# No deadline: each example fits a factor model, and BLAS timing varies on a busy machine.
@settings(deadline=None)
@given(item_matrices(), st.floats(min_value=0.5, max_value=0.99))
def test_alpha_lies_in_its_feldt_interval(items: np.ndarray, confidence: float) -> None:
    result = cronbach_alpha(items, confidence)
    assert result.value is not None
    assert result.lower is not None
    assert result.upper is not None
    assert result.lower <= result.value <= result.upper <= 1.0


@settings(deadline=None)
@given(item_matrices())
def test_omega_is_a_proportion_and_invariant_to_shifts(items: np.ndarray) -> None:
    result = mcdonald_omega(items)
    assert result.value is not None
    assert 0.0 <= result.value <= 1.0
    shifted = mcdonald_omega(items + 40.0)
    assert shifted.value == pytest.approx(result.value, abs=1e-6)
