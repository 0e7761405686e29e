"""A small signature of what a picture *looks like*, for verifying near-duplicates.

The classifier's embedding says what a photo is *about*: two different photos of a dog score as
high against each other as a photo and its own cropped, shrunk, re-compressed copy. So duplicate
search takes candidates from the embedding and then asks this module whether the two pictures
are the same picture.

Signature (``PhotoDocument.phash``, a lowercase hex string, 420 characters for format 1)::

    "01"            format version
    "14"            grid size G in hex (20)
    16 hex digits   64-bit DCT perceptual hash of the whole frame (pHash computed on the
                    thumbnail below; the candidate source for photos without an embedding)
    G*G hex digits  a G x G grayscale thumbnail of the whole frame, one 4-bit level per pixel,
                    contrast-normalised (mean 7.5, 3.5 levels per standard deviation, clipped)

Verification (:func:`picture_similarity`) compares two thumbnails by normalised
cross-correlation (NCC) of their band-pass (difference of Gaussians) while searching over
axis-aligned crops: the other picture's whole frame is compared against windows of this one's
thumbnail (window side 0.70 .. 1.0 of the frame, any position, aspect change up to ~10%), on a
coarse grid first, then refined around the best windows; both directions are tried. The score
is the best NCC, in [0, 1]. Measured (bench/duplicates.py, 150 originals, 1256 photos):
re-encodes and resizes >= 0.99, an 8%-per-side crop + 60% shrink + JPEG q55 >= 0.915, a 3-degree
rotation >= 0.85, different photos that the embedding calls similar <= 0.80.
Intensity-affine changes (brightness, contrast, grayscale conversion) do not change NCC.
Not handled: rotations beyond a couple of degrees, mirroring, crops that keep < ~70% of a side.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

FORMAT_VERSION = 1
GRID = 20
# NCC of a near-constant thumbnail is noise: below this standard deviation (in 0-255 gray
# levels) a picture is stored as flat and never "verified" by looks.
MIN_CONTRAST = 2.0
# Pixels above this size are subsampled (nearest) before area averaging: the area average of
# thousands of samples per thumbnail cell is indistinguishable, and it keeps us under 2 ms.
_PREFILTER_SIDE = 512
_LEVELS_PER_STD = 3.5

_HEADER_CHARS = 4
_DCT_CHARS = 16


class SignatureError(ValueError):
    """A ``phash`` string is not a signature this version understands."""


@dataclass(frozen=True)
class PictureSignature:
    dct_hash: int  # 64-bit pHash
    thumbnail: np.ndarray  # (G, G) float32, zero mean, unit norm (all zeros when flat)
    flat: bool  # too little contrast to verify by looks

    @property
    def grid(self) -> int:
        return self.thumbnail.shape[0]


# --- computing ----------------------------------------------------------------------------

def compute_phash(image: Image.Image) -> str:
    """Signature hex string of a decoded, orientation-corrected image (see module docstring).

    Deterministic; one area-averaging resize and a few tiny numpy operations (~0.3 ms on a
    500x375 photo, < 1 ms on 12 megapixels thanks to the nearest-neighbour prefilter).
    """
    img = image
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGBA").convert("RGB") if "A" in img.getbands() else img.convert("RGB")
    w, h = img.size
    if w < 1 or h < 1:
        raise SignatureError("empty image")
    if max(w, h) > 2 * _PREFILTER_SIDE:
        scale = _PREFILTER_SIDE / max(w, h)
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.NEAREST)
    thumb = np.asarray(img.resize((GRID, GRID), Image.BOX).convert("L"), dtype=np.float64)
    return encode_signature(_dct_hash(thumb), thumb)


@lru_cache(maxsize=4)
def _dct_rows(n: int) -> np.ndarray:
    """The first 8 rows of the orthonormal DCT-II matrix of size n."""
    k, i = np.arange(8)[:, None], np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def _dct_hash(gray: np.ndarray) -> int:
    """64-bit pHash: signs of the 8x8 lowest DCT frequencies against their median."""
    d = _dct_rows(gray.shape[0])
    low = (d @ gray @ _dct_rows(gray.shape[1]).T).ravel()
    bits = low > np.median(low[1:])  # DC left out of the median, as in pHash
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def encode_signature(dct_hash: int, thumbnail: np.ndarray) -> str:
    g = thumbnail.shape[0]
    t = thumbnail.astype(np.float64)
    std = t.std()
    if std < MIN_CONTRAST:
        levels = np.full(t.shape, 7, dtype=np.int64)
    else:
        levels = np.clip(np.rint((t - t.mean()) / std * _LEVELS_PER_STD + 7.5), 0, 15).astype(np.int64)
    body = _HEX_DIGITS[levels.ravel()].tobytes().decode("ascii")
    return f"{FORMAT_VERSION:02x}{g:02x}{dct_hash:016x}{body}"


def parse_signature(phash: str) -> PictureSignature:
    """Decode a ``phash`` string; raises :class:`SignatureError` if it is not one."""
    if not isinstance(phash, str) or len(phash) < _HEADER_CHARS + _DCT_CHARS:
        raise SignatureError(f"not a picture signature: {phash!r:.40}")
    try:
        version = int(phash[0:2], 16)
        g = int(phash[2:4], 16)
        dct_hash = int(phash[4:20], 16)
        levels = np.frombuffer(bytes.fromhex("".join("0" + c for c in phash[20:])), dtype=np.uint8)
    except ValueError as exc:
        raise SignatureError(f"not a hex picture signature: {phash!r:.40}") from exc
    if version != FORMAT_VERSION:
        raise SignatureError(f"picture signature format {version} is not supported")
    if g < 4 or levels.size != g * g:
        raise SignatureError(f"picture signature has {levels.size} cells, expected {g}x{g}")
    t = levels.reshape(g, g).astype(np.float32)
    t -= t.mean()
    norm = float(np.linalg.norm(t))
    flat = norm == 0.0
    return PictureSignature(dct_hash, (t / norm if not flat else t).astype(np.float32), flat)


# --- comparing ------------------------------------------------------------------------------
#
# A window is (side, offset) per axis in the reference frame's [0, 1] coordinates: the other
# picture's whole frame is compared against that part of the reference. Windows are separable,
# so all (y-window, x-window) combinations come out of two small matrix products.

# Band-pass (difference of Gaussians, in thumbnail cells). Resampling a box-averaged thumbnail
# cannot recover the finest detail a crop's own thumbnail has, so the finest scale is blurred
# away; the coarsest is removed because smooth gradients (sky, studio backdrops) correlate
# between unrelated photos. Measured on 60 ImageNet photos (plain intensity NCC vs this
# band-pass): worst true pair 0.951 -> 0.926, best false pair 0.917 -> 0.665.
BLUR_FINE = 0.8
BLUR_COARSE = 2.0
_COARSE_SIDES = (1.0, 0.93, 0.86, 0.78, 0.70)
_COARSE_OFFSET_STEP = 0.05
_MAX_ASPECT_CHANGE = 0.09  # |side_x - side_y| allowed in the coarse grid
_REFINE_FROM = 2  # best coarse windows refined
_REFINE_STEPS = ((0.035, 0.025), (0.0175, 0.0125))  # (side, offset) step per round
# Largest gain of refinement over the coarse grid seen on true pairs (0.177 for a 3-degree
# rotation, 0.142 for crop + shrink + q55), with a margin.
_MAX_REFINE_GAIN = 0.25
_SAME_FRAMING = 0.97  # unaligned band-pass NCC above which no crop search is needed


def _coarse_axis_windows() -> np.ndarray:
    wins = []
    for side in _COARSE_SIDES:
        free = 1.0 - side
        n = max(1, int(round(free / _COARSE_OFFSET_STEP)) + 1)
        wins.extend((side, off) for off in np.linspace(0.0, free, n))
    return np.array(wins, dtype=np.float64)


_COARSE = _coarse_axis_windows()
_COARSE_VALID = np.abs(_COARSE[:, 0][:, None] - _COARSE[:, 0][None, :]) <= _MAX_ASPECT_CHANGE + 1e-9


@lru_cache(maxsize=8)
def _blur_matrix(g: int, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(np.eye(g), sigma, axis=0, mode="nearest").astype(np.float32)


def _axis_matrices(windows: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """For (n, 2) axis windows: (n*g, g) matrices that sample the reference bilinearly at the g
    cell centres of each window and then blur it finely / coarsely."""
    side, offset = windows[:, 0], windows[:, 1]
    centres = (np.arange(g) + 0.5) / g
    pos = np.clip((offset[:, None] + side[:, None] * centres[None, :]) * g - 0.5, 0.0, g - 1.0)
    lo = np.minimum(np.floor(pos).astype(np.int64), g - 2)
    frac = pos - lo
    m = np.zeros((len(windows), g, g), dtype=np.float64)
    n_idx, r_idx = np.arange(len(windows))[:, None], np.arange(g)[None, :]
    m[n_idx, r_idx, lo] = 1.0 - frac
    m[n_idx, r_idx, lo + 1] += frac
    fine = (_blur_matrix(g, BLUR_FINE) @ m).reshape(-1, g).astype(np.float32)
    coarse = (_blur_matrix(g, BLUR_COARSE) @ m).reshape(-1, g).astype(np.float32)
    return fine, coarse


@dataclass(frozen=True)
class _WindowSet:
    """Everything about a set of axis windows that does not depend on the pictures.

    A window's band-pass features are F = Yf R Xfᵀ - Yc R Xcᵀ (R the reference thumbnail, Y/X the
    y/x sampling-and-blur matrices, f/c fine/coarse blur). NCC needs <F, O>, sum(F) and ||F||²
    for every (y, x) window; written with Gram matrices (||Y R Xᵀ||² = <Rᵀ YᵀY R, XᵀX>) they
    cost a few g x g products per y-window instead of materialising F for every combination
    (~4x fewer operations, measured 2.5-9x faster).
    """

    y: tuple[np.ndarray, np.ndarray]  # (ny, g, g) fine, coarse
    y_sums: tuple[np.ndarray, np.ndarray]  # (ny, g): 1ᵀ Y
    x_sums: tuple[np.ndarray, np.ndarray]  # (nx, g): 1ᵀ X
    x_flat_t: tuple[np.ndarray, np.ndarray]  # (nx, g*g): vec(Xᵀ)
    y_grams: np.ndarray  # (3, ny, g, g): YfᵀYf, YcᵀYc, YfᵀYc
    x_grams: np.ndarray  # (3, nx, g*g): vec(XfᵀXf), vec(XcᵀXc), vec(XfᵀXc)

    @classmethod
    def build(cls, y_windows: np.ndarray, x_windows: np.ndarray, g: int) -> "_WindowSet":
        ny, nx = len(y_windows), len(x_windows)
        y = tuple(m.reshape(ny, g, g) for m in _axis_matrices(y_windows, g))
        x = tuple(m.reshape(nx, g, g) for m in _axis_matrices(x_windows, g))
        pairs = ((0, 0), (1, 1), (0, 1))
        return cls(
            y=y, y_sums=(y[0].sum(1), y[1].sum(1)), x_sums=(x[0].sum(1), x[1].sum(1)),
            x_flat_t=tuple(m.transpose(0, 2, 1).reshape(nx, g * g).copy() for m in x),
            y_grams=np.stack([y[a].transpose(0, 2, 1) @ y[b] for a, b in pairs]),
            x_grams=np.stack([(x[a].transpose(0, 2, 1) @ x[b]).reshape(nx, g * g) for a, b in pairs]))


_GRAM_SIGNS = (1.0, 1.0, -2.0)  # ||Ff - Fc||² = ||Ff||² + ||Fc||² - 2<Ff, Fc>


@lru_cache(maxsize=8)
def _coarse_set(g: int) -> _WindowSet:
    return _WindowSet.build(_COARSE, _COARSE, g)


def _band_pass(thumbs: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-norm band-pass of whole thumbnails (P, g, g): the side compared against."""
    g = thumbs.shape[-1]
    bf, bc = _blur_matrix(g, BLUR_FINE), _blur_matrix(g, BLUR_COARSE)
    t = bf @ thumbs @ bf.T - bc @ thumbs @ bc.T
    t = t - t.mean(axis=(-2, -1), keepdims=True)
    return (t / np.maximum(np.linalg.norm(t, axis=(-2, -1), keepdims=True), 1e-12)).astype(np.float32)


