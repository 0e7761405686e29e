"""Duplicate groups in three tiers: exact copies, the same photo, the same scene.

- **exact**: the same bytes (one document with several paths), or different files whose
  decoded pixels are identical (EXIF stripped or rewritten, a lossless re-save).
- **photo**: the same shot re-encoded, resized, cropped a little, slightly rotated, made
  grayscale or brighter: one transform maps one onto the other and, aligned, they differ only
  by compression noise.
- **scene**: burst or bracketing shots a moment apart with nearly the same framing: one
  transform explains the background, but something in the frame moved or changed.

Each pair goes through cheap stages first, so the expensive ones see few pairs:

1. *Candidates* from the classifier embedding (cosine >= ``candidate_similarity`` among each
   photo's nearest neighbours, the vector index as for similar photos), the 64-bit DCT hash for
   photos without an embedding, and capture times (same camera, seconds apart).
2. *Screen* by the picture signature (:mod:`photoapp.core.perceptual`): the whole-frame
   thumbnail correlation over crop alignments must reach ``SCENE_SCREEN``.
3. *Verification* with local features (:mod:`photoapp.core.local_match`, ORB + RANSAC on the
   decoded files): how many matches one similarity transform explains, and how the pictures
   differ once aligned. Embedding and signature alone are not enough: two different motorbikes
   on one white backdrop score 0.86 on the signature; they share a handful of local matches.
4. *Capture time and camera*: two shots taken seconds apart by one camera are a scene, never
   "the same photo"; shots hours apart are neither.

Groups are connected components of verified pairs; a group's tier is the loosest relation its
members need to be connected (Kruskal by tier), its similarity the weakest signature link.
Thresholds are measured in ``photoapp/bench/duplicates.py`` (results/duplicates.md).
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PIL import Image

from .errors import ConfigError
from .local_match import NO_MATCH, WORK_SIDE, LocalFeatures, LocalMatch, features_of, match, match_dense
from .perceptual import (PictureSignature, SignatureError, best_alignment, parse_signature,
                         picture_similarities)
from .records import DuplicateGroup

log = logging.getLogger(__name__)

TIERS = ("exact", "photo", "scene")  # tightest first
_TIER_RANK = {t: i for i, t in enumerate(TIERS)}

# Signature similarity (perceptual.picture_similarity) a pair needs to be a "same photo"
# candidate (Settings.duplicate_threshold; the CLI's --threshold). True copies measured
# >= 0.85 (a 3-degree rotation is the lowest); the local check then rejects look-alikes.
DEFAULT_THRESHOLD = 0.85
# ... and to be checked as the same scene: frames of a video (faces-smoke/franck, the subject
# turning its head) measured 0.60-0.99, and the local check rejected the one pair below 0.70.
SCENE_SCREEN = 0.70
# ... or when one camera took both within SCENE_MAX_SECONDS (bracketing changes the exposure).
TIME_SCREEN = 0.40
# Cosine similarity of two embeddings above which a pair is worth verifying. The issue measured
# 0.69-0.92 for an 8%/side crop + 60% shrink + JPEG q55 copy; 0.5 leaves room below that.
CANDIDATE_SIMILARITY = 0.5
NEIGHBOURS = 20  # nearest neighbours per photo considered as candidates
# DCT-hash Hamming distance (of 64 bits) for candidates when a photo has no embedding.
DCT_CANDIDATE_BITS = 12

# --- local verification (local_match.LocalMatch), measured in bench/duplicates.py -----------
# Same photo, by keypoints: many matches one transform explains, and aligned the pictures agree
# everywhere (true copies: ratio >= 0.89, worst block <= 0.21; redrawn symbols ratio <= 0.36; a
# video frame 2 s later: worst block 0.40).
PHOTO_MIN_INLIERS = 15
PHOTO_MIN_INLIER_RATIO = 0.5
PHOTO_MIN_ALIGNED_NCC = 0.97
PHOTO_MAX_RESIDUAL = 0.30
PHOTO_MIN_AGREEING = 0.95
PHOTO_MAX_ROTATION_DEG = 10.0
# Same photo, by dense alignment (clip-art, flat products: too few keypoints to fit), compared on
# local_match.DENSE_GRID. 12 clip-art symbols x 5 edits (crop + shrink + q55, 3-degree rotation,
# uneven crop, grayscale, q55): NCC >= 0.9943, worst block <= 0.225, agreeing >= 0.97; the 90
# pairs of different drawings of one symbol: the closest worst block 0.264 (NCC 0.9954), the rest
# >= 0.76. (On a 96-cell grid one redrawn pair fell inside the copies' range.)
DENSE_MIN_ALIGNED_NCC = 0.994
DENSE_MAX_RESIDUAL = 0.245
DENSE_MIN_AGREEING = 0.95
# Same scene: one transform still explains much of the picture, framing nearly the same, and both
# are photographs unless the capture times say burst. A photograph has texture in many blocks
# (local_match.texture_share: redrawn symbols and objects on a white backdrop share an outline too,
# measured <= 0.43; the franck video frames 0.49-0.61, imagenet photos mostly > 0.6) and few
# perfectly flat ones (local_match.flat_share, which zooming in on a drawing does not fool: zoomed
# clip-art copies reached texture 0.56 but stayed >= 0.65 flat; franck frames <= 0.55; 250
# imagenet/coco photos: median 0.03, 95th percentile 0.32).
SCENE_MIN_INLIERS = 12
SCENE_MIN_INLIER_RATIO = 0.15
SCENE_SCALE_RANGE = (0.75, 1.33)
SCENE_MAX_ROTATION_DEG = 15.0
SCENE_MIN_OVERLAP = 0.5
SCENE_MIN_TEXTURED = 0.47
SCENE_MAX_FLAT = 0.60
# Capture times (both known): farther apart than this is not a burst / bracketing series ...
SCENE_MAX_SECONDS = 30.0
# ... and a copy of one shot keeps its time: shots this far apart are never "the same photo".
PHOTO_MAX_SECONDS = 1.0

_EXACT_KNN_MAX = 10_000  # above this many photos, approximate kNN (usearch HNSW)
_BLOCK = 1024
_VERIFY_CHUNK = 256  # pairs screened between progress reports
_FEATURE_CACHE = 384  # decoded pictures' local features kept while verifying (~240 kB each)

ProgressCallback = Callable[[int, int], None]
# (row, min_size) -> the picture, upright (None: cannot be read). min_size as decode_file's:
# both sides at least that (None: full resolution, for the pixel-identity check).
PictureLoader = Callable[[int, "int | None"], "Image.Image | None"]


@dataclass(frozen=True)
class PhotoFacts:
    """What the tiers compare besides pixels."""

    width: int = 0
    height: int = 0
    taken_at: datetime | None = None
    camera: str = ""  # make + model, lowercase; "" when unknown


@dataclass(frozen=True)
class VerifiedPair:
    a: int  # row indices into the inputs
    b: int
    tier: str
    embedding_similarity: float  # nan when found through the DCT hash or capture time
    picture_similarity: float
    local: LocalMatch = NO_MATCH


def find_duplicates(ids: Sequence[str], embeddings: np.ndarray | None,
                    phashes: Sequence[str | None], paths: Sequence[Sequence[str]],
                    threshold: float = DEFAULT_THRESHOLD, *, facts: Sequence[PhotoFacts] | None = None,
                    load_picture: PictureLoader | None = None,
                    candidate_similarity: float = CANDIDATE_SIMILARITY, neighbours: int = NEIGHBOURS,
                    progress: ProgressCallback | None = None) -> list[DuplicateGroup]:
    """Duplicate groups, each with its tier, among documents given as parallel sequences.

    ``embeddings`` is (n, d), L2-normalised, a zero row where a document has none (or None
    for no embeddings at all); ``phashes`` are picture signatures (None or unparsable: the
    document can only be an exact-copy group); ``facts`` sizes, capture times and cameras;
    ``load_picture`` decodes a document (None, or a picture it cannot load: only exact copies).
    Groups come tightest tier first, then largest, then most similar.
    """
    pairs = verified_pairs(ids, embeddings, phashes, threshold, facts=facts, load_picture=load_picture,
                           candidate_similarity=candidate_similarity, neighbours=neighbours,
                           progress=progress)
    return group_pairs(ids, paths, pairs)


def verified_pairs(ids: Sequence[str], embeddings: np.ndarray | None,
                   phashes: Sequence[str | None], threshold: float = DEFAULT_THRESHOLD, *,
                   facts: Sequence[PhotoFacts] | None = None, load_picture: PictureLoader | None = None,
                   candidate_similarity: float = CANDIDATE_SIMILARITY, neighbours: int = NEIGHBOURS,
                   progress: ProgressCallback | None = None) -> list[VerifiedPair]:
    """Every candidate pair that is the same picture, the same photo or the same scene."""
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"duplicate threshold must be in (0, 1], got {threshold}")
    n = len(ids)
    if len(phashes) != n or (embeddings is not None and len(embeddings) != n) or (
            facts is not None and len(facts) != n):
        raise ValueError("ids, embeddings, phashes and facts must be parallel")
    facts = list(facts) if facts is not None else [PhotoFacts()] * n
    signatures = [_signature_or_none(p) for p in phashes]
    candidates: dict[tuple[int, int], float] = {}
    if embeddings is not None and n > 1:
        for a, b, sim in embedding_candidates(np.asarray(embeddings, dtype=np.float32),
                                              candidate_similarity, neighbours):
            candidates[(a, b)] = sim
    has_embedding = _has_embedding(embeddings, n)
    for a, b in dct_candidates(signatures, ~has_embedding):
        candidates.setdefault((a, b), float("nan"))
    close_in_time = set(time_candidates(facts))
    for a, b in close_in_time:
        candidates.setdefault((a, b), float("nan"))

    ordered = [(a, b, sim) for (a, b), sim in sorted(candidates.items())
               if signatures[a] is not None and signatures[b] is not None
               and signatures[a].grid == signatures[b].grid]
    screen = min(threshold, SCENE_SCREEN)
    screened: list[tuple[int, int, float, float]] = []
    for start in range(0, len(ordered), _VERIFY_CHUNK):
        chunk = ordered[start:start + _VERIFY_CHUNK]
        # ``at_least`` skips the costly refinement where it cannot change the verdict: at the
        # screen for most pairs, lower only for the few shots taken seconds apart.
        passed = []
        for bar, part in ((screen, [c for c in chunk if (c[0], c[1]) not in close_in_time]),
                          (TIME_SCREEN, [c for c in chunk if (c[0], c[1]) in close_in_time])):
            if part:
                scores = picture_similarities([signatures[a] for a, _, _ in part],
                                              [signatures[b] for _, b, _ in part], at_least=bar)
                passed.extend(c for c, score in zip(part, scores) if score >= bar)
        # ``at_least`` gave lower bounds above the screen: the tiers compare the full score.
        exact = picture_similarities([signatures[a] for a, _, _ in passed], [signatures[b] for _, b, _ in passed])
        screened.extend((a, b, sim, float(score)) for (a, b, sim), score in zip(passed, exact))
        if progress is not None:
            progress(min(start + _VERIFY_CHUNK, len(ordered)), len(ordered) + len(screened))
    if load_picture is None:
        return []
    pictures = _FeatureCache(load_picture)
    out: list[VerifiedPair] = []
    started = time.monotonic()
    for done, (a, b, sim, score) in enumerate(screened, 1):
        if _same_pixels(load_picture, a, b, facts[a], facts[b], signatures[a], signatures[b]):
            out.append(VerifiedPair(a, b, "exact", sim, 1.0))
            continue
        fa, fb = pictures.get(a), pictures.get(b)
        local = match(fa, fb) if fa is not None and fb is not None else NO_MATCH
        tier = pair_tier(local, score, facts[a], facts[b], threshold)
        if tier != "photo" and score >= threshold and fa is not None and fb is not None:
            # Keypoints could not decide: too few matches (clip-art, a product on white), or a
            # transform fitted to few or misleading ones (a symmetric symbol fits upside down; a
            # shrunk flat picture keeps a third of its matches). Align densely as well.
            dense = match_dense(fa, fb, best_alignment(signatures[a], signatures[b]))
            log.debug("duplicates: %s / %s: dense %s", ids[a], ids[b], dense)
            if pair_tier(dense, score, facts[a], facts[b], threshold) == "photo":
                tier, local = "photo", dense
        log.debug("duplicates: %s / %s: signature %.3f, %s -> %s", ids[a], ids[b], score, local, tier)
        if tier is not None:
            out.append(VerifiedPair(a, b, tier, sim, score, local))
        if progress is not None and done % 16 == 0:
            progress(len(ordered) + done, len(ordered) + len(screened))
    log.debug("duplicates: %d candidates, %d screened, %d verified in %.1f s", len(ordered), len(screened),
              len(out), time.monotonic() - started)
    return out


def pair_tier(local: LocalMatch, picture_similarity: float, fa: PhotoFacts, fb: PhotoFacts,
              threshold: float = DEFAULT_THRESHOLD) -> str | None:
    """"photo", "scene" or None (not duplicates) for one verified pair (see the module doc)."""
    seconds = _seconds_apart(fa, fb)
    if seconds is not None and seconds > SCENE_MAX_SECONDS:
        return None  # the same view, minutes or hours apart: neither a copy nor a burst
    same_time = seconds is None or seconds <= PHOTO_MAX_SECONDS
    if local.method == "dense":
        if (same_time and picture_similarity >= threshold and local.aligned_ncc >= DENSE_MIN_ALIGNED_NCC
                and local.worst_block <= DENSE_MAX_RESIDUAL and local.agreeing >= DENSE_MIN_AGREEING
                and abs(local.rotation_deg) <= PHOTO_MAX_ROTATION_DEG):
            return "photo"
        return None
    if (same_time and picture_similarity >= threshold and local.inliers >= PHOTO_MIN_INLIERS
            and local.inlier_ratio >= PHOTO_MIN_INLIER_RATIO and local.aligned_ncc >= PHOTO_MIN_ALIGNED_NCC
            and local.worst_block <= PHOTO_MAX_RESIDUAL and local.agreeing >= PHOTO_MIN_AGREEING
            and abs(local.rotation_deg) <= PHOTO_MAX_ROTATION_DEG):
        return "photo"
    lo, hi = SCENE_SCALE_RANGE
    burst = seconds is not None and bool(fa.camera) and fa.camera == fb.camera
    if (local.inliers >= SCENE_MIN_INLIERS and local.inlier_ratio >= SCENE_MIN_INLIER_RATIO
            and lo <= local.scale <= hi and abs(local.rotation_deg) <= SCENE_MAX_ROTATION_DEG
            and local.overlap >= SCENE_MIN_OVERLAP and (not fa.camera or not fb.camera or fa.camera == fb.camera)
            and (burst or (local.textured >= SCENE_MIN_TEXTURED and local.flat <= SCENE_MAX_FLAT))):
        return "scene"
    return None


def _seconds_apart(fa: PhotoFacts, fb: PhotoFacts) -> float | None:
    if fa.taken_at is None or fb.taken_at is None:
        return None
    try:
        return abs((fa.taken_at - fb.taken_at).total_seconds())
    except TypeError:  # one aware, one naive
        return abs((fa.taken_at.replace(tzinfo=None) - fb.taken_at.replace(tzinfo=None)).total_seconds())


def _same_pixels(load_picture: PictureLoader, a: int, b: int, fa: PhotoFacts, fb: PhotoFacts,
                 sa: PictureSignature, sb: PictureSignature) -> bool:
    """Decoded pixels identical: checked only where the signatures are identical and the sizes
    agree, so it costs two full decodes only for real candidates."""
    if not fa.width or (fa.width, fa.height) != (fb.width, fb.height):
        return False
    if sa.dct_hash != sb.dct_hash or not np.array_equal(sa.thumbnail, sb.thumbnail):
        return False
    try:
        pa, pb = load_picture(a, None), load_picture(b, None)
    except Exception as exc:  # noqa: BLE001 - unreadable now: not provably identical
        log.info("duplicates: cannot compare rows %d, %d: %s", a, b, exc)
        return False
    if pa is None or pb is None or pa.size != pb.size:
        return False
    return np.array_equal(np.asarray(pa.convert("RGB")), np.asarray(pb.convert("RGB")))


class _FeatureCache:
    """Local features of decoded pictures, the most recently used few kept (pairs come sorted
    by their first row, so each first picture is decoded once)."""

    def __init__(self, load_picture: PictureLoader):
        self.load_picture = load_picture
        self.items: OrderedDict[int, LocalFeatures | None] = OrderedDict()

    def get(self, row: int) -> LocalFeatures | None:
        if row in self.items:
            self.items.move_to_end(row)
            return self.items[row]
        try:
            picture = self.load_picture(row, WORK_SIDE * 3 // 4)
            features = features_of(picture) if picture is not None else None
        except Exception as exc:  # noqa: BLE001 - a file that cannot be read now is skipped, not fatal
            log.info("duplicates: cannot compare row %d: %s", row, exc)
            features = None
        self.items[row] = features
        if len(self.items) > _FEATURE_CACHE:
            self.items.popitem(last=False)
        return features


def group_pairs(ids: Sequence[str], paths: Sequence[Sequence[str]],
                pairs: Sequence[VerifiedPair]) -> list[DuplicateGroup]:
    """Connected components of verified pairs, plus documents that have several paths. Links
    are added tightest tier first, so a group's tier is the loosest one it needs."""
    n = len(ids)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    weakest: dict[int, float] = {}
    tier_of: dict[int, int] = {}
    for p in sorted(pairs, key=lambda p: (_TIER_RANK[p.tier], -p.picture_similarity)):
        ra, rb = find(p.a), find(p.b)
        rank = _TIER_RANK[p.tier]
        if ra == rb:  # already connected as tightly: only the weakest similarity may change
            weakest[ra] = min(weakest.get(ra, 1.0), p.picture_similarity)
            continue
        parent[rb] = ra
        weakest[ra] = min(p.picture_similarity, weakest.get(ra, 1.0), weakest.pop(rb, 1.0))
        tier_of[ra] = max(rank, tier_of.get(ra, 0), tier_of.pop(rb, 0))
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(find(i), []).append(i)
    groups = []
    for root, rows in members.items():
        all_paths = [pth for r in rows for pth in sorted(paths[r])]
        if len(rows) < 2 and len(all_paths) < 2:
            continue
        tier = TIERS[tier_of.get(root, 0)]
        groups.append(DuplicateGroup(ids=[ids[r] for r in rows], paths=all_paths,
                                     similarity=round(weakest.get(root, 1.0), 4), tier=tier))
    groups.sort(key=lambda g: (_TIER_RANK[g.tier], -len(g.paths), -g.similarity, g.paths[0]))
    return groups


