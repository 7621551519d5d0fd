"""Train Rapport's default emotion model and write the packaged artifact.

Usage (from the repository root; 18 minutes with ``--jobs 1`` on a shared 2-core machine)::

    uv run python tools/train_emotion.py [--data data/goemotions] [--out PATH] [--jobs 2]

Reads ``train.tsv`` and ``dev.tsv`` only; the test split is for ``benchmarks/emotion.py``.
Thresholds come from out-of-fold scores on ``train.tsv``, so the dev figures it prints are
held out.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rapport.text.training import TrainingConfig, train

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "goemotions")
    parser.add_argument("--out", type=Path, default=None, help="default: the packaged artifact")
    parser.add_argument("--jobs", type=int, default=2, help="parallel fits (default 2)")
    parser.add_argument(
        "--c", type=float, nargs="+", default=list(TrainingConfig().c_values), help="C grid"
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=TrainingConfig().threshold_folds,
        help="folds for the out-of-fold scores that set the thresholds",
    )
    args = parser.parse_args()
    config = TrainingConfig(c_values=tuple(args.c), n_jobs=args.jobs, threshold_folds=args.folds)
    report = train(args.data, args.out, config)
    summary = {
        "artifact": str(report.artifact),
        "size_mb": round(report.size_bytes / 1e6, 2),
        "n_features": report.n_features,
        "chosen_c": report.chosen_c,
        "dev_macro_f1": {k: round(v, 4) for k, v in report.dev_macro_f1.items()},
        "out_of_fold_macro_f1": {k: round(v, 4) for k, v in report.out_of_fold_macro_f1.items()},
        "minutes": round(report.seconds / 60, 1),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
