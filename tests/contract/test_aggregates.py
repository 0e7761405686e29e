"""Contract: tag counts, clusters, statistics and the bulk iterators."""
from __future__ import annotations

import numpy as np

from photo_corpus import corpus


def _load(backend):
    docs = corpus()
    backend.upsert(docs.values())
    backend.flush()
    return docs


def _expected_tag_counts(docs):
    counts: dict[str, int] = {}
    for d in docs.values():
        for label in {t.label for t in d.tags}:
            counts[label] = counts.get(label, 0) + 1
    return counts


def test_tag_counts_most_common_first(backend):
    docs = _load(backend)
    counts = backend.tag_counts(limit=100)
    assert dict(counts) == _expected_tag_counts(docs)
    assert [n for _, n in counts] == sorted((n for _, n in counts), reverse=True)
    assert backend.tag_counts(limit=2) == counts[:2]


def test_tag_counts_prefix_for_completion(backend):
    _load(backend)
    assert dict(backend.tag_counts(prefix="c")) == {"cat": 2, "cock": 1, "comic book": 1}
    assert dict(backend.tag_counts(prefix="go")) == {"golden retriever": 1}
    assert backend.tag_counts(prefix="zzz") == []


def test_set_clusters_and_cluster_counts(backend):
    docs = _load(backend)
    assignment = {docs["dog_high"].id: 0, docs["dog_low"].id: 0, docs["cat"].id: 1}
    backend.set_clusters(assignment, {0: "dogs", 1: "cats"})
    backend.flush()
    assert backend.cluster_counts() == [(0, "dogs", 2), (1, "cats", 1)]
    assert backend.get(docs["dog_low"].id).cluster_id == 0
    assert backend.get(docs["sign"].id).cluster_id is None
    # A new clustering replaces the old one entirely.
    backend.set_clusters({docs["sign"].id: 7}, {7: "streets"})
    backend.flush()
    assert backend.cluster_counts() == [(7, "streets", 1)]
    assert backend.get(docs["dog_low"].id).cluster_id is None


def test_stats(backend):
    docs = _load(backend)
    stats = backend.stats()
    assert stats.documents == len(docs)
    assert stats.files == sum(len(d.paths) for d in docs.values())
    assert stats.tags == len(_expected_tag_counts(docs))
    assert stats.with_embedding == sum(d.embedding is not None for d in docs.values())
    assert stats.size_bytes >= 0


def test_iter_documents_carries_the_embeddings(backend):
    docs = _load(backend)
    embeddings = {d.id: d.embedding for d in backend.iter_documents() if d.embedding is not None}
    expected = {d.id: d.embedding for d in docs.values() if d.embedding is not None}
    assert set(embeddings) == set(expected)
    for doc_id, vec in embeddings.items():
        assert vec.dtype == np.float32
        np.testing.assert_allclose(vec, expected[doc_id], atol=2e-3)
    assert {d.id for d in backend.iter_documents()} == {d.id for d in docs.values()}


def test_empty_index(backend):
    stats = backend.stats()
    assert (stats.documents, stats.files, stats.tags, stats.with_embedding) == (0, 0, 0, 0)
    assert backend.tag_counts() == []
    assert backend.cluster_counts() == []
    assert list(backend.iter_documents()) == []
    assert backend.search(__import__("photoapp.core.query", fromlist=["Query"]).Query()) == []
