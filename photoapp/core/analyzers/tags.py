"""Stage 1: the tagger model's top classes (expanded through the vocabulary) and its embedding.
This is what makes a photo searchable by keyword and findable by similarity."""
from __future__ import annotations

import numpy as np

from ..records import PhotoDocument
from .base import Analyzer


def classifier_classes(doc: PhotoDocument) -> list[tuple[str, float]]:
    """The tagger's classes as stored in the document's tags (source "classifier")."""
    return [(t.label, t.confidence) for t in doc.tags if t.source == "classifier"]


class TagsAnalyzer(Analyzer):
    name = "tags"
    stage = 1
    fields = ("tags", "embedding")
    cost_ms = 80.0  # EfficientNet-Lite2 fp32, batch 16 (README: 79 ms/image)
    required = True

    def models(self, bundle) -> list:
        return [bundle.tagger]

    def input_side(self, bundle) -> int:
        return max(bundle.tagger.input_size)

    def prepare(self, bundle, image):
        return bundle.tagger.preprocess(image)

    def run(self, bundle, inputs):
        return bundle.tagger.run(np.stack(inputs))

    def apply(self, doc, result, bundle):
        # Tags mix the classes with the detector's labels (and their WordNet ancestors): expand
        # with whatever objects the document has, so the order analyzers run in does not matter.
        doc.tags = bundle.vocabulary.expand(result.top_classes, doc.objects)
        doc.embedding = np.asarray(result.embedding, dtype=np.float32)
        return {"tags": doc.tags, "embedding": doc.embedding}
