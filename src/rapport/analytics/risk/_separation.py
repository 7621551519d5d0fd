"""Finding the column that makes a logistic fit have no finite maximum.

Real people tables separate easily: in the IBM attrition sample none of the 11 managers of
the Human Resources department left, and ``Department=Human Resources`` minus
``JobRole=Human Resources`` is exactly those 11. The maximum-likelihood fit then drifts
along that combination for ever, and the logistic relative weights (unpenalised, by
definition) cannot be computed. The drift shows as a direction in which the
log-likelihood has (almost) no curvature; the column loading most on it is left out.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

MAX_SEPARATION_DROPS = 5
"""Columns left out at most before the driver analysis gives up (and says why)."""

FLAT_CURVATURE = 1e-6
"""Smallest eigenvalue of the information matrix, relative to its largest, below which a
direction counts as flat (the HR example: 1e-11)."""


def separating_column(frame: pd.DataFrame, outcome: str, columns: Sequence[str]) -> str | None:
    """The column to leave out so the logistic fit of ``outcome`` can converge, or None
    when it converges as it is (or no single culprit can be named)."""
    import statsmodels.api as sm  # imported here: ~60 MB a server need not hold
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    x = frame[list(columns)].to_numpy(dtype=np.float64)
    spread = x.std(axis=0, ddof=1)
    if len(x) < 3 or (spread == 0).any():
        return None
    standard = np.column_stack([np.ones(len(x)), (x - x.mean(axis=0)) / spread])
    model = sm.Logit(frame[outcome].to_numpy(dtype=np.float64), standard)
    with warnings.catch_warnings(), np.errstate(over="ignore", divide="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        try:
            fit = model.fit(disp=0, maxiter=100)
        except np.linalg.LinAlgError:
            return None
    if fit.mle_retvals.get("converged", False):
        return None
    information = -model.hessian(np.asarray(fit.params))
    eigenvalues, vectors = np.linalg.eigh(information)
    if eigenvalues[0] > FLAT_CURVATURE * eigenvalues[-1]:
        return None
    loadings = np.abs(vectors[1:, 0])  # the intercept is never left out
    return str(columns[int(np.argmax(loadings))])
