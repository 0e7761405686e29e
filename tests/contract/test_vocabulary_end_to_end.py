"""Contract, end to end with the real model vocabulary: WordNet ancestors and synonyms reach tags.

Uses ``photoapp.core.models.load_bundle`` (the vocabulary of the shipped bundle). While the ONNX
model folders are still missing, the bundle's vocabulary file alone is enough.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photoapp.core.errors import ModelError
from photoapp.core.query import parse_query
from photoapp.core.records import DetectedObject, PhotoDocument
from photoapp.core.settings import Settings

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def vocabulary():
    from photoapp.core.models import load_bundle
    from photoapp.core.models.bundle import read_layout
    from photoapp.core.models.vocabulary import WordNetVocabulary

    try:
        return load_bundle(Settings(models_dir=MODELS_DIR)).vocabulary
    except ModelError:
        path = MODELS_DIR / read_layout(MODELS_DIR)["vocabulary"] if MODELS_DIR.is_dir() else None
        if path is None or not path.exists():
            pytest.skip(f"no model bundle in {MODELS_DIR}")
        return WordNetVocabulary.from_file(path)


def _doc(n: int, vocabulary, classes, objects=(), name="IMG_%04d.jpg") -> PhotoDocument:
    rng = np.random.default_rng(n)
    v = rng.standard_normal(32).astype(np.float32)
    return PhotoDocument(id=f"{n:040d}", paths=[f"/library/{name % n}"],
                         tags=vocabulary.expand(list(classes), list(objects)),
                         objects=list(objects), embedding=v / np.linalg.norm(v))


def test_everyday_words_find_photos_through_the_vocabulary(opener, vocabulary):
    backend = opener.open(vocabulary=vocabulary)
    retriever = _doc(1, vocabulary, [("golden retriever", 0.85), ("tennis ball", 0.05)])
    terrier = _doc(2, vocabulary, [("border terrier", 0.35), ("tabby", 0.30)])
    rooster = _doc(3, vocabulary, [("cock", 0.9)])
    car = _doc(4, vocabulary, [("sports car", 0.7)], [DetectedObject("car", 0.9, (0.1, 0.1, 0.9, 0.9))])
    backend.upsert([retriever, terrier, rooster, car])
    backend.flush()

    def ids(text):
        return [h.id for h in backend.search(parse_query(text, vocabulary))]

    # "dog" is no class of the classifier: the breeds reach it through their WordNet ancestor,
    # the confident retriever first.
    assert ids("dog") == [retriever.id, terrier.id]
    assert ids("dogs") == [retriever.id, terrier.id]
    hit = backend.search(parse_query("dog", vocabulary))[0]
    assert ("tag", "dog", pytest.approx(0.85, abs=1e-6)) in hit.explanation
    assert ids("rooster") == [rooster.id]           # resolved to the canonical label "cock"
    assert ids("golden retriever") == [retriever.id]
    assert ids("dog -cat") == [retriever.id]         # the terrier photo is also 0.30 tabby
    assert ids("dog>=0.5") == [retriever.id]
    assert ids("vehicle") == [car.id]                # a detected car's ancestor
    # Parsed without a vocabulary, the synonyms indexed with the labels still lead to the tag.
    assert [h.id for h in backend.search(parse_query("domestic dog"))][:2] == [retriever.id, terrier.id]
    assert dict(backend.tag_counts(prefix="dog")) == {"dog": 2}
