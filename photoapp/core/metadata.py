"""EXIF fields a photo organizer shows and filters on: date taken, camera, lens, GPS, orientation.

Each field is read from an ordered list of tags (best source first), and broken values — empty
strings, "0000:00:00" dates, zero-denominator rationals — become ``None`` instead of raising: camera
firmware writes all of these.
"""
from __future__ import annotations

import logging
import math
import os
import warnings
from dataclasses import dataclass
from datetime import datetime

import PIL
from PIL import ExifTags, Image

from .capture_date import parse_utc_offset

log = logging.getLogger(__name__)
_PILLOW_DIR = os.path.dirname(PIL.__file__)

_T = ExifTags.Base
_DATE_TAGS = (_T.DateTimeOriginal, _T.DateTimeDigitized, _T.DateTime)
# The UTC offset each date tag's camera recorded (EXIF 2.31), read with that tag only.
_OFFSET_TAGS = {_T.DateTimeOriginal: _T.OffsetTimeOriginal, _T.DateTimeDigitized: _T.OffsetTimeDigitized,
                _T.DateTime: _T.OffsetTime}
_DATE_FORMATS = ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M", "%Y-%m-%dT%H:%M:%S")
# Every EXIF text field is cut to this: firmware pads text tags, and a hostile file can carry a
# 60,000-character camera name that would otherwise be stored, indexed and shown verbatim.
_MAX_TEXT = 120


@dataclass(frozen=True)
class PhotoMetadata:
    taken_at: datetime | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    gps: tuple[float, float] | None = None  # (lat, lon), decimal degrees
    orientation: int | None = None


def read_metadata(img: Image.Image) -> PhotoMetadata:
    """Metadata of an opened (not necessarily loaded) image; never raises on bad EXIF."""
    try:
        exif = _exif_of(img)
    except Exception as e:  # noqa: BLE001 - any parser failure means "no EXIF", not a bad photo
        log.debug("unreadable EXIF: %s", e)
        return PhotoMetadata()
    if not exif:
        return PhotoMetadata()
    sub = _ifd(exif, ExifTags.IFD.Exif)
    merged = {**dict(exif), **sub}  # sub-IFD tags (DateTimeOriginal, LensModel) live apart
    return PhotoMetadata(
        taken_at=_first_date(merged),
        camera_make=_text(merged.get(_T.Make)),
        camera_model=_text(merged.get(_T.Model)),
        lens=_text(merged.get(_T.LensModel)) or _text(merged.get(_T.LensMake)),
        gps=_gps(_ifd(exif, ExifTags.IFD.GPSInfo)),
        orientation=_orientation(exif.get(_T.Orientation)),
    )


def _exif_of(img: Image.Image) -> Image.Exif:
    if img.format == "PNG" and "exif" not in img.info:
        # PngImageFile.getexif() decodes every pixel to look for an eXIf chunk after the image
        # data: 432 MB for a 12000x12000 PNG, outside the pixel budget. EXIF placed there is
        # rare (the PNG spec puts it before IDAT) and is not worth that.
        return Image.Exif()
    return img.getexif()


def _ifd(exif: Image.Exif, which: int) -> dict:
    try:
        return dict(exif.get_ifd(which))
    except Exception:  # noqa: BLE001 - a corrupt sub-IFD only loses its fields
        return {}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()[:_MAX_TEXT].rstrip()
    return text or None


def _first_date(tags: dict) -> datetime | None:
    for tag in _DATE_TAGS:
        text = _text(tags.get(tag))
        if not text:
            continue
        text = text[:19]
        for fmt in _DATE_FORMATS:
            try:
                when = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if when.year >= 1800:  # "0000:00:00 ..." fails to parse; 1800 guards odd firmware
                # With its offset the moment is exact (an aware datetime); the wall clock stays.
                zone = parse_utc_offset(_text(tags.get(_OFFSET_TAGS[tag])))
                return when.replace(tzinfo=zone) if zone is not None else when
    return None


def _orientation(value) -> int | None:
    try:
        o = int(value)
    except (TypeError, ValueError):
        return None
    return o if 1 <= o <= 8 else None


