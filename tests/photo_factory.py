"""Small real image files made with Pillow for ingestion tests (no network, no shared data)."""
from __future__ import annotations

import io
import os
import struct
import zlib
from datetime import datetime

import numpy as np
import pillow_heif
from PIL import ExifTags, Image

pillow_heif.register_heif_opener()  # lets tests save .heic files


def gradient(w: int = 64, h: int = 48, seed: int = 0) -> Image.Image:
    """A deterministic, non-flat RGB picture; different seeds give different bytes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)),
                  np.full_like(x, rng.integers(0, 255))], -1).astype(np.uint8)
    return Image.fromarray(a, "RGB")


def save(img: Image.Image, path: str | os.PathLike, fmt: str | None = None, **kw) -> str:
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    img.save(path, fmt, **kw)
    return path


def exif_bytes(*, orientation: int | None = None, make: str | None = None,
               model: str | None = None, lens: str | None = None,
               taken: datetime | None = None,
               gps: tuple[float, float] | None = None) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if make:
        exif[ExifTags.Base.Make] = make
    if model:
        exif[ExifTags.Base.Model] = model
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if lens:
        sub[ExifTags.Base.LensModel] = lens
    if gps:
        g = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat, lon = gps
        g[1] = "N" if lat >= 0 else "S"
        g[2] = _dms(abs(lat))
        g[3] = "E" if lon >= 0 else "W"
        g[4] = _dms(abs(lon))
    return exif.tobytes()


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), s)


def truncated_jpeg(path: str | os.PathLike, w: int = 400, h: int = 300) -> str:
    buf = io.BytesIO()
    gradient(w, h).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    return os.fspath(path)


def png_bomb(path: str | os.PathLike, side: int = 30000) -> str:
    """A tiny PNG whose header claims side x side pixels (over Pillow's bomb limit)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) \
        + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
    return os.fspath(path)


def make_photos(folder: str | os.PathLike, n: int, start: int = 0, size=(320, 240)) -> list[str]:
    """``n`` distinct JPEGs (different content, so different documents) in ``folder``."""
    out = []
    for i in range(start, start + n):
        img = gradient(*size, seed=i).rotate(i * 7 % 360)
        out.append(save(img, os.path.join(os.fspath(folder), f"img_{i:03d}.jpg"), "JPEG", quality=90))
    return out


def snapshot(folder: str | os.PathLike) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and mtime: to prove nothing was written there."""
    out = {}
    for dirpath, dirnames, files in os.walk(os.fspath(folder)):
        for name in dirnames + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(p, folder)] = (st.st_size if name in files else -1, st.st_mtime_ns)
    return out
