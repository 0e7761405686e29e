"""Memory of the desktop app while and after it indexes a folder (a script, not a test).

    python -m photoapp.bench.gui_memory [--dataset DIR] [--repo CHECKOUT] [--out FILE]

A fresh process starts the real main window (offscreen unless a display is set) on an empty data
folder, adds ``--dataset`` (default ../shared/datasets/imagenet-sample, 1,000 photos) the way a
user does, lets the app index and watch it, then scrolls the whole grid (every thumbnail loaded
once), opens 30 photos in the viewer and idles. RSS (VmRSS) and peak RSS (VmHWM) are read from
/proc at each step, with what the process holds that we can name: the thumbnail cache (bytes of
its QImages), Python objects (tracemalloc is too slow here: ``gc`` object count), threads.
``malloc_trim`` at the end shows how much of the RSS was free heap that glibc had kept.

``--repo`` runs another checkout's photoapp (e.g. a ``git worktree`` of an older commit) with
the same driver, for before/after.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATASET = REPO.parent / "shared" / "datasets" / "imagenet-sample"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gui-memory.md"

_CHILD = r"""
import ctypes, gc, json, os, sys, threading, time
from pathlib import Path
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from photoapp.core.library import Library
from photoapp.core.settings import Settings
from photoapp.gui.app import create_application
from photoapp.gui.main_window import MainWindow

dataset, work, models = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
cache_capacity = int(sys.argv[4])
t0 = time.monotonic()

def proc_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

def spin(ms):
    loop = QEventLoop(); QTimer.singleShot(ms, loop.quit); loop.exec()

def thumbs(window):
    images = getattr(window.thumbnails, "_images", {})
    return len(images), sum(img.sizeInBytes() for img in images.values())

def mark(step, window=None):
    n, size = thumbs(window) if window is not None else (0, 0)
    print("MARK " + json.dumps({"step": step, "t_s": round(time.monotonic() - t0, 1),
          "rss_mb": round(proc_kb("VmRSS") / 1024), "peak_mb": round(proc_kb("VmHWM") / 1024),
          "thumbnails": n, "thumbnail_mb": round(size / 2**20, 1), "threads": threading.active_count(),
          "os_threads": proc_kb("Threads"), "py_objects": len(gc.get_objects())}), flush=True)

app = create_application([])
mark("app")
settings = Settings(data_dir=work / "data", models_dir=models)
library = Library.open(settings)
window = MainWindow(library, settings, QSettings(str(work / "gui.ini"), QSettings.Format.IniFormat), watch=True)
if cache_capacity:
    window.thumbnails.capacity = cache_capacity
window.resize(1400, 900)
window.show()
spin(1500)
mark("window", window)
done = []
window.indexer.finished.connect(lambda report: done.append(report))
window.add_folder(str(dataset))
peak_during = 0
while not done and time.monotonic() - t0 < 3600:
    spin(1000)
    peak_during = max(peak_during, proc_kb("VmRSS"))
report = done[0] if done else None
spin(3000)
mark("indexed", window)
print("INDEXED " + json.dumps({"indexed": getattr(report, "indexed", None),
      "max_rss_while_indexing_mb": round(peak_during / 1024)}), flush=True)
bar = window.grid.verticalScrollBar()
step = max(1, window.grid.viewport().height() // 2)
while bar.value() < bar.maximum():
    bar.setValue(bar.value() + step)
    spin(60)
spin(3000)
mark("browsed", window)
for row in range(min(30, window.model.rowCount())):
    window.open_viewer(window.model, row)
    spin(150)
window.go_back()
spin(2000)
mark("viewed", window)
spin(10000)
mark("idle 10 s", window)
gc.collect()
ctypes.CDLL("libc.so.6").malloc_trim(0)
spin(500)
mark("after malloc_trim", window)
window.shutdown()
window.close()
library.close()
"""


def run(repo: Path, dataset: Path, models: Path, cache: int = 0) -> tuple[list[dict], dict]:
    with tempfile.TemporaryDirectory(prefix="photoapp-gui-mem-") as tmp:
        env = dict(os.environ, PYTHONPATH=str(repo), QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(dataset), tmp, str(models), str(cache)],
                              cwd=repo,
                              env=env, capture_output=True, text=True, timeout=4000)
    marks = [json.loads(line[5:]) for line in proc.stdout.splitlines() if line.startswith("MARK ")]
    indexed = next((json.loads(line[8:]) for line in proc.stdout.splitlines() if line.startswith("INDEXED ")), {})
    if proc.returncode != 0 or not marks:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"the app exited with {proc.returncode}")
    return marks, indexed


def table(marks: list[dict]) -> list[str]:
    lines = ["| step | t (s) | RSS (MB) | peak RSS (MB) | thumbnails in memory | thumbnail cache (MB) | threads (Python / OS) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for m in marks:
        lines.append(f"| {m['step']} | {m['t_s']} | {m['rss_mb']:,} | {m['peak_mb']:,} | {m['thumbnails']:,} "
                     f"| {m['thumbnail_mb']} | {m['threads']} / {m['os_threads']} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose photoapp to run")
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the checkout's)")
    parser.add_argument("--thumbnail-cache", type=int, default=0,
                        help="thumbnails the window keeps in memory (default: the checkout's own setting)")
    parser.add_argument("--out", type=Path, default=None, help=f"write a Markdown table (e.g. {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if not args.dataset.is_dir():
        raise SystemExit(f"no dataset at {args.dataset}")
    started = time.time()
    marks, indexed = run(args.repo.resolve(), args.dataset.resolve(), (args.models or args.repo / "models").resolve(),
                         args.thumbnail_cache)
    count = sum(1 for p in args.dataset.iterdir() if p.is_file())
    cache = f" --thumbnail-cache {args.thumbnail_cache}" if args.thumbnail_cache else ""
    lines = [f"## GUI memory: {args.repo.resolve()} indexing {count:,} photos ({args.dataset.name})", "",
             f"`python -m photoapp.bench.gui_memory --dataset {args.dataset} --repo {args.repo}{cache}`, "
             f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(started))}; photos indexed: {indexed.get('indexed')}, "
             f"highest RSS sampled while indexing: {indexed.get('max_rss_while_indexing_mb')} MB.", ""]
    lines += table(marks)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
