"""What the rest of the core needs from the model bundle. The implementations live beside this
file (runner.py, tagger.py, detector.py, vocabulary.py) and are built from each model folder's
manifest: nothing about a particular model is hard-coded in the pipeline.

Pipeline use:
    bundle = load_bundle(settings)              # photoapp.core.models.load_bundle
    size = bundle.tagger.input_size             # (w, h) -> lets the decoder use JPEG draft mode
    x = bundle.tagger.preprocess(img)           # in decode workers (numpy + Pillow only)
    results = bundle.tagger.run(np.stack(xs))   # batched inference -> list[TaggerResult]
    d = bundle.detector.preprocess(img); objs = bundle.detector.run([d, ...])
    tags = bundle.vocabulary.expand(result.top_classes, objs)   # classes + objects + ancestors
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from ..records import DetectedObject, Tag


@dataclass
class TaggerResult:
    # (label, probability) of the top-k classes, best first (k from the manifest, default 10)
    top_classes: list[tuple[str, float]]
    embedding: np.ndarray  # float32, L2-normalised


class ImageTagger(Protocol):
    name: str
    version: str
    input_size: tuple[int, int]
    embedding_dim: int

    def preprocess(self, image: Image.Image) -> np.ndarray: ...
    def run(self, batch: np.ndarray) -> list[TaggerResult]: ...
    def analyze(self, images: list[Image.Image]) -> list[TaggerResult]: ...


class ObjectDetector(Protocol):
    name: str
    version: str
    input_size: tuple[int, int]

    def preprocess(self, image: Image.Image) -> np.ndarray: ...
    def run(self, inputs: list[np.ndarray]) -> list[list[DetectedObject]]: ...
    def detect(self, images: list[Image.Image]) -> list[list[DetectedObject]]: ...


class Vocabulary(Protocol):
    def expand(self, top_classes: list[tuple[str, float]],
               objects: list[DetectedObject]) -> list[Tag]:
        """Tags for one photo: its classes, detector labels (max score per label), and WordNet
        ancestors whose confidence is the summed probability of the classes below them."""

    def synonyms(self, label: str) -> list[str]:
        """Other words for a canonical label (for the free-text field)."""

    def resolve(self, text: str) -> tuple[str, ...]:
        """Canonical labels an everyday word or phrase means ("rooster" -> ("cock",)); () if none."""

    def labels(self) -> list[str]:
        """Every canonical label (for completion)."""