def _window_scores(refs: np.ndarray, others_bp: np.ndarray, ws: _WindowSet) -> np.ndarray:
    """NCC of each ``others_bp[p]`` against the band-pass of every (y-window, x-window) of
    ``refs[p]`` -> (P, ny, nx)."""
    p, g = refs.shape[0], refs.shape[-1]
    ny = ws.y[0].shape[0]
    r = refs[:, None]  # (P, 1, g, g)
    # <F, O> = sum over fine/coarse of ±<(Y R)ᵀ O, Xᵀ>
    dot = 0.0
    for a, sign in ((0, 1.0), (1, -1.0)):
        yr_t_o = (ws.y[a][None] @ r).transpose(0, 1, 3, 2) @ others_bp[:, None]  # (P, ny, g, g)
        dot = dot + sign * (yr_t_o.reshape(p, ny, g * g) @ ws.x_flat_t[a].T)
    s1 = (ws.y_sums[0] @ refs) @ ws.x_sums[0].T - (ws.y_sums[1] @ refs) @ ws.x_sums[1].T
    ss = 0.0
    r_t = refs.transpose(0, 2, 1)[:, None]
    for c, sign in enumerate(_GRAM_SIGNS):
        gram = r_t @ ws.y_grams[c][None] @ r  # (P, ny, g, g): Rᵀ YᵀY R
        ss = ss + sign * (gram.reshape(p, ny, g * g) @ ws.x_grams[c].T)
    # others are zero-mean, so <F, O> needs no centring; ||F - mean||² = ss - s1²/g².
    return dot / np.sqrt(np.maximum(ss - s1 * s1 / (g * g), 1e-12))


