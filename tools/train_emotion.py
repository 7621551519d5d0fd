"""Train Rapport's default emotion model and write the packaged artifact.

Usage (from the repository root; 18 minutes with ``--jobs 1`` on a shared 2-core machine)::

    uv run python tools/train_emotion.py [--data data/goemotions] [--out PATH] [--jobs 2]
    uv run python tools/train_emotion.py --heads-from OLD.npz   # survey head only: a minute

Reads GoEmotions' ``train.tsv`` and ``dev.tsv`` only; the test split is for
``benchmarks/emotion.py``. The 39 heads' thresholds come from out-of-fold scores on
``train.tsv``, so the dev figures it prints for them are held out. Then the survey sentiment
head is fitted on ``dev.tsv`` and ``data/survey_comments/train.tsv`` (``--survey``); the
survey check (``check.tsv``) is never trained on. ``--heads-from`` keeps the 39 heads of an
existing artifact and fits only the survey head (how 1.3.0 was built on 1.2.0's heads).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rapport.text.survey_head import add_survey_head
from rapport.text.training import TrainingConfig, train

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "goemotions")
    parser.add_argument(
        "--survey",
        type=Path,
        default=REPO / "data" / "survey_comments",
        help="in-domain survey sentences (train.tsv; check.tsv is held out)",
    )
    parser.add_argument(
        "--heads-from", type=Path, default=None, help="keep this artifact's 39 heads"
    )
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
    if args.heads_from is not None:
        add_survey_head(args.heads_from, args.data, args.survey, args.out)
        return
    config = TrainingConfig(c_values=tuple(args.c), n_jobs=args.jobs, threshold_folds=args.folds)
    report = train(args.data, args.out, config, survey_dir=args.survey)
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
