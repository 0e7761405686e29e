"""Stage 2: the object detector's labelled boxes ("3 persons, dog"). Its labels also become
tags (with their WordNet ancestors), so the tags are re-expanded when objects arrive or go."""
from __future__ import annotations

from .base import Analyzer
from .tags import classifier_classes


class ObjectsAnalyzer(Analyzer):
    name = "objects"
    stage = 2
    fields = ("objects",)
    cost_ms = 170.0  # SSD-MobileNetV2 fp32, batch 16 (README: 167 ms/image)

    def models(self, bundle) -> list:
        return [bundle.detector] if bundle.detector is not None else []

    def available(self, bundle) -> bool:
        return bundle.detector is not None

    def input_side(self, bundle) -> int:
        return max(bundle.detector.input_size)

    def prepare(self, bundle, image):
        return bundle.detector.preprocess(image)

    def run(self, bundle, inputs):
        return bundle.detector.run(inputs)

    def apply(self, doc, result, bundle):
        doc.objects = list(result)
        doc.tags = bundle.vocabulary.expand(classifier_classes(doc), doc.objects)
        return {"objects": doc.objects, "tags": doc.tags}

    def withdraw(self, doc, bundle):
        return self.apply(doc, [], bundle)