def _coarse_window_scores(refs: np.ndarray, others_bp: np.ndarray) -> np.ndarray:
    scores = _window_scores(refs, others_bp, _coarse_set(refs.shape[-1]))
    return np.where(_COARSE_VALID[None], scores, -1.0)


def _refined_best(ref: np.ndarray, other_bp: np.ndarray, scores: np.ndarray) -> float:
    """Best NCC after refining the best coarse windows (``scores``, (ny, nx)) of one pair."""
    g = ref.shape[0]
    best = float(scores.max())
    for flat_idx in np.argsort(scores, axis=None)[-_REFINE_FROM:]:
        iy, ix = np.unravel_index(flat_idx, scores.shape)
        wy, wx = _COARSE[iy], _COARSE[ix]
        for d_side, d_off in _REFINE_STEPS:
            ys, xs = _local_windows(wy, d_side, d_off), _local_windows(wx, d_side, d_off)
            local = _window_scores(ref[None], other_bp[None], _WindowSet.build(ys, xs, g))[0]
            jy, jx = np.unravel_index(int(np.argmax(local)), local.shape)
            wy, wx = ys[jy], xs[jx]
            best = max(best, float(local[jy, jx]))
    return best


def _refined_window(ref: np.ndarray, other_bp: np.ndarray, scores: np.ndarray
                    ) -> tuple[float, np.ndarray, np.ndarray]:
    """Like :func:`_refined_best` for the single best coarse window, returning that window:
    (score, (side_y, offset_y), (side_x, offset_x))."""
    g = ref.shape[0]
    iy, ix = np.unravel_index(int(np.argmax(scores)), scores.shape)
    wy, wx, best = _COARSE[iy], _COARSE[ix], float(scores[iy, ix])
    for d_side, d_off in _REFINE_STEPS:
        ys, xs = _local_windows(wy, d_side, d_off), _local_windows(wx, d_side, d_off)
        local = _window_scores(ref[None], other_bp[None], _WindowSet.build(ys, xs, g))[0]
        jy, jx = np.unravel_index(int(np.argmax(local)), local.shape)
        if float(local[jy, jx]) > best:
            wy, wx, best = ys[jy], xs[jx], float(local[jy, jx])
    return best, wy, wx


