"""One writer per library: a watching app, a terminal indexer and a reader at once, as real
processes on real photos; afterwards every photo's embedding is what a clean single-process
index gives it."""
from __future__ import annotations

import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np

from fault_helpers import SAMPLE_PHOTOS, child_env, cli
from photoapp.core.library import Library
from photoapp.core.settings import Settings
from photoapp.core.writer_lock import WriterLock

PHOTOS = sorted(p.name for p in SAMPLE_PHOTOS.glob("*.jpg"))
A_FIRST, A_LATER, B = PHOTOS[:4], PHOTOS[4:7], PHOTOS[7:]


class Child:
    """A CLI process whose stderr lines are collected as they come."""

    def __init__(self, data, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "photoapp.cli.main", "--data-dir", str(data), *args],
            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, f"exited {self.proc.returncode}: {self.seen}"
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"never said {text!r}: {self.seen}")


def indexed_files(data) -> int:
    conn = sqlite3.connect(f"file:{data / 'catalog.sqlite3'}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("SELECT COUNT(*) FROM files WHERE status = 'indexed'").fetchone()[0]
    finally:
        conn.close()


def copy(names, folder):
    folder.mkdir(exist_ok=True)
    for n in names:
        shutil.copy2(SAMPLE_PHOTOS / n, folder / n)


def test_watcher_indexer_and_reader_at_once(tmp_path, model_bundle):
    a, b, data = tmp_path / "a", tmp_path / "b", tmp_path / "data"
    copy(A_FIRST, a)
    copy(B, b)
    watcher = Child(data, "watch", str(a))  # the GUI's watcher, as a process
    try:
        watcher.wait_for("watching")
        # Hold the library ourselves: the terminal indexer must wait, and say for whom.
        with WriterLock(data).hold():
            indexer = Child(data, "index", str(b))
            line = indexer.wait_for("waiting for another photoapp")
            assert f"(pid {os.getpid()})" in line
            status = cli(data, "status", timeout=60)  # readers do not wait, and say who writes
            assert status.returncode == 0, status.stderr
            assert f"another photoapp (pid {os.getpid()}) is indexing".encode() in status.stdout
            copy(A_LATER, a)  # the watcher's next batch queues behind us too
            time.sleep(1.5)
        # Now both write, one at a time; readers go on regardless.
        searches = 0
        while indexer.proc.poll() is None or searches < 2:
            r = cli(data, "search", "dog", timeout=60)
            assert r.returncode == 0, r.stderr
            searches += 1
        assert indexer.proc.wait(120) == 0, indexer.seen
        deadline = time.monotonic() + 120
        while indexed_files(data) < len(PHOTOS) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert indexed_files(data) == len(PHOTOS)
    finally:
        watcher.proc.send_signal(signal.SIGTERM)
        watcher.proc.wait(60)

    clean = Library.open(Settings(data_dir=tmp_path / "clean"), bundle=model_bundle)
    shared = Library.open(Settings(data_dir=data), bundle=model_bundle)
    try:
        clean.add_folder(a)
        clean.add_folder(b)
        clean.index()
        for folder, names in ((a, A_FIRST + A_LATER), (b, B)):
            for n in names:
                want, got = clean.info(folder / n), shared.info(folder / n)
                assert got is not None and got.id == want.id, n
                cos = float(np.dot(want.embedding, got.embedding)
                            / np.linalg.norm(want.embedding) / np.linalg.norm(got.embedding))
                assert cos > 0.999, (n, cos)
        assert shared.status().documents == clean.status().documents == len(PHOTOS)
    finally:
        clean.close()
        shared.close()
