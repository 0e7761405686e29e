"""Turn a file's bytes into an upright RGB ``PIL.Image`` plus its metadata.

Every failure becomes a ``DecodeError`` with one of the reasons the catalog records (truncated,
not-an-image, too-large, unreadable, unsupported), so the pipeline can log the file and move on.
"""
from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import DecodeError
from .metadata import PhotoMetadata, read_metadata
from .pixel_budget import DecodeLimits
from .png_bands import BAND_PIXELS, decode_reduced
from .truncation import truncation

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
_T = Image.Transpose
_TRANSPOSE = {2: _T.FLIP_LEFT_RIGHT, 3: _T.ROTATE_180, 4: _T.FLIP_TOP_BOTTOM, 5: _T.TRANSPOSE,
              6: _T.ROTATE_270, 7: _T.TRANSVERSE, 8: _T.ROTATE_90}  # as ImageOps.exif_transpose
_REDUCIBLE_MODES = {"L", "LA", "RGB", "RGBA", "RGBa", "La", "I", "F", "CMYK", "YCbCr"}


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


def decode_file(path: str, min_size: int | None = None,
                limits: DecodeLimits | None = None) -> DecodedImage:
    return decode_bytes(read_file(path), path, min_size, limits)


def decode_bytes(data: bytes, path: str = "<bytes>", min_size: int | None = None,
                 limits: DecodeLimits | None = None) -> DecodedImage:
    """Decode ``data``; with ``min_size``, the picture comes back no smaller than needed for that
    size but not much larger: JPEGs are decoded at the smallest DCT scale (1/2, 1/4, 1/8) that
    keeps both sides >= ``min_size``, large PNGs band by band (png_bands.py), other formats
    whole and reduced at once.

    With ``limits``, decoding waits for room in the shared pixel budget, and a picture over the
    maximum size is refused as ``too-large`` before a single pixel is decoded."""
    cut = truncation(data)
    if cut:
        raise DecodeError(path, "truncated", cut)
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise DecodeError(path, "too-large", str(e)) from e
    except UnidentifiedImageError as e:
        raise DecodeError(path, "not-an-image", "no decoder recognises the content") from e
    except (OSError, SyntaxError, EOFError, struct.error, ValueError, zlib.error) as e:
        raise DecodeError(path, "truncated", str(e)) from e
    factor = min(img.size) // min_size if min_size else 0
    if img.format == "PNG" and factor >= 2:
        metadata = read_metadata(img)
        _check_size(img, path, limits)
        out_pixels = -(-img.width // factor) * -(-img.height // factor)
        with _decode_errors(path, img), (limits.budget.reserve(BAND_PIXELS + out_pixels)
                                         if limits else nullcontext()):
            reduced = decode_reduced(data, factor, to_rgb)
        if reduced is not None:
            return _decoded(_upright(reduced, metadata.orientation), img.size, img.format, metadata)
    return decode_image(img, path, min_size, limits)


def decode_image(img: Image.Image, path: str = "<image>", min_size: int | None = None,
                 limits: DecodeLimits | None = None) -> DecodedImage:
    metadata = read_metadata(img)
    _check_size(img, path, limits)
    size, fmt = img.size, img.format
    with _decode_errors(path, img):
        if min_size and img.format == "JPEG":
            img.draft("RGB" if img.mode in ("RGB", "L", "YCbCr") else None, (min_size, min_size))
        # img.size is now the size the decoder will produce (draft scaling included).
        with limits.budget.reserve(img.width * img.height) if limits else nullcontext():
            img.load()
            img = _reduce(img, min_size)
        rgb = to_rgb(_upright(img, metadata.orientation))
    return _decoded(rgb, size, fmt, metadata)


def _decoded(rgb: Image.Image, size: tuple[int, int], fmt: str | None,
             metadata: PhotoMetadata) -> DecodedImage:
    width, height = size  # before draft scaling: the photo's own size
    if metadata.orientation in _SWAPS_SIDES:
        width, height = height, width
    return DecodedImage(rgb, width, height, fmt or "", metadata)


def _check_size(img: Image.Image, path: str, limits: DecodeLimits | None) -> None:
    width, height = img.size
    if limits is not None and width * height > limits.max_pixels:
        raise DecodeError(path, "too-large", f"{width}x{height} pixels "
                          f"({width * height / 1e6:.0f} megapixels) is over the "
                          f"{limits.max_pixels / 1e6:.0f}-megapixel limit (setting max_megapixels)")


@contextmanager
def _decode_errors(path: str, img: Image.Image) -> Iterator[None]:
    """Decoder exceptions as DecodeError with the reason the catalog records."""
    try:
        yield
    except Image.DecompressionBombError as e:
        raise DecodeError(path, "too-large", str(e)) from e
    except MemoryError as e:
        raise DecodeError(path, "too-large", f"out of memory decoding {img.width}x{img.height}") from e
    except (OSError, SyntaxError, EOFError, struct.error, zlib.error, IndexError) as e:
        msg = str(e)
        reason = "unsupported" if ("decoder" in msg and "not available" in msg) else "truncated"
        raise DecodeError(path, reason, msg) from e
    except (ValueError, KeyError, NotImplementedError) as e:
        raise DecodeError(path, "unsupported", f"{img.mode} {img.format}: {e}") from e


def _reduce(img: Image.Image, min_size: int | None) -> Image.Image:
    """Shrink by a whole factor while both sides stay >= ``min_size`` (what JPEG draft does)."""
    if not min_size:
        return img
    factor = min(img.size) // min_size
    if factor < 2:
        return img
    if img.mode not in _REDUCIBLE_MODES:
        img = to_rgb(img)
    return img.reduce(factor)


def _upright(img: Image.Image, orientation: int | None) -> Image.Image:
    # From the metadata read before decoding: a reduced image no longer carries its EXIF.
    method = _TRANSPOSE.get(orientation or 1)
    return img.transpose(method) if method is not None else img


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


