"""GUI responsiveness benchmark (a script, not a test).

    python -m photoapp.bench.gui [--dataset DIR] [--size N] [--index-limit N] [--work DIR] [--out FILE]

Measures, on the real main window (Qt offscreen platform unless a display is set):

  cold start     a fresh ``python`` process: import, open the library, build and show the window,
                 until the first paint of the main window has completed (spawn -> paint), for an
                 empty library and for the synthetic N-photo library
  first results  Enter in the search bar -> the first page of results painted in the grid, at
                 N photos (synthetic library in the embedded index + catalog)
  scrolling      GUI-thread time per frame while scrolling the N-photo "All photos" grid, with
                 thumbnails loading in the background (cold thumbnail cache)
  GIL convoy     1,000 QPainter calls on the GUI thread next to busy Python threads, by GIL
                 switch interval (why the GUI lowers it)
  GUI stalls     the longest gap of a 5 ms QTimer heartbeat while the app indexes real photos
                 (``--dataset``, default ../shared/datasets/imagenet-sample) through the GUI's
                 own indexing controller

The synthetic library reuses ``photoapp.bench.synthetic_library`` (tags, dates, cameras) without
embeddings; its thumbnails are hard links to thumbnails of the dataset's photos so the grid has
real JPEGs to decode. Results go to ``--out`` (default photoapp/bench/results/gui.md).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATASET = REPO.parent / "shared" / "datasets" / "imagenet-sample"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gui.md"

_CHILD = r"""
import sys, time
t_spawn = float(sys.argv[1])
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from photoapp.core.settings import Settings
from photoapp.gui.app import create_application
from photoapp.gui.main_window import MainWindow, open_library
# The same steps as photoapp.gui.app.main: window first, library opened in a worker.
app = create_application([])
settings = Settings.load(Path(sys.argv[2]))
window = MainWindow(None, settings, QSettings(sys.argv[3], QSettings.Format.IniFormat), watch=False)
marks = {}
def mark(name):
    if name not in marks:
        marks[name] = time.time() - t_spawn
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "paint" not in marks:
            QTimer.singleShot(0, lambda: mark("paint"))  # runs once the paint has been processed
        return False
f = FirstPaint()
window.installEventFilter(f)
def photos_shown(rows):
    QTimer.singleShot(0, lambda: (mark("photos"), app.quit()))
window.loader.first_page_shown.connect(photos_shown)
window.empty_state.installEventFilter(f)
def library_ready():
    mark("library")
    if not window.library_folders and not window.library.folders():
        QTimer.singleShot(0, lambda: (mark("photos"), app.quit()))
window.show()
window.open_library_async(open_library, then=library_ready)
QTimer.singleShot(60000, app.quit)
app.exec()
window.shutdown()
if window.library is not None:
    window.library.close()
print("MARKS", marks.get("paint", -1), marks.get("library", -1), marks.get("photos", -1))
"""


# --- helpers -----------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


def spin(ms: int) -> None:
    """Run the Qt event loop for ``ms`` (bench driver only; the app never does this)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(signal, timeout_ms: int = 60000):
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    result = []

    def got(*args):
        result.append(args)
        loop.quit()

    signal.connect(got)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(got)
    if not result:
        raise TimeoutError(f"no signal within {timeout_ms} ms")
    return result[0]


