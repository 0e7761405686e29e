"""Stage 2: faces. Each face found in the photo: box, five landmarks, detection score, quality
(size and sharpness, core/faces/quality.py) and its descriptor, for grouping into people.

Models: RetinaFace-MobileNet0.25 (detector) and dlib's ResNet face descriptor rebuilt in ONNX
(embedder), both from the bundle (core/faces/models.py). A photo without faces costs one
detector run at most 640 px on its longer side; descriptors are computed only for faces found.
Turning the analyzer off (settings ``analyzers: {"faces": false}``) purges every face from the
index at the next index or watch (``backend.clear_fields(["faces"])``, stages.purge_disabled).
"""
from __future__ import annotations

from .base import Analyzer


class FacesAnalyzer(Analyzer):
    name = "faces"
    stage = 2
    fields = ("faces",)
    # Detector at 640 px, plus alignment and a descriptor per face found: ~290 ms on a photo
    # without faces, ~620 with 1.7 faces, on the busy 2-core development machine
    # (photoapp/bench/results/faces.md; the other analyzers' costs were measured on a quieter one).
    cost_ms = 300.0
    code_version = "1"

    def models(self, bundle) -> list:
        faces = getattr(bundle, "faces", None)
        return faces.models if faces is not None else []

    def available(self, bundle) -> bool:
        return getattr(bundle, "faces", None) is not None

    def input_side(self, bundle) -> int:
        return bundle.faces.input_side

    def prepare(self, bundle, image):
        return bundle.faces.prepare(image)

    def run(self, bundle, inputs):
        return bundle.faces.analyse(inputs)

    def apply(self, doc, result, bundle):
        doc.faces = list(result)
        return {"faces": doc.faces}
