"""Re-ranking of similar-photo candidates: one rule, applied in the core on top of whatever
candidates the index backend returns (embedded or Elasticsearch alike).

Raw cosine on the tagger's pooled embedding ranks "photos like this one" only so well: the
embedding is a non-negative average of activations, dominated by a few bursty channels and by
what every photo has in common. What image retrieval learned to do about it, measured in
photoapp/bench/similar.py (results in bench/results/similar.md), and chosen there:

1. Power normalisation (square root of each component) and centring: damps bursty channels and
   removes the direction every photo shares, so the score says what *this* neighbourhood has in
   common. The centre is the mean of the candidates themselves: no library-wide state to keep up
   to date when photos arrive, and it works the same for an outside image.
2. Database-side augmentation (DBA, ``dba_k``) on the candidates' own neighbourhood graph: each
   candidate becomes the weighted mean of itself and its nearest candidates. Only the query's top
   candidates are needed, so nothing would be stored or recomputed when photos arrive; measured
   on top of 1 and 3 it added nothing (bench/results/similar.md), so it is off by default.
3. Alpha query expansion (alpha-QE): the query becomes the weighted mean of itself and its best
   augmented candidates (weights cos^alpha, so only confident neighbours count).

The score returned is the cosine between the expanded query and each augmented candidate, around
0 for a photo no closer than the neighbourhood's average; the same picture (raw cosine >=
SAME_PICTURE: a copy, re-encoded or resized) keeps its raw cosine, ~1. That is the
scale ``min_score`` cuts on (DEFAULT_MIN_SCORE, chosen from measurement).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import similar_cutoff
from .records import SearchHit

# How many of the backend's nearest neighbours are re-ranked: the top results are drawn from
# them. More costs a little (a 100x100 similarity matrix is nothing; fetching vectors is the
# cost) and measured no better.
CANDIDATES = 100
# Below this many candidates their mean is not a neighbourhood's centre but nearly the photos
# themselves: centring would erase what they share with the query.
MIN_CENTRED = 12
# Raw cosine from which a candidate is the same picture (a copy, re-encoded, resized): it keeps
# that score, so a copy of the query stays first at ~1 whatever its neighbourhood says.
SAME_PICTURE = 0.95
# Default relevance cutoff of the CLI and the GUI slider (bench/results/similar.md).
DEFAULT_MIN_SCORE = similar_cutoff.DEFAULT_MIN_SCORE


@dataclass(frozen=True)
class RerankSettings:
    power: float = 0.5      # power normalisation exponent (0.5 = square root)
    centre: bool = True     # subtract the candidates' mean
    dba_k: int = 0          # neighbours averaged into each candidate (0: no DBA; 3 measured
                            # no better on top of centring and alpha-QE, so it is off)
    qe_n: int = 3           # augmented candidates averaged into the query (0: no expansion)
    alpha: float = 1.0      # weight = max(cos, 0) ** alpha (1 measured better than 3)


DEFAULT = RerankSettings()
RAW = RerankSettings(power=1.0, centre=False, dba_k=0, qe_n=0)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def rerank_scores(query: np.ndarray, candidates: np.ndarray,
                  settings: RerankSettings = DEFAULT) -> np.ndarray:
    """New scores for ``candidates`` (n x d stored embeddings, best first by cosine) against
    ``query`` (d). Only the first CANDIDATES shape the centre and the expansion."""
    candidates = np.asarray(candidates, dtype=np.float32).reshape(-1, np.size(query))
    if len(candidates) == 0:
        return np.zeros(0, np.float32)
    nodes = np.vstack([np.asarray(query, dtype=np.float32).reshape(1, -1), candidates])
    if settings.power != 1.0:  # stored embeddings are non-negative (pooled activations)
        nodes = np.sign(nodes) * np.abs(nodes) ** settings.power
    if settings.centre and len(candidates) >= MIN_CENTRED:
        # The first CANDIDATES (the backend gives them best first) define the centre, so a caller
        # asking for more results (the GUI's 200) scores the shared ones exactly as the CLI does.
        nodes = nodes - nodes[1:1 + CANDIDATES].mean(axis=0)
    nodes = _unit(nodes)
    if settings.dba_k:
        nodes = _augment(nodes, min(settings.dba_k, len(nodes) - 1), settings.alpha)
    q, cands = nodes[0], nodes[1:]
    if settings.qe_n:
        sims = cands[:CANDIDATES] @ q
        n = min(settings.qe_n, len(sims))
        best = np.argpartition(-sims, n - 1)[:n]
        weights = np.maximum(sims[best], 0.0) ** settings.alpha
        q = _unit(q + weights @ cands[:CANDIDATES][best])
    scores = cands @ q
    raw = candidates @ np.asarray(query, dtype=np.float32).ravel() / max(float(np.linalg.norm(query)), 1e-12)
    raw = raw / np.maximum(np.linalg.norm(candidates, axis=1), 1e-12)
    scores = np.where(raw >= SAME_PICTURE, np.maximum(scores, raw), scores)
    return np.clip(scores, -1.0, 1.0).astype(np.float32)


def _augment(nodes: np.ndarray, k: int, alpha: float) -> np.ndarray:
    """DBA: each node becomes the cos^alpha-weighted mean of itself and its k nearest nodes."""
    gram = nodes @ nodes.T
    np.fill_diagonal(gram, 1.0)  # itself first, with full weight
    nearest = np.argpartition(-gram, k, axis=1)[:, :k + 1]
    weights = np.maximum(np.take_along_axis(gram, nearest, axis=1), 0.0) ** alpha
    return _unit(np.einsum("nk,nkd->nd", weights, nodes[nearest]))


def rerank_hits(query: np.ndarray, hits: Sequence[SearchHit],
                vectors: Callable[[list[str]], dict[str, np.ndarray]], limit: int,
                min_score: float | None = None,
                settings: RerankSettings = DEFAULT) -> list[SearchHit]:
    """The backend's candidate ``hits`` re-scored and re-ordered, best first, cut at
    ``min_score`` and ``limit``. ``vectors(ids)`` gives the stored embeddings; a hit whose
    vector is gone (deleted meanwhile) is dropped."""
    if not hits:
        return []
    stored = vectors([h.id for h in hits])
    kept = [h for h in hits if h.id in stored]
    if not kept:
        return []
    scores = rerank_scores(query, np.stack([stored[h.id] for h in kept]), settings)
    order = sorted(range(len(kept)), key=lambda i: (-float(scores[i]), kept[i].id))
    out = [replace(kept[i], score=float(scores[i])) for i in order
           if min_score is None or scores[i] >= min_score]
    return out[:max(limit, 0)]
