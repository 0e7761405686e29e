"""First run: empty state, add a folder (indexed at once and watched), remove it; state is remembered."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from photoapp.gui.navigation import All, Errors, Folder

from conftest import MODELS_DIR, SAMPLE_PHOTOS, _require_photos


@pytest.fixture
def empty_library(tmp_path):
    from photoapp.core.library import Library
    from photoapp.core.settings import Settings

    settings = Settings(data_dir=tmp_path / "appdata", models_dir=MODELS_DIR, decode_workers=2, batch_size=4)
    library = Library.open(settings)
    yield library
    library.close()


def test_first_run_add_folder_indexes_watches_and_remove_purges(empty_library, make_window, qtbot, tmp_path):
    _require_photos()
    photos = tmp_path / "photos"
    shutil.copytree(SAMPLE_PHOTOS, photos)
    window = make_window(empty_library, watch=True)
    assert window.stack.currentWidget() is window.empty_state
    assert window.empty_state.button.isVisible()

    with qtbot.waitSignal(window.indexer.finished, timeout=180000) as finished:
        window.add_folder(str(photos))
    report = finished.args[0]
    assert report.indexed > 0
    qtbot.waitUntil(lambda: window.indexer.watcher is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.grid_page
                    and window.model.rowCount() == report.indexed, timeout=30000)
    qtbot.waitUntil(lambda: window.sidebar.has_view(Folder(str(photos))), timeout=10000)

    # Removing asks first and says what it purges; answering Yes purges.
    asked = []

    def answer_yes():
        box = QApplication.activeModalWidget()
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(200, answer_yes)
    window.remove_folder(str(photos))
    assert asked and "not touched" in asked[0] and "thumbnails" in asked[0]
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.empty_state, timeout=30000)
    assert empty_library.folders() == []
    assert len(list(photos.rglob("*"))) == len(list(SAMPLE_PHOTOS.rglob("*")))  # photos untouched


def test_window_size_splitter_and_last_view_are_remembered(indexed_library, make_window, qtbot):
    window = make_window(indexed_library)
    window.resize(790, 611)  # the offscreen screen is 800 px wide; geometry is kept on screen
    qtbot.waitUntil(lambda: window.width() == 790)
    size = window.size()
    window.splitter.setSizes([160, 420, 210])
    sizes = window.splitter.sizes()
    window.size_slider.setValue(222)
    window.navigate(Errors())
    window.close()
    ini = Path(indexed_library.settings.data_dir) / "gui.ini"
    assert ini.is_file()

    again = make_window(indexed_library, size=None)
    qtbot.waitUntil(lambda: again.current_view == Errors(), timeout=20000)
    # restoreGeometry goes through the platform's frame handling: allow a few pixels.
    assert abs(again.width() - size.width()) <= 4 and abs(again.height() - size.height()) <= 4
    assert again.size_slider.value() == 222
    assert again.grid.thumbnail_size() == 222
    assert not again.detail.isVisible()  # the errors page has no photo to detail
    again.navigate(All())
    restored = again.splitter.sizes()
    assert abs(restored[0] - sizes[0]) <= 2 and abs(restored[2] - sizes[2]) <= 2