# --- synthetic library -----------------------------------------------------------------------------
def build_synthetic(data_dir: Path, size: int, dataset: Path) -> None:
    """Catalog + embedded index of ``size`` synthetic photos; thumbnails hard-linked from real ones."""
    from PIL import Image

    from photoapp.bench.synthetic_library import SyntheticLibrary, label_list
    from photoapp.core.catalog import Catalog, DocumentRow
    from photoapp.core.index.embedded.backend import EmbeddedIndex
    from photoapp.core.thumbnails import ThumbnailCache

    marker = data_dir / f".synthetic-{size}"
    if marker.exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    thumbs = ThumbnailCache(data_dir, 256)
    sources = sorted(p for p in dataset.iterdir() if p.suffix.lower() in (".jpeg", ".jpg"))[:200]
    source_thumbs = []
    for i, src in enumerate(sources):
        with Image.open(src) as img:
            source_thumbs.append(thumbs.write(f"{0xffff0000 + i:032x}", img.convert("RGB")))
    generator = SyntheticLibrary(size, label_list(dataset))
    catalog = Catalog.open(data_dir)
    index = EmbeddedIndex(data_dir / "index")
    catalog.add_root("/photos")
    batch = 2000
    for start in range(0, size, batch):
        docs = list(generator.documents(start, min(size, start + batch)))
        for doc in docs:
            doc.id = doc.id[-32:]
            doc.embedding = None
        index.upsert(docs)
        with catalog.write() as w:
            for doc in docs:
                w.put_indexed(doc.paths[0], doc.size_bytes, 0, doc.id)
                w.put_document(DocumentRow(doc.id, doc.taken_at.isoformat(), doc.width, doc.height,
                                           doc.size_bytes, doc.format, doc.model_version))
        for doc in docs:
            target = thumbs.path_for(doc.id, 256)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(source_thumbs[int(doc.id, 16) % len(source_thumbs)], target)
    index.flush()
    index.close()
    catalog.close()
    marker.write_text(f"built in {time.perf_counter() - t0:.1f}s\n")


# --- measurements --------------------------------------------------------------------------------
def cold_start(data_dir: Path, runs: int) -> list[tuple[float, float, float]]:
    """(first paint, library open, first photos painted) seconds after spawn, per run."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            env = dict(os.environ, PYTHONPATH=str(REPO))
            t_spawn = time.time()
            out = subprocess.run([sys.executable, "-c", _CHILD, repr(t_spawn), str(data_dir),
                                  str(Path(tmp) / "gui.ini")], capture_output=True, text=True, env=env,
                                 timeout=120, cwd=str(REPO))
            line = [l for l in out.stdout.splitlines() if l.startswith("MARKS")]
            if not line:
                raise RuntimeError(f"child failed: {out.stderr[-2000:]}")
            times.append(tuple(float(v) for v in line[0].split()[1:]))
    return times


def pick_queries(library) -> list[str]:
    """Queries that hit: the three biggest tags, three mid-sized ones, a phrase, a filter."""
    counts = library.tag_counts(300, "")
    single = [t for t, _ in counts if " " not in t]
    multi = [t for t, _ in counts if " " in t]
    mid = single[len(single) // 2: len(single) // 2 + 3]
    queries = single[:3] + mid
    if multi:
        queries.append(f'"{multi[0]}"')
    if single:
        queries.append(f"{single[0]} camera:canon")
    return queries


def core_ms(library, query: str, repeats: int = 3) -> float:
    """The library's own time for the first page (what the GUI waits for in its worker)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        library.search(query, 200, 0)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def first_results(window, queries: list[str]) -> list[tuple[str, float, int]]:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
    from PySide6.QtTest import QTest

    rows = []
    viewport = window.grid.viewport()
    for query in queries:
        state = {"shown": None, "painted": None}
        loop = QEventLoop()

        class PaintWatch(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint and state["shown"] is not None and state["painted"] is None:
                    def after():
                        state["painted"] = time.perf_counter()
                        loop.quit()
                    QTimer.singleShot(0, after)
                return False

        def shown(n):
            state["shown"] = n
            viewport.update()

        watch = PaintWatch()
        viewport.installEventFilter(watch)
        window.loader.first_page_shown.connect(shown)
        window.search_bar.setText(query)
        QTimer.singleShot(30000, loop.quit)
        t0 = time.perf_counter()
        QTest.keyClick(window.search_bar, Qt.Key.Key_Return)
        loop.exec()
        window.loader.first_page_shown.disconnect(shown)
        viewport.removeEventFilter(watch)
        if state["painted"] is None:
            rows.append((query, float("nan"), -1))
        else:
            rows.append((query, (state["painted"] - t0) * 1000, state["shown"]))
        if window.loader.loading:  # let the rest of this listing page in: the next Enter starts from a quiet app
            wait_for(window.loader.finished, timeout_ms=120_000)
        spin(300)
    return rows


def scroll_frames(window, frames: int, step_px: int, jump: bool) -> list[float]:
    import random

    grid = window.grid
    bar = grid.verticalScrollBar()
    viewport = grid.viewport()
    rng = random.Random(0)
    bar.setValue(0)
    spin(200)
    times = []
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(16)

    def frame():
        t0 = time.perf_counter()
        bar.setValue(rng.randint(0, bar.maximum()) if jump else min(bar.maximum(), bar.value() + step_px))
        viewport.repaint()  # paint now, so the cost of this frame is measured here
        times.append((time.perf_counter() - t0) * 1000)
        if len(times) >= frames:
            timer.stop()
            loop.quit()

    timer.timeout.connect(frame)
    timer.start()
    loop.exec()
    return times


def indexing_stalls(dataset: Path, models_dir: Path, limit: int | None, baseline_s: int = 20) -> dict:
    from PySide6.QtCore import QSettings, QTimer

    from photoapp.core.library import Library
    from photoapp.core.settings import Settings
    from photoapp.gui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="photoapp-gui-bench-") as tmp:
        folder = dataset
        if limit:
            folder = Path(tmp) / "photos"  # symlinks: the dataset is read, never copied
            folder.mkdir()
            for src in sorted(p for p in dataset.iterdir() if p.is_file())[:limit]:
                (folder / src.name).symlink_to(src)
        settings = Settings(data_dir=Path(tmp) / "data", models_dir=models_dir)
        library = Library.open(settings)
        window = MainWindow(library, settings, QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat),
                            watch=False)
        window.resize(1400, 900)
        window.show()
        spin(500)
        ticks: list[float] = []
        heartbeat = QTimer()
        heartbeat.setInterval(5)
        heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
        heartbeat.start()
        # Control: the same heartbeat with the app idle, so the machine's own scheduling noise
        # (other processes on the same cores) can be told apart from stalls the app causes.
        spin(baseline_s * 1000)
        idle = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:])]
        ticks.clear()
        t0 = time.perf_counter()
        window.add_folder(str(folder))
        report = wait_for(window.indexer.finished, timeout_ms=3_600_000)[0]
        elapsed = time.perf_counter() - t0
        spin(300)
        heartbeat.stop()
        window.shutdown()
        library.close()
    gaps = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:])]
    return {"idle_max_ms": max(idle), "idle_over_50": sum(g > 50 for g in idle), "idle_ticks": len(idle),
            "idle_p99_ms": pct(idle, 99), "baseline_s": baseline_s,
            "photos": report.indexed, "errors": report.errors, "elapsed_s": elapsed,
            "max_gap_ms": max(gaps) if gaps else float("nan"), "p99_gap_ms": pct(gaps, 99),
            "p50_gap_ms": pct(gaps, 50), "gaps_over_50": sum(g > 50 for g in gaps), "ticks": len(gaps)}


