"""The object detector: labelled boxes per photo from any detector model folder whose manifest
maps ``boxes``, ``scores`` and ``classes`` (and optionally ``count``) to output tensors."""
from __future__ import annotations

import numpy as np
from PIL import Image

from ..errors import ModelError
from ..records import DetectedObject
from .manifest import ModelManifest
from .preprocess import preprocess
from .runner import OnnxModel


class OnnxDetector:
    """Implements api.ObjectDetector. Boxes come back as (x0, y0, x1, y1) in [0, 1]."""

    def __init__(self, manifest: ModelManifest, compute: str = "auto", threads: int = 0):
        if manifest.task != "detector":
            raise ModelError(f"{manifest.folder}: task is {manifest.task!r}, a detector needs 'detector'")
        self.manifest = manifest
        self.model = OnnxModel(manifest, compute, threads)
        self.name = manifest.name
        self.version = manifest.version
        self.input_size = manifest.preprocessing.size
        post = manifest.postprocessing
        self.score_threshold = float(post.get("score_threshold", 0.3))
        self.box_format = post.get("box_format", "yxyx")
        if self.box_format not in ("yxyx", "xyxy"):
            raise ModelError(f"{manifest.folder}: box_format must be 'yxyx' or 'xyxy'")
        self.max_detections = int(post.get("max_detections", 100))
        self.labels = dict(manifest.labels)

    def preprocess(self, image: Image.Image) -> np.ndarray:
        return preprocess(image, self.manifest.preprocessing)

    def raw(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        dtype = np.dtype(self.manifest.preprocessing.dtype)  # e.g. float64 from a caller's numpy
        return self.model.run(np.ascontiguousarray(batch, dtype=dtype))

    def run(self, inputs: list[np.ndarray], score_threshold: float | None = None
            ) -> list[list[DetectedObject]]:
        if len(inputs) == 0:
            return []
        threshold = self.score_threshold if score_threshold is None else score_threshold
        out = self.raw(np.stack(inputs))
        boxes, scores, classes = out["boxes"], out["scores"], out["classes"]
        counts = out.get("count")
        results = []
        for i in range(len(inputs)):
            n = int(counts[i]) if counts is not None else len(scores[i])
            objs = []
            for b, s, c in zip(boxes[i][:n], scores[i][:n], classes[i][:n]):
                if s < threshold:
                    continue
                label = self.labels.get(int(round(float(c))))
                if label is None:  # a class id the labels file does not name
                    continue
                y0, x0, y1, x1 = b if self.box_format == "yxyx" else (b[1], b[0], b[3], b[2])
                box = tuple(float(min(1.0, max(0.0, v))) for v in (x0, y0, x1, y1))
                objs.append(DetectedObject(label=label, score=float(s), box=box))
            objs.sort(key=lambda o: -o.score)
            results.append(objs[: self.max_detections])
        return results

    def detect(self, images: list[Image.Image], score_threshold: float | None = None
               ) -> list[list[DetectedObject]]:
        return self.run([self.preprocess(im) for im in images], score_threshold)
