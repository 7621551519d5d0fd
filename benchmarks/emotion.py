"""Benchmark the emotion models on GoEmotions: macro-F1 at three levels, and throughput.

Usage (from the repository root)::

    uv run python benchmarks/emotion.py [--data data/goemotions] [--split test]

Prints, side by side: Rapport's default model, the keyword-lexicon baseline, VADER (sentiment
level only) and the BERT-base figures published in the GoEmotions paper. Throughput is
comments per second through ``predict()`` (screening included) on one thread.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # one core: must be set before numpy is first imported

# numpy comes in with rapport.text, so these imports must follow the lines above.
from rapport.text import KeywordEmotionModel, LinearEmotionModel  # noqa: E402
from rapport.text._model import default_artifact_path  # noqa: E402
from rapport.text.goemotions import (  # noqa: E402
    GoEmotionsSplit,
    evaluate_predictions,
    evaluate_sets,
    read_split,
)

REPO = Path(__file__).resolve().parents[1]
# Demszky et al. (2020), Table 4 / §5: BERT-base, threshold 0.3, test macro-F1.
BERT_PAPER = {"labels": 0.46, "ekman": 0.64, "sentiment": 0.69}


def throughput(predict: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    """Comments per second, best of three timed passes over ``texts`` in batches of 1,000."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for start in range(0, len(texts), 1000):
            predict(texts[start : start + 1000])
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def vader_sentiment(split: GoEmotionsSplit) -> tuple[dict[str, float], float]:
    """VADER's compound score: ≥ 0.05 positive, ≤ −0.05 negative, else neutral."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def predict(texts: Sequence[str]) -> list[frozenset[str]]:
        result = []
        for text in texts:
            compound = analyzer.polarity_scores(text)["compound"]
            label = (
                "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
            )
            result.append(frozenset({label}))
        return result

    scores = evaluate_sets(split.labels, sentiment=predict(split.texts))
    return scores, throughput(predict, split.texts[:2000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "goemotions")
    parser.add_argument("--split", default="test", choices=["test", "dev"])
    args = parser.parse_args()
    split = read_split(args.data / f"{args.split}.tsv")
    warm_up = read_split(args.data / "train.tsv").texts[:20_000]

    started = time.perf_counter()
    model = LinearEmotionModel.from_artifact(default_artifact_path())
    load_seconds = time.perf_counter() - started
    cold_started = time.perf_counter()
    predictions = model.predict(split.texts)
    cold = len(split) / (time.perf_counter() - cold_started)
    ours = evaluate_predictions(split, predictions)
    model.predict(warm_up)  # fills the per-word n-gram cache, as a long-running server would
    warm = throughput(model.predict, split.texts)
    declined = sum(not p.ok for p in predictions)

    keyword = KeywordEmotionModel()
    keyword_scores = evaluate_predictions(split, keyword.predict(split.texts))
    keyword_speed = throughput(keyword.predict, split.texts)
    vader_scores, vader_speed = vader_sentiment(split)

    size_mb = default_artifact_path().stat().st_size / 1e6
    print(f"GoEmotions {args.split} split, {len(split)} comments; macro-F1 (labels: 28, ")
    print("Ekman: 6 + neutral = 7, sentiment: positive/negative/ambiguous/neutral = 4)\n")
    header = f"{'model':<38} {'28 labels':>9} {'Ekman':>7} {'sentim.':>7} {'comments/s':>11}"
    print(header)
    print("-" * len(header))

    def row(name: str, scores: dict[str, float], speed: float | None) -> None:
        cells = [f"{scores[k]:.3f}" if k in scores else "—" for k in BERT_PAPER]
        rate = f"{speed:,.0f}" if speed else "—"
        print(f"{name:<38} {cells[0]:>9} {cells[1]:>7} {cells[2]:>7} {rate:>11}")

    row(f"rapport {model.name} {model.version}", ours, warm)
    row("keyword lexicon (baseline)", keyword_scores, keyword_speed)
    row("VADER (compound ±0.05)", vader_scores, vader_speed)
    row("BERT-base, GoEmotions paper", BERT_PAPER, None)
    print()
    print(f"rapport model: artifact {size_mb:.1f} MB, loaded in {load_seconds:.2f} s;")
    print(f"  first pass (cold n-gram cache) {cold:,.0f} comments/s; warm {warm:,.0f} comments/s")
    print(f"  {declined} of {len(split)} comments declined (too short or not English)")
    print(f"  dev macro-F1 recorded at training: {model.metadata.get('dev_macro_f1')}")


if __name__ == "__main__":
    main()