def gil_convoy(intervals: tuple[float, ...] = (0.005, 0.0005), busy_threads: tuple[int, ...] = (0, 2),
               repeats: int = 5) -> list[tuple[float, int, float, float]]:
    """Why the GUI lowers the GIL switch interval: 1,000 QPainter calls (a grid repaint's worth)
    on the GUI thread, alone and next to threads running pure Python (as decode workers and
    thumbnail loaders do between their C calls). PySide gives the GIL up around each Qt call, so
    each call can wait a whole switch interval to get it back. Rows: (interval s, busy threads,
    min ms, max ms)."""
    import threading

    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QPainter

    target = QImage(1400, 900, QImage.Format.Format_ARGB32_Premultiplied)
    tile = QImage(256, 192, QImage.Format.Format_ARGB32_Premultiplied)
    tile.fill(QColor(40, 120, 200))

    def paint() -> float:
        t0 = time.perf_counter()
        p = QPainter(target)
        for i in range(200):  # 5 Qt calls a cell, ~40 cells: a 1,000-call grid repaint
            p.save()
            p.setPen(QColor(20, 20, 20))
            p.drawImage(QRect(i % 1200, (i * 7) % 800, 128, 96), tile)
            p.drawText(QRect(i % 1200, (i * 7) % 800 + 100, 128, 16), 0, "IMG_0001.JPG")
            p.restore()
        p.end()
        return (time.perf_counter() - t0) * 1000

    def burn(stop: threading.Event) -> None:
        while not stop.is_set():
            sum(range(1000))

    saved = sys.getswitchinterval()
    rows = []
    try:
        for interval in intervals:
            sys.setswitchinterval(interval)
            for n in busy_threads:
                stop = threading.Event()
                threads = [threading.Thread(target=burn, args=(stop,)) for _ in range(n)]
                for t in threads:
                    t.start()
                times = [paint() for _ in range(repeats)]
                stop.set()
                for t in threads:
                    t.join()
                rows.append((interval, n, min(times), max(times)))
    finally:
        sys.setswitchinterval(saved)
    return rows


