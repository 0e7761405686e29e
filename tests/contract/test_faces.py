"""Contract: faces (box, landmarks, score, quality, descriptor) are stored and given back by every
backend, through upsert, update_fields (the faces stage backfills) and clear_fields (the privacy
switch purges them)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from photo_corpus import corpus
from photoapp.core.records import Face


def _face(seed: int, with_embedding: bool = True) -> Face:
    rng = np.random.default_rng(seed)
    x0, y0 = rng.uniform(0.0, 0.5, size=2)
    box = (float(x0), float(y0), float(x0 + 0.2), float(y0 + 0.25))
    landmarks = tuple((float(x0 + rng.uniform(0, 0.2)), float(y0 + rng.uniform(0, 0.25))) for _ in range(5))
    emb = None
    if with_embedding:
        v = rng.normal(size=128).astype(np.float32)
        emb = v / np.linalg.norm(v)
    return Face(box, landmarks, float(rng.uniform(0.5, 1.0)), float(rng.uniform(0.0, 1.0)), emb)


def _same_faces(stored: list[Face], original: list[Face]) -> None:
    assert len(stored) == len(original)
    for a, b in zip(stored, original):  # detection order is kept
        assert a.box == pytest.approx(b.box)
        assert len(a.landmarks) == 5
        assert [c for p in a.landmarks for c in p] == pytest.approx([c for p in b.landmarks for c in p])
        assert a.score == pytest.approx(b.score) and a.quality == pytest.approx(b.quality)
        if b.embedding is None:
            assert a.embedding is None
        else:
            # Face descriptors are compared by cosine: kept at full float32 precision.
            np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-6)
            assert a.embedding.dtype == np.float32


def test_faces_round_trip_through_upsert(backend):
    docs = corpus()
    group = dataclasses.replace(docs["dog_high"], faces=[_face(1), _face(2), _face(3, with_embedding=False)])
    docs["dog_high"] = group
    backend.upsert(docs.values())
    backend.flush()
    _same_faces(backend.get(group.id).faces, group.faces)
    assert backend.get(docs["pizza"].id).faces == []
    # Re-upserting replaces the faces, it does not add to them.
    backend.upsert([dataclasses.replace(group, faces=[_face(4)])])
    backend.flush()
    _same_faces(backend.get(group.id).faces, [_face(4)])
    _same_faces(backend.get_by_path(group.paths[0]).faces, [_face(4)])
    by_id = {d.id: d for d in backend.iter_documents()}
    _same_faces(by_id[group.id].faces, [_face(4)])


def test_faces_backfilled_by_update_fields_and_purged_by_clear_fields(backend):
    docs = corpus()
    backend.upsert(docs.values())
    backend.flush()
    first, second = docs["dog_high"], docs["pizza"]
    backend.update_fields(first.id, {"faces": [_face(5), _face(6)]})
    backend.update_fields(second.id, {"faces": [_face(7)]})
    backend.flush()
    _same_faces(backend.get(first.id).faces, [_face(5), _face(6)])
    _same_faces(backend.get(second.id).faces, [_face(7)])
    # Other fields are untouched by the faces backfill.
    assert [t.label for t in backend.get(first.id).tags] == [t.label for t in first.tags]
    backend.update_fields(first.id, {"faces": []})
    backend.flush()
    assert backend.get(first.id).faces == []
    backend.clear_fields(["faces"])
    backend.flush()
    assert all(d.faces == [] for d in backend.iter_documents())
    assert backend.get(second.id).embedding is not None or second.embedding is None


def test_face_count_filters(backend):
    from photoapp.core.query import parse_query

    docs = corpus()
    backend.upsert(docs.values())
    backend.flush()
    three, one = docs["dog_high"], docs["pizza"]
    backend.update_fields(three.id, {"faces": [_face(8), _face(9), _face(10)]})
    backend.update_fields(one.id, {"faces": [_face(11, with_embedding=False)]})
    backend.flush()

    def ids(text):
        return {h.id for h in backend.search(parse_query(text), limit=100)}

    everyone = {d.id for d in docs.values()}
    assert ids("faces>=3") == {three.id}
    assert ids("faces>=1") == {three.id, one.id}
    assert ids("faces:1") == {one.id}
    assert ids("faces<3") == everyone - {three.id}
    assert ids("faces:0") == everyone - {three.id, one.id}
    # Combined with words: the count is one more filter.
    assert three.id in ids("dog") and one.id in ids("pizza")
    assert ids("dog faces>=1") == {three.id} & ids("dog")
    assert ids("pizza faces:0") == set()
