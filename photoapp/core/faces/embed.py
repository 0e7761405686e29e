"""Face descriptors: aligned chips -> L2-normalised vectors, through a ``face-embedder`` model
folder (models/dlib-resnet-v1: dlib's ResNet rebuilt in ONNX, 150x150 RGB chips, 128-d)."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..models.manifest import ModelManifest
from ..models.runner import OnnxModel

MAX_BATCH = 32  # chips per ONNX call: bounded memory on a photo of a crowd


class FaceEmbedder:
    def __init__(self, manifest: ModelManifest, compute: str = "auto", threads: int = 0):
        if manifest.task != "face-embedder":
            raise ModelError(f"{manifest.folder}: task is {manifest.task!r}, expected 'face-embedder'")
        self.manifest = manifest
        self.model = OnnxModel(manifest, compute, threads)
        self.name, self.version, self.precision = manifest.name, manifest.version, manifest.precision
        alignment = manifest.raw.get("alignment", {})
        try:
            self.template = np.asarray(alignment["template"], np.float64).reshape(5, 2)
        except (KeyError, TypeError, ValueError):
            raise ModelError(f"{manifest.folder}: manifest needs alignment.template (5 x, y points)") from None
        self.chip_size = int(alignment.get("size", manifest.preprocessing.size[0]))
        self.dim = int(manifest.raw.get("embedding_dim", 0)) or None

    def embed(self, chips: list[np.ndarray]) -> np.ndarray:
        """[N, dim] float32, each row of unit length, for RGB uint8 chips of chip_size."""
        if not chips:
            return np.zeros((0, self.dim or 0), np.float32)
        out = []
        for start in range(0, len(chips), MAX_BATCH):
            batch = np.stack(chips[start:start + MAX_BATCH]).astype(np.float32).transpose(0, 3, 1, 2)
            out.append(self.model.run(np.ascontiguousarray(batch))["embedding"])
        vectors = np.concatenate(out).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
