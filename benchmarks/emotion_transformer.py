"""Benchmark the optional transformer emotion model against the default one, in one run.

Usage (from the repository root, in an environment with ``rapport-xm[transformers]`` and the
artifact built by ``tools/train_transformer.py``)::

    python benchmarks/emotion_transformer.py [--artifact PATH] [--split test]

Prints macro-F1 on GoEmotions at the three levels (28 labels, Ekman, sentiment), the CX check
of ``emotion.py`` and comments per second through ``predict()`` (screening included; for the
transformer, int8 weights and the default model's scores it mixes in) with torch on one
thread and on two. Goal: Ekman macro-F1 ≥ 0.64 on test at ≥ 500 comments/s. Without torch or
without the artifact it says so and exits 0 (``make bench`` runs it in the default install).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from emotion import CHECK, check_scores, throughput  # sets one BLAS thread before numpy

from rapport.text import load_model
from rapport.text.goemotions import evaluate_predictions, read_split
from rapport.text.survey_comments import read_check
from rapport.text.transformer import (
    TransformerEmotionModel,
    TransformersNotInstalled,
    default_transformer_artifact,
    require_torch,
)

REPO = Path(__file__).resolve().parents[1]
GOAL_EKMAN, GOAL_RATE = 0.64, 500.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "goemotions")
    parser.add_argument("--split", default="test", choices=["test", "dev"])
    parser.add_argument("--artifact", type=Path, default=default_transformer_artifact())
    args = parser.parse_args()
    try:
        torch = require_torch()
    except TransformersNotInstalled as error:
        print(f"SKIP: {error}")
        return
    if not args.artifact.is_file():
        print(f"SKIP: no artifact at {args.artifact}; build it with tools/train_transformer.py")
        return

    split = read_split(args.data / f"{args.split}.tsv")
    check = read_check(CHECK)
    texts = list(split.texts)
    default = load_model()
    torch.set_num_threads(1)
    started = time.perf_counter()
    heavy = TransformerEmotionModel.from_artifact(args.artifact, linear=default)
    load_seconds = time.perf_counter() - started
    rows = {}
    for name, model in ((f"{default.name} {default.version}", default), (heavy.name, heavy)):
        model.predict(texts[:1000])  # warm caches (the default model's word n-grams)
        quality = evaluate_predictions(split, model.predict(texts))
        speeds = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            speeds.append(throughput(model.predict, texts))
        cx = check_scores(check, model.predict)[0].share
        rows[name] = (quality, speeds, cx)

    print(f"GoEmotions {args.split} split, {len(split)} comments; macro-F1; comments/s through")
    print("predict() with torch on 1 and 2 threads (the default model uses one either way)\n")
    header = f"{'model':<36} {'28 labels':>9} {'Ekman':>7} {'sentim.':>7} {'1 thread':>9} "
    header += f"{'2 threads':>9} {'CX check':>9}"
    print(header)
    print("-" * len(header))
    for name, (quality, (one, two), cx) in rows.items():
        cells = " ".join(f"{quality[k]:>{w}.3f}" for k, w in zip(quality, (9, 7, 7), strict=True))
        print(f"{name:<36} {cells} {one:>9,.0f} {two:>9,.0f} {cx:>9.0%}")
    quality, speeds, _ = rows[heavy.name]
    size = args.artifact.stat().st_size / 1e6
    print(
        f"\ntransformer: artifact {args.artifact} ({size:.1f} MB), loaded in {load_seconds:.1f} s"
    )
    print(f"  mix (transformer weight per level): {heavy.metadata.get('mix')}")
    print(f"  dev macro-F1 recorded at training: {heavy.metadata.get('dev_macro_f1')}")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"CX check: primary sentiment right on the {len(check)} survey-style check comments")
    ok = quality["ekman"] >= GOAL_EKMAN and max(speeds) >= GOAL_RATE
    print(
        f"{'PASS' if ok else 'FAIL'}: Ekman macro-F1 {quality['ekman']:.3f} (goal ≥ {GOAL_EKMAN}), "
        f"{max(speeds):,.0f} comments/s (goal ≥ {GOAL_RATE:,.0f})"
    )


if __name__ == "__main__":
    main()
