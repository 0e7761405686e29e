import os
from datetime import datetime

import pytest
from PIL import ExifTags, Image

from photo_factory import exif_bytes, gradient, save
from photoapp.core.decode import decode_file
from photoapp.core.metadata import read_metadata


def test_full_exif_roundtrip(tmp_path):
    exif = exif_bytes(orientation=1, make="Canon", model="Canon EOS 5D Mark IV",
                      lens="EF24-70mm f/2.8L II USM", taken=datetime(2021, 7, 14, 18, 30, 5),
                      gps=(48.858222, -2.294500))
    p = save(gradient(), tmp_path / "x.jpg", "JPEG", exif=exif)
    m = decode_file(p).metadata
    assert m.taken_at == datetime(2021, 7, 14, 18, 30, 5)
    assert (m.camera_make, m.camera_model) == ("Canon", "Canon EOS 5D Mark IV")
    assert m.lens == "EF24-70mm f/2.8L II USM"
    assert m.orientation == 1
    lat, lon = m.gps
    assert lat == pytest.approx(48.858222, abs=1e-5) and lon == pytest.approx(-2.2945, abs=1e-5)


def test_southern_hemisphere(tmp_path):
    p = save(gradient(), tmp_path / "s.jpg", "JPEG", exif=exif_bytes(gps=(-33.8568, 151.2153)))
    lat, lon = decode_file(p).metadata.gps
    assert lat == pytest.approx(-33.8568, abs=1e-5) and lon == pytest.approx(151.2153, abs=1e-5)


def test_no_exif_gives_empty_metadata(tmp_path):
    m = decode_file(save(gradient(), tmp_path / "plain.png", "PNG")).metadata
    assert m.taken_at is None and m.camera_make is None and m.gps is None and m.orientation is None


def test_broken_values_become_none():
    img = gradient()
    exif = img.getexif()
    exif[ExifTags.Base.Make] = "   \x00"
    exif[ExifTags.Base.Orientation] = 42
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "0000:00:00 00:00:00"
    exif[ExifTags.Base.DateTime] = "2019:01:02 03:04:05"  # the fallback date field
    g = exif.get_ifd(ExifTags.IFD.GPSInfo)
    g[2], g[4] = (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)  # "no fix" zeros
    reloaded = Image.open(_roundtrip(img, exif))
    m = read_metadata(reloaded)
    assert m.camera_make is None and m.orientation is None and m.gps is None
    assert m.taken_at == datetime(2019, 1, 2, 3, 4, 5)


def _roundtrip(img, exif):
    import io

    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    buf.seek(0)
    return buf


def test_heic_exif(tmp_path):
    exif = exif_bytes(make="Apple", model="iPhone 12", taken=datetime(2022, 2, 3, 4, 5, 6))
    p = save(gradient(), tmp_path / "x.heic", "HEIF", exif=exif)
    m = decode_file(p).metadata
    assert (m.camera_make, m.camera_model) == ("Apple", "iPhone 12")
    assert m.taken_at == datetime(2022, 2, 3, 4, 5, 6)


def test_real_camera_files_never_raise():
    folder = "/work/shared/datasets/exif-samples"
    if not os.path.isdir(folder):
        pytest.skip("shared EXIF samples not present")
    seen_gps = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            if not name.lower().endswith((".jpg", ".jpeg")):
                continue
            try:
                img = Image.open(os.path.join(dirpath, name))
            except Exception:
                continue
            m = read_metadata(img)
            seen_gps += m.gps is not None
    assert seen_gps > 0


def test_every_exif_text_field_is_capped(tmp_path):
    p = save(gradient(), tmp_path / "long.jpg", "JPEG", exif=exif_bytes(
        make="C" * 5000, model="M" * 60_000, lens="L" * 300))
    m = decode_file(p).metadata
    assert (len(m.camera_make), len(m.camera_model), len(m.lens)) == (120, 120, 120)


def test_pillow_warnings_go_to_the_log_not_stderr(tmp_path):
    import subprocess
    import sys

    corrupt = exif_bytes(make="Canon", model="ABCDEFGHIJ" * 10)[:-20]  # a tag runs off the end
    p = save(gradient(), tmp_path / "corrupt.jpg", "JPEG", exif=corrupt)
    code = ("from photoapp.core.decode import decode_file; "
            f"decode_file({p!r}); print('decoded')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "decoded" and r.stderr == ""
    plain = subprocess.run([sys.executable, "-c", "from PIL import Image; "
                            f"Image.open({p!r}).getexif()"], capture_output=True, text=True)
    assert "Warning" in plain.stderr  # Pillow alone does print it
