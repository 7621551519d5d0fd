"""A smoke test of the training code path on a tiny corpus (not the shipped model)."""

from rapport.text import LinearEmotionModel
from rapport.text.training import TrainingConfig, train, tune_thresholds


def test_train_writes_a_loadable_artifact(goemotions_dir, tmp_path):
    data = _tiny_goemotions(goemotions_dir, tmp_path)
    out = tmp_path / "model.npz"

    report = train(data, out, TrainingConfig(c_values=(1.0,), n_jobs=1), log=lambda _: None)

    assert report.artifact == out and out.stat().st_size == report.size_bytes
    assert set(report.dev_macro_f1) == {"labels", "ekman", "sentiment"}
    assert set(report.out_of_fold_macro_f1) == {"labels", "ekman", "sentiment"}
    assert report.chosen_c == {"labels": 1.0, "ekman": 1.0, "sentiment": 1.0}
    model = LinearEmotionModel.from_artifact(out)
    assert model.metadata["dev_macro_f1"] == report.dev_macro_f1
    assert model.metadata["features"]["keywords"] == {"scale": 1.0}
    assert len(model.predict(["thanks a lot, that was great"])[0].scores) == 28


def test_tune_thresholds_picks_the_best_cut():
    import numpy as np

    scores = np.array([[0.9], [0.8], [0.35], [0.3], [0.1]])
    truth = np.array([[True], [True], [True], [False], [False]])
    # Every cut in (0.30, 0.35] is perfect; the lowest grid value wins the tie.
    assert tune_thresholds(scores, truth)[0] == np.float32(0.31)


SURVEY_ROWS = [
    "annoyance,disapproval\tNobody answers the phone at the branch",
    "disappointment\tThe rota is hard with childcare",
    "admiration\tThe pharmacist was brilliant",
    "neutral\tI work on the night shift",
] * 3


def _survey_dir(tmp_path, training_rows, check_text):
    survey = tmp_path / "survey"
    survey.mkdir()
    rows = ["id\tlabels\ttext"] + [f"t{i}\t{row}" for i, row in enumerate(training_rows)]
    (survey / "train.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    header = "id\taudience\ttopic\tsentiment\temotion\ttext\n"
    check = f"{header}c0\tcustomer\tretail\tnegative\tanger\t{check_text}\n"
    (survey / "check.tsv").write_text(check, encoding="utf-8")
    return survey


def _tiny_goemotions(goemotions_dir, tmp_path):
    lines = (goemotions_dir / "test_sample.tsv").read_text(encoding="utf-8").splitlines(True)
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.tsv").write_text("".join(lines[:300]), encoding="utf-8")
    (data / "dev.tsv").write_text("".join(lines[300:]), encoding="utf-8")
    return data


def test_train_with_survey_sentences_adds_the_survey_head(goemotions_dir, tmp_path):
    data = _tiny_goemotions(goemotions_dir, tmp_path)
    survey = _survey_dir(tmp_path, SURVEY_ROWS, "The queue was far too long")
    out = tmp_path / "model.npz"
    config = TrainingConfig(c_values=(1.0,), n_jobs=1, threshold_folds=2)
    train(data, out, config, log=lambda _: None, survey_dir=survey)
    model = LinearEmotionModel.from_artifact(out)
    assert model.calibrator is not None
    assert model.metadata["survey_head"]["rows"] == {"goemotions_dev": 100, "survey": 12}
    assert model.predict(["Nobody answers"])[0].primary_sentiment is not None
    assert set(model.metadata["survey_head"]["out_of_fold"]) == {
        "dev_sentiment_macro_f1",
        "survey_primary_sentiment",
    }


def test_training_refuses_a_sentence_of_the_held_out_check(goemotions_dir, tmp_path):
    import pytest

    data = _tiny_goemotions(goemotions_dir, tmp_path)
    leaked = "disappointment\tThe queue was far  too LONG!"  # the check's, up to case and marks
    survey = _survey_dir(tmp_path, [*SURVEY_ROWS, leaked], "The queue was far too long")
    config = TrainingConfig(c_values=(1.0,), n_jobs=1, threshold_folds=2)
    with pytest.raises(ValueError, match="survey training row t12 is check comment c0"):
        train(data, tmp_path / "m.npz", config, log=lambda _: None, survey_dir=survey)


def test_survey_head_gives_a_constant_score_to_an_output_without_examples():
    import numpy as np

    from rapport.text import load_model
    from rapport.text.survey_head import _fit

    texts = ["Nobody answers", "Lovely staff", "The queue was long", "I work nights"]
    _, inputs = load_model().head_scores(texts)
    y = np.array([[False, True, False, False], [True, False, False, False]] * 2)
    head = _fit(inputs, y, np.ones(len(texts)), c=1.0)  # no "ambiguous", no "neutral" row
    scores = head.scores(inputs)
    assert np.ptp(scores[:, 2]) == 0 and np.ptp(scores[:, 3]) == 0
    assert scores[0, 0] != scores[1, 0]