@dataclass(frozen=True)
class Alignment:
    """Where one picture lies in the other, from the signatures alone: ``b_in_a`` True means
    B's whole frame is the window (side, offset per axis, in [0, 1] of A's frame) of A;
    False, A's frame is that window of B. ``score`` is the band-pass NCC there."""

    score: float
    b_in_a: bool
    y: tuple[float, float]
    x: tuple[float, float]


def best_alignment(a: PictureSignature, b: PictureSignature) -> Alignment | None:
    """The crop window that best explains one picture as part of the other (None for flat
    pictures): a starting point for aligning the pictures themselves."""
    if a.flat or b.flat or a.grid != b.grid:
        return None
    ta, tb = a.thumbnail[None], b.thumbnail[None]
    pa, pb = _band_pass(ta), _band_pass(tb)
    with _blas_controller().limit(limits=1, user_api="blas"):
        whole = float((pa * pb).sum())
        ab = _coarse_window_scores(ta, pb)[0]
        ba = _coarse_window_scores(tb, pa)[0]
        best_ab = _refined_window(ta[0], pb[0], ab)
        best_ba = _refined_window(tb[0], pa[0], ba)
    if whole >= max(best_ab[0], best_ba[0]):
        return Alignment(whole, True, (1.0, 0.0), (1.0, 0.0))
    score, wy, wx = best_ab if best_ab[0] >= best_ba[0] else best_ba
    return Alignment(score, best_ab[0] >= best_ba[0], (float(wy[0]), float(wy[1])), (float(wx[0]), float(wx[1])))


