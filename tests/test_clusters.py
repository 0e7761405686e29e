"""Clusters formed from the embedding alone and named by tags: real model on generated photos,
k choice, names, determinism, a large library (sampled fit), persistence, real index."""
from __future__ import annotations

import numpy as np
import pytest

from photoapp.core.clusters import (
    REFIT_GROWTH,
    ClusterModel,
    ClusterStateError,
    assign_to_model,
    characteristic_tags,
    choose_k,
    cluster_embeddings,
    clusters_from_backend,
    distinct_names,
    fit_clusters,
    needs_refit,
    smooth,
)
from photoapp.core.errors import ConfigError
from photoapp.core.records import PhotoDocument, Tag

SUBJECTS = ["dog", "car", "pizza", "beach", "bird", "boat"]


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def blobs(per: int = 40, dim: int = 128, seed: int = 0, spread: float = 0.6):
    """Embeddings like a classifier's: a large component shared by every photo, one direction
    per subject, noise. Tags: the subject (plus a shared "outdoor" tag on half the photos)."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(dim) * 4.0
    centres = rng.standard_normal((len(SUBJECTS), dim))
    ids, vecs, tags, truth = [], [], {}, []
    for c, subject in enumerate(SUBJECTS):
        for j in range(per):
            doc_id = f"{subject}-{j:03d}"
            ids.append(doc_id)
            vecs.append(shared + centres[c] + rng.standard_normal(dim) * spread)
            tags[doc_id] = [Tag(subject, float(rng.uniform(0.5, 0.95))),
                            Tag("animal" if subject in ("dog", "bird") else "thing", 0.6, "ancestor")]
            if j % 2:
                tags[doc_id].append(Tag("outdoor", 0.5, "detector"))
            truth.append(c)
    return ids, unit(np.stack(vecs)), tags, np.array(truth)


def purity(result, ids, truth) -> float:
    row = {d: i for i, d in enumerate(ids)}
    total = 0
    for c in result.clusters:
        classes = truth[[row[m] for m in c.member_ids]]
        total += np.bincount(classes).max()
    return total / len(ids)


@pytest.mark.parametrize("method", ["neighbours", "embedding", "raw"])
def test_recovers_subjects_with_given_k(method):
    ids, x, tags, truth = blobs()
    result = cluster_embeddings(ids, x, tags, k=6, seed=0, method=method)
    assert result.k == 6 and len(result.clusters) == 6
    assert purity(result, ids, truth) == 1.0
    assert 0.05 < result.silhouette <= 1.0 and result.davies_bouldin > 0
    assert sorted(m for c in result.clusters for m in c.member_ids) == sorted(ids)
    assert set(result.assignment) == set(ids)


def test_names_are_the_characteristic_tags_and_representative_is_central():
    ids, x, tags, truth = blobs()
    result = cluster_embeddings(ids, x, tags, k=6, seed=0)
    for c in result.clusters:
        subject = c.member_ids[0].split("-")[0]
        assert c.name == subject  # the shared ancestor tag marks the same photos: left out
        # Tags shared by every cluster ("outdoor") are not characteristic.
        assert "outdoor" not in dict(c.top_tags)
        assert c.representative_id in c.member_ids
        assert c.size == len(c.member_ids)
    sizes = [c.size for c in result.clusters]
    assert sizes == sorted(sizes, reverse=True) and [c.id for c in result.clusters] == list(range(6))


def test_automatic_k_finds_the_subjects():
    ids, x, tags, truth = blobs(per=30)
    result = cluster_embeddings(ids, x, tags, k=None, seed=0)
    assert result.k == 6
    assert purity(result, ids, truth) == 1.0


def test_deterministic_for_a_seed_and_independent_of_input_order():
    ids, x, tags, _ = blobs(spread=1.2)
    a = cluster_embeddings(ids, x, tags, k=5, seed=7)
    perm = np.random.default_rng(1).permutation(len(ids))
    b = cluster_embeddings([ids[i] for i in perm], x[perm], tags, k=5, seed=7)
    assert a.assignment == b.assignment
    assert [c.name for c in a.clusters] == [c.name for c in b.clusters]
    assert a.silhouette == b.silhouette


def test_small_and_degenerate_inputs():
    assert cluster_embeddings([], np.zeros((0, 16), np.float32), {}, k=None).clusters == []
    one = cluster_embeddings(["a"], unit(np.ones((1, 16))), {}, k=None)
    assert one.k == 1 and one.clusters[0].member_ids == ["a"] and one.clusters[0].name == "Cluster 1"
    # One cluster holding everything is named by its most common tag (nothing sets it apart).
    whole = cluster_embeddings(["a", "b"], unit(np.ones((2, 16))), {"a": [Tag("dog", 0.9)],
                                                                   "b": [Tag("dog", 0.7), Tag("ball", 0.4)]}, k=1)
    assert whole.clusters[0].name == "dog" and whole.clusters[0].top_tags[0][0] == "dog"
    ids, x, tags, _ = blobs(per=2)
    assert cluster_embeddings(ids, x, tags, k=50).k == len(ids)  # k capped at the photo count
    with pytest.raises(ConfigError):
        cluster_embeddings(ids, x, tags, k=0)
    with pytest.raises(ConfigError):
        cluster_embeddings(ids, x, tags, k=3, method="nonsense")


def test_choose_k_never_leaves_tiny_clusters_and_splits_a_small_library():
    ids, x, _, _ = blobs(per=3)  # 18 photos: six subjects of three
    assert choose_k(x) == 6
    assert choose_k(x[:7]) == 2  # seven photos: at least three per cluster on average
    assert choose_k(x[:5]) == 1 and choose_k(x[:1]) == 1


def test_model_persists_and_assigns_new_photos(tmp_path):
    ids, x, tags, truth = blobs()
    keep = np.arange(len(ids)) % 4 != 0  # fit on 3/4, then add the rest
    fitted_ids = [i for i, k in zip(ids, keep) if k]
    result, model = fit_clusters(fitted_ids, x[keep], tags, k=6, seed=0)
    path = tmp_path / "clusters.npz"
    model.save(path)
    loaded = ClusterModel.load(path)
    assert np.array_equal(loaded.centroids, model.centroids) and loaded.fitted_count == keep.sum()
    later = assign_to_model(loaded, ids, x, tags)
    assert not later.refitted
    for d in fitted_ids:  # old photos stay where they were
        assert later.assignment[d] == result.assignment[d]
    assert purity(later, ids, truth) == 1.0


def test_refit_policy():
    ids, x, tags, _ = blobs(per=10)
    _, model = fit_clusters(ids, x, tags, k=None, seed=3)
    n, dim = len(ids), x.shape[1]
    assert not needs_refit(model, n, None, 3, "neighbours", dim)
    assert not needs_refit(model, int(n * (1 + REFIT_GROWTH)), None, 3, "neighbours", dim)
    assert needs_refit(model, int(n * (1 + REFIT_GROWTH)) + 2, None, 3, "neighbours", dim)
    assert needs_refit(model, n, 4, 3, "neighbours", dim)  # another k asked for
    assert needs_refit(model, n, None, 4, "neighbours", dim)  # another seed
    assert needs_refit(model, n, None, 3, "raw", dim)
    assert needs_refit(model, n, None, 3, "embedding", dim)
    assert needs_refit(model, n, None, 3, "neighbours", dim * 2)  # another model's embeddings
    assert needs_refit(None, n, None, 3, "neighbours", dim)


def test_tags_name_clusters_but_never_form_them(tmp_path):
    ids, x, tags, truth = blobs()
    # Tags that lie (every photo tagged with another subject, at random) change no assignment.
    rng = np.random.default_rng(5)
    lying = {d: [Tag(SUBJECTS[int(rng.integers(len(SUBJECTS)))], 0.99)] for d in ids}
    honest = cluster_embeddings(ids, x, tags, k=6, seed=0)
    misled = cluster_embeddings(ids, x, lying, k=6, seed=0)
    untagged = cluster_embeddings(ids, x, None, k=6, seed=0)
    assert honest.assignment == misled.assignment == untagged.assignment
    assert purity(untagged, ids, truth) == 1.0 and all(c.name.startswith("Cluster") for c in untagged.clusters)
    # The persisted model holds no tag features: new photos are assigned from embeddings alone.
    _, model = fit_clusters(ids, x, tags, k=6, seed=0)
    model.save(tmp_path / "m.npz")
    loaded = ClusterModel.load(tmp_path / "m.npz")
    assert np.array_equal(loaded.assign(x), model.assign(x))
    assert np.array_equal(loaded.reference, model.reference) and loaded.reference.shape[0] == len(ids)


def test_smoothing_pulls_a_photo_toward_its_neighbours():
    rng = np.random.default_rng(0)
    group = unit(np.array([1.0, 0, 0, 0]) + rng.standard_normal((6, 4)) * 0.05)
    stray = unit(np.array([[0.6, 0.8, 0, 0]]))  # between the group and nowhere
    z = np.vstack([group, stray]).astype(np.float32)
    out = smooth(z, z, neighbours=5)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert out[-1] @ group.mean(0) > z[-1] @ group.mean(0)  # the stray moved toward the group
    assert smooth(z, z, neighbours=1) == pytest.approx(z, abs=1e-6)  # itself only: unchanged


def test_a_large_library_is_fitted_on_a_sample_and_every_photo_assigned(monkeypatch):
    import photoapp.core.clusters as clusters

    ids, x, tags, truth = blobs(per=60)
    full = cluster_embeddings(ids, x, tags, k=6, seed=0)
    monkeypatch.setattr(clusters, "FIT_SAMPLE", 120)  # a third of the photos
    sampled, model = fit_clusters(ids, x, tags, k=6, seed=0)
    assert model.reference.shape[0] == 120 and model.fitted_count == len(ids)
    assert len(sampled.assignment) == len(ids) and purity(sampled, ids, truth) == 1.0
    assert purity(full, ids, truth) == 1.0
    assert sampled.assignment == cluster_embeddings(ids, x, tags, k=6, seed=0).assignment  # deterministic


def test_corrupt_model_file_is_a_typed_error(tmp_path):
    bad = tmp_path / "clusters.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ClusterStateError):
        ClusterModel.load(bad)


def test_characteristic_tags_prefer_rare_over_common():
    ids = ["a", "b", "c", "d"]
    tags = {"a": [Tag("cat", 0.9), Tag("indoor", 0.9)], "b": [Tag("cat", 0.8), Tag("indoor", 0.9)],
            "c": [Tag("car", 0.9), Tag("indoor", 0.9)], "d": [Tag("car", 0.7)]}
    (top0, name0), (top1, name1) = characteristic_tags(ids, np.array([0, 0, 1, 1]), 2, tags)
    assert top0[0][0] == "cat" and top1[0][0] == "car"
    assert "indoor" in dict(top0) and dict(top0)["indoor"] < dict(top0)["cat"]
    assert name0 == "cat" and name1 == "car"  # "indoor" marks the same photos as "cat": redundant


def test_names_skip_redundant_tags_but_keep_distinct_ones():
    ids = [f"p{i}" for i in range(8)]
    tags = {f"p{i}": [Tag("golden retriever", 0.8), Tag("dog", 0.9, "ancestor")] for i in range(3)}
    tags |= {f"p{i}": [Tag("tabby", 0.8), Tag("cat", 0.9, "ancestor")] for i in range(3, 5)}
    tags |= {f"p{i}": [Tag("sports car", 0.9)] for i in range(5, 8)}
    described = characteristic_tags(ids, np.array([0, 0, 0, 0, 0, 1, 1, 1]), 2, tags)
    name0 = described[0][1]
    assert len(name0.split(", ")) == 2
    assert {"dog", "golden retriever"} & set(name0.split(", ")) and {"cat", "tabby"} & set(name0.split(", "))
    assert described[1][1] == "sports car"


def test_from_a_real_embedded_index_incrementally(tmp_path):
    from photoapp.core.index.embedded.backend import EmbeddedIndex

    ids, x, tags, truth = blobs(per=20)
    state = tmp_path / "data" / "clusters.npz"
    index = EmbeddedIndex(tmp_path / "index")
    try:
        first = [i for i in range(len(ids)) if i % 5]
        index.upsert(PhotoDocument(id=ids[i], paths=[f"/p/{ids[i]}.jpg"], embedding=x[i], tags=tags[ids[i]])
                     for i in first)
        index.upsert([PhotoDocument(id="no-embedding", paths=["/p/x.jpg"])])
        index.flush()
        r1 = clusters_from_backend(index, k=6, seed=0, state_path=state)
        assert r1.refitted and state.exists() and "no-embedding" not in r1.assignment
        assert sorted(c[2] for c in index.cluster_counts()) == sorted(c.size for c in r1.clusters)
        assert index.get(ids[1]).cluster_id == r1.assignment[ids[1]]
        # 20% more photos: assigned to the stored centroids, no refit.
        index.upsert(PhotoDocument(id=ids[i], paths=[f"/p/{ids[i]}.jpg"], embedding=x[i], tags=tags[ids[i]])
                     for i in range(len(ids)) if i % 5 == 0)
        index.flush()
        r2 = clusters_from_backend(index, k=6, seed=0, state_path=state)
        assert not r2.refitted and len(r2.assignment) == len(ids)
        assert all(r2.assignment[ids[i]] == r1.assignment[ids[i]] for i in first)
        assert index.get(ids[0]).cluster_id == r2.assignment[ids[0]]
        r3 = clusters_from_backend(index, k=6, seed=0, state_path=state, recompute=True)
        assert r3.refitted and purity(r3, ids, truth) == 1.0
        names = {c[0]: c[1] for c in index.cluster_counts()}
        assert sorted(names.values()) == sorted(c.name for c in r3.clusters)
    finally:
        index.close()


def _generated_photo(kind: str, rng: np.random.Generator):
    """Three kinds of picture a viewer tells apart at a glance, each drawn with variations."""
    from PIL import Image, ImageDraw

    w, h = 320, 240
    if kind == "checkerboard":
        img = Image.new("RGB", (w, h), "white")
        draw, step = ImageDraw.Draw(img), int(rng.integers(18, 34))
        for y in range(0, h, step):
            for x in range(0, w, step):
                if (x // step + y // step) % 2:
                    draw.rectangle([x, y, x + step - 1, y + step - 1], fill="black")
    elif kind == "discs":
        img = Image.new("RGB", (w, h), (30, int(rng.integers(120, 170)), 40))
        draw = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(3, 7))):
            r, cx, cy = int(rng.integers(18, 45)), int(rng.integers(0, w)), int(rng.integers(0, h))
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(int(rng.integers(200, 255)), 20, 20))
    else:  # seascape: sky gradient over dark water with a bright horizon band
        horizon = int(rng.integers(90, 150))
        y = np.arange(h)[:, None, None]
        sky = np.array([120, 170, 235]) * (0.7 + 0.3 * y / h)
        sea = np.array([10, 50, 90]) + rng.integers(0, 25)
        arr = np.where(y < horizon, sky, sea) * np.ones((1, w, 1))
        arr[horizon - 3:horizon + 3] = 230
        img = Image.fromarray(np.clip(arr + rng.normal(0, 6, arr.shape), 0, 255).astype(np.uint8))
    return img


def test_real_embeddings_of_clearly_different_generated_photos_are_separated(model_bundle):
    rng = np.random.default_rng(0)
    kinds = ["checkerboard", "discs", "seascape"]
    truth, images = [], []
    for i, kind in enumerate(kinds):
        for _ in range(8):
            truth.append(i)
            images.append(_generated_photo(kind, rng))
    results = model_bundle.tagger.analyze(images)
    ids = [f"photo-{j:02d}" for j in range(len(images))]  # neutral names
    x = np.stack([r.embedding for r in results])
    tags = {d: model_bundle.vocabulary.expand(r.top_classes, []) for d, r in zip(ids, results)}
    truth = np.array(truth)
    a = cluster_embeddings(ids, x, tags, k=3, seed=0)
    assert purity(a, ids, truth) == 1.0 and sorted(c.size for c in a.clusters) == [8, 8, 8]
    assert a.assignment == cluster_embeddings(ids, x, tags, k=3, seed=0).assignment
    for c in a.clusters:  # named from tags its members carry, and the name differs per cluster
        member_labels = {t.label for m in c.member_ids for t in tags[m]}
        assert c.name and set(c.name.split(", ")) <= member_labels
    assert len({c.name for c in a.clusters}) == 3


def test_clusters_that_would_share_a_name_are_told_apart():
    described = [([("food", 0.9), ("pizza", 0.5)], "food"), ([("food", 0.8), ("salad", 0.4)], "food"),
                 ([("car", 0.9), ("wheel", 0.3)], "car"), ([], "")]
    named = distinct_names(described)
    assert [name for _, name in named] == ["food, pizza", "food, salad", "car", ""]
    assert [top for top, _ in named] == [top for top, _ in described]
