"""Near-duplicate groups: the same picture re-encoded, resized, cropped a little, or copied.

Two stages, because neither signal is enough alone:

1. *Candidates* from the classifier embedding (cosine >= ``candidate_similarity``, generous,
   among each photo's nearest neighbours). The embedding survives crops and re-compression,
   but it is about meaning: two different photos of the same kind of thing score as high as a
   photo and its cropped, shrunk, re-compressed copy. Photos without an embedding get
   candidates from the 64-bit DCT hash in their picture signature instead.
2. *Verification* by looks (:mod:`photoapp.core.perceptual`): the best band-pass thumbnail
   correlation over crop alignments. A pair is a near-duplicate when that score is at least
   ``threshold`` (``Settings.duplicate_threshold``).

Exact copies are one document with several paths; each is reported as a group (similarity
1.0), merged with any near-duplicates of it. Groups are connected components of verified
pairs; a group's similarity is its weakest verified link.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .perceptual import PictureSignature, SignatureError, parse_signature, picture_similarities
from .records import DuplicateGroup

# Picture similarity (perceptual.picture_similarity) from which two photos are near-duplicates.
# Measured on 150 originals x 7 edits + 1256 photos (bench/duplicates.py): true pairs >= 0.913
# for crops/re-encodes (0.851 for a 3-degree rotation), different photos <= 0.802.
DEFAULT_THRESHOLD = 0.85
# Cosine similarity of two embeddings above which a pair is worth verifying. The issue measured
# 0.69-0.92 for an 8%/side crop + 60% shrink + JPEG q55 copy; 0.5 leaves room below that.
CANDIDATE_SIMILARITY = 0.5
NEIGHBOURS = 20  # nearest neighbours per photo considered as candidates
# DCT-hash Hamming distance (of 64 bits) for candidates when a photo has no embedding.
DCT_CANDIDATE_BITS = 12
_EXACT_KNN_MAX = 10_000  # above this many photos, approximate kNN (usearch HNSW)
_BLOCK = 1024
_VERIFY_CHUNK = 256  # pairs verified between progress reports

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class VerifiedPair:
    a: int  # row indices into the inputs
    b: int
    embedding_similarity: float  # nan when found through the DCT hash
    picture_similarity: float


def find_duplicates(ids: Sequence[str], embeddings: np.ndarray | None,
                    phashes: Sequence[str | None], paths: Sequence[Sequence[str]],
                    threshold: float = DEFAULT_THRESHOLD, *, candidate_similarity: float = CANDIDATE_SIMILARITY,
                    neighbours: int = NEIGHBOURS,
                    progress: ProgressCallback | None = None) -> list[DuplicateGroup]:
    """Near-duplicate groups among documents given as parallel sequences.

    ``embeddings`` is (n, d), L2-normalised, a zero row where a document has none (or None
    for no embeddings at all); ``phashes`` are picture signatures (None or unparsable: the
    document can only be an exact-copy group). Groups come largest first, then most similar.
    """
    pairs = verified_pairs(ids, embeddings, phashes, threshold,
                           candidate_similarity=candidate_similarity, neighbours=neighbours,
                           progress=progress)
    return group_pairs(ids, paths, pairs)


def verified_pairs(ids: Sequence[str], embeddings: np.ndarray | None,
                   phashes: Sequence[str | None], threshold: float, *,
                   candidate_similarity: float = CANDIDATE_SIMILARITY, neighbours: int = NEIGHBOURS,
                   progress: ProgressCallback | None = None) -> list[VerifiedPair]:
    """Every candidate pair whose picture similarity is at least ``threshold``."""
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"duplicate threshold must be in (0, 1], got {threshold}")
    n = len(ids)
    if len(phashes) != n or (embeddings is not None and len(embeddings) != n):
        raise ValueError("ids, embeddings and phashes must be parallel")
    signatures = [_signature_or_none(p) for p in phashes]
    candidates: dict[tuple[int, int], float] = {}
    if embeddings is not None and n > 1:
        for a, b, sim in embedding_candidates(np.asarray(embeddings, dtype=np.float32),
                                              candidate_similarity, neighbours):
            candidates[(a, b)] = sim
    has_embedding = _has_embedding(embeddings, n)
    for a, b in dct_candidates(signatures, ~has_embedding):
        candidates.setdefault((a, b), float("nan"))

    ordered = [(a, b, sim) for (a, b), sim in sorted(candidates.items())
               if signatures[a] is not None and signatures[b] is not None
               and signatures[a].grid == signatures[b].grid]
    out: list[VerifiedPair] = []
    for start in range(0, len(ordered), _VERIFY_CHUNK):
        chunk = ordered[start:start + _VERIFY_CHUNK]
        scores = picture_similarities([signatures[a] for a, _, _ in chunk],
                                      [signatures[b] for _, b, _ in chunk], at_least=threshold)
        out.extend(VerifiedPair(a, b, sim, float(score))
                   for (a, b, sim), score in zip(chunk, scores) if score >= threshold)
        if progress is not None:
            progress(min(start + _VERIFY_CHUNK, len(ordered)), len(ordered))
    return out


def group_pairs(ids: Sequence[str], paths: Sequence[Sequence[str]],
                pairs: Sequence[VerifiedPair]) -> list[DuplicateGroup]:
    """Connected components of verified pairs, plus documents that have several paths."""
    n = len(ids)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    weakest: dict[int, float] = {}
    for p in pairs:
        ra, rb = find(p.a), find(p.b)
        link = min(p.picture_similarity, weakest.get(ra, 1.0), weakest.get(rb, 1.0))
        if ra != rb:
            parent[rb] = ra
            weakest.pop(rb, None)
        weakest[ra] = link
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(find(i), []).append(i)
    groups = []
    for root, rows in members.items():
        all_paths = [pth for r in rows for pth in sorted(paths[r])]
        if len(rows) < 2 and len(all_paths) < 2:
            continue
        groups.append(DuplicateGroup(ids=[ids[r] for r in rows], paths=all_paths,
                                     similarity=round(weakest.get(root, 1.0), 4)))
    groups.sort(key=lambda g: (-len(g.paths), -g.similarity, g.paths[0]))
    return groups


def duplicates_from_backend(backend, threshold: float, *, progress: ProgressCallback | None = None,
                            **options) -> list[DuplicateGroup]:
    """:func:`find_duplicates` over every document of an ``IndexBackend``."""
    ids, vectors, phashes, paths = [], [], [], []
    for doc in backend.iter_documents():
        ids.append(doc.id)
        vectors.append(doc.embedding)
        phashes.append(doc.phash)
        paths.append(list(doc.paths))
    dim = next((len(v) for v in vectors if v is not None), 0)
    embeddings = None
    if dim:
        embeddings = np.zeros((len(ids), dim), dtype=np.float32)
        for i, v in enumerate(vectors):
            if v is not None and len(v) == dim:
                embeddings[i] = v
    return find_duplicates(ids, embeddings, phashes, paths, threshold, progress=progress, **options)


# --- candidates -------------------------------------------------------------------------------

def embedding_candidates(embeddings: np.ndarray, min_similarity: float,
                         neighbours: int) -> list[tuple[int, int, float]]:
    """(a, b, cosine) with a < b for each photo's ``neighbours`` nearest photos above
    ``min_similarity``. Exact blocked search up to 10k photos, usearch HNSW above."""
    n = len(embeddings)
    k = min(neighbours, n - 1)
    if k < 1:
        return []
    norms = np.linalg.norm(embeddings, axis=1)
    valid = norms > 1e-6
    x = np.where(valid[:, None], embeddings / np.maximum(norms, 1e-12)[:, None], 0.0).astype(np.float32)
    if n <= _EXACT_KNN_MAX:
        nbr, sims = _exact_knn(x, k)
    else:
        nbr, sims = _approximate_knn(x, valid, k)
    found: dict[tuple[int, int], float] = {}
    for a in np.flatnonzero(valid):
        for b, s in zip(nbr[a], sims[a]):
            b = int(b)
            if b < 0 or b == a or not valid[b] or s < min_similarity:
                continue
            key = (min(a, b), max(a, b))
            found[key] = max(found.get(key, -1.0), float(s))
    return [(a, b, s) for (a, b), s in sorted(found.items())]


def _exact_knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(x)
    nbr = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        block = x[start:start + _BLOCK] @ x.T
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = -np.inf  # not your own neighbour
        top = np.argpartition(-block, k - 1, axis=1)[:, :k] if k < n else np.argsort(-block, axis=1)[:, :k]
        nbr[start:start + len(block)] = top
        sims[start:start + len(block)] = np.take_along_axis(block, top, axis=1)
    return nbr, sims


def _approximate_knn(x: np.ndarray, valid: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    from .index.embedded.ann import Index

    index = Index(ndim=x.shape[1], metric="cos", dtype="f32")
    keys = np.flatnonzero(valid).astype(np.uint64)
    index.add(keys, x[valid])
    matches = index.search(x, k + 1)
    nbr = np.where(np.isfinite(matches.distances), matches.keys.astype(np.int64), -1)
    return nbr, (1.0 - matches.distances).astype(np.float32)


def dct_candidates(signatures: Sequence[PictureSignature | None],
                   query_rows: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (a, b), a < b, where a query row's DCT hash is within ``DCT_CANDIDATE_BITS`` of
    another signature's. Used for photos without an embedding (models missing or failed)."""
    rows = [i for i, s in enumerate(signatures) if s is not None]
    queries = [i for i in rows if query_rows[i]]
    if not queries or len(rows) < 2:
        return []
    hashes = np.array([signatures[i].dct_hash for i in rows], dtype=np.uint64)
    rows_arr = np.array(rows)
    out = set()
    for q in queries:
        dist = _popcount(hashes ^ np.uint64(signatures[q].dct_hash))
        for b in rows_arr[dist <= DCT_CANDIDATE_BITS]:
            if b != q:
                out.add((min(q, int(b)), max(q, int(b))))
    return sorted(out)


_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per uint64 (np.bitwise_count needs numpy 2; we support 1.26)."""
    return _BYTE_BITS[words.view(np.uint8).reshape(-1, 8)].sum(axis=1)


def _has_embedding(embeddings: np.ndarray | None, n: int) -> np.ndarray:
    if embeddings is None:
        return np.zeros(n, dtype=bool)
    return np.linalg.norm(np.asarray(embeddings, dtype=np.float32), axis=1) > 1e-6


def _signature_or_none(phash: str | None) -> PictureSignature | None:
    if not phash:
        return None
    try:
        return parse_signature(phash)
    except SignatureError:
        return None  # written by an older or newer version: only exact copies for this one
