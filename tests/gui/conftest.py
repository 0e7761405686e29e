"""GUI test fixtures: a real library (real SQLite index, real ONNX models) over small real photos,
and main windows that are shut down and checked for leftover threads after each test."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SAMPLE_PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def _settings(data_dir: Path):
    from photoapp.core.settings import Settings

    return Settings(data_dir=data_dir, models_dir=MODELS_DIR, decode_workers=2, batch_size=4)


def _require_photos() -> None:
    if not SAMPLE_PHOTOS.is_dir() or not any(SAMPLE_PHOTOS.iterdir()):
        pytest.skip("tests/data/photos is missing")


@pytest.fixture(scope="module")
def indexed_library(tmp_path_factory):
    """One indexed library per test module (indexing with the real models takes seconds)."""
    from photoapp.core.library import Library

    _require_photos()
    root = tmp_path_factory.mktemp("gui-lib")
    photos = root / "photos"
    shutil.copytree(SAMPLE_PHOTOS, photos)
    settings = _settings(root / "appdata")
    library = Library.open(settings)
    library.add_folder(photos)
    report = library.index()
    assert report.indexed > 0
    library.photos_dir = photos  # for tests that need a file path
    try:
        yield library
    finally:
        library.close()


@pytest.fixture
def gui_settings(indexed_library):
    return indexed_library.settings


@pytest.fixture
def make_window(qtbot):
    """Build MainWindows; afterwards shut each down and check no worker thread is left running."""
    from photoapp.gui.main_window import MainWindow

    windows = []
    threads_before = set(threading.enumerate())

    def make(library, settings=None, watch=False, wait_ready=True, size=(1200, 800)):
        window = MainWindow(library, settings or library.settings, watch=watch)
        qtbot.addWidget(window)
        if size:
            window.resize(*size)
        window.show()
        windows.append(window)
        if wait_ready:
            qtbot.waitUntil(lambda: window.current_view is not None, timeout=20000)
        return window

    yield make
    for window in windows:
        window.shutdown()
        assert window.runner.pool.activeThreadCount() == 0
        assert window.thumbnails.pool.activeThreadCount() == 0
        assert not window.indexer.running
        assert window.indexer.watcher is None
    leftover = [t for t in set(threading.enumerate()) - threads_before
                if t.is_alive() and not t.daemon and "QThreadPool" not in t.name]
    assert not leftover, f"threads left running: {leftover}"


@pytest.fixture(autouse=True)
def collect_qt_garbage_here():
    """Each test's Qt garbage is collected on this (the GUI) thread when the test ends, as the
    app does (gui/main_thread_gc.py), not later by whichever worker thread of another test
    happens to allocate; and every TaskRunner a test opened is closed (an open one keeps the
    interpreter's own collector off)."""
    import gc

    from photoapp.gui import main_thread_gc

    open_before = main_thread_gc.users()
    yield
    gc.collect()
    assert main_thread_gc.users() == open_before, "a TaskRunner was left open (close() it)"
