"""The image tagger: top classes and an L2-normalised embedding per photo, from any classifier
model folder whose manifest has a ``logits`` output (and optionally an ``embedding`` output)."""
from __future__ import annotations

import numpy as np
from PIL import Image

from ..errors import ModelError
from .api import TaggerResult
from .manifest import ModelManifest
from .preprocess import preprocess
from .runner import OnnxModel


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)


class OnnxTagger:
    """Implements api.ImageTagger."""

    def __init__(self, manifest: ModelManifest, compute: str = "auto", threads: int = 0):
        if manifest.task != "classifier":
            raise ModelError(f"{manifest.folder}: task is {manifest.task!r}, a tagger needs 'classifier'")
        self.manifest = manifest
        self.model = OnnxModel(manifest, compute, threads)
        self.name = manifest.name
        # Stable attribute names read by the pipeline/analyzers: version changes with the ONNX
        # file (release + precision + sha256 prefix), so a swapped model is noticed.
        self.version = manifest.version
        self.precision = manifest.precision
        self.input_size = manifest.preprocessing.size
        self.top_k = int(manifest.postprocessing.get("top_k", 10))
        self.activation = manifest.postprocessing.get("activation", "softmax")
        n = max(manifest.labels) + 1
        self._labels = [manifest.labels.get(i, f"class {i}") for i in range(n)]
        # The manifest says it so that reading it does not load the session.
        self.embedding_dim = int(manifest.raw.get("embedding_dim", 0)) or self._probe_embedding_dim()

    def _probe_embedding_dim(self) -> int:
        role = "embedding" if "embedding" in self.manifest.outputs else "logits"
        name = self.manifest.outputs[role]
        shape = next(o.shape for o in self.model.session.get_outputs() if o.name == name)
        if not isinstance(shape[-1], int):
            raise ModelError(f"{self.manifest.folder}: set embedding_dim in the manifest")
        return int(shape[-1])

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def preprocess(self, image: Image.Image) -> np.ndarray:
        return preprocess(image, self.manifest.preprocessing)

    def raw(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """The model's outputs for a preprocessed batch, by role (logits, embedding)."""
        dtype = np.dtype(self.manifest.preprocessing.dtype)  # e.g. float64 from a caller's numpy
        return self.model.run(np.ascontiguousarray(batch, dtype=dtype))

    def run(self, batch: np.ndarray) -> list[TaggerResult]:
        if batch.ndim != 4 or len(batch) == 0:
            raise ModelError(f"{self.name}: expected a non-empty batch [N, ...], got shape {batch.shape}")
        out = self.raw(batch)
        logits = out["logits"]
        if logits.shape[-1] != len(self._labels):
            raise ModelError(f"{self.name}: {logits.shape[-1]} logits but {len(self._labels)} labels")
        probs = softmax(logits) if self.activation == "softmax" else logits
        k = min(self.top_k, probs.shape[-1])
        top = np.argsort(-probs, axis=-1, kind="stable")[:, :k]
        emb = out.get("embedding")
        emb = l2_normalise(emb.reshape(len(emb), -1)) if emb is not None else l2_normalise(logits)
        return [
            TaggerResult(top_classes=[(self._labels[j], float(probs[i, j])) for j in top[i]],
                         embedding=emb[i])
            for i in range(len(batch))
        ]

    def analyze(self, images: list[Image.Image]) -> list[TaggerResult]:
        if not images:
            return []
        return self.run(np.stack([self.preprocess(im) for im in images]))
