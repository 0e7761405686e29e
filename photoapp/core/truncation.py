"""Is a file cut short? Checks on the container, before (and independent of) the decoder.

Most decoders notice a truncated file and raise, but not all: libheif decodes a HEIC whose grid
tiles are missing as a picture whose lower part is flat green, and Pillow cannot even identify a
TIFF or AVIF whose directory sits past the cut, calling it "not an image". Each container says how
long its parts are; a part that ends beyond the end of the file is the proof.
"""
from __future__ import annotations

import struct

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def truncation(data: bytes) -> str | None:
    """Why ``data`` looks cut short (one line), or None when its container is whole."""
    if data[4:8] == b"ftyp":
        return _isobmff(data)
    if data.startswith(_PNG_SIGNATURE):
        return _png(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        declared = struct.unpack_from("<I", data, 4)[0] + 8
        return _short("the RIFF header", declared, len(data))
    if data[:4] in (b"II*\x00", b"MM\x00*") and len(data) >= 8:
        order = "<" if data[:2] == b"II" else ">"
        ifd = struct.unpack_from(order + "I", data, 4)[0]
        if ifd + 2 > len(data):
            return f"its first image directory is at byte {ifd:,} but the file has {len(data):,}"
    return None


def _short(what: str, declared: int, actual: int) -> str | None:
    if declared > actual:
        return f"{what} declares {declared:,} bytes but the file has {actual:,}"
    return None


def _isobmff(data: bytes) -> str | None:
    """HEIC, HEIF, AVIF: a sequence of boxes, each starting with its own size."""
    pos, end = 0, len(data)
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:  # 64-bit size follows the type
            if pos + 16 > end:
                return "the file ends inside a box header"
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:  # "extends to the end of the file": nothing to check
            return None
        if size < header:
            return None  # malformed rather than short: the decoder will say what it thinks
        if pos + size > end:
            name = kind.decode("latin-1")
            return (f"the file ends inside its '{name}' box ({end - pos:,} of {size:,} bytes "
                    f"present)")
        pos += size
    if pos != end:
        return "the file ends inside a box header"
    return None


def _png(data: bytes) -> str | None:
    """Chunks up to IEND; pixels come in IDAT chunks, so a missing IEND means missing data."""
    pos, end = len(_PNG_SIGNATURE), len(data)
    while pos + 8 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        if pos + 12 + length > end:
            return (f"the file ends inside its '{kind.decode('latin-1')}' chunk "
                    f"({end - pos:,} of {length + 12:,} bytes present)")
        if kind == b"IEND":
            return None
        pos += 12 + length
    return "the file ends before the PNG end marker (IEND)"
