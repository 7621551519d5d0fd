"""Key-driver analysis: invariants (hypothesis), the bootstrap's resampling, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.analytics.drivers import (
    LMG_MAX_DRIVERS,
    lmg,
    logistic_relative_weights,
    relative_weights,
)
from rapport.analytics.drivers._bootstrap import resample_counts, resampled_correlations

METHODS = [lmg, relative_weights]


def _planted(seed: int, n: int, coefficients: list[float], shared: float) -> pd.DataFrame:
    """Drivers sharing a common factor (correlated) and an outcome with planted slopes."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    drivers = rng.normal(size=(n, len(coefficients))) + shared * common[:, None]
    outcome = drivers @ np.array(coefficients) + rng.normal(size=n)
    frame = pd.DataFrame(drivers, columns=[f"d{i}" for i in range(len(coefficients))])
    frame["y"] = outcome
    return frame


planted_frames = st.builds(
    _planted,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(30, 200),
    coefficients=st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=6),
    shared=st.floats(0.0, 1.5),
)


@settings(max_examples=60, deadline=None)
@given(frame=planted_frames, method=st.sampled_from(METHODS))
def test_weights_are_non_negative_and_sum_to_r_squared(frame: pd.DataFrame, method) -> None:
    drivers = [column for column in frame.columns if column != "y"]
    weights = method(frame, "y", drivers)
    fit = sm.OLS(frame["y"], sm.add_constant(frame[drivers])).fit()
    assert weights.sum() == pytest.approx(fit.rsquared, abs=1e-9)
    assert weights.attrs["r_squared"] == pytest.approx(fit.rsquared, abs=1e-9)
    assert (weights >= -1e-12).all()
    shares = method(frame, "y", drivers, rescale=True)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(frame=planted_frames, method=st.sampled_from(METHODS), data=st.data())
def test_driver_order_does_not_change_the_weights(frame: pd.DataFrame, method, data) -> None:
    drivers = [column for column in frame.columns if column != "y"]
    shuffled = data.draw(st.permutations(drivers))
    first = method(frame, "y", drivers)
    second = method(frame[[*reversed(frame.columns)]], "y", shuffled)
    assert list(second.index) == shuffled
    for driver in drivers:
        assert second[driver] == pytest.approx(first[driver], abs=1e-10)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(150, 400),
    coefficients=st.lists(st.floats(0.5, 1.5), min_size=2, max_size=4),
    method=st.sampled_from(METHODS),
    rescale=st.booleans(),
)
def test_bootstrap_interval_covers_the_estimate(
    seed: int, n: int, coefficients: list[float], method, rescale: bool
) -> None:
    # Planted effects well away from zero, so the weights are not pinned at their bound.
    frame = _planted(seed, n, coefficients, shared=0.5)
    drivers = [column for column in frame.columns if column != "y"]
    result = method(frame, "y", drivers, ci=0.95, n_boot=200, seed=seed, rescale=rescale)
    assert list(result.columns) == ["estimate", "lower", "upper"]
    assert (result["lower"] <= result["estimate"]).all()
    assert (result["estimate"] <= result["upper"]).all()
    assert result.attrs["n_boot_used"] == 200
    point = method(frame, "y", drivers, rescale=rescale)
    assert np.allclose(result["estimate"], point, atol=1e-12)


def test_bootstrap_is_seeded() -> None:
    frame = _planted(1, 120, [1.0, 0.5, 0.3], shared=0.5)
    drivers = ["d0", "d1", "d2"]
    first = relative_weights(frame, "y", drivers, ci=0.9, n_boot=100, seed=3)
    again = relative_weights(frame, "y", drivers, ci=0.9, n_boot=100, seed=3)
    other = relative_weights(frame, "y", drivers, ci=0.9, n_boot=100, seed=4)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_resampled_correlations_equal_those_of_the_resampled_rows() -> None:
    # The counted-moments shortcut against the definition: repeat each row c_i times.
    rng = np.random.default_rng(11)
    data = rng.normal(size=(60, 4)) @ rng.normal(size=(4, 4))
    blocks = np.concatenate(list(resampled_correlations(data, 25, seed=5)))
    counts = resample_counts(np.random.default_rng(5), 60, 25)
    for resample in range(25):
        rows = np.repeat(data, counts[resample].astype(int), axis=0)
        expected = np.corrcoef(rows, rowvar=False)
        np.testing.assert_allclose(blocks[resample], expected, atol=1e-10)


def test_resample_counts_are_bootstrap_draws_independent_of_block_size() -> None:
    counts = resample_counts(np.random.default_rng(2), 50, 40)
    assert counts.shape == (40, 50)
    assert (counts.sum(axis=1) == 50).all()
    rng = np.random.default_rng(2)
    in_blocks = np.concatenate([resample_counts(rng, 50, 15), resample_counts(rng, 50, 25)])
    np.testing.assert_array_equal(counts, in_blocks)


