"""Truncated files of every format, giant pictures, pictures over the size limit, hostile EXIF:
each is recorded with its reason, nothing is indexed half-decoded, memory stays in the budget."""
from __future__ import annotations

import io
import json
import os
import warnings

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from fault_helpers import cli
from photo_factory import exif_bytes, gradient
from photoapp.core.decode import decode_bytes, to_rgb
from photoapp.core.errors import DecodeError
from photoapp.core.pixel_budget import DecodeLimits, PixelBudget
from photoapp.core.png_bands import decode_reduced

pillow_heif.register_heif_opener()

FORMATS = [("JPEG", {}), ("PNG", {}), ("WEBP", {}), ("TIFF", {}),
           ("TIFF", {"compression": "tiff_deflate"}), ("GIF", {}), ("HEIF", {}), ("AVIF", {})]


def photo_bytes(fmt: str, **kw) -> bytes:
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:240, 0:320]
    a = np.stack([x * 255 // 319, y * 255 // 239, (x * y) % 255], -1)
    a = (a + rng.integers(0, 40, a.shape)).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a, "RGB").save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,kw", FORMATS, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("keep", [0.33, 0.66, 0.97])
def test_truncated_file_of_every_format_is_recorded_as_truncated(fmt, kw, keep):
    data = photo_bytes(fmt, **kw)
    assert decode_bytes(data, "whole", 64).image.size  # the whole file decodes
    with pytest.raises(DecodeError) as e:
        decode_bytes(data[:int(len(data) * keep)], "cut", 64)
    assert e.value.reason == "truncated", e.value


def test_heic_missing_its_tail_is_caught_by_the_container_check():
    # libheif decodes a grid HEIC with missing tiles as flat green, without an error; the box
    # sizes give the cut away whatever the decoder does.
    data = photo_bytes("HEIF")
    with pytest.raises(DecodeError) as e:
        decode_bytes(data[:-200], "cut.heic")
    assert e.value.reason == "truncated" and "'mdat' box" in e.value.detail


def test_png_cut_at_its_end_marker_is_truncated():
    data = photo_bytes("PNG")
    with pytest.raises(DecodeError) as e:
        decode_bytes(data[:-12], "no-iend.png")  # every pixel there, IEND gone
    assert e.value.reason == "truncated"


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P"])
def test_png_bands_match_a_whole_decode(mode, monkeypatch):
    import photoapp.core.png_bands as bands

    monkeypatch.setattr(bands, "BAND_PIXELS", 20_000)  # many bands on a small picture
    rng = np.random.default_rng(5)
    rgba = Image.fromarray(rng.integers(0, 255, (203, 157, 4), dtype=np.uint8), "RGBA")
    im = rgba.convert("RGB").quantize(32) if mode == "P" else rgba.convert(mode)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    for factor in (2, 3, 7):
        want = to_rgb(Image.open(io.BytesIO(buf.getvalue()))).reduce(factor)
        got = decode_reduced(buf.getvalue(), factor, to_rgb)
        assert got.size == want.size and np.array_equal(np.asarray(got), np.asarray(want))


def test_giant_png_decodes_within_budget_without_the_full_picture():
    side = 6000  # 36 MP: 108 MB if decoded whole
    buf = io.BytesIO()
    small = Image.fromarray(np.random.default_rng(1).integers(0, 255, (60, 60, 3), np.uint8))
    small.resize((side, side), Image.Resampling.BILINEAR).save(buf, "PNG", compress_level=1)
    limits = DecodeLimits(PixelBudget(10))  # 10 MP: a whole decode could not even reserve it
    d = decode_bytes(buf.getvalue(), "giant.png", 300, limits)
    assert (d.width, d.height) == (side, side) and min(d.image.size) >= 300
    assert limits.budget.peak < 10_000_000 and limits.budget.in_flight == 0


def test_over_the_size_limit_is_too_large_with_its_size():
    buf = io.BytesIO()
    Image.new("L", (5000, 4000)).save(buf, "PNG")
    with pytest.raises(DecodeError) as e:
        decode_bytes(buf.getvalue(), "big.png", 300, DecodeLimits(max_pixels=10_000_000))
    assert e.value.reason == "too-large"
    assert "5000x4000 pixels (20 megapixels) is over the 10-megapixel limit" in e.value.detail


def test_pixel_budget_admits_an_oversized_picture_alone():
    budget = PixelBudget(1)  # 1 MP
    with budget.reserve(300_000):
        assert budget.in_flight == 300_000
    with budget.reserve(5_000_000):  # larger than the budget: goes when nothing else is in
        assert budget.in_flight == 5_000_000
    assert budget.in_flight == 0


def test_hostile_files_through_the_cli(tmp_path):
    """One library of hostile files, indexed by the real CLI: every file gets its reason, the
    huge EXIF name is capped, Pillow's warnings stay off the terminal."""
    photos = tmp_path / "photos"
    photos.mkdir()
    good = photo_bytes("JPEG")
    (photos / "cut.jpg").write_bytes(good[: len(good) // 2])
    heic = photo_bytes("HEIF")
    (photos / "cut.heic").write_bytes(heic[: len(heic) * 2 // 3])
    gradient(320, 240, seed=9).save(photos / "long-exif.jpg", exif=exif_bytes(
        make="Canon", model="M" * 60_000))
    corrupt = exif_bytes(make="Canon", model="ABCDEFGHIJ" * 10)[:-20]  # a tag runs off the end
    gradient(320, 240, seed=8).save(photos / "corrupt-exif.jpg", exif=corrupt)
    with warnings.catch_warnings(record=True) as seen:  # Pillow alone does warn about it
        warnings.simplefilter("always")
        Image.open(photos / "corrupt-exif.jpg").getexif()
    assert seen
    Image.new("L", (9000, 8000)).save(photos / "huge.png")  # 72 MP, limit set to 50 below
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.json").write_text('{"max_megapixels": 50}')
    r = cli(data, "index", str(photos))
    assert r.returncode == 0, r.stderr
    assert r.stderr == b"", r.stderr.decode()  # no Pillow warning, no traceback
    errors = {os.path.basename(line.split()[1]): line for line in
              cli(data, "errors").stdout.decode().splitlines()}
    assert errors["cut.jpg"].startswith("truncated")
    assert errors["cut.heic"].startswith("truncated")
    assert errors["huge.png"].startswith("too-large") and "9000x8000" in errors["huge.png"]
    info = cli(data, "info", str(photos / "long-exif.jpg"), "--json").stdout
    assert json.loads(info)[0]["camera_model"] == "M" * 120


@pytest.mark.parametrize("kind", ["16-bit", "1-bit"])
def test_pngs_the_band_decoder_leaves_alone_still_decode_reduced(kind):
    a = np.random.default_rng(2).integers(0, 65535, (700, 900), dtype=np.uint16)
    im = Image.fromarray(a) if kind == "16-bit" else Image.fromarray((a >> 8).astype(np.uint8)).convert("1")
    buf = io.BytesIO()
    im.save(buf, "PNG")
    assert decode_reduced(buf.getvalue(), 3, to_rgb) is None  # decoded whole, under the budget
    d = decode_bytes(buf.getvalue(), kind, 200, DecodeLimits())
    assert (d.width, d.height) == (900, 700) and d.image.mode == "RGB"
    assert 200 <= min(d.image.size) < 700
