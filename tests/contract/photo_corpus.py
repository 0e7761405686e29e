"""A small synthetic library with known answers, used by every contract test.

Embeddings are real unit vectors built so that neighbours are known: each photo is a mix of a few
"concept" directions, so the dog photos are each other's nearest neighbours, then the cat.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np

from photoapp.core.records import DetectedObject, PhotoDocument, Tag

DIM = 48
_NAMES = ("dog", "cat", "street", "food", "bird", "noise")
# Orthonormal concept directions, so the cosine of two mixes is easy to reason about.
_BASIS = np.linalg.qr(np.random.default_rng(1234).standard_normal((DIM, len(_NAMES))))[0].T
_CONCEPTS = dict(zip(_NAMES, _BASIS))


def unit(**weights: float) -> np.ndarray:
    v = sum(w * _CONCEPTS[name] for name, w in weights.items())
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


class TableVocabulary:
    """A complete, tiny implementation of the Vocabulary protocol's lookup side over a table."""

    def __init__(self, synonyms: dict[str, list[str]]):
        self._synonyms = synonyms

    def synonyms(self, label: str) -> list[str]:
        return list(self._synonyms.get(label, []))

    def resolve(self, text: str) -> tuple[str, ...]:
        text = text.lower()
        return tuple(label for label, words in self._synonyms.items() if text == label or text in words)

    def labels(self) -> list[str]:
        return sorted(self._synonyms)


def corpus() -> dict[str, PhotoDocument]:
    """Fresh documents (tests may mutate them)."""
    docs = [
        PhotoDocument(
            id="a" * 40, paths=["/photos/2019 Holidays/beach_day.jpg"], width=4000, height=3000,
            size_bytes=2_500_000, format="JPEG", taken_at=datetime(2019, 7, 14, 10, 30, 5),
            camera_make="Canon", camera_model="Canon EOS 5D Mark IV", lens="EF24-70mm f/2.8L",
            gps=(43.7, 7.26), orientation=1,
            tags=[Tag("golden retriever", 0.90, "classifier"), Tag("dog", 0.95, "ancestor"),
                  Tag("seashore", 0.05, "classifier")],
            objects=[DetectedObject("dog", 0.88, (0.1, 0.2, 0.6, 0.9))],
            embedding=unit(dog=1.0, street=0.1), phash="f0e1d2c3b4a59687", model_version="test-1"),
        PhotoDocument(
            id="b" * 40, paths=["/photos/home/img_0002.jpg"], width=6016, height=4016, format="JPEG",
            taken_at=datetime(2021, 3, 2, 18, 0), camera_make="NIKON CORPORATION", camera_model="NIKON D750",
            tags=[Tag("dog", 0.40, "ancestor"), Tag("tabby", 0.45, "classifier"), Tag("cat", 0.50, "ancestor")],
            embedding=unit(dog=0.8, cat=0.5)),
        PhotoDocument(
            id="c" * 40, paths=["/photos/home/cat_on_sofa.jpg"], format="JPEG",
            taken_at=datetime(2020, 1, 15, 9, 0), camera_make="Apple", camera_model="iPhone 12",
            tags=[Tag("tabby", 0.85, "classifier"), Tag("cat", 0.90, "ancestor")],
            objects=[DetectedObject("cat", 0.93, (0.2, 0.2, 0.8, 0.8)),
                     DetectedObject("couch", 0.70, (0.0, 0.5, 1.0, 1.0))],
            embedding=unit(cat=1.0, dog=0.2)),
        PhotoDocument(
            id="d" * 40, paths=["/photos/city/corner.jpg"], format="JPEG",
            taken_at=datetime(2018, 6, 1, 12, 0), camera_make="Canon", camera_model="Canon EOS R",
            tags=[Tag("street sign", 0.70, "classifier")],
            objects=[DetectedObject("stop sign", 0.92, (0.4, 0.1, 0.6, 0.4))],
            embedding=unit(street=1.0)),
        PhotoDocument(
            id="e" * 40, paths=["/photos/food/dinner.png"], format="PNG",
            tags=[Tag("pizza", 0.97, "classifier")], embedding=None),  # no date, no camera, no vector
        PhotoDocument(
            id="f" * 40, paths=["/photos/misc/dog_drawing.png", "/backup/misc/dog_drawing.png"], format="PNG",
            taken_at=datetime(2022, 5, 5, 5, 5), tags=[Tag("comic book", 0.60, "classifier")],
            embedding=unit(noise=1.0, food=0.3)),
        PhotoDocument(
            id="0" * 40, paths=["/photos/farm/morning.jpg"], format="JPEG",
            taken_at=datetime(2023, 4, 1, 6, 0), tags=[Tag("cock", 0.80, "classifier")],
            embedding=unit(bird=1.0)),
    ]
    return {name: doc for name, doc in zip(
        ("dog_high", "dog_low", "cat", "sign", "pizza", "drawing", "rooster"), docs)}


def stored_by_name(backend, docs: list[PhotoDocument]) -> dict[str, PhotoDocument]:
    """Write ``docs`` to ``backend`` and make them searchable; keyed by file name."""
    backend.upsert(docs)
    backend.flush()
    return {d.paths[0].rsplit("/", 1)[1]: d for d in docs}


def names_found(backend, text: str, limit: int = 50) -> list[str]:
    """File names of what the query ``text`` finds, best first."""
    from photoapp.core.query import parse_query

    return [h.path.rsplit("/", 1)[1] for h in backend.search(parse_query(text), limit=limit)]
