"""The two face models together: find faces in a photo, align them, describe them.

``prepare`` runs in decode workers (Pillow/numpy), ``analyse`` on the coordinator thread (ONNX):
a photo without faces costs one detector run and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..models.manifest import ModelManifest
from ..records import Face
from .align import align_face
from .detect import DetectorInput, RetinaFaceDetector
from .embed import FaceEmbedder
from .quality import face_quality

# Longer side of the copy of the photo kept for cutting face chips: faces in it are at least
# as large as in the detector's input, bounded memory per photo waiting for the models.
CHIP_SOURCE_SIDE = 960


@dataclass
class FaceInput:
    detector: DetectorInput
    pixels: np.ndarray  # RGB uint8, the photo at most CHIP_SOURCE_SIDE on its longer side
    scale: float  # pixels per pixel of the image ``prepare`` got


class FaceModels:
    def __init__(self, detector_manifest: ModelManifest, embedder_manifest: ModelManifest,
                 compute: str = "auto", threads: int = 0):
        self.detector = RetinaFaceDetector(detector_manifest, compute, threads)
        self.embedder = FaceEmbedder(embedder_manifest, compute, threads)

    @property
    def models(self) -> list:
        return [self.detector, self.embedder]

    @property
    def input_side(self) -> int:
        return max(self.detector.max_side, CHIP_SOURCE_SIDE)

    def load(self) -> "FaceModels":
        self.detector.model.load()
        self.embedder.model.load()
        return self

    def prepare(self, image: Image.Image) -> FaceInput:
        if image.mode != "RGB":
            image = image.convert("RGB")
        w, h = image.size
        scale = min(1.0, CHIP_SOURCE_SIDE / max(w, h))
        source = image if scale == 1.0 else image.resize(
            (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
        return FaceInput(self.detector.prepare(source), np.asarray(source, dtype=np.uint8), scale)

    def analyse(self, inputs: list[FaceInput]) -> list[list[Face]]:
        """Faces per photo, detection order (best score first), coordinates in [0, 1]."""
        found = [self.detector.run(inp.detector) for inp in inputs]
        chips, owners = [], []
        for i, (inp, detections) in enumerate(zip(inputs, found)):
            for d in detections:
                chips.append(align_face(inp.pixels, d.landmarks, self.embedder.template, self.embedder.chip_size))
                owners.append(i)
        vectors = self.embedder.embed(chips)
        out: list[list[Face]] = [[] for _ in inputs]
        k = 0
        for i, (inp, detections) in enumerate(zip(inputs, found)):
            h, w = inp.pixels.shape[:2]
            for d in detections:
                x0, y0, x1, y1 = d.box
                box = (x0 / w, y0 / h, x1 / w, y1 / h)
                marks = tuple((float(x / w), float(y / h)) for x, y in d.landmarks)
                out[i].append(Face(box, marks, d.score, round(face_quality(d.box, chips[k]), 4), vectors[k]))
                k += 1
        return out

    def detect(self, image: Image.Image) -> list[Face]:
        return self.analyse([self.prepare(image)])[0]
