"""Asynchronous thumbnail loading with an LRU cache of QImages.

The core keeps JPEG thumbnails on disk (``Library.thumbnail_path``); this class turns them into
QImages on worker threads, scaled to the size the grid draws, and keeps the most recent ones
in memory. Requests are only made for rows being painted, and ``retain`` drops queued loads
for rows that scrolled out of view, so a fast scroll through 100,000 photos never builds a
backlog.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPainterPath

ThumbKey = tuple[str, int]  # (doc id, longest side in device pixels)


def size_bucket(pixels: int) -> int:
    """Round a requested size up to a multiple of 64 so slider moves reuse cached images."""
    return max(64, ((int(pixels) + 63) // 64) * 64)


def read_scaled(path: str | Path, longest_side: int | None, upscale: bool = False) -> QImage:
    """Decode an image file into a QImage no larger than ``longest_side`` (worker threads);
    ``upscale``: exactly ``longest_side`` even from a smaller source (grid cells blit 1:1)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    if longest_side:
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > longest_side:
            scaled = size.scaled(QSize(longest_side, longest_side), Qt.AspectRatioMode.KeepAspectRatio)
            reader.setScaledSize(scaled)
    image = reader.read()
    if image.isNull():
        return image
    if longest_side and (max(image.width(), image.height()) > longest_side or upscale):
        image = image.scaled(longest_side, longest_side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


def round_corners(image: QImage, radius: float) -> QImage:
    """Transparent rounded corners, made in the worker so the GUI thread only blits."""
    rounded = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    mask = QPainterPath()
    mask.addRoundedRect(0, 0, rounded.width(), rounded.height(), radius, radius)
    painter = QPainter(rounded)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
    painter.fillPath(mask, QColor(0, 0, 0, 255))
    painter.end()
    return rounded


class _ThumbJob(QRunnable):
    def __init__(self, cache: "ThumbnailCache", key: ThumbKey):
        super().__init__()
        self.setAutoDelete(False)  # the cache keeps it to be able to tryTake() it
        self._cache = cache
        self.key = key

    def run(self) -> None:
        doc_id, side = self.key
        image = QImage()
        try:
            path = self._cache._path_for(doc_id)
            if path is not None:
                image = read_scaled(path, side, upscale=True)
                if not image.isNull():
                    image = round_corners(image, max(3.0, side / 45))
        except Exception:  # noqa: BLE001 - a missing/corrupt thumbnail shows as "unavailable"
            image = QImage()
        self._cache._loaded.emit(self.key, image)


class ThumbnailCache(QObject):
    """LRU of QImages keyed by (doc id, size); emits ``ready(doc_id)`` when one arrives."""

    ready = Signal(str)
    _loaded = Signal(object, object)

    def __init__(self, path_for: Callable[[str], Path | str | None], capacity: int = 1500,
                 threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self._path_for = path_for
        self.capacity = capacity
        self._images: OrderedDict[ThumbKey, QImage] = OrderedDict()
        self._failed: set[ThumbKey] = set()
        self._pending: dict[ThumbKey, _ThumbJob | None] = {}  # None: queued, not started yet
        self._latest_by_id: dict[str, ThumbKey] = {}
        self._to_start: list[ThumbKey] = []
        self._sequence = 0
        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self._start_queued)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)

    # --- lookups (GUI thread) -----------------------------------------------------------
    def get(self, doc_id: str, side: int) -> QImage | None:
        """The cached image, or None after queueing a load. A cached image of another size of
        the same photo is returned meanwhile so resizing never flashes placeholders."""
        key = (doc_id, side)
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
            return image
        if key in self._failed:
            return QImage()
        self.request(key)
        other_key = self._latest_by_id.get(doc_id)
        return self._images.get(other_key) if other_key is not None else None

    def is_failed(self, doc_id: str, side: int) -> bool:
        return (doc_id, side) in self._failed

    def request(self, key: ThumbKey) -> None:
        """Queue a load. Jobs start after the current paint (a zero timer), newest first, so
        painting never waits on the pool and the rows just scrolled to load before older ones."""
        if key in self._pending or key in self._images:
            return
        self._pending[key] = None
        self._to_start.append(key)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _start_queued(self) -> None:
        keys, self._to_start = self._to_start, []
        for key in keys:
            if key in self._pending and self._pending[key] is None:
                job = _ThumbJob(self, key)
                self._pending[key] = job
                self._sequence += 1
                self.pool.start(job, self._sequence)  # higher runs first: the latest requests

    def retain(self, keep: Iterable[str]) -> int:
        """Drop queued (not yet started) loads for photos outside ``keep``; returns how many."""
        keep = set(keep)
        dropped = 0
        for key, job in list(self._pending.items()):
            if key[0] not in keep and (job is None or self.pool.tryTake(job)):
                del self._pending[key]
                dropped += 1
        return dropped

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def clear(self) -> None:
        self.cancel_pending()
        self._images.clear()
        self._latest_by_id.clear()
        self._failed.clear()

    def cancel_pending(self) -> None:
        self._flush_timer.stop()
        self._to_start = []
        for key, job in list(self._pending.items()):
            if job is None or self.pool.tryTake(job):
                del self._pending[key]

    def wait(self, msecs: int = -1) -> bool:
        self.cancel_pending()
        return self.pool.waitForDone(msecs)

    def _on_loaded(self, key: ThumbKey, image: QImage) -> None:
        self._pending.pop(key, None)
        if image.isNull():
            self._failed.add(key)
        else:
            self._images[key] = image
            self._images.move_to_end(key)
            self._latest_by_id[key[0]] = key
            while len(self._images) > self.capacity:
                old_key, _ = self._images.popitem(last=False)
                if self._latest_by_id.get(old_key[0]) == old_key:
                    del self._latest_by_id[old_key[0]]
        self.ready.emit(key[0])
