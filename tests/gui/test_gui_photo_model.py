"""The grid's list model over a real library: model contract, paging, async thumbnails."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QAbstractItemModelTester

from photoapp.gui.photo_model import PHOTO_IDS_MIME, HitRole, IdRole, PhotoListModel
from photoapp.gui.result_loader import ResultLoader
from photoapp.gui.thumbnails import ThumbnailCache
from photoapp.gui.workers import TaskRunner


def _cache(library, qtbot, capacity=100):
    cache = ThumbnailCache(lambda doc_id: library.thumbnail_path(doc_id), capacity=capacity, threads=2)
    return cache


def test_model_passes_the_qt_model_tester_while_pages_stream_in(indexed_library, qtbot):
    cache = _cache(indexed_library, qtbot)
    model = PhotoListModel(cache)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    runner = TaskRunner()
    # Tiny pages so that several appends happen, each checked by the tester.
    loader = ResultLoader(runner, model, first_page=2, page=3)
    total = len(indexed_library.all_photos("name", 10_000, 0))
    with qtbot.waitSignal(loader.finished, timeout=20000) as finished:
        loader.load(lambda offset, limit: indexed_library.all_photos("name", limit, offset))
    assert finished.args == [total]
    assert model.rowCount() == total > 3
    ids = [model.data(model.index(r), IdRole) for r in range(model.rowCount())]
    assert ids == [h.id for h in indexed_library.all_photos("name", 10_000, 0)]  # pages in order, no gaps
    model.sort_hits("name")
    model.clear()
    assert model.rowCount() == 0
    runner.close()
    cache.wait()


def test_thumbnails_load_asynchronously_into_the_decoration_role(indexed_library, qtbot):
    cache = _cache(indexed_library, qtbot)
    model = PhotoListModel(cache)
    model.set_hits(indexed_library.all_photos("date", 5, 0))
    index = model.index(0)
    # First ask: nothing cached yet, a load is queued and the delegate paints a placeholder.
    assert model.data(index, Qt.ItemDataRole.DecorationRole) is None
    with qtbot.waitSignal(model.dataChanged, timeout=20000):
        pass
    image = model.data(index, Qt.ItemDataRole.DecorationRole)
    assert isinstance(image, QImage) and not image.isNull()
    assert max(image.width(), image.height()) <= model.thumb_side
    cache.wait()


def test_lru_keeps_only_capacity_images_and_retain_drops_queued_loads(indexed_library, qtbot):
    cache = _cache(indexed_library, qtbot, capacity=2)
    hits = indexed_library.all_photos("date", 50, 0)
    assert len(hits) >= 4
    for hit in hits[:3]:
        cache.get(hit.id, 128)
    qtbot.waitUntil(lambda: cache.pending_count == 0, timeout=20000)
    assert len(cache._images) == 2  # the oldest was evicted
    # Flood the queue, then keep only one photo: every queued load for the others is dropped.
    cache.pool.setMaxThreadCount(1)
    for hit in hits:
        cache.request((hit.id, 64))
    dropped = cache.retain([hits[0].id])
    assert dropped > 0
    qtbot.waitUntil(lambda: cache.pending_count == 0, timeout=20000)
    cache.wait()


def test_dragging_photos_out_carries_file_urls_and_ids(indexed_library, qtbot):
    cache = _cache(indexed_library, qtbot)
    model = PhotoListModel(cache)
    model.set_hits(indexed_library.all_photos("date", 2, 0))
    mime = model.mimeData([model.index(0), model.index(1)])
    paths = [u.toLocalFile() for u in mime.urls()]
    assert paths == [model.data(model.index(r), HitRole).path for r in range(2)]
    ids = bytes(mime.data(PHOTO_IDS_MIME).data()).decode().split()
    assert ids == [model.data(model.index(r), IdRole) for r in range(2)]
    cache.wait()


def test_refresh_in_one_page_resets_once_and_not_at_all_when_unchanged(indexed_library, qtbot):
    """The grid's refresh while indexing: one model update per refresh, none when the listing is
    the same (each reset repaints the whole grid on the GUI thread)."""
    cache = _cache(indexed_library, qtbot)
    model = PhotoListModel(cache)
    runner = TaskRunner()
    loader = ResultLoader(runner, model, first_page=2, page=3)
    fetch = lambda offset, limit: indexed_library.all_photos("name", limit, offset)  # noqa: E731
    total = len(indexed_library.all_photos("name", 10_000, 0))
    assert total > 2
    resets, inserts = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda *a: inserts.append(1))

    # A changed listing (here: the model starts with only part of it) is replaced in one reset.
    model.set_hits(indexed_library.all_photos("name", 1, 0))
    resets.clear()
    with qtbot.waitSignal(loader.finished, timeout=20000) as finished:
        loader.load(fetch, clear=False, first_page=5000)
    assert finished.args == [total]
    assert (len(resets), len(inserts)) == (1, 0)
    assert [model.id_at(r) for r in range(model.rowCount())] == [h.id for h in fetch(0, 10_000)]

    # The same listing again: no reset, no insert, rows as they were.
    resets.clear()
    with qtbot.waitSignal(loader.finished, timeout=20000) as finished:
        loader.load(fetch, clear=False, first_page=5000)
    assert finished.args == [total]
    assert (len(resets), len(inserts)) == (0, 0)
    assert model.rowCount() == total
    runner.close()
    cache.wait()
