"""Decode a large PNG band by band, reducing each band at once, so that the full-size picture is
never in memory: a 12000x12000 PNG needs about 20 MB instead of 432 MB.

PNG has no reduced decoding (JPEG's DCT scaling) and Pillow decodes it whole. But a PNG is one
zlib stream of scanlines, each filtered against the row above it. So we inflate the stream
ourselves, a few rows at a time, and hand each band to Pillow's own unfiltering as a tiny PNG:
the band's filtered rows, preceded by the row above them already unfiltered (filter type None),
which gives the filters the context they need. Each band comes back as pixels, is turned to RGB
and reduced, and only the reduced band is kept.

Covers non-interlaced 8-bit PNGs (grey, RGB, palette, grey+alpha, RGBA): nearly every large PNG.
Others (interlaced, 16-bit, 1/2/4-bit) return None, and the caller decodes them whole under the
pixel budget.
"""
from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator

from PIL import Image

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> bytes per pixel at 8 bits
BAND_PIXELS = 4_000_000  # pixels unfiltered at once (12 MB of RGB)


def _chunks(data: bytes) -> Iterator[tuple[bytes, memoryview]]:
    view = memoryview(data)  # slices of a view: the IDAT data is not copied
    pos = len(_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        yield kind, view[pos + 8:pos + 8 + length]
        if kind == b"IEND":
            return
        pos += 12 + length


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decode_reduced(data: bytes, factor: int,
                   to_rgb: Callable[[Image.Image], Image.Image]) -> Image.Image | None:
    """The PNG in ``data`` reduced by ``factor`` (as ``Image.reduce``) in RGB, or None when this
    PNG is not one the band decoder handles. Raises what Pillow raises on a damaged file."""
    if not data.startswith(_SIGNATURE) or factor < 2:
        return None
    header, ancillary, idat = None, [], []
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = bytes(body)
        elif kind in (b"PLTE", b"tRNS"):
            ancillary.append(_chunk(kind, bytes(body)))
        elif kind == b"IDAT":
            idat.append(body)
    if header is None or len(header) != 13:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in _CHANNELS or interlace or not width or not height:
        return None
    row_bytes = 1 + width * _CHANNELS[colour]
    rows_per_band = max(1, BAND_PIXELS // (width * factor)) * factor
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    inflate = zlib.decompressobj()
    pending = bytearray()
    above: bytes | None = None  # the unfiltered row above the next band
    y = 0

    def emit(filtered: bytes, rows: int) -> None:
        nonlocal above, y
        band = _unfilter(filtered, rows, above, width, header, ancillary)
        above = band.crop((0, rows - 1, width, rows)).tobytes()
        out.paste(to_rgb(band).reduce(factor), (0, y // factor))
        y += rows

    for part in idat:
        pending += inflate.decompress(part)
        while len(pending) >= rows_per_band * row_bytes and y + rows_per_band < height:
            cut = rows_per_band * row_bytes
            emit(bytes(pending[:cut]), rows_per_band)
            del pending[:cut]
    pending += inflate.flush()
    rest = height - y
    if len(pending) < rest * row_bytes:
        raise OSError(f"image file is truncated ({height - len(pending) // row_bytes - y} of "
                      f"{height} rows missing)")
    emit(bytes(pending[:rest * row_bytes]), rest)
    return out


def _unfilter(filtered: bytes, rows: int, above: bytes | None, width: int, header: bytes,
              ancillary: list[bytes]) -> Image.Image:
    """Pillow unfilters ``rows`` scanlines given as a small PNG of their own."""
    first = 0 if above is None else 1
    payload = (b"\x00" + above + filtered) if above is not None else filtered
    ihdr = struct.pack(">II", width, rows + first) + header[8:]
    png = (_SIGNATURE + _chunk(b"IHDR", ihdr) + b"".join(ancillary)
           + _chunk(b"IDAT", zlib.compress(payload, 0)) + _chunk(b"IEND", b""))
    with Image.open(io.BytesIO(png)) as im:
        im.load()
        return im.crop((0, first, width, rows + first)) if first else im.copy()
