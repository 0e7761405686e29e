"""The embedded vector store: exact search, the PCA + HNSW path for big libraries, persistence."""
from __future__ import annotations

import json

import numpy as np
import pytest

from photoapp.core.errors import BackendError
from photoapp.core.index.embedded.vectors import VectorStore


def clustered(n: int, dim: int = 64, clusters: int = 20, seed: int = 0) -> np.ndarray:
    """Unit vectors in tight-ish clusters around random centres (not uniform noise)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    x = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, dim))
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_top(x: np.ndarray, q: np.ndarray, k: int, allowed=None) -> list[int]:
    scores = x @ q
    if allowed is not None:
        mask = np.zeros(len(x), bool)
        mask[allowed] = True
        scores = np.where(mask, scores, -np.inf)
    return list(np.argsort(-scores)[:k])


def test_exact_search_matches_numpy(tmp_path):
    x = clustered(500)
    store = VectorStore(tmp_path)
    slots = store.append(x)
    assert list(slots) == list(range(500)) and not store.has_ann
    got, scores = store.search(x[7], 10)
    assert list(got) == exact_top(x, x[7], 10)
    np.testing.assert_allclose(scores, np.sort(x @ x[7])[::-1][:10], atol=2e-3)


def test_dead_and_excluded_slots_never_come_back(tmp_path):
    x = clustered(300)
    store = VectorStore(tmp_path)
    store.append(x)
    best = exact_top(x, x[0], 5)
    store.release(best[:2])
    got, _ = store.search(x[0], 5, exclude=np.array(best[2:3]))
    assert not set(got) & set(best[:3])
    assert len(got) == 5


def test_within_restricts_to_a_subset(tmp_path):
    x = clustered(400)
    store = VectorStore(tmp_path)
    store.append(x)
    subset = np.arange(0, 400, 7)
    got, _ = store.search(x[3], 5, within=subset)
    assert list(got) == exact_top(x, x[3], 5, subset)


def test_approximate_index_is_built_past_the_threshold_with_high_recall(tmp_path):
    x = clustered(4000, dim=96, clusters=40)
    store = VectorStore(tmp_path, ann_threshold=1000, reduced_dim=32)
    store.append(x)
    store.flush()
    assert store.has_ann
    recalls = []
    for i in range(0, 4000, 97):
        got, _ = store.search(x[i], 10)
        recalls.append(len(set(got) & set(exact_top(x, x[i], 10))) / 10)
    assert np.mean(recalls) >= 0.95


def test_rows_added_after_the_graph_are_found_and_graph_survives_reopen(tmp_path):
    x = clustered(5000, dim=96, clusters=30, seed=1)
    store = VectorStore(tmp_path, ann_threshold=1000, reduced_dim=32)
    store.append(x[:2000])
    store.flush()
    assert store.has_ann
    store.append(x[2000:2100])  # below the extension batch: scanned exactly as the tail
    got, _ = store.search(x[2050], 1)
    assert list(got) == [2050]
    store.close()

    reopened = VectorStore(tmp_path, ann_threshold=1000, reduced_dim=32)
    reopened.set_live(np.arange(2100))
    assert reopened.has_ann and reopened.slot_count == 2100
    got, _ = reopened.search(x[2050], 1)
    assert list(got) == [2050]
    reopened.append(x[2100:])  # enough new rows to extend the (memory-mapped, read-only) graph
    reopened.flush()
    assert json.loads((tmp_path / "ann.json").read_text())["upto"] == 5000
    got, _ = reopened.search(x[4900], 3)
    assert got[0] == 4900
    reopened.close()


def test_corrupt_graph_files_are_discarded_not_fatal(tmp_path):
    x = clustered(1500, dim=96)
    store = VectorStore(tmp_path, ann_threshold=1000, reduced_dim=32)
    store.append(x)
    store.flush()
    store.close()
    (tmp_path / "ann.usearch").write_bytes(b"garbage")
    reopened = VectorStore(tmp_path, ann_threshold=1000, reduced_dim=32)
    reopened.set_live(np.arange(1500))
    assert not reopened.has_ann
    got, _ = reopened.search(x[5], 1)  # exact until the next flush rebuilds the graph
    assert list(got) == [5]
    reopened.flush()
    assert reopened.has_ann


def test_a_torn_last_row_is_dropped_on_open(tmp_path):
    x = clustered(10)
    store = VectorStore(tmp_path)
    store.append(x)
    store.close()
    with open(tmp_path / "vectors.f16", "ab") as f:
        f.write(b"\x00" * 10)  # half a row, as after a crash mid-write
    reopened = VectorStore(tmp_path)
    assert reopened.slot_count == 10


def test_dimension_mismatch_and_bad_vectors_raise(tmp_path):
    store = VectorStore(tmp_path)
    store.append(clustered(5, dim=64))
    with pytest.raises(BackendError, match="dimensions"):
        store.append(clustered(5, dim=32))
    with pytest.raises(BackendError, match="NaN"):
        store.append(np.full((1, 64), np.nan, dtype=np.float32))
    with pytest.raises(BackendError, match="zero"):
        store.search(np.zeros(64, np.float32), 3)


def test_exact_search_within_a_large_subset_reads_it_in_chunks(tmp_path):
    x = clustered(3000)
    store = VectorStore(tmp_path)
    store.append(x)
    subset = np.arange(1, 3000, 2)
    got, scores = store._exact_subset(store._rows, x[10], 7, subset, chunk=256)
    assert list(got) == exact_top(x, x[10], 7, subset)
    assert list(scores) == sorted(scores, reverse=True)


def test_a_store_opened_empty_sees_rows_another_writer_added(tmp_path):
    """Two handles on one folder, as two processes would have: one opened before any vector
    existed, the other writes at slots its owner allocated; the first reads them."""
    x = clustered(20, dim=32)
    reader = VectorStore(tmp_path)
    writer = VectorStore(tmp_path)
    writer.write_at(0, x[:10])
    writer.write_at(10, x[10:])
    np.testing.assert_allclose(reader.vectors([3, 15]), x[[3, 15]], atol=2e-3)
    reader.set_live(np.arange(20))
    got, _ = reader.search(x[7], 1)
    assert list(got) == [7]
    with pytest.raises(BackendError, match="dimensions"):
        reader.write_at(20, clustered(1, dim=16))
    reader.close()
    writer.close()
