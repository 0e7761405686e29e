"""Folder watching in the running app: the app sits idle after indexing, photos are dropped into
the watched folder, and they become searchable without anyone asking (issue 15, bug 1)."""
from __future__ import annotations

import logging
import shutil
import time

import pytest
from PIL import Image

from photoapp.gui.navigation import All

from conftest import SAMPLE_PHOTOS, _require_photos, _settings


@pytest.fixture
def small_library(tmp_path):
    from photoapp.core.library import Library

    _require_photos()
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("astronaut.jpg", "coffee.jpg", "rocket.jpg"):
        shutil.copy(SAMPLE_PHOTOS / name, photos / name)
    library = Library.open(_settings(tmp_path / "appdata"))
    library.add_folder(photos)
    library.photos_dir = photos
    yield library
    library.close()


def test_photos_dropped_into_a_watched_folder_become_searchable_while_idle(small_library, make_window,
                                                                           qtbot, caplog):
    caplog.set_level(logging.WARNING)
    window = make_window(small_library, watch=True)
    with qtbot.waitSignal(window.indexer.finished, timeout=180000):
        window.start_indexing()
    qtbot.waitUntil(lambda: window.indexer.watcher is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=30000)
    # The watcher's catch-up batch runs once after the pass; the app is idle after it.
    qtbot.waitUntil(lambda: window.indexer.watcher.wait_idle(0.01), timeout=30000)
    qtbot.wait(2500)  # idle: the thread of the indexing pass is long gone

    # New content (not copies of indexed photos), named so a search finds them by file name.
    dropped = []
    for source, name in (("chelsea.jpg", "zebrafinch.jpg"), ("motorcycle.jpg", "quokka.jpg")):
        with Image.open(SAMPLE_PHOTOS / source) as img:
            partial = small_library.photos_dir / (name + ".part")
            img.convert("RGB").resize((img.width // 2, img.height // 2)).save(partial, "JPEG", quality=88)
        target = small_library.photos_dir / name
        partial.rename(target)  # appear at once, as a finished file
        dropped.append(target)
    appeared = time.monotonic()

    def searchable() -> bool:
        return all(any(h.path == str(p) for h in small_library.search(p.stem, 10)) for p in dropped)

    qtbot.waitUntil(searchable, timeout=60000)
    searchable_after = time.monotonic() - appeared
    # ... and the open grid shows them without a restart or a click.
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=30000)
    shown_after = time.monotonic() - appeared
    print(f"\nwatch latency: searchable {searchable_after:.2f} s, in the grid {shown_after:.2f} s "
          "after the files appeared")
    assert window.current_view == All()
    assert "photos" in window.status.summary.text() and "watching for changes" in window.status.summary.text()
    deleted_source = [r for r in caplog.records if "Signal source has been deleted" in r.getMessage()
                      or (r.exc_info and "Signal source has been deleted" in str(r.exc_info[1]))]
    assert not deleted_source
    assert window.indexer.watcher.last_error == ""