@pytest.mark.parametrize("method", METHODS)
def test_missing_values_are_dropped_listwise(method) -> None:
    frame = _planted(4, 80, [1.0, 0.4], shared=0.3)
    frame.loc[[3, 10], "d0"] = np.nan
    frame.loc[[10, 20], "y"] = np.nan
    weights = method(frame, "y", ["d0", "d1"])
    assert (weights.attrs["n"], weights.attrs["n_dropped"]) == (77, 3)
    complete = method(frame.dropna(), "y", ["d0", "d1"])
    pd.testing.assert_series_equal(weights, complete)


@pytest.mark.parametrize("method", [*METHODS, logistic_relative_weights])
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.assign(d1=["x"] * len(f)), "column 'd1' must be numeric"),
        (lambda f: f.assign(d1=3.0), "column 'd1' is constant"),
        (lambda f: f.assign(d1=np.inf), "column 'd1' contains infinite values"),
        (lambda f: f.drop(columns="d1"), "column 'd1' is not in the data frame"),
        (lambda f: f.head(3), "need at least 4 complete rows"),
        (lambda f: f.assign(d1=f["d0"] * 2 + 1), "drivers are collinear: 'd0', 'd1'"),
    ],
)
def test_bad_input_names_the_column(method, change, message: str) -> None:
    frame = _planted(5, 60, [1.0, 0.5], shared=0.3)
    frame["y"] = (frame["y"] > frame["y"].median()).astype(int)
    with pytest.raises(ValueError, match=message):
        method(change(frame), "y", ["d0", "d1"])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("drivers", "message"),
    [
        ([], "at least one column"),
        ("d0", "list of column names"),
        (["d0", "d0"], "more than once: d0"),
        (["d0", "y"], "'y' is the outcome"),
    ],
)
def test_bad_driver_lists_are_refused(method, drivers, message: str) -> None:
    frame = _planted(6, 40, [1.0, 0.5], shared=0.3)
    with pytest.raises(ValueError, match=message):
        method(frame, "y", drivers)


@pytest.mark.parametrize(("ci", "n_boot"), [(1.0, 100), (0.0, 100), (0.95, 1), (0.95, 2.5)])
def test_bad_bootstrap_options_are_refused(ci: float, n_boot) -> None:
    frame = _planted(6, 40, [1.0, 0.5], shared=0.3)
    with pytest.raises(ValueError, match=r"ci must|n_boot must"):
        relative_weights(frame, "y", ["d0", "d1"], ci=ci, n_boot=n_boot)


def test_lmg_refuses_more_drivers_than_it_can_enumerate() -> None:
    frame = _planted(7, 60, [0.1] * (LMG_MAX_DRIVERS + 1), shared=0.0)
    drivers = [column for column in frame.columns if column != "y"]
    with pytest.raises(ValueError, match=r"at most 20 drivers.*use relative_weights"):
        lmg(frame, "y", drivers)
    assert len(relative_weights(frame, "y", drivers)) == LMG_MAX_DRIVERS + 1


def test_logistic_needs_a_binary_outcome() -> None:
    frame = _planted(8, 60, [1.0, 0.5], shared=0.3)
    with pytest.raises(ValueError, match="column 'y' must be binary"):
        logistic_relative_weights(frame, "y", ["d0", "d1"])


def test_logistic_reports_separation_naming_the_outcome() -> None:
    frame = _planted(9, 60, [1.0, 0.5], shared=0.3)
    frame["y"] = (frame["d0"] > 0).astype(int)
    with pytest.raises(ValueError, match=r"column 'y': .*separated"):
        logistic_relative_weights(frame, "y", ["d0", "d1"])


def test_logistic_bootstrap_interval_and_planted_ranking() -> None:
    rng = np.random.default_rng(12)
    drivers = rng.normal(size=(600, 3))
    logit = drivers @ np.array([1.5, 0.7, 0.0])
    frame = pd.DataFrame(drivers, columns=["price", "wait", "noise"])
    frame["churn"] = rng.uniform(size=600) < 1 / (1 + np.exp(-logit))
    result = logistic_relative_weights(
        frame, "churn", ["price", "wait", "noise"], ci=0.95, n_boot=200, seed=1
    )
    assert list(result["estimate"].sort_values(ascending=False).index) == [
        "price",
        "wait",
        "noise",
    ]
    planted = result.loc[["price", "wait"]]
    assert (planted["lower"] <= planted["estimate"]).all()
    assert (planted["estimate"] <= planted["upper"]).all()
    assert result.loc["price", "lower"] > result.loc["wait", "upper"]
    # A weight of a driver with no effect is biased upwards in resamples (weights cannot go
    # below 0): its percentile interval may lie above its estimate; it stays near zero.
    assert result.loc["noise", "upper"] < 0.02


@pytest.mark.parametrize("method", METHODS)
def test_resamples_where_a_driver_does_not_vary_are_left_out(method) -> None:
    # "rare" is non-zero in one row of 30: about a third of resamples miss that row.
    frame = _planted(10, 30, [1.0, 0.5], shared=0.3)
    frame["rare"] = 0.0
    frame.loc[7, "rare"] = 1.0
    result = method(frame, "y", ["d0", "d1", "rare"], ci=0.9, n_boot=300, seed=2)
    assert 120 < result.attrs["n_boot_used"] < 280
    assert result.attrs["n_boot"] == 300
    assert result[["lower", "upper"]].notna().all().all()
