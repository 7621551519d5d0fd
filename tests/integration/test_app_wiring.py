"""What ``create_app`` builds once: the policy, the engines, one BLAS thread per process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from rapport.app import create_app
from rapport.storage.uow import Database
from tests.conftest import make_settings


def test_create_app_builds_policy_and_engines_once_and_one_blas_thread(
    tmp_path: Path, sqlite_db: Database
) -> None:
    np.linalg.svd(np.ones((4, 4)))  # BLAS loaded
    with threadpool_limits(limits=2):
        settings = make_settings(
            tmp_path, sqlite_db, anonymity_min_scores=7, confidential_period="quarter"
        )
        app = create_app(settings, sqlite_db)
        blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas), blas
    assert (app.state.policy.min_scores, app.state.policy.period) == (7, "quarter")
    assert app.state.analytics_engine.name == "sqlite"
    assert app.state.live_engine.name == "sqlite"
    assert app.state.owns_db is False
    app.state.import_runner.shutdown()
