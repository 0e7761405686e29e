"""Is picture B the same shot as picture A? Geometric verification with local features.

A whole-frame signature (``perceptual``) cannot tell two different motorbikes on one white
backdrop apart from a photo and its re-encoded copy: at 20x20 cells both are "a dark shape in
the middle of white". Local features can. ORB keypoints are matched (Hamming distance, Lowe's
ratio test) and a similarity transform (scale, rotation, shift: what resizing, cropping and a
small rotation do) is fitted with RANSAC. A re-encoded, resized or cropped copy keeps hundreds
of consistent matches; two different objects keep a handful that no single transform explains.

Then the pictures are compared *aligned*: B is warped into A's frame with the fitted transform,
both are shrunk to a small grid over the part they share, brightness and contrast are matched
(a linear fit: brightness changes, grayscale conversion), and the residual is measured per
block. A copy of one shot differs only by compression noise in every block; a burst frame a
moment later differs where the subject moved (its worst block shows it).

Everything works on grayscale pictures shrunk to ``WORK_SIDE`` pixels on the long side.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

WORK_SIDE = 512  # long side the features are computed at
COMPARE_SIDE = 512  # long side of the picture kept for the aligned comparison (256 measured worse: a
# copy of a street sign fell to 93% agreeing blocks)
MAX_FEATURES = 1000
RATIO = 0.8  # Lowe's ratio test on the two nearest descriptors
RANSAC_PIXELS = 4.0  # reprojection error (at WORK_SIDE) for a match to count as an inlier
ALIGNED_GRID = 96  # long side of the grid the aligned pictures are compared on
BLOCK_CELLS = 8  # block side, in grid cells, for the per-block residuals
TEXTURE = 0.15  # a block counts when its own contrast is at least this share of the picture's
AGREE = 0.2  # a block agrees when its mean residual is below this (standard deviations)
MIN_OVERLAP = 0.35  # share of A's frame B must cover to be compared


@dataclass(frozen=True)
class LocalFeatures:
    gray: np.ndarray  # (h, w) uint8, COMPARE_SIDE on the long side
    points: np.ndarray  # (n, 2) float32 keypoint positions at WORK_SIDE
    descriptors: np.ndarray | None  # (n, 32) uint8 ORB descriptors; None when n == 0
    textured: float = 1.0  # share of the frame's blocks with texture (texture_share)
    flat: float = 0.0  # share of the frame's 8x8 pixel blocks with no detail at all (flat_share)

    @property
    def count(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class LocalMatch:
    matches: int  # ratio-test matches
    inliers: int  # of them, consistent with the fitted transform
    scale: float  # B -> A scale of the fitted transform (1.0 when none)
    rotation_deg: float
    overlap: float  # share of A's frame that B covers once aligned
    aligned_ncc: float  # NCC of the aligned pictures (after a brightness/contrast fit), -1 if none
    worst_block: float  # largest textured-block residual, in standard deviations of A (inf if none)
    agreeing: float = 0.0  # share of textured blocks that agree once aligned
    textured: float = 0.0  # the less textured picture's texture_share: photos ~1, clip-art much less

    # "features": the transform was fitted to matched keypoints; "dense": to the pictures'
    # intensities (match_dense, for pictures with too little texture for keypoints)
    method: str = "features"
    flat: float = 1.0  # the flatter picture's flat_share: photos mostly < 0.35, clip-art > 0.6

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / self.matches if self.matches else 0.0


NO_MATCH = LocalMatch(0, 0, 1.0, 0.0, 0.0, -1.0, float("inf"), 0.0)
# Below this many keypoints in either picture, there is too little texture to fit a transform.
MIN_KEYPOINTS = 40
ECC_SIDE = 160  # long side dense alignment runs at
# Dense verification compares on a finer grid: redrawn clip-art differs by a few pixels of
# outline, which a 96-cell grid averages away.
DENSE_GRID = 160
MAX_ANISOTROPY = 0.03  # a copy is resized evenly: x and y scales agree, no shear


def _cv2():
    import cv2

    cv2.setNumThreads(1)  # tiny images: threads only add overhead (and there are workers already)
    return cv2


def work_gray(image: Image.Image) -> np.ndarray:
    """The picture as grayscale uint8, ``WORK_SIDE`` pixels on the long side."""
    img = image if image.mode == "L" else image.convert("RGB").convert("L")
    w, h = img.size
    # Every picture at the same long side, small ones enlarged: a shrunk copy then meets its
    # original at the scale of the crop alone, where ORB's pyramid matches best.
    scale = WORK_SIDE / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size != (w, h):
        img = img.resize(size, Image.BOX if scale < 1.0 else Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8).copy()


def features_of(image: Image.Image) -> LocalFeatures:
    return features_of_gray(work_gray(image))


def features_of_gray(gray: np.ndarray) -> LocalFeatures:
    cv2 = _cv2()
    orb = cv2.ORB_create(nfeatures=MAX_FEATURES, fastThreshold=10)
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    k = COMPARE_SIDE / max(gray.shape)
    small = cv2.resize(gray, (max(1, round(gray.shape[1] * k)), max(1, round(gray.shape[0] * k))),
                       interpolation=cv2.INTER_AREA)
    return LocalFeatures(small, points, descriptors if len(points) else None, texture_share(small), flat_share(gray))


FLAT_BLOCK = 8  # pixels at WORK_SIDE: a JPEG block, so a flat fill stays flat through re-encoding
FLAT_SD = 1.0  # grey levels: below this a block has neither texture nor sensor noise


def flat_share(gray: np.ndarray) -> float:
    """Share of the picture's 8x8 pixel blocks (at ``WORK_SIDE``) that are flat to within a grey
    level. A photograph has sensor noise or texture nearly everywhere; drawn and rendered pictures
    are mostly flat fills. Unlike ``texture_share`` this does not grow when a drawing is zoomed in
    on (its fills grow with it), and an enlarged small drawing only gets smoother."""
    h, w = (gray.shape[0] // FLAT_BLOCK) * FLAT_BLOCK, (gray.shape[1] // FLAT_BLOCK) * FLAT_BLOCK
    if h == 0 or w == 0:
        return 1.0
    blocks = gray[:h, :w].astype(np.float32).reshape(h // FLAT_BLOCK, FLAT_BLOCK, w // FLAT_BLOCK, FLAT_BLOCK)
    return float((blocks.std(axis=(1, 3)) < FLAT_SD).mean())


def texture_share(gray: np.ndarray) -> float:
    """Share of the picture's blocks (at ``ALIGNED_GRID``) with contrast of their own: a photo
    has texture nearly everywhere; clip-art and an object on a white backdrop have much less."""
    cv2 = _cv2()
    k = ALIGNED_GRID / max(gray.shape)
    small = cv2.resize(gray.astype(np.float32), (max(4, round(gray.shape[1] * k)), max(4, round(gray.shape[0] * k))),
                       interpolation=cv2.INTER_AREA)
    sd = float(small.std())
    if sd < 1.0:
        return 0.0
    stds = [float(small[r, c].std()) for r in _blocks(small.shape[0]) for c in _blocks(small.shape[1])]
    return float(np.mean([v >= TEXTURE * sd for v in stds]))


def match(a: LocalFeatures, b: LocalFeatures) -> LocalMatch:
    """Fit B -> A and compare them aligned (see the module docstring)."""
    if a.count < MIN_KEYPOINTS or b.count < MIN_KEYPOINTS:
        return NO_MATCH  # too little texture: match_dense
    cv2 = _cv2()
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(b.descriptors, a.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < 4:
        return LocalMatch(len(good), 0, 1.0, 0.0, 0.0, -1.0, float("inf"), 0.0)
    src = b.points[[m.queryIdx for m in good]]
    dst = a.points[[m.trainIdx for m in good]]
    transform, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                                  ransacReprojThreshold=RANSAC_PIXELS,
                                                  maxIters=2000, confidence=0.995)
    if transform is None or mask is None:
        return LocalMatch(len(good), 0, 1.0, 0.0, 0.0, -1.0, float("inf"), 0.0)
    inliers = int(mask.sum())
    scale = float(np.hypot(transform[0, 0], transform[1, 0]))
    rotation = float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
    at_compare = transform.copy()
    at_compare[:, 2] *= COMPARE_SIDE / WORK_SIDE  # same linear part, shift in the smaller frame
    al = compare_aligned(a.gray, b.gray, at_compare)
    return LocalMatch(len(good), inliers, scale, rotation, al.overlap, al.ncc, al.worst_block, al.agreeing,
                      min(a.textured, b.textured), flat=max(a.flat, b.flat))


def match_dense(a: LocalFeatures, b: LocalFeatures, alignment) -> LocalMatch:
    """For pictures with too little texture for keypoints (clip-art, flat products, smooth
    gradients): start from where the signatures say B lies in A (``perceptual.best_alignment``),
    refine that by dense intensity alignment (ECC), then compare aligned. ``method`` "dense"."""
    if alignment is None:
        return NO_MATCH
    (ha, wa), (hb, wb) = a.gray.shape, b.gray.shape
    (sy, oy), (sx, ox) = alignment.y, alignment.x
    if alignment.b_in_a:  # B's frame is the window of A
        start = np.array([[sx * wa / wb, 0.0, ox * wa], [0.0, sy * ha / hb, oy * ha]])
    else:  # A's frame is the window of B: invert that
        start = np.array([[wa / (wb * sx), 0.0, -ox * wa / sx], [0.0, ha / (hb * sy), -oy * ha / sy]])
    # ECC may wander off on a picture it cannot lock onto, or bend the frame (a copy is resized
    # evenly, without shear): then the start is compared instead.
    best = None
    for transform in (_refine_ecc(a.gray, b.gray, start), start):
        linear = transform[:, :2]
        sx_, sy_ = float(np.hypot(*linear[:, 0])), float(np.hypot(*linear[:, 1]))
        if min(sx_, sy_) <= 0 or abs(sx_ / sy_ - 1.0) > MAX_ANISOTROPY or abs(float(
                linear[:, 0] @ linear[:, 1]) / (sx_ * sy_)) > MAX_ANISOTROPY:
            continue
        al = compare_aligned(a.gray, b.gray, transform, DENSE_GRID)
        if best is None or al.ncc > best[0].ncc:
            rotation = float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
            best = (al, float(np.sqrt(sx_ * sy_)), rotation)
    if best is None:
        return LocalMatch(0, 0, 1.0, 0.0, 0.0, -1.0, float("inf"), 0.0, 0.0, "dense")
    al, scale, rotation = best
    return LocalMatch(0, 0, scale, rotation, al.overlap, al.ncc, al.worst_block, al.agreeing,
                      min(a.textured, b.textured), "dense", max(a.flat, b.flat))


def _refine_ecc(a: np.ndarray, b: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Refine the B -> A affine ``start`` by ECC at ``ECC_SIDE`` pixels (the start when ECC
    does not converge)."""
    cv2 = _cv2()
    f = ECC_SIDE / max(a.shape)
    g = ECC_SIDE / max(b.shape)
    small_a = cv2.resize(a, (max(8, round(a.shape[1] * f)), max(8, round(a.shape[0] * f))), interpolation=cv2.INTER_AREA)
    small_b = cv2.resize(b, (max(8, round(b.shape[1] * g)), max(8, round(b.shape[0] * g))), interpolation=cv2.INTER_AREA)
    # In the small frames: x_a' = f * T(x_b' / g)
    t = np.vstack([start, [0.0, 0.0, 1.0]])
    small = np.diag([f, f, 1.0]) @ t @ np.diag([1 / g, 1 / g, 1.0])
    warp = np.linalg.inv(small)[:2].astype(np.float32)  # ECC warps template (A) coords into B
    try:
        _, warp = cv2.findTransformECC(small_a.astype(np.float32), small_b.astype(np.float32), warp,
                                       cv2.MOTION_AFFINE,
                                       (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5), None, 3)
    except cv2.error:
        return start
    small = np.linalg.inv(np.vstack([warp.astype(np.float64), [0.0, 0.0, 1.0]]))
    return (np.diag([1 / f, 1 / f, 1.0]) @ small @ np.diag([g, g, 1.0]))[:2]


