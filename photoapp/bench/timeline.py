"""Timeline speed at 100k / 1M photos, and how well dates are read from file names.

    python -m photoapp.bench.timeline --sizes 100000,1000000 --es-sizes 100000 --workdir /tmp/photoapp-timeline

Timeline: builds an embedded index of ``size`` dated photos (dates from synthetic_library's
event model: 15 years of events, Pareto-sized, a day to three days each; 2% undated) with the
index's bulk writer, then in a *fresh process* that only opens the index measures
``date_counts`` (the scrubber's one query), ``on_this_day`` and a ``month:march`` search. The
same documents go to a local noida-db (``--es-sizes``) for the date histogram.

File names: every name in NAMED (real-world patterns, with the date each one means) and
NOT_DATED (camera counters, ids, hashes, impossible dates), plus every file name under
../shared/datasets (1,689 real names, none with a capture date), through
``capture_date.date_from_name``; counts exact / wrong / missed and false dates, and names per second.

Writes photoapp/bench/results/timeline.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from ..core.capture_date import date_from_name
from ..core.records import PhotoDocument
from .synthetic_library import SyntheticLibrary

RESULTS = Path(__file__).parent / "results" / "timeline.md"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"
NOW = datetime(2026, 12, 1)
UNDATED_SHARE = 0.02

# --- file names --------------------------------------------------------------------------------
# Real-world patterns by the device or app that writes them (from their documentation, AOSP
# sources and files seen in the wild), with the date they mean.
D = datetime
NAMED: list[tuple[str, str, datetime]] = [
    ("Android camera (AOSP)", "IMG_20210314_123456.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Android camera (AOSP)", "VID_20210314_123456.mp4", D(2021, 3, 14, 12, 34, 56)),
    ("Android camera, edited copy", "IMG_20210314_123456~2.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Android camera, HDR", "IMG_20190101_000001_HDR.jpg", D(2019, 1, 1, 0, 0, 1)),
    ("Xiaomi / Huawei", "IMG_20220730_184512.jpg", D(2022, 7, 30, 18, 45, 12)),
    ("Oppo / Realme", "IMG20220730184512.jpg", D(2022, 7, 30, 18, 45, 12)),
    ("Google Pixel", "PXL_20210314_123456789.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Google Pixel, portrait", "PXL_20210314_123456789.PORTRAIT.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Google Pixel, motion", "PXL_20231224_201500123.MP.jpg", D(2023, 12, 24, 20, 15)),
    ("Google Pixel, night", "PXL_20200105_223344556.NIGHT.jpg", D(2020, 1, 5, 22, 33, 44)),
    ("Google Camera, motion photo", "MVIMG_20190704_081500.jpg", D(2019, 7, 4, 8, 15)),
    ("Google Camera, panorama", "PANO_20180812_101010.jpg", D(2018, 8, 12, 10, 10, 10)),
    ("Google Camera, burst", "00000IMG_00000_BURST20190829135021064_COVER.jpg", D(2019, 8, 29, 13, 50, 21)),
    ("Google Camera, burst frame", "00001IMG_00001_BURST20190829135021064.jpg", D(2019, 8, 29, 13, 50, 21)),
    ("Samsung camera", "20210314_123456.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Samsung camera, copy", "20210314_123456(0).jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Samsung video", "20210314_123456.mp4", D(2021, 3, 14, 12, 34, 56)),
    ("Windows Phone", "WP_20140314_12_34_56_Pro.jpg", D(2014, 3, 14, 12, 34, 56)),
    ("Windows Phone (older)", "WP_20130610_001.jpg", D(2013, 6, 10)),
    ("Android screenshot (older)", "Screenshot_2014-03-14-12-34-56.png", D(2014, 3, 14, 12, 34, 56)),
    ("Android screenshot", "Screenshot_20210314-123456.png", D(2021, 3, 14, 12, 34, 56)),
    ("Samsung screenshot with app", "Screenshot_20210314-123456_Chrome.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("MIUI screenshot", "Screenshot_2021-03-14-12-34-56-789_com.android.chrome.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("GNOME screenshot", "Screenshot from 2021-03-14 12-34-56.png", D(2021, 3, 14, 12, 34, 56)),
    ("GNOME 42 screenshot", "Screenshot from 2022-05-01 09-08-07.png", D(2022, 5, 1, 9, 8, 7)),
    ("macOS screenshot", "Screenshot 2021-03-14 at 12.34.56.png", D(2021, 3, 14, 12, 34, 56)),
    ("macOS screenshot (12-hour)", "Screen Shot 2021-03-14 at 9.05.03 PM.png", D(2021, 3, 14, 21, 5, 3)),
    ("macOS screenshot (midnight)", "Screen Shot 2016-11-02 at 12.01.44 AM.png", D(2016, 11, 2, 0, 1, 44)),
    ("macOS screenshot, French", "Capture d’écran 2021-03-14 à 12.34.56.png", D(2021, 3, 14, 12, 34, 56)),
    ("macOS screenshot, German", "Bildschirmfoto 2021-03-14 um 12.34.56.png", D(2021, 3, 14, 12, 34, 56)),
    ("macOS screenshot, Dutch", "Schermafbeelding 2021-03-14 om 12.34.56.png", D(2021, 3, 14, 12, 34, 56)),
    ("Android screenshot, copy", "Screenshot_20210314-123456~2.png", D(2021, 3, 14, 12, 34, 56)),
    ("Google Pixel, edited copy", "PXL_20210314_123456789~2.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Windows Snipping Tool", "Screenshot 2023-09-18 101112.png", D(2023, 9, 18, 10, 11, 12)),
    ("Dropbox camera upload", "2021-03-14 12.34.56.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Dropbox, same second", "2014-03-14 12.34.56-1.jpg", D(2014, 3, 14, 12, 34, 56)),
    ("Telegram", "photo_2021-03-14_12-34-56.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Telegram (numbered)", "photo_2021-03-14 12.34.56 (2).jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Signal", "signal-2021-03-14-123456.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Signal (milliseconds)", "signal-2022-11-02-10-20-30-456.jpg", D(2022, 11, 2, 10, 20, 30)),
    ("WhatsApp image", "IMG-20210314-WA0001.jpg", D(2021, 3, 14)),
    ("WhatsApp video", "VID-20210314-WA0003.mp4", D(2021, 3, 14)),
    ("WhatsApp (copy)", "IMG-20191231-WA0012 (1).jpeg", D(2019, 12, 31)),
    ("Facebook download", "FB_IMG_1615734896123.jpg", datetime.fromtimestamp(1615734896)),
    ("DJI drone (newer)", "DJI_20210314123456_0001_D.JPG", D(2021, 3, 14, 12, 34, 56)),
    ("Sony Xperia / generic", "DSC_20210314_123456.JPG", D(2021, 3, 14, 12, 34, 56)),
    ("Lightroom export by date", "2021-03-14_beach_001.jpg", D(2021, 3, 14)),
    ("Organised by hand", "2021_03_14 Paris.jpg", D(2021, 3, 14)),
    ("Organised by hand", "Paris 2021-03-14.jpg", D(2021, 3, 14)),
    ("Date only", "2021-03-14.jpg", D(2021, 3, 14)),
    ("Scan named by date", "1998-07-23 grandma.jpg", D(1998, 7, 23)),
    ("ISO 8601 with T", "2021-03-14T12:34:56.jpg", D(2021, 3, 14, 12, 34, 56)),
    ("Nextcloud instant upload", "20210314_123456_IMG_1234.jpg", D(2021, 3, 14, 12, 34, 56)),
]
# Names with numbers but no capture date.
NOT_DATED: list[tuple[str, str]] = [
    ("Canon counter", "IMG_1234.JPG"), ("Canon, Adobe RGB", "_MG_1234.CR2"), ("Nikon counter", "DSC_0001.JPG"),
    ("Nikon, Adobe RGB", "_DSC0001.NEF"), ("Sony counter", "DSC01234.JPG"), ("Fujifilm counter", "DSCF1234.JPG"),
    ("Olympus counter", "P1010001.JPG"), ("Olympus (month/day code)", "PA120001.JPG"),
    ("Panasonic counter", "P1000001.JPG"), ("Kodak counter", "100_0001.JPG"), ("GoPro", "GOPR0001.JPG"),
    ("GoPro chaptered", "GX010234.MP4"), ("DJI counter", "DJI_0001.JPG"), ("iPhone", "IMG_1234.HEIC"),
    ("iPhone edited", "IMG_E1234.JPG"), ("Samsung old counter", "SAM_0123.JPG"), ("Pentax", "IMGP1234.JPG"),
    ("Ricoh", "R0012345.JPG"), ("Leica", "L1001234.DNG"), ("Messenger id", "received_10158123456789012.jpeg"),
    ("Snapchat id", "Snapchat-1234567890.jpg"), ("Instagram id", "123456789_123456789012345_1234567890123456789_n.jpg"),
    ("Order number", "order 12345678.jpg"), ("Year only", "2021.jpg"), ("Year and month only", "holiday-2021-03.jpg"),
    ("Impossible month", "IMG_20211340_000000.jpg"), ("30 February", "20210230_101010.jpg"),
    ("Phone number", "phone 0612345678.jpg"), ("MD5 name", "e3b0c44298fc1c149afbf4c8996fb924.jpg"),
    ("Letters around digits", "a20210314b.jpg"), ("Long digit run", "12345678901234.jpg"), ("Scanner", "scan0001.jpg"),
    ("Resolution", "wallpaper 1920x1080.jpg"), ("Year in brackets", "IMG_0001 (2021).jpg"),
    ("Future date", "20991231_000000.jpg"), ("Pre-1900", "18990101.jpg"), ("Digits continue", "20210314999.jpg"),
    ("UUID", "5f3a2b1c-2021-0314-9abc-def012345678.jpg"), ("Version", "logo_v2.0.1.png"),
    ("Unix seconds (ambiguous)", "1615734896.jpg"), ("Dimensions", "banner_1200x628.png"),
]


def _shared_names() -> list[str]:
    names: set[str] = set()
    if SHARED.is_dir():
        for _, _, files in os.walk(SHARED):
            names.update(files)
    return sorted(names)


def measure_names() -> dict:
    exact = wrong = missed = 0
    problems = []
    for source, name, expected in NAMED:
        got = date_from_name(name, NOW)
        if got == expected:
            exact += 1
        elif got is None:
            missed += 1
            problems.append(f"missed: `{name}` ({source})")
        else:
            wrong += 1
            problems.append(f"wrong: `{name}` ({source}) -> {got}")
    false_named = [(s, n, date_from_name(n, NOW)) for s, n in NOT_DATED]
    false_named = [x for x in false_named if x[2] is not None]
    shared = _shared_names()
    false_shared = [(n, d) for n in shared if (d := date_from_name(n, NOW)) is not None]
    problems += [f"false date: `{n}` ({s}) -> {d}" for s, n, d in false_named]
    problems += [f"false date: `{n}` (shared datasets) -> {d}" for n, d in false_shared]
    every = [n for _, n, _ in NAMED] + [n for _, n in NOT_DATED] + shared
    t = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for n in every:
            date_from_name(n, NOW)
    rate = rounds * len(every) / (time.perf_counter() - t)
    return {"named": len(NAMED), "exact": exact, "wrong": wrong, "missed": missed,
            "not_dated": len(NOT_DATED), "false_not_dated": len(false_named),
            "shared": len(shared), "false_shared": len(false_shared), "rate": rate, "problems": problems}


# --- timeline ------------------------------------------------------------------------------------
def dated_documents(size: int, start: int, stop: int, lib: SyntheticLibrary) -> list[PhotoDocument]:
    rng = np.random.default_rng((lib.seed, start, 2))
    minutes = rng.integers(0, 60 * 24 * 3, stop - start)
    undated = rng.random(stop - start) < UNDATED_SHARE
    docs = []
    for j, i in enumerate(range(start, stop)):
        event = lib.photo_event[i]
        when = None if undated[j] else lib.event_start[event] + timedelta(minutes=int(minutes[j]))
        folder = f"/photos/{when.year if when else 'misc'}/event {event}"
        docs.append(PhotoDocument(id=f"{i:040x}", paths=[f"{folder}/IMG_{i:07d}.jpg"], format="JPEG",
                                  taken_at=when, taken_at_source="exif" if when else None))
    return docs


def build_embedded(folder: Path, size: int, batch: int = 20_000) -> float:
    from ..core.index.embedded import EmbeddedIndex

    if folder.exists():
        shutil.rmtree(folder)
    lib = SyntheticLibrary(size, ["photo"], None, dim=8, latent=4)
    index = EmbeddedIndex(folder)
    t0 = time.perf_counter()
    for start in range(0, size, batch):
        with index._write() as c:
            index._insert_fresh(c, dated_documents(size, start, min(size, start + batch), lib))
    index.flush()
    index.close()
    return time.perf_counter() - t0


def measure_backend(backend, repeats: int) -> dict:
    """Latencies (ms) of the timeline's reads on an open backend; the first call is reported apart."""
    from ..core.query import parse_query
    from ..core.timeline import on_this_day, timeline

    t = time.perf_counter()
    first = timeline(backend)
    first_ms = (time.perf_counter() - t) * 1000
    counts, days, months = [], [], []
    query = parse_query("month:march")
    for i in range(repeats):
        t = time.perf_counter()
        tl = timeline(backend)
        counts.append((time.perf_counter() - t) * 1000)
        day = date(2026, 1 + i % 12, 1 + (7 * i) % 28)
        t = time.perf_counter()
        on_this_day(backend, day, per_year=60)
        days.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        backend.search(query, limit=200)
        months.append((time.perf_counter() - t) * 1000)
    assert tl.months == first.months
    return {"first_ms": first_ms, "counts": _p(counts), "on_this_day": _p(days), "month_search": _p(months),
            "months": len(first.months), "dated": first.total}


