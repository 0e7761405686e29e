import os

import numpy as np
import pytest
from PIL import Image

from photo_factory import exif_bytes, gradient, png_bomb, save, truncated_jpeg
from photoapp.core.decode import decode_file
from photoapp.core.errors import DecodeError


def half_red(w=60, h=40) -> Image.Image:
    """Left half red, right half blue: shows where the image went after a rotation."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = (255, 0, 0)
    a[:, w // 2:] = (0, 0, 255)
    return Image.fromarray(a, "RGB")


def test_exif_orientation_is_applied(tmp_path):
    # Orientation 6: the camera was rotated; viewers turn the stored pixels 90 deg clockwise.
    p = save(half_red(), tmp_path / "o6.jpg", "JPEG", quality=95, exif=exif_bytes(orientation=6))
    d = decode_file(p)
    assert d.image.size == (40, 60) and (d.width, d.height) == (40, 60)
    top, bottom = d.image.getpixel((20, 5)), d.image.getpixel((20, 55))
    assert top[0] > 200 and top[2] < 60  # the red (left) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert d.metadata.orientation == 6


def test_orientation_on_real_samples_when_available():
    folder = "/work/shared/datasets/exif-orientation"
    if not os.path.isdir(folder):
        pytest.skip("shared orientation samples not present")
    sizes = {decode_file(os.path.join(folder, n)).image.size
             for n in os.listdir(folder) if n.lower().endswith(".jpg") and "landscape" in n.lower()}
    assert len(sizes) == 1  # every orientation decodes to the same upright landscape picture


def test_cmyk_is_made_rgb(tmp_path):
    p = save(gradient().convert("CMYK"), tmp_path / "cmyk.jpg", "JPEG")
    d = decode_file(p)
    assert d.image.mode == "RGB" and d.format == "JPEG"


def test_palette_with_transparency_is_composited_on_white(tmp_path):
    img = Image.new("P", (10, 10), 0)
    img.putpalette([0, 0, 0] + [255, 0, 0] * 255)
    img.info["transparency"] = 0
    p = save(img, tmp_path / "pal.png", "PNG", transparency=0)
    assert decode_file(p).image.getpixel((5, 5)) == (255, 255, 255)


def test_la_and_rgba_alpha_on_white(tmp_path):
    la = Image.new("LA", (8, 8), (0, 0))  # black, fully transparent
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 128))  # black, half transparent
    assert decode_file(save(la, tmp_path / "la.png", "PNG")).image.getpixel((1, 1)) == (255, 255, 255)
    px = decode_file(save(rgba, tmp_path / "rgba.png", "PNG")).image.getpixel((1, 1))
    assert all(120 <= c <= 135 for c in px)


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path):
    a = np.full((10, 10), 32768, np.uint16)
    img = Image.fromarray(a)
    assert img.mode.startswith("I;16")
    p = save(img, tmp_path / "g16.png", "PNG")
    px = decode_file(p).image.getpixel((3, 3))
    assert px[0] == px[1] == px[2] and 120 <= px[0] <= 136  # mid-grey, not white


def test_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 255, 0))]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    px = decode_file(str(p)).image.getpixel((8, 8))
    assert px[0] > 200 and px[1] < 50


@pytest.mark.parametrize("fmt,ext", [("HEIF", "heic"), ("AVIF", "avif"), ("WEBP", "webp"),
                                     ("TIFF", "tif"), ("BMP", "bmp")])
def test_other_formats(tmp_path, fmt, ext):
    p = save(gradient(64, 48), tmp_path / f"x.{ext}", fmt)
    d = decode_file(p)
    assert d.image.mode == "RGB" and d.image.size == (64, 48)


def test_jpeg_draft_mode_decodes_reduced_but_reports_full_size(tmp_path):
    p = save(gradient(2000, 1500), tmp_path / "big.jpg", "JPEG")
    d = decode_file(p, min_size=224)
    assert (d.width, d.height) == (2000, 1500)
    w, h = d.image.size
    assert 224 <= min(w, h) and w <= 500  # 1/4 scale (500x375) is the smallest that fits
    assert decode_file(p).image.size == (2000, 1500)


def test_draft_mode_with_rotation_reports_oriented_size(tmp_path):
    p = save(gradient(1600, 1200), tmp_path / "r.jpg", "JPEG", exif=exif_bytes(orientation=8))
    d = decode_file(p, min_size=256)
    assert (d.width, d.height) == (1200, 1600)
    assert d.image.size[0] < d.image.size[1]


def test_truncated(tmp_path):
    with pytest.raises(DecodeError) as e:
        decode_file(truncated_jpeg(tmp_path / "cut.jpg"))
    assert e.value.reason == "truncated"


def test_not_an_image(tmp_path):
    p = tmp_path / "fake.jpg"
    p.write_text("this is text, not a photo")
    with pytest.raises(DecodeError) as e:
        decode_file(str(p))
    assert e.value.reason == "not-an-image"


def test_decompression_bomb_is_too_large(tmp_path):
    with pytest.raises(DecodeError) as e:
        decode_file(png_bomb(tmp_path / "bomb.png"))
    assert e.value.reason == "too-large"


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(DecodeError) as e:
        decode_file(str(tmp_path / "gone.jpg"))
    assert e.value.reason == "unreadable"


def test_directory_is_unreadable(tmp_path):
    with pytest.raises(DecodeError) as e:
        decode_file(str(tmp_path))
    assert e.value.reason == "unreadable"
