"""A small real library whose photos carry their dates in every way photoapp reads them: EXIF
with and without a UTC offset, phone file names, and nothing but the file time."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from PIL import ExifTags, Image

from photo_factory import gradient

# name -> (EXIF DateTimeOriginal, OffsetTimeOriginal) or None; the file time of every file is
# FILE_TIME, so only "holiday.jpg" (no EXIF, no date in its name) is dated by it.
PHOTOS = {
    "exif_offset.jpg": ("2021:03:14 12:34:56", "+01:00"),
    "exif_plain.jpg": ("2019:03:14 08:00:00", None),
    "IMG_20200314_101112.jpg": None,
    "PXL_20210705_090000123.jpg": None,
    "IMG-20170314-WA0001.jpg": None,
    "holiday.jpg": None,
}
FILE_TIME = datetime(2018, 3, 14, 15, 0, 0)
EXPECTED = {  # name -> (wall-clock date taken, source)
    "exif_offset.jpg": (datetime(2021, 3, 14, 12, 34, 56), "exif+offset"),
    "exif_plain.jpg": (datetime(2019, 3, 14, 8, 0, 0), "exif"),
    "IMG_20200314_101112.jpg": (datetime(2020, 3, 14, 10, 11, 12), "filename"),
    "PXL_20210705_090000123.jpg": (datetime(2021, 7, 5, 9, 0, 0), "filename"),
    "IMG-20170314-WA0001.jpg": (datetime(2017, 3, 14), "filename"),
    "holiday.jpg": (FILE_TIME, "filetime"),
}
# (year, month, photos): what the timeline of this library must say.
MONTHS = [(2017, 3, 1), (2018, 3, 1), (2019, 3, 1), (2020, 3, 1), (2021, 3, 1), (2021, 7, 1)]


def make_dated_photos(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = FILE_TIME.timestamp()
    for seed, (name, exif_date) in enumerate(PHOTOS.items()):
        exif = Image.Exif()
        if exif_date is not None:
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            sub[ExifTags.Base.DateTimeOriginal] = exif_date[0]
            if exif_date[1]:
                sub[ExifTags.Base.OffsetTimeOriginal] = exif_date[1]
        gradient(96, 72, seed=seed * 7 + 1).save(folder / name, exif=exif.tobytes())
        os.utime(folder / name, (stamp, stamp))
    return folder