def _p(samples: list[float]) -> tuple[float, float]:
    a = np.asarray(samples)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def measure_embedded_fresh(folder: Path, repeats: int) -> dict:
    """In a fresh process: nothing of the build is cached in Python."""
    code = ("import json, sys; from pathlib import Path; from photoapp.core.index.embedded import EmbeddedIndex; "
            "from photoapp.bench.timeline import measure_backend; "
            f"b = EmbeddedIndex(Path({str(folder)!r})); print(json.dumps(measure_backend(b, {repeats}))); b.close()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_elastic(size: int, repeats: int, workdir: Path) -> dict:
    from ..core.index.elastic.backend import ElasticIndex
    from ..core.settings import Settings
    from .elastic import start_noida

    data = workdir / f"noida-{size}"
    shutil.rmtree(data, ignore_errors=True)
    proc, url = start_noida(data)
    try:
        settings = Settings(data_dir=workdir / f"es-client-{size}", backend=url)
        settings.elasticsearch.index_prefix = "timeline"
        backend = ElasticIndex(settings)
        lib = SyntheticLibrary(size, ["photo"], None, dim=8, latent=4)
        t0 = time.perf_counter()
        for start in range(0, size, 5000):
            backend.upsert(dated_documents(size, start, min(size, start + 5000), lib))
            backend.flush()
        load_s = time.perf_counter() - t0
        result = measure_backend(backend, repeats)
        result["load_s"] = load_s
        backend.close()
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def write_results(args, names: dict, embedded: list[tuple[int, float, dict]], elastic: list[tuple[int, dict]]) -> None:
    load = os.getloadavg()[0]
    lines = [
        "# Timeline and dates from file names", "",
        f"Command: `python -m photoapp.bench.timeline --sizes {args.sizes} --es-sizes {args.es_sizes} "
        f"--repeats {args.repeats} --es-repeats {args.es_repeats}`  ",
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}, "
        f"shared with other jobs (1-minute load {load:.1f} at the end); {datetime.now():%Y-%m-%d %H:%M}", "",
        "## Timeline queries", "",
        "Synthetic library: dates from `synthetic_library.SyntheticLibrary`'s event model (events over 15 "
        "years, Pareto-sized, each photo within three days of its event's start), 2% undated; documents "
        "carry only what the timeline reads (no tags, no vectors). Embedded: measured in a fresh process "
        "that only opens the index. `date_counts` is the scrubber's one query (embedded: the "
        "`photo_months` table that triggers keep, schema migration 8; ES: `date_histogram`, calendar month); "
        "on this day = `date_counts` + one `on:` day search per earlier year with photos that month "
        "(limit 60 each); `month:march` = a search, limit 200, newest first. "
        f"{args.repeats} repetitions after the first call ({args.es_repeats} on noida-db).", "",
        "| backend | photos | months | build / load | first `date_counts` | `date_counts` p50 / p95 | on this day p50 / p95 | `month:march` p50 / p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, build_s, r in embedded:
        lines.append(f"| embedded | {size:,} | {r['months']} | {build_s:.0f} s | {r['first_ms']:.0f} ms | "
                     f"{r['counts'][0]:.0f} / {r['counts'][1]:.0f} ms | {r['on_this_day'][0]:.0f} / "
                     f"{r['on_this_day'][1]:.0f} ms | {r['month_search'][0]:.0f} / {r['month_search'][1]:.0f} ms |")
    for size, r in elastic:
        lines.append(f"| noida-db (ES API) | {size:,} | {r['months']} | {r['load_s']:.0f} s | {r['first_ms']:.0f} ms | "
                     f"{r['counts'][0]:.0f} / {r['counts'][1]:.0f} ms | {r['on_this_day'][0]:.0f} / "
                     f"{r['on_this_day'][1]:.0f} ms | {r['month_search'][0]:.0f} / {r['month_search'][1]:.0f} ms |")
    lines += ["", "noida-db is a local test server speaking the Elasticsearch API, not Elasticsearch: its "
              "numbers show the path works end to end, not what a real cluster does.", "",
              "## Dates from file names (`capture_date.date_from_name`)", "",
              f"- Real-world patterns with a date: **{names['exact']} / {names['named']} exact** (date and time), "
              f"{names['wrong']} wrong, {names['missed']} missed.",
              f"- Names with numbers but no date (camera counters, ids, hashes, impossible dates): "
              f"**{names['false_not_dated']} / {names['not_dated']} given a false date**.",
              f"- Every file name under ../shared/datasets ({names['shared']:,} real names: ImageNet, COCO, "
              f"EXIF samples, faces, text photos; none holds a capture date): **{names['false_shared']} given a false date**.",
              f"- Speed: {names['rate']:,.0f} names/s.", "",
              "The lists are in photoapp/bench/timeline.py (NAMED: which device or app writes each pattern)."]
    if names["problems"]:
        lines += ["", "Problems:"] + [f"- {p}" for p in names["problems"]]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--es-sizes", default="100000")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--es-repeats", type=int, default=5, help="noida-db answers in seconds: fewer rounds")
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--reuse", action="store_true", help="keep embedded indexes built by an earlier run")
    args = p.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="photoapp-timeline-"))
    workdir.mkdir(parents=True, exist_ok=True)
    names = measure_names()
    print(f"names: {names['exact']}/{names['named']} exact, {names['false_not_dated'] + names['false_shared']} false",
          file=sys.stderr)
    embedded = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        folder = workdir / f"embedded-{size}"
        stamp = workdir / f"embedded-{size}.build_s"  # the build time, for runs with --reuse
        if not (args.reuse and folder.exists()):
            stamp.write_text(str(build_embedded(folder, size)))
        build_s = float(stamp.read_text()) if stamp.exists() else float("nan")
        print(f"embedded {size:,}: built in {build_s:.0f} s", file=sys.stderr, flush=True)
        embedded.append((size, build_s, measure_embedded_fresh(folder, args.repeats)))
    elastic = []
    for size in [int(s) for s in args.es_sizes.split(",") if s]:
        elastic.append((size, measure_elastic(size, args.es_repeats, workdir)))
        print(f"noida {size:,}: loaded in {elastic[-1][1]['load_s']:.0f} s", file=sys.stderr, flush=True)
    write_results(args, names, embedded, elastic)
    return 0


if __name__ == "__main__":
    sys.exit(main())
