"""Exposure settings (ISO, aperture, shutter, focal length, lens) read from real JPEG files."""
from __future__ import annotations

from fractions import Fraction

from PIL import ExifTags, Image, TiffImagePlugin

from photo_factory import gradient
from photoapp.core.metadata import Exposure, read_exposure_file

T = ExifTags.Base


def _save_with_exposure(path, **tags):
    exif = Image.Exif()
    exif[T.Make] = "Canon"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    for name, value in tags.items():
        sub[getattr(T, name)] = value
    gradient(64, 48).save(path, "JPEG", exif=exif.tobytes())
    return str(path)


def test_exposure_fields_and_their_text(tmp_path):
    path = _save_with_exposure(
        tmp_path / "a.jpg", ISOSpeedRatings=400, FNumber=TiffImagePlugin.IFDRational(28, 10),
        ExposureTime=TiffImagePlugin.IFDRational(1, 250), FocalLength=TiffImagePlugin.IFDRational(50, 1),
        FocalLengthIn35mmFilm=80, LensModel="EF50mm f/1.8 STM" + " " * 40 + "\x00")
    before = open(path, "rb").read()
    e = read_exposure_file(path)
    assert (e.iso, e.aperture, e.focal_mm, e.focal_35mm, e.lens) == (400, 2.8, 50.0, 80, "EF50mm f/1.8 STM")
    assert abs(e.shutter_s - 1 / 250) < 1e-9
    assert (e.iso_text, e.aperture_text, e.shutter_text, e.focal_text) == \
        ("ISO 400", "f/2.8", "1/250 s", "50 mm (80 mm equiv.)")
    assert open(path, "rb").read() == before  # read-only: the user's file is untouched


def test_broken_or_missing_exposure_is_none_not_an_error(tmp_path):
    path = _save_with_exposure(tmp_path / "b.jpg", FNumber=TiffImagePlugin.IFDRational(0, 0),
                               ExposureTime=TiffImagePlugin.IFDRational(-1, 1), LensModel="x" * 5000)
    e = read_exposure_file(path)
    assert (e.aperture, e.shutter_s, e.iso) == (None, None, None)
    assert len(e.lens) == 120  # text tags are capped
    plain = tmp_path / "plain.jpg"
    gradient().save(plain, "JPEG")
    assert read_exposure_file(str(plain)) == Exposure()
    assert read_exposure_file(str(tmp_path / "missing.jpg")) == Exposure()


def test_long_exposures_read_as_seconds():
    assert Exposure(shutter_s=2.0).shutter_text == "2 s"
    assert Exposure(shutter_s=float(Fraction(1, 3))).shutter_text == "1/3 s"
    assert Exposure(aperture=11.0).aperture_text == "f/11"
