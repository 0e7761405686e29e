"""Picture signatures (PhotoDocument.phash) and their similarity, on generated scenes."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from photoapp.core.duplicates import DEFAULT_THRESHOLD
from photoapp.core.perceptual import (
    GRID,
    SignatureError,
    compute_phash,
    parse_signature,
    picture_similarity,
)

THRESHOLD = DEFAULT_THRESHOLD


def scene(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A photo-like picture: smooth background, a few coloured shapes, some fine texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    bg = rng.random((6, 8, 3)) * 255
    img = Image.fromarray(bg.astype(np.uint8), "RGB").resize(size, Image.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        x0, y0 = rng.integers(0, w - 20), rng.integers(0, h - 20)
        x1, y1 = x0 + rng.integers(20, w // 2), y0 + rng.integers(20, h // 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
    noise = (rng.standard_normal((h, w, 1)) * 12).astype(np.int16)
    arr = np.clip(np.asarray(img, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB").filter(ImageFilter.GaussianBlur(1))


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def crop_sides(img: Image.Image, frac: float) -> Image.Image:
    w, h = img.size
    return img.crop((round(w * frac), round(h * frac), round(w * (1 - frac)), round(h * (1 - frac))))


def shrink(img: Image.Image, frac: float) -> Image.Image:
    return img.resize((round(img.width * frac), round(img.height * frac)), Image.LANCZOS)


def sim(a: Image.Image, b: Image.Image) -> float:
    return picture_similarity(parse_signature(compute_phash(a)), parse_signature(compute_phash(b)))


def test_format_is_versioned_hex_under_512_bytes():
    h = compute_phash(scene(1))
    assert h.startswith("01") and int(h[2:4], 16) == GRID
    assert len(h) == 4 + 16 + GRID * GRID < 512
    int(h, 16)  # all hex
    assert h == compute_phash(scene(1))  # deterministic


def test_parse_round_trip_and_rejects_garbage():
    sig = parse_signature(compute_phash(scene(2)))
    assert sig.thumbnail.shape == (GRID, GRID) and not sig.flat
    assert abs(float(np.linalg.norm(sig.thumbnail)) - 1.0) < 1e-5
    for bad in ("", "zz", "01" + "14" + "0" * 10, "02" + compute_phash(scene(2))[2:],
                compute_phash(scene(2))[:-1], "0114" + "g" * 416):
        with pytest.raises(SignatureError):
            parse_signature(bad)


@pytest.mark.parametrize("variant", [
    lambda im: jpeg(im, 55),
    lambda im: shrink(im, 0.6),
    lambda im: crop_sides(im, 0.08),
    lambda im: jpeg(shrink(crop_sides(im, 0.08), 0.6), 55),  # the hard case
    lambda im: jpeg(im.crop((int(im.width * 0.15), 0, im.width, int(im.height * 0.9))), 75),
    lambda im: im.convert("L"),  # NCC ignores colour and brightness changes
    lambda im: Image.eval(im, lambda v: min(255, int(v * 0.7 + 40))),
], ids=["q55", "shrink60", "crop8", "crop8+shrink60+q55", "asymmetric-crop", "gray", "levels"])
def test_edited_copies_score_above_threshold(variant):
    for seed in range(5):
        original = scene(seed)
        assert sim(original, variant(original)) >= THRESHOLD, seed


def test_different_pictures_score_below_threshold():
    pics = [scene(s) for s in range(10, 22)]
    sigs = [parse_signature(compute_phash(p)) for p in pics]
    worst = max(picture_similarity(sigs[i], sigs[j])
                for i in range(len(sigs)) for j in range(i + 1, len(sigs)))
    assert worst < THRESHOLD - 0.15


def test_similarity_is_symmetric_and_identity_is_one():
    a, b = parse_signature(compute_phash(scene(3))), parse_signature(compute_phash(crop_sides(scene(3), 0.1)))
    assert picture_similarity(a, a) == pytest.approx(1.0, abs=1e-6)
    assert picture_similarity(a, b) == pytest.approx(picture_similarity(b, a), abs=1e-6)


def test_at_least_keeps_the_verdict_and_gives_a_lower_bound():
    a = parse_signature(compute_phash(scene(4)))
    copies = [parse_signature(compute_phash(v)) for v in (
        jpeg(shrink(crop_sides(scene(4), 0.08), 0.6), 55), crop_sides(scene(4), 0.12), jpeg(scene(4), 60))]
    others = [parse_signature(compute_phash(scene(s))) for s in (5, 6, 7)]
    for b in copies + others:
        exact = picture_similarity(a, b)
        for t in (0.5, 0.7, THRESHOLD, 0.95):
            fast = picture_similarity(a, b, at_least=t)
            assert fast <= exact + 1e-9
            assert (fast >= t) == (exact >= t)


def test_flat_pictures_are_not_verified_by_looks():
    white = Image.new("RGB", (300, 200), (250, 250, 250))
    black = Image.new("RGB", (300, 200), (0, 0, 0))
    sw, sb = parse_signature(compute_phash(white)), parse_signature(compute_phash(black))
    assert sw.flat and sb.flat
    assert picture_similarity(sw, parse_signature(compute_phash(scene(6)))) == 0.0


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "I;16", "1"])
def test_any_mode_and_tiny_images(mode):
    img = scene(7).convert(mode) if mode != "I;16" else scene(7).convert("L").convert("I;16")
    assert parse_signature(compute_phash(img)).thumbnail.shape == (GRID, GRID)
    assert len(compute_phash(Image.new("RGB", (1, 1)))) == 4 + 16 + GRID * GRID


def test_large_images_are_subsampled_consistently():
    small = scene(8)
    big = small.resize((4000, 3000), Image.BICUBIC)
    assert sim(small, big) >= 0.97


# --- local verification (core/local_match.py) -------------------------------------------------

def local(a: Image.Image, b: Image.Image):
    from photoapp.core.local_match import features_of, match, match_dense
    from photoapp.core.perceptual import best_alignment

    fa, fb = features_of(a), features_of(b)
    sa, sb = parse_signature(compute_phash(a)), parse_signature(compute_phash(b))
    return match(fa, fb), match_dense(fa, fb, best_alignment(sa, sb))


def test_the_alignment_from_signatures_finds_the_crop_window():
    from photoapp.core.perceptual import best_alignment

    original = scene(21)
    copy = jpeg(shrink(crop_sides(original, 0.08), 0.6), 55)
    a, b = parse_signature(compute_phash(original)), parse_signature(compute_phash(copy))
    found = best_alignment(a, b)
    assert found.b_in_a and found.y[0] == pytest.approx(0.84, abs=0.03) and found.x[1] == pytest.approx(0.08, abs=0.03)
    reverse = best_alignment(b, a)
    assert not reverse.b_in_a and reverse.x[0] == pytest.approx(0.84, abs=0.03)
    assert best_alignment(a, a).x == (1.0, 0.0)


def test_keypoints_verify_a_shrunk_cropped_copy_and_reject_another_object_in_the_same_outline():
    from photoapp.bench.duplicates import cutout_on_white

    original = scene(22)
    keypoints, _ = local(original, jpeg(shrink(crop_sides(original, 0.08), 0.6), 55))
    assert keypoints.inliers >= 20 and keypoints.inlier_ratio > 0.8  # the threshold is 15
    assert keypoints.scale == pytest.approx(0.84, abs=0.02) and keypoints.aligned_ncc > 0.98
    assert keypoints.agreeing == 1.0
    # Two different pictures inside one silhouette on white: whole-frame signatures agree...
    a, b = cutout_on_white(scene(23), 0), cutout_on_white(scene(24), 0)
    assert sim(a, b) > 0.85
    # ... but no transform explains their keypoints, and aligned they differ.
    keypoints, dense = local(a, b)
    assert keypoints.inliers < 12
    assert dense.aligned_ncc < 0.99 and dense.worst_block > 0.3


def test_dense_alignment_verifies_clip_art_copies_and_rejects_redrawn_symbols():
    from photoapp.bench.duplicates import clip_art

    from photoapp.core.duplicates import PhotoFacts, pair_tier

    for symbol in (0, 1, 3):
        drawing = clip_art(symbol, 0)
        copy = jpeg(shrink(crop_sides(drawing, 0.08), 0.6), 55)
        _, dense = local(drawing, copy)
        assert pair_tier(dense, sim(drawing, copy), PhotoFacts(), PhotoFacts()) == "photo", symbol
        for other in (1, 2):
            redrawn = clip_art(symbol, other)
            _, dense = local(drawing, redrawn)
            assert pair_tier(dense, 1.0, PhotoFacts(), PhotoFacts()) is None, (symbol, other)
