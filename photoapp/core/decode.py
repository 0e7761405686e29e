"""Turn a file's bytes into an upright RGB ``PIL.Image`` plus its metadata.

Every failure becomes a ``DecodeError`` with one of the reasons the catalog records (truncated,
not-an-image, too-large, unreadable, unsupported), so the pipeline can log the file and move on.
"""
from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DecodeError
from .metadata import PhotoMetadata, read_metadata

try:  # HEIC/HEIF (Pillow itself reads AVIF since 11.3)
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a hard dependency, but stay importable
    pillow_heif = None

# Transparent pixels are composited on white: logos, screenshots and scans are drawn for a white
# page, and the thumbnail grid is light.
ALPHA_BACKGROUND = (255, 255, 255)
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_SWAPS_SIDES = {5, 6, 7, 8}


@dataclass
class DecodedImage:
    image: Image.Image  # RGB, orientation applied; smaller than the file when draft mode was used
    width: int  # full-resolution size as displayed (after orientation)
    height: int
    format: str
    metadata: PhotoMetadata


def read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise DecodeError(path, "unreadable", e.strerror or str(e)) from e


def decode_file(path: str, min_size: int | None = None) -> DecodedImage:
    return decode_bytes(read_file(path), path, min_size)


def decode_bytes(data: bytes, path: str = "<bytes>", min_size: int | None = None) -> DecodedImage:
    """Decode ``data``; with ``min_size``, JPEGs are decoded at the smallest DCT scale (1/2, 1/4,
    1/8) that keeps both sides >= ``min_size`` — several times faster on camera-sized photos."""
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise DecodeError(path, "too-large", str(e)) from e
    except UnidentifiedImageError as e:
        raise DecodeError(path, "not-an-image", "no decoder recognises the content") from e
    except (OSError, SyntaxError, EOFError, struct.error, ValueError, zlib.error) as e:
        raise DecodeError(path, "truncated", str(e)) from e
    return decode_image(img, path, min_size)


def decode_image(img: Image.Image, path: str = "<image>", min_size: int | None = None) -> DecodedImage:
    fmt = img.format or ""
    metadata = read_metadata(img)
    width, height = img.size
    if metadata.orientation in _SWAPS_SIDES:
        width, height = height, width
    try:
        if min_size and fmt == "JPEG":
            img.draft("RGB" if img.mode in ("RGB", "L", "YCbCr") else None, (min_size, min_size))
        img.load()
        img = ImageOps.exif_transpose(img) or img
        rgb = to_rgb(img)
    except Image.DecompressionBombError as e:
        raise DecodeError(path, "too-large", str(e)) from e
    except MemoryError as e:
        raise DecodeError(path, "too-large", "out of memory while decoding") from e
    except (OSError, SyntaxError, EOFError, struct.error, zlib.error, IndexError) as e:
        msg = str(e)
        reason = "unsupported" if ("decoder" in msg and "not available" in msg) else "truncated"
        raise DecodeError(path, reason, msg) from e
    except (ValueError, KeyError, NotImplementedError) as e:
        raise DecodeError(path, "unsupported", f"{img.mode} {fmt}: {e}") from e
    return DecodedImage(rgb, width, height, fmt, metadata)


def to_rgb(img: Image.Image) -> Image.Image:
    """8-bit RGB from any Pillow mode: alpha on white, 16-bit/float scaled (not clipped)."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P" and "transparency" in img.info:
        img, mode = img.convert("RGBA"), "RGBA"
    if mode in _ALPHA_MODES:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, ALPHA_BACKGROUND + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _high_depth_to_rgb(img)
    return img.convert("RGB")


def _high_depth_to_rgb(img: Image.Image) -> Image.Image:
    # Pillow's own convert() clips 16-bit values to 255, turning most photos white.
    a = np.asarray(img, dtype=np.float32)
    if img.mode == "F":
        hi = float(np.nanmax(a)) if a.size else 1.0
        scale = 255.0 if hi <= 1.0 else 255.0 / max(hi, 1e-6)
    else:
        hi = float(a.max()) if a.size else 0.0
        scale = 1.0 if hi <= 255 else (255.0 / 65535.0 if hi <= 65535 else 255.0 / hi)
    gray = np.clip(np.nan_to_num(a) * scale + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(gray, "L").convert("RGB")


