import numpy as np
import pytest
from sklearn.metrics import f1_score

from rapport.text.goemotions import evaluate_sets, macro_f1, read_split


def test_reads_the_sample(goemotions_dir):
    split = read_split(goemotions_dir / "test_sample.tsv")
    assert len(split) == 400
    assert all(split.labels)
    assert len(set(split.ids)) == 400


def test_csv_quoted_text_is_unquoted(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text('"""We need more content."" he said"\t27\tabc1234\n', encoding="utf-8")
    assert read_split(path).texts == ('"We need more content." he said',)


@pytest.mark.parametrize("row", ["only text\t27\n", "text\t28\tid\n", "text\tx\tid\n"])
def test_bad_rows_name_the_line(tmp_path, row):
    path = tmp_path / "bad.tsv"
    path.write_text(row, encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        read_split(path)


def test_macro_f1_matches_scikit_learn():
    rng = np.random.default_rng(0)
    truth = rng.random((200, 6)) < 0.2
    predicted = rng.random((200, 6)) < 0.3
    predicted[:, 5] = False  # a column never predicted
    expected = f1_score(truth, predicted, average="macro", zero_division=0)
    assert macro_f1(truth, predicted) == pytest.approx(expected)


def test_evaluate_sets_maps_levels():
    gold = [frozenset({"anger"}), frozenset({"joy"}), frozenset({"neutral"})]
    predicted = [frozenset({"annoyance"}), frozenset({"joy"}), frozenset({"neutral"})]
    scores = evaluate_sets(gold, labels=predicted, ekman=None, sentiment=None)
    assert set(scores) == {"labels"}
    grouped = evaluate_sets(
        gold,
        ekman=[frozenset({"anger"}), frozenset({"joy"}), frozenset({"neutral"})],
        sentiment=[frozenset({"negative"}), frozenset({"positive"}), frozenset({"neutral"})],
    )
    assert grouped["sentiment"] == pytest.approx(3 / 4)  # "ambiguous" has no support → 0
