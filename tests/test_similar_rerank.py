"""Similar photos re-ranked in the core (core/similar_rerank.py) over a real library of generated
photos of two kinds, embedded by the real tagger."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

from es_server import drop_indices, es_settings, es_url  # noqa: F401  (fixtures)
from photo_factory import make_photos
from photoapp.core import similar_rerank
from photoapp.core.index.base import IndexBackend
from photoapp.core.similar_rerank import CANDIDATES, MIN_CENTRED, RAW, rerank_scores


def _checkerboards(folder, n: int) -> list[str]:
    """``n`` black-and-white checkerboards of different cell sizes and angles: a second kind."""
    out = []
    for i in range(n):
        cell = 12 + 5 * i
        img = Image.new("RGB", (320, 240), "white")
        draw = ImageDraw.Draw(img)
        for y in range(0, 240, cell):
            for x in range(0, 320, cell):
                if (x // cell + y // cell) % 2 == 0:
                    draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(20, 20, 20))
        path = os.path.join(os.fspath(folder), f"board_{i:02d}.jpg")
        img.rotate(i * 11, fillcolor="white").save(path, "JPEG", quality=90)
        out.append(path)
    return out


@pytest.fixture
def two_kinds(library, tmp_path):
    folder = tmp_path / "photos"
    gradients = make_photos(folder, 9)
    boards = _checkerboards(folder, 9)
    library.add_folder(folder)
    library.index()
    return library, gradients, boards


def test_a_copy_of_a_photo_comes_first_with_its_raw_score(two_kinds, tmp_path):
    library, gradients, _ = two_kinds
    doc = library.info(gradients[0])
    outside = tmp_path / "dropped.jpg"
    shutil.copy(gradients[0], outside)
    hits = library.similar(outside, limit=5)
    assert hits[0].id == doc.id and hits[0].score > 0.95
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1.0 <= h.score <= 1.0 for h in hits)
    assert library.similar(Image.open(outside), limit=1)[0].id == doc.id  # pixels, not a path


def test_results_keep_to_the_query_kind(two_kinds):
    library, gradients, boards = two_kinds
    board_ids = {library.info(p).id for p in boards}
    for query in (boards[3], boards[6]):
        top = library.similar(query, limit=4)
        assert library.info(query).id not in {h.id for h in top}
        assert sum(h.id in board_ids for h in top) >= 3


def test_min_score_cuts_what_the_full_list_scores_below(two_kinds):
    library, gradients, _ = two_kinds
    everything = library.similar(gradients[2], limit=50)
    assert len(everything) == 17  # the whole library but the query
    cut = sorted(h.score for h in everything)[len(everything) // 2]
    kept = library.similar(gradients[2], limit=50, min_score=cut)
    assert [h.id for h in kept] == [h.id for h in everything if h.score >= cut]
    assert 0 < len(kept) < len(everything)
    assert len(library.similar(gradients[2], limit=3, min_score=cut)) == 3
    assert library.similar(gradients[2], limit=50, min_score=1.01) == []


def test_several_photos_and_a_filter_are_re_ranked_too(two_kinds):
    library, gradients, boards = two_kinds
    chosen = [library.info(p).id for p in boards[:2]]
    hits = library.similar(chosen, limit=5)
    assert not set(chosen) & {h.id for h in hits}  # the user has those already
    assert hits == sorted(hits, key=lambda h: -h.score) and len(hits) == 5
    name = os.path.basename(boards[5])
    filtered = library.similar(boards[0], limit=5, filter_text=f'"{name}"')
    assert [os.path.basename(h.path) for h in filtered] == [name]


def test_the_rule_on_stored_embeddings(two_kinds):
    library, gradients, boards = two_kinds
    backend = library.backend
    ids = [library.info(p).id for p in gradients + boards]
    stored = backend.embeddings(ids)
    # the embedded backend's one read gives what the default (one get each) gives
    assert stored.keys() == IndexBackend.embeddings(backend, ids).keys() == set(ids)
    for doc_id in ids[:3]:
        assert np.allclose(stored[doc_id], backend.get(doc_id).embedding, atol=1e-3)
    query, cands = stored[ids[0]], np.stack([stored[i] for i in ids[1:]])
    raw = cands @ query / np.linalg.norm(cands, axis=1) / np.linalg.norm(query)  # float16 rows: norms ~1
    assert np.allclose(rerank_scores(query, cands, RAW), raw, atol=1e-4)
    scores = rerank_scores(query, cands)
    assert scores.shape == (len(cands),) and np.all(np.abs(scores) <= 1.0)
    assert len(cands) >= MIN_CENTRED  # centred: an unrelated photo scores about the average, 0
    assert scores.min() < 0.2 < scores.max()
    assert rerank_scores(query, cands[:0]).shape == (0,)


def test_asking_for_more_results_does_not_change_the_scores_of_the_first():
    """The GUI asks for 200 results, the CLI for 20: both re-rank the first CANDIDATES alike."""
    rng = np.random.default_rng(0)
    vectors = np.abs(rng.normal(size=(2 * CANDIDATES + 1, 64))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query, rest = vectors[0], vectors[1:]
    rest = rest[np.argsort(-(rest @ query), kind="stable")]  # best first, as a backend gives them
    few, many = rerank_scores(query, rest[:CANDIDATES]), rerank_scores(query, rest)
    assert np.allclose(many[:CANDIDATES], few, atol=1e-6)


def test_hits_whose_vector_is_gone_are_dropped(two_kinds):
    library, gradients, _ = two_kinds
    doc = library.info(gradients[1])
    candidates = library.backend.similar(doc.embedding, limit=10, exclude_ids=[doc.id])
    gone = candidates[0].id
    reranked = similar_rerank.rerank_hits(
        doc.embedding, candidates, lambda ids: {k: v for k, v in library.backend.embeddings(ids).items() if k != gone},
        limit=10)
    assert gone not in {h.id for h in reranked} and len(reranked) == len(candidates) - 1


def test_both_backends_share_one_rule(two_kinds, es_settings, counting_bundle, tmp_path):
    """The same photos indexed on Elasticsearch (the noida-db test server) re-rank the same way:
    the rule runs in the core on each backend's candidates and stored vectors."""
    from dataclasses import replace

    from photoapp.core.library import Library

    embedded, gradients, boards = two_kinds
    settings = replace(es_settings, models_dir=embedded.settings.models_dir)
    remote = Library.open(settings, bundle=counting_bundle)
    try:
        remote.add_folder(os.path.dirname(gradients[0]))
        remote.index()
        for query in (gradients[4], boards[1]):
            here = embedded.similar(query, limit=8)
            there = remote.similar(query, limit=8)
            assert [h.id for h in there][:3] == [h.id for h in here][:3]
            assert np.allclose([h.score for h in there], [h.score for h in here], atol=0.02)
    finally:
        remote.close()
        drop_indices(settings)
