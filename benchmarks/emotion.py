"""Benchmark the emotion models on GoEmotions: macro-F1 at three levels, and throughput.

Usage (from the repository root)::

    uv run python benchmarks/emotion.py [--data data/goemotions] [--split test]

Prints, side by side: Rapport's default model, the keyword-lexicon baseline, VADER (sentiment
level only) and the BERT-base figures published in the GoEmotions paper. Throughput is
comments per second through ``predict()`` (screening included) on one thread. A last column
gives the share of 50 held-out survey-style comments (``CX_CHECK``) whose primary sentiment
is right: GoEmotions is Reddit, and this shows how far its labels carry to survey comments.
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
    evaluate_predictions,
    evaluate_sets,
    read_split,
)

REPO = Path(__file__).resolve().parents[1]
# Demszky et al. (2020), Table 4 / §5: BERT-base, threshold 0.3, test macro-F1.
BERT_PAPER = {"labels": 0.46, "ekman": 0.64, "sentiment": 0.69}
# Held-out customer/employee comments written for Rapport (never used in training or tuning):
# does the primary sentiment transfer from Reddit to survey comments?
CX_CHECK: dict[str, tuple[str, ...]] = {
    "positive": (
        "The gym instructor pushed me just enough and celebrated my progress",
        "Our bank advisor spotted a better rate for us without being asked",
        "The cabin crew were so attentive on a long flight",
        "My daughter's teacher keeps us informed and is always kind",
        "The vet phoned the next day to see how our dog was doing",
        "Checking in took two minutes and the room was spotless",
        "The plumber was honest and charged less than the quote",
        "My new line manager gives me real responsibility and trust",
        "Colleagues in the warehouse are a great bunch",
        "The optician was patient while I chose frames",
        "Amazing support from the IT helpdesk today",
        "The bakery always saves me a loaf, such a nice touch",
        "I got a lovely note with my order, made me smile",
        "Our HR partner handled a difficult situation with real compassion",
        "Brilliant, the mechanic fixed it the same day",
        "I'm thrilled with how the garden turned out",
        "Quick, polite and helpful on the phone",
        "They remembered my allergy without me saying anything",
        "The training course was inspiring",
        "I trust my team and enjoy our work together",
    ),
    "negative": (
        "The airline cancelled my flight and offered no help",
        "My bank froze my account and no one would explain why",
        "The instructor was late for every single class",
        "I was on hold for an hour and then got cut off",
        "The hotel room had broken heating and the front desk shrugged",
        "They charged a cancellation fee I was never told about",
        "The shift patterns are exhausting and nobody consults us",
        "My payslip was wrong for the third month running",
        "The mechanic damaged my car and denied it",
        "Customer support just reads from a script",
        "The school never replies to parents' emails",
        "The delivery driver left my parcel in the rain",
        "The new software is a nightmare and training was useless",
        "I feel undervalued and underpaid",
        "The waiting room was packed and staff were short-tempered",
        "They promised a refund a month ago and I'm still waiting",
        "I'm worried about job cuts and we hear nothing from leadership",
        "The vet bill was outrageous for a five minute check",
        "Colleagues gossip and the manager does nothing",
        "The room was noisy and we barely slept",
    ),
    "neutral": (
        "I renewed my membership in January",
        "The flight left from terminal two",
        "My account was opened at the high street branch",
        "The class runs on Tuesday evenings",
        "I moved to the logistics team in the spring",
        "The invoice was sent by post",
        "We ordered two coffees and a sandwich",
        "The appointment lasted about half an hour",
        "I am a member of the staff council",
        "The store is next to the train station",
    ),
}


def throughput(predict: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    """Comments per second, best of three timed passes over ``texts`` in batches of 1,000."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for start in range(0, len(texts), 1000):
            predict(texts[start : start + 1000])
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def vader_predictor() -> Callable[[Sequence[str]], list[frozenset[str]]]:
    """VADER's compound score: ≥ 0.05 positive, ≤ −0.05 negative, else neutral."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def predict(texts: Sequence[str]) -> list[frozenset[str]]:
        result = []
        for text in texts:
            compound = analyzer.polarity_scores(text)["compound"]
            if compound >= 0.05:
                result.append(frozenset({"positive"}))
            elif compound <= -0.05:
                result.append(frozenset({"negative"}))
            else:
                result.append(frozenset({"neutral"}))
        return result

    return predict


def cx_accuracy(primary: Callable[[Sequence[str]], Sequence[str | None]]) -> float:
    """Share of CX_CHECK comments whose primary sentiment is the expected one."""
    texts = [text for texts in CX_CHECK.values() for text in texts]
    expected = [group for group, texts in CX_CHECK.items() for _ in texts]
    hits = sum(got == want for got, want in zip(primary(texts), expected, strict=True))
    return hits / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "goemotions")
    parser.add_argument("--split", default="test", choices=["test", "dev"])
    args = parser.parse_args()
    split = read_split(args.data / f"{args.split}.tsv")
    warm_up = read_split(args.data / "train.tsv").texts[:20_000]

    import sklearn.feature_extraction.text  # noqa: F401  (import time is not load time)

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
    vader = vader_predictor()
    vader_scores = evaluate_sets(split.labels, sentiment=vader(split.texts))
    vader_speed = throughput(vader, split.texts[:2000])
    cx = {
        "ours": cx_accuracy(lambda texts: [p.primary_sentiment for p in model.predict(texts)]),
        "keyword": cx_accuracy(lambda texts: [p.primary_sentiment for p in keyword.predict(texts)]),
        "vader": cx_accuracy(lambda texts: [next(iter(s)) for s in vader(texts)]),
    }

    size_mb = default_artifact_path().stat().st_size / 1e6
    print(f"GoEmotions {args.split} split, {len(split)} comments; macro-F1 (labels: 28, ")
    print("Ekman: 6 + neutral = 7, sentiment: positive/negative/ambiguous/neutral = 4)\n")
    header = (
        f"{'model':<38} {'28 labels':>9} {'Ekman':>7} {'sentim.':>7} {'comments/s':>11}"
        f" {'CX check':>9}"
    )
    print(header)
    print("-" * len(header))

    def row(name: str, scores: dict[str, float], speed: float | None, cx: float | None) -> None:
        cells = [f"{scores[k]:.3f}" if k in scores else "—" for k in BERT_PAPER]
        rate = f"{speed:,.0f}" if speed else "—"
        check = f"{cx:.0%}" if cx is not None else "—"
        print(f"{name:<38} {cells[0]:>9} {cells[1]:>7} {cells[2]:>7} {rate:>11} {check:>9}")

    row(f"rapport {model.name} {model.version}", ours, warm, cx["ours"])
    row("keyword lexicon (baseline)", keyword_scores, keyword_speed, cx["keyword"])
    row("VADER (compound ±0.05)", vader_scores, vader_speed, cx["vader"])
    row("BERT-base, GoEmotions paper", BERT_PAPER, None, None)
    print()
    print(f"rapport model: artifact {size_mb:.1f} MB, read in {load_seconds:.2f} s;")
    print(f"  first pass (cold n-gram cache) {cold:,.0f} comments/s; warm {warm:,.0f} comments/s")
    print(f"  {declined} of {len(split)} comments declined (too short or not English)")
    print(f"  dev macro-F1 recorded at training: {model.metadata.get('dev_macro_f1')}")
    print(f"  out-of-fold train macro-F1: {model.metadata.get('out_of_fold_macro_f1')}")
    n_check = sum(len(texts) for texts in CX_CHECK.values())
    print(f"CX check: primary sentiment right on the {n_check} held-out survey-style comments")


if __name__ == "__main__":
    main()