@dataclass(frozen=True)
class Aligned:
    overlap: float  # share of A's frame that B covers
    ncc: float  # NCC of the aligned pictures after a brightness/contrast fit (-1: not comparable)
    worst_block: float  # largest mean residual of a textured block, in standard deviations of A
    agreeing: float  # share of textured blocks whose residual is below AGREE
    textured: float = 0.0  # share of the compared blocks that have texture (photos: most)


def compare_aligned(a: np.ndarray, b: np.ndarray, transform: np.ndarray, grid: int = ALIGNED_GRID) -> Aligned:
    """``b`` warped into ``a`` by ``transform`` (2x3), compared over the part both cover."""
    cv2 = _cv2()
    h, w = a.shape
    warped = cv2.warpAffine(b.astype(np.float32), transform, (w, h), flags=cv2.INTER_AREA
                            if abs(np.linalg.det(transform[:, :2])) < 1 else cv2.INTER_LINEAR)
    cover = cv2.warpAffine(np.ones(b.shape, np.float32), transform, (w, h), flags=cv2.INTER_LINEAR)
    full = cover > 0.999
    overlap = float(full.mean())
    if overlap < MIN_OVERLAP:
        return Aligned(overlap, -1.0, float("inf"), 0.0)
    # The box of rows and columns B covers (B's frame is a near-axis-aligned quad in A).
    y0, y1 = _covered_span(full, axis=1)
    x0, x1 = _covered_span(full, axis=0)
    if y1 - y0 < 8 or x1 - x0 < 8:
        return Aligned(overlap, -1.0, float("inf"), 0.0)
    side = grid / max(y1 - y0, x1 - x0)
    size = (max(4, round((x1 - x0) * side)), max(4, round((y1 - y0) * side)))
    pa = cv2.resize(a[y0:y1, x0:x1].astype(np.float32), size, interpolation=cv2.INTER_AREA).astype(np.float64)
    pb = cv2.resize(warped[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA).astype(np.float64)
    valid = cv2.resize(cover[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA) > 0.99
    if valid.sum() < 16:
        return Aligned(overlap, -1.0, float("inf"), 0.0)
    # Brightness/contrast: fit a ~ g*b + o, so levels, gamma-ish edits and grayscale do not count.
    da, db = pa - pa[valid].mean(), pb - pb[valid].mean()
    sa, sb = float(np.sqrt((da[valid] ** 2).mean())), float(np.sqrt((db[valid] ** 2).mean()))
    if sa < 1.0 or sb < 1.0:  # flat overlap: no evidence either way
        return Aligned(overlap, -1.0, float("inf"), 0.0)
    cov = float((da * db)[valid].mean())
    residual = np.where(valid, np.abs(da - db * (cov / (sb * sb))) / sa, 0.0)
    # Blocks with something in them (a white backdrop agrees with any other white backdrop).
    scores, blocks = [], 0
    for rows in _blocks(size[1]):
        for cols in _blocks(size[0]):
            v = valid[rows, cols]
            if v.sum() < max(4, v.size // 2):
                continue
            blocks += 1
            content = da[rows, cols][v]
            if content.std() < TEXTURE * sa:
                continue
            scores.append(float(residual[rows, cols][v].mean()))
    if not scores:
        return Aligned(overlap, cov / (sa * sb), float("inf"), 0.0)
    scores_arr = np.array(scores)
    return Aligned(overlap, cov / (sa * sb), float(scores_arr.max()), float((scores_arr <= AGREE).mean()),
                   len(scores) / blocks)


def _blocks(n: int) -> list[slice]:
    edges = np.linspace(0, n, max(1, round(n / BLOCK_CELLS)) + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _covered_span(full: np.ndarray, axis: int) -> tuple[int, int]:
    """Start/end of the rows (axis=1) or columns (axis=0) that are mostly covered."""
    share = full.mean(axis=axis)
    inside = np.flatnonzero(share >= 0.98 * share.max())
    return int(inside[0]), int(inside[-1]) + 1
