"""When a photo was taken, and where that date came from.

The best source first:

    exif          DateTimeOriginal (or Digitized / DateTime) without a recorded UTC offset
    exif+offset   the same with the camera's OffsetTime* tag: the exact moment is known
    filename      a date the camera, phone or app wrote into the file name (rules below)
    filetime      the file's modification time: the last resort, often the copy date

File-name rules (``date_from_name``): the patterns phones, cameras and apps really write.

    IMG_20210314_123456.jpg   VID_…  PXL_20210314_123456789.jpg  MVIMG_…  PANO_…  BURST2019…
    20210314_123456.jpg (Samsung)    IMG20210314123456.jpg (Oppo)  WP_20140314_12_34_56_Pro.jpg
    Screenshot_20210314-123456.png   Screenshot_2021-03-14-12-34-56.png
    Screenshot from 2021-03-14 12-34-56.png   Screen Shot 2021-03-14 at 9.05.03 PM.png (also à, um, om)
    2021-03-14 12.34.56.jpg (Dropbox)   photo_2021-03-14_12-34-56.jpg (Telegram)
    IMG-20210314-WA0001.jpg (WhatsApp: the day only)   2021-03-14.jpg   signal-2021-03-14-123456.jpg
    FB_IMG_1615734896123.jpg (Facebook: milliseconds since 1970)

False positives are worse than no date (a wrong date puts a photo in the wrong year of the
timeline, where nobody finds it), so a candidate must be a real calendar date: month 1-12, a
day that month has, a time under 24:00:00, a year from 1900 (1990 for the bare eight-digit
form, which counters and ids also produce) to next year. An eight-digit run counts only on its
own or after a known prefix (IMG, VID, PXL, …), never inside a longer number or a hex hash;
a year alone ("2021.jpg") or a month alone ("2021-03 trip") is not a day and gives nothing.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

EXIF = "exif"
EXIF_OFFSET = "exif+offset"
FILE_NAME = "filename"
FILE_TIME = "filetime"
SOURCES = (EXIF, EXIF_OFFSET, FILE_NAME, FILE_TIME)

# How the detail panel and `photoapp info` say where a date came from.
SOURCE_TEXT = {
    EXIF: "the camera (EXIF)",
    EXIF_OFFSET: "the camera (EXIF, with its time zone)",
    FILE_NAME: "the file name",
    FILE_TIME: "the file's modification time",
}

MIN_YEAR = 1900
MIN_COMPACT_YEAR = 1990  # "19751231" is more often a counter than a film scan's date

# Letters that may stand right before a bare eight-digit date ("IMG20210314…"); any other
# letters there mean the digits belong to a word or an id.
_COMPACT_PREFIXES = frozenset({
    "img", "vid", "pxl", "mvimg", "pano", "burst", "wp", "dji", "screenshot", "photo", "pic",
    "image", "video", "mov", "snapshot", "portrait", "signal", "scan", "dsc", "cimg", "hdr"})

# A date: YYYY MM DD with one separator used twice ("-", "_", "." or none).
_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<sep>[-_.]?)(?P<m>\d\d)(?P=sep)(?P<d>\d\d)")
# A time right after the date: HH MM SS with one separator used twice (or none), optionally
# a short word before it (macOS: " at ", " à ", " um ", " om "), milliseconds after it (Pixel,
# bursts) and AM/PM (macOS).
_TIME = re.compile(r"(?:[ _\-T]|\s+[^\W\d_]{1,4}\.?\s+)?(?P<H>\d{1,2})(?P<sep>[-_.: ]?)(?P<M>\d\d)(?P=sep)(?P<S>\d\d)"
                   r"(?P<ms>\d{1,3})?(?!\d)(?:\s?(?P<ampm>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?")
_FACEBOOK = re.compile(r"^FB_IMG_(?P<ms>\d{13})(?!\d)", re.IGNORECASE)


def date_from_name(path: str, now: datetime | None = None) -> datetime | None:
    """The wall-clock time written into the file name of ``path``, or None (rules above)."""
    name = os.path.splitext(os.path.basename(path))[0]
    now = now or datetime.now()
    if m := _FACEBOOK.match(name):
        when = datetime.fromtimestamp(int(m["ms"]) / 1000)
        return when.replace(microsecond=0) if _year_ok(when.year, now, MIN_YEAR) else None
    for m in _DATE.finditer(name):
        found = _date_at(name, m, now)
        if found is not None:
            return found
    return None


def _date_at(name: str, m: re.Match, now: datetime) -> datetime | None:
    compact = not m["sep"]
    if compact and not _compact_prefix_ok(name[:m.start()]):
        return None
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    if not _year_ok(year, now, MIN_COMPACT_YEAR if compact else MIN_YEAR):
        return None
    try:
        date = datetime(year, month, day)
    except ValueError:  # month 13, February 30, ...
        return None
    rest = name[m.end():]
    t = _TIME.match(rest)
    if t is not None and (clock := _clock(t)) is not None:
        return date + clock
    # No readable time: the date stands alone only if no digit run continues it ("20210314999").
    if rest[:1].isdigit():
        return None
    return date


def _clock(t: re.Match) -> timedelta | None:
    hour, minute, second = int(t["H"]), int(t["M"]), int(t["S"])
    ampm = (t["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif len(t["H"]) == 1 and not t["sep"]:
        return None  # "2021-03-14-12345" is not 1:23:45
    if hour > 23 or minute > 59 or second > 59:
        return None
    return timedelta(hours=hour, minutes=minute, seconds=second)


def _compact_prefix_ok(before: str) -> bool:
    if not before or not before[-1].isalnum():
        return True  # start of the name or after a separator: "20210314_…", "IMG_20210314_…"
    letters = re.search(r"[A-Za-z]+$", before)
    return letters is not None and letters.group(0).lower() in _COMPACT_PREFIXES


def _year_ok(year: int, now: datetime, lowest: int) -> bool:
    return lowest <= year <= now.year + 1


# --- choosing the date of a photo --------------------------------------------------------------
def capture_date(exif_taken: datetime | None, path: str, mtime_ns: int | None,
                 now: datetime | None = None) -> tuple[datetime | None, str | None]:
    """(date taken, source) from the best source available: EXIF, the file name, the file time.

    A date from EXIF keeps its UTC offset when the camera recorded one (an aware datetime);
    the others are naive local wall-clock times, like EXIF's own."""
    if exif_taken is not None:
        return exif_taken, (EXIF_OFFSET if exif_taken.utcoffset() is not None else EXIF)
    named = date_from_name(path, now)
    if named is not None:
        return named, FILE_NAME
    if mtime_ns:
        try:
            return datetime.fromtimestamp(mtime_ns / 1e9).replace(microsecond=0), FILE_TIME
        except (OverflowError, OSError, ValueError):  # a nonsense mtime on a broken file system
            return None, None
    return None, None


