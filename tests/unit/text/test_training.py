"""A smoke test of the training code path on a tiny corpus (not the shipped model)."""

from rapport.text import LinearEmotionModel
from rapport.text.training import TrainingConfig, train, tune_thresholds


def test_train_writes_a_loadable_artifact(goemotions_dir, tmp_path):
    lines = (goemotions_dir / "test_sample.tsv").read_text(encoding="utf-8").splitlines(True)
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.tsv").write_text("".join(lines[:300]), encoding="utf-8")
    (data / "dev.tsv").write_text("".join(lines[300:]), encoding="utf-8")
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