def _degrees(dms) -> float | None:
    try:
        parts = [float(x) for x in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not parts or len(parts) > 3:
        return None
    parts += [0.0] * (3 - len(parts))
    value = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
    return None if math.isnan(value) or math.isinf(value) else value


def _gps(gps: dict) -> tuple[float, float] | None:
    lat = _degrees(gps.get(2))  # GPSLatitude
    lon = _degrees(gps.get(4))  # GPSLongitude
    if lat is None or lon is None:
        return None
    if _text(gps.get(1)) in ("S", "s"):
        lat = -lat
    if _text(gps.get(3)) in ("W", "w"):
        lon = -lon
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    if lat == 0.0 and lon == 0.0:
        return None  # cameras without a fix write zeros; "null island" is not a place anyone shot
    return (round(lat, 7), round(lon, 7))


# --- exposure ---------------------------------------------------------------------------------
# Exposure settings are shown, never searched, so they are not copied into the index: the file
# stays their one owner and the detail panel reads them on demand (``read_exposure_file``).


@dataclass(frozen=True)
class Exposure:
    iso: int | None = None
    aperture: float | None = None  # f-number
    shutter_s: float | None = None  # exposure time in seconds
    focal_mm: float | None = None
    focal_35mm: int | None = None  # 35 mm-equivalent focal length
    lens: str | None = None

    @property
    def iso_text(self) -> str | None:
        return f"ISO {self.iso}" if self.iso else None

    @property
    def aperture_text(self) -> str | None:
        return f"f/{self.aperture:.1f}".replace(".0", "") if self.aperture else None

    @property
    def shutter_text(self) -> str | None:
        t = self.shutter_s
        if not t:
            return None
        if t < 1.0:  # photographers read 1/250 s, not 0.004 s
            return f"1/{round(1.0 / t):d} s"
        return f"{t:.1f} s".replace(".0 ", " ")

    @property
    def focal_text(self) -> str | None:
        if not self.focal_mm:
            return None
        text = f"{self.focal_mm:.0f} mm"
        if self.focal_35mm and abs(self.focal_35mm - self.focal_mm) >= 1:
            text += f" ({self.focal_35mm} mm equiv.)"
        return text


def read_exposure(img: Image.Image) -> Exposure:
    """Exposure settings of an opened image; missing or broken values become ``None``."""
    try:
        exif = img.getexif()
    except Exception as e:  # noqa: BLE001 - an unreadable EXIF block just means "not known"
        log.debug("unreadable EXIF: %s", e)
        return Exposure()
    if not exif:
        return Exposure()
    tags = {**dict(exif), **_ifd(exif, ExifTags.IFD.Exif)}
    iso = tags.get(_T.ISOSpeedRatings)
    if isinstance(iso, (tuple, list)):
        iso = iso[0] if iso else None
    lens = _text(tags.get(_T.LensModel)) or _text(tags.get(_T.LensMake))
    return Exposure(
        iso=_positive_int(iso),
        aperture=_positive(tags.get(_T.FNumber)),
        shutter_s=_positive(tags.get(_T.ExposureTime)),
        focal_mm=_positive(tags.get(_T.FocalLength)),
        focal_35mm=_positive_int(tags.get(_T.FocalLengthIn35mmFilm)),
        lens=lens[:_MAX_TEXT] if lens else None,
    )


def read_exposure_file(path: str) -> Exposure:
    """Exposure settings of the file at ``path``, opened read-only (header only, no pixels)."""
    try:
        with Image.open(path) as img:
            return read_exposure(img)
    except Exception as e:  # noqa: BLE001 - a file we cannot open has no exposure to show
        log.debug("no exposure for %r: %s", path, e)
        return Exposure()


def _positive(value) -> float | None:
    try:
        v = float(value)  # IFDRational; a zero denominator gives nan
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def _positive_int(value) -> int | None:
    v = _positive(value)
    return int(round(v)) if v is not None and v < 10_000_000 else None


def route_pillow_warnings() -> None:
    """Send Pillow's warnings to the log (logger "PIL", level DEBUG) instead of stderr.

    Pillow warns through ``warnings`` about damaged files ("Corrupt EXIF data", "Truncated File
    Read", picture sizes over its bomb limit). Each concerns one photo, which the decode stage
    already handles (and records when it cannot use it): a terminal full of them is noise, and
    the CLI's one-line-error contract breaks. Installed once; other warnings are untouched."""
    shown = warnings.showwarning
    if getattr(shown, "routes_pillow", False):
        return

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if str(filename).startswith(_PILLOW_DIR):
            logging.getLogger("PIL").debug("%s: %s", category.__name__, message)
            return
        shown(message, category, filename, lineno, file, line)

    showwarning.routes_pillow = True
    warnings.showwarning = showwarning


route_pillow_warnings()
