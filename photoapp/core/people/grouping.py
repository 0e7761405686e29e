"""Grouping faces into people: the pure algorithm (numpy in, ids out; no storage).

Faces arrive in batches (each refresh after indexing). A batch is grouped in two steps:

1. *Join*: each new face is compared with every known person's centroid (the normalised mean
   of the person's face descriptors); it joins the most similar person when that similarity is
   at least ``JOIN_SIMILARITY``, unless the user removed it from that person before.
2. *New people*: the faces that joined nobody are clustered among themselves by average-linkage
   agglomerative clustering on cosine similarity, cut at ``LINK_SIMILARITY``; each cluster, a
   single face included, is a new person ("seen once" is a person too).

Then ``merges`` finds people the batch brought close: two people whose centroids are at least
``MERGE_SIMILARITY`` alike become one (never two named people, never a person a member face was
removed from). Average linkage, not single linkage: one blurry face that resembles two people
cannot chain them together. Precision over recall: merging two people is worse for the user than
splitting one (a split is one click to merge; a merge must be taken apart face by face), so the
thresholds sit where the benchmark (bench/people.py) sees no wrong merge.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Cosine similarity thresholds for L2-normalised 128-d dlib descriptors, calibrated on
# faces-smoke (bench/people.py -> bench/results/people.md; a smoke set: few people). dlib
# descriptors all share a large common part: two different people are ~0.84 alike on average
# and up to 0.91 there, one person's faces 0.94 to 0.99; the cut sits in that gap, towards
# precision. The merge cut compares two people's centroids (means are closer than single faces).
JOIN_SIMILARITY = 0.93
LINK_SIMILARITY = 0.93
MERGE_SIMILARITY = 0.95
BATCH_LIMIT = 2000  # faces clustered together at most (average linkage is O(n^2) in memory)


@dataclass(frozen=True)
class Thresholds:
    join: float = JOIN_SIMILARITY
    link: float = LINK_SIMILARITY
    merge: float = MERGE_SIMILARITY


@dataclass
class Grouping:
    """The result for one batch: ``joined[i]`` is the known person face i joined (None: it
    joined nobody) and ``new_groups`` lists the indices of the faces that form each new person."""

    joined: list[int | None]
    new_groups: list[list[int]] = field(default_factory=list)


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def group_batch(faces: np.ndarray, person_ids: list[int], centroids: np.ndarray,
                rejected: list[frozenset[int]] | None = None,
                thresholds: Thresholds = Thresholds()) -> Grouping:
    """Group a batch of new face descriptors ``faces`` (n x d) against known people
    (``person_ids`` with their ``centroids``, m x d). ``rejected[i]``: people face i must not
    join (the user removed it from them)."""
    n = len(faces)
    if n == 0:
        return Grouping([])
    faces = normalise(faces)
    rejected = rejected or [frozenset()] * n
    joined: list[int | None] = [None] * n
    if len(person_ids):
        sims = faces @ normalise(centroids).T
        for i in range(n):
            for j in rejected[i]:
                if j in person_ids:
                    sims[i, person_ids.index(j)] = -2.0
        best = sims.argmax(axis=1)
        for i in range(n):
            if sims[i, best[i]] >= thresholds.join:
                joined[i] = person_ids[int(best[i])]
    rest = [i for i in range(n) if joined[i] is None]
    groups = [[rest[k] for k in cluster] for cluster in cluster_faces(faces[rest], thresholds.link)]
    return Grouping(joined, groups)


def cluster_faces(faces: np.ndarray, link_similarity: float) -> list[list[int]]:
    """Average-linkage clusters of normalised ``faces`` whose members are, on average, at least
    ``link_similarity`` alike; every face is in exactly one cluster (singletons included).
    Clusters come in order of their first face."""
    n = len(faces)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    labels: list[int] = []
    offset = 0
    for start in range(0, n, BATCH_LIMIT):  # big first batches: cluster in slices
        chunk = faces[start:start + BATCH_LIMIT]
        if len(chunk) == 1:
            labels.append(offset)
            offset += 1
            continue
        dist = np.clip(pdist(chunk.astype(np.float64), "cosine"), 0.0, 2.0)
        tree = linkage(dist, method="average")
        cut = fcluster(tree, t=1.0 - link_similarity, criterion="distance")
        labels.extend(int(c) + offset for c in cut)
        offset += int(cut.max()) + 1
    order: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        order.setdefault(label, []).append(i)
    return list(order.values())


def merges(person_ids: list[int], centroids: np.ndarray, named: set[int], touched: set[int],
           forbidden: set[frozenset[int]] = frozenset(), threshold: float = MERGE_SIMILARITY
           ) -> list[tuple[int, int]]:
    """Pairs (keep, absorbed) of people to merge: a person in ``touched`` (changed by this
    batch) and any other whose centroids are at least ``threshold`` alike, most alike first.
    Never two named people, never a pair in ``forbidden``; a named person is the one kept,
    else the older (smaller id). Each person takes part in one merge per call (centroids move
    after a merge: the next refresh looks again)."""
    if len(person_ids) < 2 or not touched:
        return []
    c = normalise(centroids)
    index = {p: i for i, p in enumerate(person_ids)}
    rows = [index[p] for p in touched if p in index]
    if not rows:
        return []
    sims = c[rows] @ c.T
    pairs = []
    for r, i in enumerate(rows):
        for j in np.nonzero(sims[r] >= threshold)[0]:
            if j != i:
                pairs.append((float(sims[r, j]), person_ids[i], person_ids[int(j)]))
    pairs.sort(reverse=True)
    used: set[int] = set()
    out = []
    for _, a, b in pairs:
        if a in used or b in used or (a in named and b in named) or frozenset((a, b)) in forbidden:
            continue
        keep, gone = (a, b) if (a in named or (b not in named and a < b)) else (b, a)
        out.append((keep, gone))
        used.update((a, b))
    return out