# --- driver -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--size", type=int, default=100_000, help="photos in the synthetic library")
    parser.add_argument("--index-limit", type=int, default=1000, help="photos to index for the stall test (0 = all)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "photoapp-gui-bench",
                        help="where the synthetic library is built (reused between runs)")
    parser.add_argument("--runs", type=int, default=3, help="cold-start runs")
    parser.add_argument("--skip", default="", help="comma list of: start,search,scroll,convoy,index")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    if not args.dataset.is_dir():
        parser.error(f"dataset folder not found: {args.dataset}")

    from PySide6.QtCore import QSettings

    from photoapp.core.library import Library
    from photoapp.core.settings import Settings, default_models_dir
    from photoapp.gui.app import create_application
    from photoapp.gui.main_window import MainWindow
    from photoapp.gui.navigation import All

    models_dir = default_models_dir()
    big = args.work / f"lib-{args.size}"
    t0 = time.perf_counter()
    build_synthetic(big, args.size, args.dataset)
    print(f"synthetic library ready in {time.perf_counter() - t0:.1f}s: {big}", flush=True)
    Settings(data_dir=big, models_dir=models_dir).save()
    lines = ["# GUI benchmark", "",
             f"`python -m photoapp.bench.gui --size {args.size} --index-limit {args.index_limit}` "
             f"on {platform.node()} ({os.cpu_count()} CPUs, {platform.python_version()}, "
             f"QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')}), {time.strftime('%Y-%m-%d %H:%M')}.", ""]

    if "start" not in skip:
        with tempfile.TemporaryDirectory() as empty_dir:
            Settings(data_dir=Path(empty_dir), models_dir=models_dir).save()
            empty = cold_start(Path(empty_dir), args.runs)
        full = cold_start(big, args.runs)
        def row(name, runs):
            cols = [statistics.median(r[i] for r in runs) for i in range(3)]
            return (f"| {name} | {len(runs)} | **{cols[0]:.2f} s** (max {max(r[0] for r in runs):.2f}) "
                    f"| {cols[1]:.2f} s | {cols[2]:.2f} s |")
        lines += ["## Cold start (target < 2 s to a painted window)", "",
                  "Seconds after `spawn` of a fresh `python` process, medians:", "",
                  "| library | runs | window painted | library open | first photos painted |",
                  "|---|---|---|---|---|", row("empty", empty), row(f"{args.size:,} photos", full), ""]
        print("\n".join(lines[-8:]), flush=True)

    app = create_application([])
    if not ({"search", "scroll"} <= skip):
        settings = Settings.load(big)
        settings.models_dir = models_dir
        library = Library.open(settings)
        with tempfile.TemporaryDirectory() as tmp:
            window = MainWindow(library, settings, QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat),
                                watch=False)
            window.resize(1400, 900)
            window.show()
            t_list = time.perf_counter()
            wait_for(window.loader.finished, timeout_ms=600_000)
            listing_s = time.perf_counter() - t_list
            spin(500)
            if "search" not in skip:
                queries = pick_queries(library)
                # The window preloads the models after start; the first query may still wait for it.
                cold = first_results(window, queries[:1])
                warm = first_results(window, queries[1:])
                values = [ms for _, ms, _ in warm if ms == ms]
                lines += [f"## Enter to first results painted, {args.size:,} photos (target < 150 ms)", "",
                          "Enter pressed in the search bar (QTest key click) until the grid has painted the "
                          "first page; next to it, `Library.search(q, 200)` alone, timed in the same process "
                          "(median of 3, warm): the part of the wait that is the core's query. Each query starts "
                          "once the previous listing has finished paging in.", "",
                          "| query | first page rows | Enter to painted | of which core query |", "|---|---|---|---|"]
                lines += [f"| `{q}` (first query of the session) | {n} | {ms:.0f} ms | {core_ms(library, q):.0f} ms |"
                          for q, ms, n in cold]
                lines += [f"| `{q}` | {n} | {ms:.0f} ms | {core_ms(library, q):.0f} ms |" for q, ms, n in warm]
                lines += ["", f"Queries after the first: median {statistics.median(values):.0f} ms, "
                          f"max {max(values):.0f} ms.", ""]
                print("\n".join(lines[-(len(queries) + 8):]), flush=True)
            if "scroll" not in skip:
                window.navigate(All())
                t_list = time.perf_counter()
                wait_for(window.loader.finished, timeout_ms=600_000)
                listing_s = time.perf_counter() - t_list
                smooth = scroll_frames(window, 300, 120, jump=False)
                jumps = scroll_frames(window, 100, 0, jump=True)
                lines += [f"## Scrolling the {window.model.rowCount():,}-photo grid (GUI-thread time per frame)", "",
                          f"All {window.model.rowCount():,} rows streamed into the model in {listing_s:.1f} s "
                          "(pages in a worker; the first page paints at once).", "",
                          "| scroll | frames | p50 | p95 | p99 | max |", "|---|---|---|---|---|---|",
                          f"| smooth, 120 px/frame | {len(smooth)} | {pct(smooth, 50):.1f} ms | {pct(smooth, 95):.1f} ms "
                          f"| {pct(smooth, 99):.1f} ms | {max(smooth):.1f} ms |",
                          f"| random jumps (thumb drag) | {len(jumps)} | {pct(jumps, 50):.1f} ms | {pct(jumps, 95):.1f} ms "
                          f"| {pct(jumps, 99):.1f} ms | {max(jumps):.1f} ms |", ""]
                print("\n".join(lines[-7:]), flush=True)
            window.shutdown()
            window.close()
        library.close()

    if "convoy" not in skip:
        rows = gil_convoy()
        lines += ["## GIL convoy: a repaint's worth of Qt calls next to busy Python threads", "",
                  "1,000 QPainter calls (200 × save/setPen/drawImage/drawText/restore) on the GUI thread, "
                  "5 runs, alone and next to 2 threads running pure Python; by GIL switch interval "
                  "(`sys.setswitchinterval`; CPython's default is 5 ms, the GUI sets 0.5 ms):", "",
                  "| switch interval | busy Python threads | fastest | slowest |", "|---|---|---|---|"]
        lines += [f"| {iv * 1000:g} ms | {n} | {lo:.0f} ms | {hi:.0f} ms |" for iv, n, lo, hi in rows]
        lines += [""]
        print("\n".join(lines[-(len(rows) + 6):]), flush=True)

    if "index" not in skip:
        r = indexing_stalls(args.dataset, models_dir, args.index_limit or None)
        lines += [f"## GUI-thread stalls while indexing {r['photos']:,} photos (target: none > 50 ms)", "",
                  f"5 ms heartbeat QTimer over {r['elapsed_s']:.0f} s of indexing ({r['photos'] / r['elapsed_s']:.1f} photos/s, "
                  f"{r['errors']} errors), {r['ticks']:,} intervals; GIL switch interval "
                  f"{sys.getswitchinterval() * 1000:g} ms in the GUI process:", "",
                  "| GUI state | intervals | longest gap | p99 gap | gaps > 50 ms |", "|---|---|---|---|---|",
                  f"| idle, {r['baseline_s']} s before indexing (machine noise) | {r['idle_ticks']:,} | "
                  f"{r['idle_max_ms']:.1f} ms | {r['idle_p99_ms']:.1f} ms | {r['idle_over_50']} |",
                  f"| indexing | {r['ticks']:,} | {r['max_gap_ms']:.1f} ms | {r['p99_gap_ms']:.1f} ms "
                  f"| {r['gaps_over_50']} |", "",
                  f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.", ""]
        print("\n".join(lines[-10:]), flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
