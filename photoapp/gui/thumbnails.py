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

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

ThumbKey = tuple[str, int]  # (doc id, longest side in device pixels)


def size_bucket(pixels: int) -> int:
    """Round a requested size up to a multiple of 64 so slider moves reuse cached images."""
    return max(64, ((int(pixels) + 63) // 64) * 64)


def read_scaled(path: str | Path, longest_side: int | None) -> QImage:
    """Decode an image file into a QImage no larger than ``longest_side`` (worker threads)."""
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
    if longest_side and max(image.width(), image.height()) > longest_side:
        image = image.scaled(longest_side, longest_side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


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
                image = read_scaled(path, side)
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
        self._pending: dict[ThumbKey, _ThumbJob] = {}
        self._latest_by_id: dict[str, ThumbKey] = {}
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
        if key in self._pending or key in self._images:
            return
        job = _ThumbJob(self, key)
        self._pending[key] = job
        self.pool.start(job)

    def retain(self, keep: Iterable[str]) -> int:
        """Drop queued (not yet started) loads for photos outside ``keep``; returns how many."""
        keep = set(keep)
        dropped = 0
        for key, job in list(self._pending.items()):
            if key[0] not in keep and self.pool.tryTake(job):
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
        for key, job in list(self._pending.items()):
            if self.pool.tryTake(job):
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
