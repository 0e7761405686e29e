"""Browsable clusters of the library, formed from the image embedding alone and named by tags.

How a library is clustered (method ``"neighbours"``, the default):

1. Each embedding is power-normalised (square root of the non-negative pooled features, then
   L2), centred on the library mean and projected on its first ``PCA_DIMS`` principal axes
   (lossless below that many photos), then L2-normalised again. The square root damps the few
   dominant feature channels a classifier's pooling produces, centring removes the component
   every photo shares; both make cosine similarity follow the subject rather than the style.
2. Neighbour smoothing: every photo is replaced by the similarity-weighted mean of itself and
   its ``NEIGHBOURS - 1`` nearest photos (database-side augmentation, as in image retrieval).
   Clusters then follow the dense regions of the kNN graph instead of outliers.
3. Spherical k-means (k-means++ seeding, refined on cosine with unit centroids).

Tags never form the clusters: the old default mixed a tag profile into the features and pulled
clusters toward ImageNet's label space (worse than plain k-means on sets that are not ImageNet
classes). They only *name* them: a cluster's name is its most characteristic tags, frequent in
the cluster and rare elsewhere (:func:`characteristic_tags`).

Measured by ``python -m photoapp.bench.clusters`` on sets whose labels are not the tagger's
classes (coco128 by dominant object / supercategory / object crops, faces by person), same k and
seeds: see bench/results/clusters.md. ``"embedding"`` is steps 1 and 3 alone, ``"raw"`` plain
k-means on the raw embedding (the baseline).

- ``k`` is given, or chosen by the (sampled) silhouette score over a range of candidates.
- Bounded at any library size: the space, the smoothing reference and the centroids are fitted on
  at most ``FIT_SAMPLE`` photos (a seeded sample); every photo is then smoothed against that
  reference and assigned to its nearest centroid.
- Deterministic for a given seed (input is sorted by id first).
- Incremental: the fitted model (:class:`ClusterModel`) is persisted as an .npz; new photos are
  assigned to the nearest centroid until the library has grown by more than ``REFIT_GROWTH``
  since the fit, or a recompute is asked for.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ConfigError, PhotoAppError
from .records import ClusterInfo, Tag

METHODS = ("neighbours", "embedding", "raw")
DEFAULT_METHOD = "neighbours"
POWER = 0.5  # power normalisation of the pooled features
PCA_DIMS = 256
NEIGHBOURS = 5  # smoothing: the photo itself and its 4 nearest
FIT_SAMPLE = 5000  # photos the model is fitted on; the rest are assigned (bounded time and memory)
CHUNK = 4096  # rows per block when transforming / assigning a large library
SMOOTH_BLOCK = 8_000_000  # similarities computed at once when smoothing (rows x reference)
AUTO_K_CANDIDATES = (4, 5, 6, 8, 10, 12, 15, 18, 22, 26, 30, 36, 42, 50)
AUTO_K_MIN_PER_CLUSTER = 8  # no candidate k leaves fewer photos per cluster than this on average
SMALL_MIN_PER_CLUSTER = 3  # ... except in a library too small for two such candidates
SILHOUETTE_SAMPLE = 2000
REFIT_GROWTH = 0.25  # refit when the library grew by more than this since the last fit
SPHERICAL_ITERATIONS = 20
NAME_TAGS = 2
TOP_TAGS = 8
MODEL_FORMAT = 2

TagLists = Sequence[Sequence[Tag]]


class ClusterStateError(PhotoAppError):
    """A persisted cluster model cannot be read."""


@dataclass
class ClusteringResult:
    clusters: list[ClusterInfo]
    silhouette: float
    davies_bouldin: float
    k: int
    assignment: dict[str, int] = field(default_factory=dict)
    method: str = DEFAULT_METHOD
    refitted: bool = True  # False when photos were assigned to an existing model


# --- the space k-means runs in ----------------------------------------------------------------

@dataclass
class ClusterSpace:
    """The map from embeddings to the unit vectors k-means sees, fitted on the library."""

    method: str
    mean: np.ndarray  # (d,) mean of the power-normalised embedding; empty for raw
    projection: np.ndarray  # (d, p) principal axes; empty for raw

    @classmethod
    def fit(cls, x: np.ndarray, method: str = DEFAULT_METHOD, seed: int = 0) -> "ClusterSpace":
        check_method(method)
        if method == "raw":
            return cls(method, np.zeros(0, np.float32), np.zeros((0, 0), np.float32))
        p = _power(x)
        dims = int(min(PCA_DIMS, x.shape[0] - 1, x.shape[1]))
        if dims < 2:  # too few photos to learn axes: centring + normalisation only
            return cls(method, p.mean(axis=0).astype(np.float32), np.eye(x.shape[1], dtype=np.float32))
        from sklearn.decomposition import PCA

        pca = PCA(n_components=dims, svd_solver="randomized" if dims < min(x.shape) * 0.8 else "full",
                  random_state=seed).fit(p)
        return cls(method, pca.mean_.astype(np.float32), pca.components_.T.astype(np.float32))

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if self.method == "raw":
            return x
        out = np.empty((len(x), self.projection.shape[1]), dtype=np.float32)
        for start in range(0, len(x), CHUNK):  # chunks: no second full-size copy of a big library
            out[start:start + CHUNK] = _l2((_power(x[start:start + CHUNK]) - self.mean) @ self.projection)
        return out


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ConfigError(f"unknown clustering method {method!r}; one of {', '.join(METHODS)}")


def _power(x: np.ndarray) -> np.ndarray:
    return _l2(np.sqrt(np.maximum(np.asarray(x, dtype=np.float32), 0.0)) if POWER == 0.5
               else np.maximum(np.asarray(x, dtype=np.float32), 0.0) ** POWER)


def _l2(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def smooth(z: np.ndarray, reference: np.ndarray, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """Each row of ``z`` replaced by the similarity-weighted mean of its ``neighbours`` most
    similar rows of ``reference`` (itself first, when it is part of it), L2-normalised."""
    if len(reference) == 0 or len(z) == 0:
        return z
    nn = min(neighbours, len(reference))
    out = np.empty_like(z)
    rows = max(1, SMOOTH_BLOCK // len(reference))  # a block's similarities stay near 32 MiB
    for start in range(0, len(z), rows):
        sim = z[start:start + rows] @ reference.T
        if nn < sim.shape[1]:  # the nn largest (no negated copy of the block)
            idx = np.argpartition(sim, sim.shape[1] - nn, axis=1)[:, -nn:].copy()
        else:
            idx = np.broadcast_to(np.arange(nn), sim.shape).copy()
        w = np.maximum(np.take_along_axis(sim, idx, axis=1), 0.0)
        out[start:start + rows] = np.einsum("ij,ijd->id", w, reference[idx])
    return _l2(out)


@dataclass
class ClusterModel:
    """What is persisted between runs: the space, the smoothing reference, the centroids."""

    space: ClusterSpace
    centroids: np.ndarray  # (k, p) in cluster space, ordered by cluster id
    seed: int
    fitted_count: int
    k_requested: int  # 0 = chosen automatically
    reference: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # neighbours only

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    def view(self, embeddings: np.ndarray) -> np.ndarray:
        """The vectors photos are assigned in: the space, smoothed against the reference."""
        z = self.space.transform(embeddings)
        return smooth(z, self.reference) if self.space.method == "neighbours" else z

    def assign(self, embeddings: np.ndarray) -> np.ndarray:
        return _nearest(self.view(embeddings), self.centroids, self.space.method)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": MODEL_FORMAT, "method": self.space.method, "seed": self.seed,
                "fitted_count": self.fitted_count, "k_requested": self.k_requested}
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, meta=np.array(json.dumps(meta)), mean=self.space.mean,
                 projection=self.space.projection, centroids=self.centroids, reference=self.reference)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "ClusterModel":
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("format") != MODEL_FORMAT:
                    raise ClusterStateError(f"{path}: cluster model format {meta.get('format')} unsupported")
                space = ClusterSpace(meta["method"], data["mean"], data["projection"])
                return cls(space, data["centroids"], int(meta["seed"]), int(meta["fitted_count"]),
                           int(meta["k_requested"]), data["reference"])
        except (OSError, ValueError, KeyError) as exc:
            raise ClusterStateError(f"{path}: cannot read cluster model ({exc})") from exc


# --- fitting ----------------------------------------------------------------------------------

def cluster_embeddings(ids: Sequence[str], embeddings: np.ndarray,
                       tags_by_id: Mapping[str, Sequence[Tag]] | None = None, k: int | None = None,
                       seed: int = 0, method: str = DEFAULT_METHOD) -> ClusteringResult:
    """Cluster the photos ``ids`` (rows of ``embeddings``); ``tags_by_id`` only names them."""
    return fit_clusters(ids, embeddings, tags_by_id, k, seed, method)[0]


def fit_clusters(ids: Sequence[str], embeddings: np.ndarray,
                 tags_by_id: Mapping[str, Sequence[Tag]] | None = None, k: int | None = None,
                 seed: int = 0, method: str = DEFAULT_METHOD) -> tuple[ClusteringResult, ClusterModel]:
    """Like :func:`cluster_embeddings`, also returning the model to persist."""
    check_method(method)
    ids, order, x = _sorted_input(ids, embeddings)
    n = len(ids)
    if k is not None and k < 1:
        raise ConfigError(f"cluster count must be at least 1, got {k}")
    if n == 0:
        empty = np.zeros((0, 0), np.float32)
        return (ClusteringResult([], float("nan"), float("nan"), 0, {}, method),
                ClusterModel(ClusterSpace("raw", np.zeros(0, np.float32), empty), empty, seed, 0, k or 0))
    sample = fit_sample(n, seed)
    space = ClusterSpace.fit(x[order[sample]], method, seed)
    z = space.transform(x)[order]
    reference = z[sample] if method == "neighbours" else np.zeros((0, 0), np.float32)
    model = ClusterModel(space, np.zeros((0, 0), np.float32), seed, n, k or 0, reference)
    fit_view = smooth(z[sample], reference) if method == "neighbours" else z[sample]
    chosen = choose_k(fit_view, seed) if k is None else min(k, len(sample))
    centroids = _fit_centroids(fit_view, chosen, seed, spherical=method != "raw")
    if len(sample) == n:
        view = fit_view
    else:  # the rest of a large library: smoothed against the sample, like new photos later
        view = smooth(z, reference) if method == "neighbours" else z
    del z
    labels = _nearest(view, centroids, method)
    model.centroids = _reorder_by_size(labels, centroids)
    labels = _nearest(view, model.centroids, method)
    return _describe(ids, view, labels, model.centroids, tags_by_id, method, refitted=True), model


def fit_sample(n: int, seed: int) -> np.ndarray:
    """Rows the model is fitted on: all of a small library, a seeded sample of a large one."""
    if n <= FIT_SAMPLE:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, FIT_SAMPLE, replace=False))


def choose_k(z: np.ndarray, seed: int = 0) -> int:
    """The candidate k with the best silhouette score, swept on at most ``SILHOUETTE_SAMPLE``
    photos (a seeded sample) so that its cost does not grow with the library."""
    n = len(z)
    candidates = [c for c in AUTO_K_CANDIDATES if c * AUTO_K_MIN_PER_CLUSTER <= n]
    if len(candidates) < 2:  # a small library: any k that leaves a few photos per cluster
        candidates = list(range(2, n // SMALL_MIN_PER_CLUSTER + 1)) or [1]
    if candidates == [1]:
        return 1
    if n > SILHOUETTE_SAMPLE:
        z = z[np.sort(np.random.default_rng(seed).choice(n, SILHOUETTE_SAMPLE, replace=False))]
    best_k, best_score = candidates[0], -np.inf
    for c in candidates:
        labels, _ = _kmeans(z, c, seed, n_init=2)
        score = _silhouette(z, labels, seed)
        if score > best_score + 1e-9:
            best_k, best_score = c, score
    return best_k


def assign_to_model(model: ClusterModel, ids: Sequence[str], embeddings: np.ndarray,
                    tags_by_id: Mapping[str, Sequence[Tag]] | None = None) -> ClusteringResult:
    """Assign every photo to the nearest centroid of an existing model (no refit)."""
    ids, order, x = _sorted_input(ids, embeddings)
    if len(ids) == 0 or model.k == 0:
        return ClusteringResult([], float("nan"), float("nan"), model.k, {}, model.space.method, False)
    view = model.view(x)[order]
    labels = _nearest(view, model.centroids, model.space.method)
    return _describe(ids, view, labels, model.centroids, tags_by_id, model.space.method, refitted=False)


def needs_refit(model: ClusterModel | None, count: int, k: int | None, seed: int, method: str,
                dim: int) -> bool:
    if model is None or model.k == 0 or model.seed != seed or model.space.method != method:
        return True
    if (k or 0) != model.k_requested:
        return True
    if model.space.method != "raw" and model.space.mean.shape[0] != dim:
        return True
    if model.space.method == "raw" and model.centroids.shape[1] != dim:
        return True
    return count > model.fitted_count * (1.0 + REFIT_GROWTH)


def clusters_from_backend(backend, k: int | None = None, seed: int = 0, *,
                          state_path: Path | None = None, recompute: bool = False,
                          method: str = DEFAULT_METHOD) -> ClusteringResult:
    """Cluster every embedded document of an ``IndexBackend`` and write the assignment back.

    With ``state_path`` (e.g. ``settings.data_dir / "clusters.npz"``) the fitted model is kept
    there and reused: photos are assigned to its centroids unless ``recompute``, a different
    k/seed/method, or growth beyond ``REFIT_GROWTH`` calls for a refit. ``k`` None or 0 (as in
    ``Settings.cluster_count``) chooses k automatically.
    """
    k = k or None
    ids, vectors, tags = [], [], {}
    for doc in backend.iter_documents():
        if doc.embedding is None:
            continue
        ids.append(doc.id)
        vectors.append(np.asarray(doc.embedding, dtype=np.float32))
        tags[doc.id] = doc.tags
    x = np.stack(vectors) if vectors else np.zeros((0, 0), np.float32)
    del vectors
    model = None
    if state_path is not None and Path(state_path).exists() and not recompute:
        try:
            model = ClusterModel.load(state_path)
        except ClusterStateError:
            model = None  # unreadable or an older format: refit and overwrite
    if needs_refit(model, len(ids), k, seed, method, x.shape[1] if len(ids) else 0):
        result, model = fit_clusters(ids, x, tags, k, seed, method)
        if state_path is not None and len(ids):
            model.save(Path(state_path))
    else:
        result = assign_to_model(model, ids, x, tags)
    backend.set_clusters(result.assignment, {c.id: c.name for c in result.clusters})
    backend.flush()
    return result


# --- helpers ----------------------------------------------------------------------------------

def _sorted_input(ids: Sequence[str], embeddings: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Ids ordered by id (so the result does not depend on the order a backend yields them), the
    row of each in ``embeddings``, and the embeddings as float32, left unsorted: a large library's
    vectors are not copied, only the (smaller) cluster-space vectors are reordered."""
    x = np.asarray(embeddings, dtype=np.float32)
    if len(ids) == 0:
        return [], np.zeros(0, np.int64), x.reshape(0, x.shape[-1] if x.ndim == 2 else 0)
    if x.ndim != 2 or x.shape[0] != len(ids):
        raise ValueError(f"{len(ids)} ids but embeddings of shape {x.shape}")
    order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
    return [ids[i] for i in order], order, x


