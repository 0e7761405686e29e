"""Contract: similar-photo search with cosine scores, filters and exclusions."""
from __future__ import annotations

import numpy as np
import pytest

from photo_corpus import DIM, corpus, unit
from photoapp.core.errors import BackendError
from photoapp.core.query import parse_query


@pytest.fixture
def docs(backend):
    docs = corpus()
    backend.upsert(docs.values())
    backend.flush()
    return docs


def _cosines(docs, query):
    return {d.id: float(np.dot(d.embedding, query)) for d in docs.values() if d.embedding is not None}


def test_similar_returns_cosine_scores_best_first(backend, docs):
    query = docs["dog_high"].embedding
    hits = backend.similar(query, limit=10)
    expected = _cosines(docs, query)
    assert {h.id for h in hits} == set(expected)  # every photo with a vector, none without
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].score == pytest.approx(1.0, abs=2e-3)
    for h in hits:
        assert -1.0 <= h.score <= 1.0
        assert h.score == pytest.approx(expected[h.id], abs=5e-3)
        assert h.path and h.paths


def test_similar_limit_and_exclude_ids(backend, docs):
    query = docs["dog_high"].embedding
    hits = backend.similar(query, limit=2, exclude_ids=[docs["dog_high"].id])
    assert [h.id for h in hits] == [docs["dog_low"].id, docs["cat"].id]


def test_similar_honours_filters(backend, docs):
    query = docs["dog_high"].embedding
    assert [h.id for h in backend.similar(query, 10, parse_query("tag:cat"))] == [docs["dog_low"].id, docs["cat"].id]
    assert [h.id for h in backend.similar(query, 10, parse_query("-cat"))][:1] == [docs["dog_high"].id]
    assert docs["cat"].id not in {h.id for h in backend.similar(query, 10, parse_query("-cat"))}
    assert {h.id for h in backend.similar(query, 10, parse_query("after:2021"))} == \
        {docs["dog_low"].id, docs["drawing"].id, docs["rooster"].id}
    assert [h.id for h in backend.similar(query, 10, parse_query("camera:canon"),
                                          exclude_ids=[docs["dog_high"].id])] == [docs["sign"].id]
    assert backend.similar(query, 10, parse_query("pizza")) == []  # its only match has no vector


def test_similar_to_an_outside_vector(backend, docs):
    hits = backend.similar(unit(street=1.0, cat=0.05), limit=1)
    assert [h.id for h in hits] == [docs["sign"].id]


def test_similar_rejects_a_vector_of_the_wrong_size(backend, docs):
    with pytest.raises(BackendError):
        backend.similar(np.ones(DIM + 1, dtype=np.float32), limit=3)


def test_similar_on_an_empty_index_is_empty(backend):
    assert backend.similar(unit(dog=1.0), limit=5) == []