def duplicates_from_backend(backend, threshold: float, *, progress: ProgressCallback | None = None,
                            **options) -> list[DuplicateGroup]:
    """:func:`find_duplicates` over every document of an ``IndexBackend``, comparing the files
    themselves (read only) where the tiers need pixels."""
    ids, vectors, phashes, paths, facts = [], [], [], [], []
    for doc in backend.iter_documents():
        ids.append(doc.id)
        vectors.append(doc.embedding)
        phashes.append(doc.phash)
        paths.append(list(doc.paths))
        camera = " ".join(x for x in (doc.camera_make, doc.camera_model) if x).strip().lower()
        # A date read from the file's modification time is when it was copied, not taken.
        taken = None if getattr(doc, "taken_at_source", None) == "filetime" else doc.taken_at
        facts.append(PhotoFacts(doc.width, doc.height, taken, camera))
    dim = next((len(v) for v in vectors if v is not None), 0)
    embeddings = None
    if dim:
        embeddings = np.zeros((len(ids), dim), dtype=np.float32)
        for i, v in enumerate(vectors):
            if v is not None and len(v) == dim:
                embeddings[i] = v
    options.setdefault("load_picture", file_loader(paths))
    return find_duplicates(ids, embeddings, phashes, paths, threshold, facts=facts, progress=progress,
                           **options)


def file_loader(paths: Sequence[Sequence[str]]) -> PictureLoader:
    """Decode a document from the first of its paths that can be read (orientation applied)."""
    from .decode import decode_file
    from .errors import DecodeError

    def load(row: int, min_size: int | None) -> Image.Image | None:
        for path in sorted(paths[row]):
            try:
                return decode_file(path, min_size).image
            except (DecodeError, OSError):
                continue
        return None

    return load


def time_candidates(facts: Sequence[PhotoFacts]) -> list[tuple[int, int]]:
    """Pairs (a, b), a < b, taken by the same camera within ``SCENE_MAX_SECONDS``: a burst's
    frames are candidates even where the embedding's neighbours missed them."""
    timed = sorted((f.taken_at.replace(tzinfo=None).timestamp(), f.camera, i) for i, f in enumerate(facts)
                   if f.taken_at is not None and f.camera)
    out = set()
    for j, (t, camera, i) in enumerate(timed):
        for t2, camera2, i2 in timed[j + 1:j + 1 + NEIGHBOURS]:
            if t2 - t > SCENE_MAX_SECONDS:
                break
            if camera2 == camera:
                out.add((min(i, i2), max(i, i2)))
    return sorted(out)


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