def _kmeans(z: np.ndarray, k: int, seed: int, n_init: int = 4) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans

    if k <= 1 or len(z) <= 1:
        return np.zeros(len(z), dtype=np.int64), z.mean(axis=0, keepdims=True)
    # float64: scikit-learn's k-means++ seeding takes a much slower chunked path on float32
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(z.astype(np.float64))
    return km.labels_.astype(np.int64), km.cluster_centers_.astype(np.float32)


def _fit_centroids(z: np.ndarray, k: int, seed: int, spherical: bool) -> np.ndarray:
    """k-means centroids; ``spherical``: unit centroids refined on cosine (spherical k-means)."""
    labels, centroids = _kmeans(z, k, seed)
    if not spherical:
        return centroids
    centroids = _l2(centroids)
    for _ in range(SPHERICAL_ITERATIONS):
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, z)
        empty = np.linalg.norm(sums, axis=1) == 0
        sums[empty] = centroids[empty]  # a centroid that lost its photos stays where it was
        centroids = _l2(sums)
        new = _nearest(z, centroids, "embedding")
        if np.array_equal(new, labels):
            break
        labels = new
    return centroids


def _reorder_by_size(labels: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Centroids reordered so that cluster 0 is the largest (ties by old id: deterministic)."""
    sizes = np.bincount(labels, minlength=len(centroids))
    order = sorted(range(len(centroids)), key=lambda c: (-sizes[c], c))
    return centroids[order]


def _nearest(z: np.ndarray, centroids: np.ndarray, method: str = DEFAULT_METHOD) -> np.ndarray:
    """Nearest centroid: by cosine for the unit-vector methods, by Euclidean distance for raw."""
    out = np.empty(len(z), dtype=np.int64)
    c2 = (centroids * centroids).sum(1)[None, :]
    for start in range(0, len(z), CHUNK):
        block = z[start:start + CHUNK]
        if method == "raw":
            d = (block * block).sum(1)[:, None] - 2.0 * block @ centroids.T + c2
            out[start:start + CHUNK] = np.argmin(d, axis=1)
        else:
            out[start:start + CHUNK] = np.argmax(block @ centroids.T, axis=1)
    return out


def _silhouette(z: np.ndarray, labels: np.ndarray, seed: int) -> float:
    from sklearn.metrics import silhouette_score

    if not 2 <= len(set(labels.tolist())) < len(z):
        return float("nan")
    sample = min(SILHOUETTE_SAMPLE, len(z))
    try:
        return float(silhouette_score(z, labels, sample_size=sample if sample < len(z) else None,
                                      random_state=seed))
    except ValueError:  # the sample drew as many labels as points
        return float("nan")


def _davies_bouldin(z: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import davies_bouldin_score

    if not 2 <= len(set(labels.tolist())) < len(z):
        return float("nan")
    return float(davies_bouldin_score(z, labels))


def _describe(ids: list[str], z: np.ndarray, labels: np.ndarray, centroids: np.ndarray,
              tags_by_id: Mapping[str, Sequence[Tag]] | None, method: str,
              refitted: bool) -> ClusteringResult:
    k = len(centroids)
    described = distinct_names(characteristic_tags(ids, labels, k, tags_by_id or {}))
    clusters = []
    for c in range(k):
        rows = np.flatnonzero(labels == c)
        if len(rows) == 0:
            continue  # an incremental assignment can leave a centroid without photos
        dist = ((z[rows] - centroids[c]) ** 2).sum(axis=1)
        rep = ids[int(rows[np.argmin(dist)])]
        top, name = described[c]
        clusters.append(ClusterInfo(id=c, name=name or f"Cluster {c + 1}", size=len(rows),
                                    representative_id=rep, member_ids=[ids[r] for r in rows],
                                    top_tags=top))
    return ClusteringResult(clusters, _silhouette(z, labels, 0), _davies_bouldin(z, labels), k,
                            {ids[i]: int(labels[i]) for i in range(len(ids))}, method, refitted)


# A second name tag is left out when it marks (nearly) the same photos of the cluster as the
# first: "dog, domestic animal" says no more than "dog".
_REDUNDANT_OVERLAP = 0.8
# ... and when it is much less characteristic than the first (a weak second tag misleads).
_SECOND_TAG_MIN = 0.5


def characteristic_tags(ids: Sequence[str], labels: np.ndarray, k: int,
                        tags_by_id: Mapping[str, Sequence[Tag]]) -> list[tuple[list[tuple[str, float]], str]]:
    """Per cluster: up to ``TOP_TAGS`` (label, score) best first, and a name ("" if no tags).

    score = tf * log(tf / p): tf is the mean confidence of the tag over the cluster's photos,
    p over the whole library. It is high for tags frequent in the cluster and rare elsewhere,
    and zero for a tag spread evenly (like "animal" in a library of animals). The name is the
    best tag, plus up to ``NAME_TAGS - 1`` more that are not redundant with it.
    """
    from scipy import sparse

    n = len(ids)
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, doc_id in enumerate(ids):
        best: dict[str, float] = {}
        for tag in tags_by_id.get(doc_id, ()):
            best[tag.label] = max(best.get(tag.label, 0.0), float(tag.confidence))
        for label, conf in best.items():
            rows.append(i)
            cols.append(vocab.setdefault(label, len(vocab)))
            vals.append(min(max(conf, 0.0), 1.0))
    if n == 0 or not vocab:
        return [([], "") for _ in range(k)]
    # Sparse: a library has thousands of distinct tags but a photo only a few dozen.
    conf = sparse.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)), dtype=np.float64)
    label_of = sorted(vocab, key=vocab.get)
    p = np.asarray(conf.mean(axis=0)).ravel() + 1e-9
    out = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if len(members) == 0:
            out.append(([], ""))
            continue
        sub = conf[members]
        tf = np.asarray(sub.mean(axis=0)).ravel()
        score = tf * np.log(np.maximum(tf, 1e-12) / p)
        order = np.lexsort((np.array(label_of), -score))[:TOP_TAGS]  # ties by label
        order = [j for j in order if score[j] > 0 and math.isfinite(score[j])]
        if not order:  # no tag sets it apart (one cluster holds the whole library): the most common
            score = tf
            order = [j for j in np.lexsort((np.array(label_of), -tf))[:TOP_TAGS] if tf[j] > 0]
        top = [(label_of[j], round(float(score[j]), 4)) for j in order]
        out.append((top, _name(sub, order, score, label_of)))
    return out


def distinct_names(described: list[tuple[list[tuple[str, float]], str]]) -> list[tuple[list[tuple[str, float]], str]]:
    """Clusters that would share a name ("food" and "food") get their first name tag followed by
    their own next characteristic tag, so a gallery never shows two groups under one name."""
    counts: dict[str, int] = {}
    for _, name in described:
        counts[name] = counts.get(name, 0) + 1
    out = []
    for top, name in described:
        if name and counts[name] > 1:
            first = name.split(", ")[0]
            extra = next((label for label, _ in top if label not in name.split(", ")), None)
            name = f"{first}, {extra}" if extra else name
        out.append((top, name))
    return out


def _name(sub, order: list[int], scores: np.ndarray, label_of: list[str]) -> str:
    chosen: list[int] = []
    present = {j: set(sub[:, j].nonzero()[0].tolist()) for j in order}
    for j in order:
        if len(chosen) == NAME_TAGS or (chosen and scores[j] < _SECOND_TAG_MIN * scores[chosen[0]]):
            break
        if all(len(present[j] & present[c]) < _REDUNDANT_OVERLAP * min(len(present[j]), len(present[c]))
               for c in chosen):
            chosen.append(j)
    return ", ".join(label_of[j] for j in chosen)