def _local_windows(window: np.ndarray, d_side: float, d_off: float) -> np.ndarray:
    side, off = window
    steps = (-1.0, 0.0, 1.0)
    out = []
    for ds in steps:
        s = min(1.0, max(0.6, side + ds * d_side))
        for do in steps:
            out.append((s, min(max(0.0, off + do * d_off), 1.0 - s)))
    return np.array(out, dtype=np.float64)


def picture_similarity(a: PictureSignature, b: PictureSignature, at_least: float | None = None) -> float:
    """How sure we are that ``a`` and ``b`` show the same picture, in [0, 1] (see module doc).

    With ``at_least``, the refinement is skipped where it cannot change the verdict
    ``score >= at_least``: the coarse score already reaches it, or is too poor to reach it
    (refinement gains at most ~0.18, measured). The score returned is then the coarse one, a
    lower bound. That makes verification several times cheaper.

    Flat (featureless) pictures cannot be verified by looks and score 0 unless both are flat
    with identical thumbnails.
    """
    return float(picture_similarities([a], [b], at_least)[0])


_BATCH = 32


def picture_similarities(a: Sequence[PictureSignature], b: Sequence[PictureSignature],
                         at_least: float | None = None) -> np.ndarray:
    """:func:`picture_similarity` of each pair (a[i], b[i]), vectorised over pairs."""
    if len(a) != len(b):
        raise ValueError("a and b must be parallel")
    out = np.zeros(len(a), dtype=np.float64)
    todo = []
    for i, (sa, sb) in enumerate(zip(a, b)):
        if sa.grid != sb.grid:
            raise SignatureError("signatures of different grid sizes cannot be compared")
        if sa.flat or sb.flat:
            out[i] = 1.0 if (sa.flat and sb.flat and np.array_equal(sa.thumbnail, sb.thumbnail)) else 0.0
        else:
            todo.append(i)
    by_grid: dict[int, list[int]] = {}
    for i in todo:
        by_grid.setdefault(a[i].grid, []).append(i)
    # Many tiny matrix products: BLAS threads only fight over them (20x slower measured on a
    # busy 2-core machine), so they run single-threaded.
    with _blas_controller().limit(limits=1, user_api="blas"):
        for rows in by_grid.values():
            for start in range(0, len(rows), _BATCH):
                chunk = rows[start:start + _BATCH]
                out[chunk] = _similarity_batch(np.stack([a[i].thumbnail for i in chunk]),
                                               np.stack([b[i].thumbnail for i in chunk]), at_least)
    return np.clip(out, 0.0, 1.0)


@lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _similarity_batch(ta: np.ndarray, tb: np.ndarray, at_least: float | None) -> np.ndarray:
    pa, pb = _band_pass(ta), _band_pass(tb)
    best = (pa * pb).sum(axis=(1, 2)).astype(np.float64)
    search = np.flatnonzero(best < _SAME_FRAMING)  # same framing (re-encode, resize, copy): done
    if len(search) == 0:
        return best
    # Either picture may be a crop of the other: try both directions.
    ab = _coarse_window_scores(ta[search], pb[search])
    ba = _coarse_window_scores(tb[search], pa[search])
    coarse = np.maximum(ab.max(axis=(1, 2)), ba.max(axis=(1, 2)))
    best[search] = np.maximum(best[search], coarse)
    for j, i in enumerate(search):
        if at_least is None or at_least - _MAX_REFINE_GAIN <= best[i] < at_least:
            best[i] = max(best[i], _refined_best(ta[i], pb[i], ab[j]), _refined_best(tb[i], pa[i], ba[j]))
    return best