def parse_utc_offset(text: str | None) -> timezone | None:
    """EXIF OffsetTime* ("+01:00", "-05:30", "Z") as a timezone, or None when absent or invalid."""
    if not text:
        return None
    text = text.strip()
    if text in ("Z", "+00:00", "-00:00", "+0000"):
        return timezone.utc
    m = re.fullmatch(r"([+-])(\d\d):?(\d\d)", text)
    if not m:
        return None
    hours, minutes = int(m[2]), int(m[3])
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if m[1] == "-" else delta)


def describe_source(source: str | None) -> str:
    """What the detail panel shows under the date: "from the file name" etc. ("" when the
    document predates sources)."""
    return f"from {SOURCE_TEXT[source]}" if source in SOURCE_TEXT else ""


# --- documents indexed before dates came from names and file times -----------------------------
def date_undated(backend) -> int:
    """Give the documents that are still undated a date from their file name or file time (a
    library indexed before those sources existed has them); returns how many got one.

    Undated photos come last in the date-sorted listing, after the dated ones the month counts
    add up, so finding them is one listing page; with none left (the usual case) it costs a
    ``date_counts`` and a ``stats``. Files are only stat()ed, never opened."""
    from .query.listing import All
    from .timeline import timeline

    dated = timeline(backend).total
    if backend.stats().documents <= dated:
        return 0
    docs = []
    for hit in backend.list_photos(All(), "date", limit=10_000, offset=dated):
        doc = backend.get(hit.id)
        if doc is None or doc.taken_at is not None:
            continue
        try:
            mtime = os.stat(doc.path).st_mtime_ns
        except OSError:
            mtime = None  # gone or unreadable: the file name may still say
        doc.taken_at, doc.taken_at_source = capture_date(None, doc.path, mtime)
        if doc.taken_at is not None:
            docs.append(doc)
    if docs:
        backend.upsert(docs)
        backend.flush_durable()
    return len(docs)
