"""Dates taken: EXIF (with its UTC offset), else the file name, else the file time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PIL import ExifTags, Image

from photoapp.core.capture_date import (EXIF, EXIF_OFFSET, FILE_NAME, FILE_TIME, capture_date,
                                        date_from_name, parse_utc_offset)
from photoapp.core.metadata import read_metadata

NOW = datetime(2026, 6, 1)

# Names phones, cameras and apps really write, with the date each one means.
NAMED = [
    ("IMG_20210314_123456.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("IMG_20210314_123456~2.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("VID_20210314_123456.mp4", datetime(2021, 3, 14, 12, 34, 56)),
    ("PXL_20210314_123456789.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("PXL_20210314_123456789.PORTRAIT.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("MVIMG_20190704_081500.jpg", datetime(2019, 7, 4, 8, 15)),
    ("00000IMG_00000_BURST20190829135021064_COVER.jpg", datetime(2019, 8, 29, 13, 50, 21)),
    ("20210314_123456.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("20210314_123456(0).jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("IMG20210314123456.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("WP_20140314_12_34_56_Pro.jpg", datetime(2014, 3, 14, 12, 34, 56)),
    ("Screenshot_20210314-123456.png", datetime(2021, 3, 14, 12, 34, 56)),
    ("Screenshot_20210314-123456_Chrome.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("Screenshot_2021-03-14-12-34-56-789_com.android.chrome.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("Screenshot from 2021-03-14 12-34-56.png", datetime(2021, 3, 14, 12, 34, 56)),
    ("Screenshot 2021-03-14 at 12.34.56.png", datetime(2021, 3, 14, 12, 34, 56)),
    ("Screen Shot 2021-03-14 at 9.05.03 PM.png", datetime(2021, 3, 14, 21, 5, 3)),
    ("Screen Shot 2021-03-14 at 12.05.03 AM.png", datetime(2021, 3, 14, 0, 5, 3)),
    ("Capture d’écran 2021-03-14 à 12.34.56.png", datetime(2021, 3, 14, 12, 34, 56)),
    ("Bildschirmfoto 2021-03-14 um 12.34.56.png", datetime(2021, 3, 14, 12, 34, 56)),
    ("2021-03-14 12.34.56.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("2014-03-14 12.34.56-1.jpg", datetime(2014, 3, 14, 12, 34, 56)),
    ("photo_2021-03-14_12-34-56.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("signal-2021-03-14-123456.jpg", datetime(2021, 3, 14, 12, 34, 56)),
    ("IMG-20210314-WA0001.jpg", datetime(2021, 3, 14)),
    ("VID-20210314-WA0003.mp4", datetime(2021, 3, 14)),
    ("2021-03-14.jpg", datetime(2021, 3, 14)),
    ("2021_03_14_beach.jpg", datetime(2021, 3, 14)),
    ("beach 2021-03-14.jpg", datetime(2021, 3, 14)),
    ("DJI_20210314123456_0001_D.JPG", datetime(2021, 3, 14, 12, 34, 56)),
    ("/photos/2019/IMG_20190101_000000.jpg", datetime(2019, 1, 1)),
]

# Names that hold numbers but no date: counters, ids, hashes, impossible dates, years alone.
NOT_DATES = [
    "DSC_0001.JPG", "IMG_1234.HEIC", "P1010001.JPG", "100_0001.JPG", "DSCF1234.JPG", "_MG_1234.CR2",
    "GOPR0001.JPG", "DJI_0001.JPG", "IMG_E1234.JPG", "received_10158123456789012.jpeg",
    "Snapchat-1234567890.jpg", "order 12345678.jpg", "2021.jpg", "holiday-2021-03.jpg",
    "IMG_20211340_000000.jpg", "20210230_101010.jpg", "phone 0612345678.jpg",
    "e3b0c44298fc1c149afbf4c8996fb924.jpg", "a20210314b.jpg", "12345678901234.jpg",
    "scan0001.jpg", "wallpaper 1920x1080.jpg", "IMG_0001 (2021).jpg", "20991231_000000.jpg",
    "18990101.jpg", "20210314999.jpg", "photo 19750601.jpg",
]


@pytest.mark.parametrize("name,expected", NAMED)
def test_dates_in_file_names(name, expected):
    assert date_from_name(name, NOW) == expected


@pytest.mark.parametrize("name", NOT_DATES)
def test_numbers_that_are_not_dates(name):
    assert date_from_name(name, NOW) is None


def test_an_invalid_time_keeps_the_date():
    assert date_from_name("IMG_20210314_256199.jpg", NOW) == datetime(2021, 3, 14)


def test_facebook_names_are_milliseconds_since_1970():
    when = date_from_name("FB_IMG_1615734896123.jpg", NOW)
    assert when == datetime.fromtimestamp(1615734896)


def test_utc_offsets():
    assert parse_utc_offset("+01:00") == timezone(timedelta(hours=1))
    assert parse_utc_offset("-05:30") == timezone(-timedelta(hours=5, minutes=30))
    assert parse_utc_offset("Z") == timezone.utc
    for bad in (None, "", "   ", "+25:00", "1:00", "+01:60", "garbage"):
        assert parse_utc_offset(bad) is None


def test_the_best_source_wins():
    naive = datetime(2020, 5, 1, 10, 0)
    aware = naive.replace(tzinfo=timezone(timedelta(hours=2)))
    mtime = int(datetime(2023, 1, 2, 3, 4, 5).timestamp() * 1e9)
    assert capture_date(naive, "IMG_20210314_123456.jpg", mtime) == (naive, EXIF)
    assert capture_date(aware, "IMG_20210314_123456.jpg", mtime) == (aware, EXIF_OFFSET)
    assert capture_date(None, "IMG_20210314_123456.jpg", mtime) == (datetime(2021, 3, 14, 12, 34, 56), FILE_NAME)
    assert capture_date(None, "holiday.jpg", mtime) == (datetime(2023, 1, 2, 3, 4, 5), FILE_TIME)
    assert capture_date(None, "holiday.jpg", None) == (None, None)


def _jpeg_with_exif(path, taken: str, offset: str | None = None):
    exif = Image.Exif()
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    Image.new("RGB", (16, 12), (200, 100, 50)).save(path, exif=exif.tobytes())


def test_exif_offset_gives_an_aware_date(tmp_path):
    _jpeg_with_exif(tmp_path / "a.jpg", "2021:03:14 12:34:56", "+09:00")
    _jpeg_with_exif(tmp_path / "b.jpg", "2021:03:14 12:34:56")
    _jpeg_with_exif(tmp_path / "c.jpg", "2021:03:14 12:34:56", "nonsense")
    with Image.open(tmp_path / "a.jpg") as img:
        taken = read_metadata(img).taken_at
    assert taken == datetime(2021, 3, 14, 12, 34, 56, tzinfo=timezone(timedelta(hours=9)))
    assert taken.replace(tzinfo=None) == datetime(2021, 3, 14, 12, 34, 56)  # the wall clock stays
    for name in ("b.jpg", "c.jpg"):  # no offset, or one no camera writes: the wall clock alone
        with Image.open(tmp_path / name) as img:
            assert read_metadata(img).taken_at == datetime(2021, 3, 14, 12, 34, 56)
