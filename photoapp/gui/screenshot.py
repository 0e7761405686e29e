"""``photoapp screenshot --out DIR [--library DIR]``: render the main views to PNG files headlessly.

With a library folder it is first added and indexed into the data folder. Each view is then
opened in a real main window (offscreen platform), its workers are waited for, and the window is
grabbed. The GUI state (window size, last view) goes to a throwaway file, not the user's.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .window_idle import grab_when_idle as _grab
from .window_idle import wait_until_idle

WINDOW_SIZE = (1400, 900)


def _ensure_app():
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from .app import create_application

    return create_application([])


def _drop_file(window, path: str) -> None:
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    pos = window.stack.geometry().center()
    QApplication.sendEvent(window, QDragEnterEvent(QPoint(pos), Qt.DropAction.CopyAction, mime,
                                                   Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(window, QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def _photo_with_objects(library, limit: int = 300):
    hits = library.all_photos("date", limit, 0)
    best = None
    for hit in hits:
        doc = library.info(hit.id)
        if doc is not None and doc.objects:
            if best is None or len(doc.objects) > len(best[1].objects):
                best = (hit, doc)
            if len(doc.objects) >= 2:
                break
    return best


def _first_run(settings, out_dir: Path) -> Path:
    """The empty state a new user sees, from a throwaway empty data folder."""
    from PySide6.QtCore import QSettings

    from ..core.library import Library
    from ..core.settings import Settings
    from .main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="photoapp-shot-") as tmp:
        empty = Settings(data_dir=Path(tmp) / "data", models_dir=settings.models_dir)
        library = Library.open(empty)
        window = MainWindow(library, empty, QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat),
                            watch=False)
        try:
            window.resize(*WINDOW_SIZE)
            window.show()
            wait_until_idle(window)
            return _grab(window, window, out_dir / "00-first-run.png")
        finally:
            window.shutdown()
            window.close()
            library.close()


def _unreachable_cluster(settings, out_dir: Path) -> Path:
    """The degraded state: settings name an Elasticsearch cluster nobody answers at."""
    import socket

    from PySide6.QtCore import QSettings

    from ..core.library import Library
    from ..core.settings import Settings
    from .main_window import MainWindow

    with socket.socket() as probe:  # a free port: connection refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="photoapp-shot-") as tmp:
        remote = Settings(data_dir=Path(tmp) / "data", models_dir=settings.models_dir,
                          backend=f"http://127.0.0.1:{port}")
        library = Library.open(remote)
        library.add_folder(Path(tmp))  # a folder of that library, listed although the cluster is down
        window = MainWindow(library, remote, QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat),
                            watch=False)
        try:
            window.resize(*WINDOW_SIZE)
            window.show()
            wait_until_idle(window)
            return _grab(window, window, out_dir / "20-elasticsearch-unreachable.png")
        finally:
            window.shutdown()
            window.close()
            library.close()


def _render_states(window, library, out_dir: Path) -> list[Path]:
    """A colour view, and the window at 800x600 with and without its side panels."""
    from .navigation import All, Color

    written = []
    window.resize(*WINDOW_SIZE)  # earlier renderings may have left it small or full screen
    window.navigate(All())
    wait_until_idle(window)
    colors = [c for doc in _documents(library, 50) for c, _ in (getattr(doc, "colors", None) or [])]
    if colors:
        window.navigate(Color(max(set(colors), key=colors.count)))
        wait_until_idle(window)
        if window.model.rowCount():
            window.grid.setCurrentIndex(window.model.index(0))
            wait_until_idle(window)
        written.append(_grab(window, window, out_dir / "21-colour.png"))
    window.navigate(All())
    window.resize(800, 600)
    wait_until_idle(window)
    if window.model.rowCount():
        window.grid.setCurrentIndex(window.model.index(0))
    written.append(_grab(window, window, out_dir / "22-800x600.png"))
    window.sidebar_button.click()
    window.detail_button.click()
    wait_until_idle(window)
    written.append(_grab(window, window, out_dir / "23-800x600-panels-hidden.png"))
    window.sidebar_button.click()
    window.detail_button.click()
    window.resize(*WINDOW_SIZE)
    return written


def _documents(library, limit: int):
    for hit in library.all_photos("date", limit, 0):
        doc = library.info(hit.id)
        if doc is not None:
            yield doc


def run(settings, out_dir: Path, library_dir: Path | None) -> list[Path]:
    """Index ``library_dir`` (if given) into ``settings.data_dir``, then write one PNG per view."""
    from PySide6.QtCore import QSettings

    from ..core.library import Library
    from .main_window import MainWindow

    _ensure_app()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = [_first_run(settings, out_dir), _unreachable_cluster(settings, out_dir)]
    library = Library.open(settings)
    try:
        if library_dir is not None:
            folder = os.path.abspath(os.fspath(library_dir))
            if folder not in library.folders():
                library.add_folder(folder)
            library.index([folder])
        with tempfile.TemporaryDirectory(prefix="photoapp-shot-") as tmp:
            state = QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat)
            window = MainWindow(library, settings, state, watch=False)
            try:
                window.resize(*WINDOW_SIZE)
                window.show()
                written += _render_views(window, library, out_dir)
                from .screenshot_photographer import render_photographer_views
                written += render_photographer_views(window, library, out_dir)
                written += _render_states(window, library, out_dir)
            finally:
                window.shutdown()
                window.close()
    finally:
        library.close()
    return written


def _render_views(window, library, out_dir: Path) -> list[Path]:
    from .navigation import All, Clusters, Duplicates, Errors

    written = []
    wait_until_idle(window)
    window.navigate(All())
    wait_until_idle(window)
    if window.model.rowCount():
        window.grid.setCurrentIndex(window.model.index(0))
    written.append(_grab(window, window, out_dir / "01-grid.png"))

    tags = [t for t, n in library.tag_counts(30, "") if n > 1] or [t for t, _ in library.tag_counts(5, "")]
    if tags:
        query = tags[min(1, len(tags) - 1)]
        query = f'"{query}"' if " " in query else query
        window.search_bar.setText(query)
        window.search(query)
        wait_until_idle(window)
        written.append(_grab(window, window, out_dir / "02-search.png"))

    sample = library.all_photos("name", 1, 0)
    if sample:
        _drop_file(window, sample[0].path)
        wait_until_idle(window)
        written.append(_grab(window, window, out_dir / "03-similar-drop.png"))

    window.navigate(Clusters())
    wait_until_idle(window, timeout_s=180)
    written.append(_grab(window, window, out_dir / "04-clusters.png"))

    window.navigate(Duplicates())
    wait_until_idle(window, timeout_s=180)
    written.append(_grab(window, window, out_dir / "05-duplicates.png"))

    window.navigate(All())
    wait_until_idle(window)
    found = _photo_with_objects(library)
    if found is not None:
        row = window.model.row_of(found[0].id)
        if row >= 0:
            window.grid.setCurrentIndex(window.model.index(row))
            window.grid.scrollTo(window.model.index(row))
        else:
            window.detail.show_hit(found[0])
        wait_until_idle(window)
        window.detail.boxes_checkbox.setChecked(True)
    written.append(_grab(window, window, out_dir / "06-detail.png"))

    current = window.grid.currentIndex()
    if current.isValid():
        window.open_viewer(window.model, current.row())
        wait_until_idle(window)
        written.append(_grab(window, window, out_dir / "07-viewer.png"))
        window.go_back()

    dialog = window.open_settings()
    dialog.resize(680, 540)
    wait_until_idle(window)
    written.append(_grab(dialog, window, out_dir / "08-settings.png"))
    dialog.tabs.setCurrentIndex(1)
    dialog.es_radio.setChecked(True)
    dialog.es_url.setText("https://localhost:9200")
    dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData("api-key"))
    written.append(_grab(dialog, window, out_dir / "09-settings-index.png"))
    dialog.reject()

    window.navigate(Errors())
    wait_until_idle(window)
    written.append(_grab(window, window, out_dir / "10-errors.png"))

    from .navigation import OnThisDay  # gui/on_this_day.py: today's date in earlier years
    window.navigate(OnThisDay())
    wait_until_idle(window)
    written.append(_grab(window, window, out_dir / "30-on-this-day.png"))

    from .navigation import People  # gui/people_view.py: a card per person found in the photos
    window.navigate(People())
    wait_until_idle(window)
    written.append(_grab(window, window, out_dir / "40-people.png"))

    from .navigation import Map  # gui/map_view.py: photos with GPS as markers on the world map
    window.navigate(Map())
    wait_until_idle(window)
    written.append(_grab(window, window, out_dir / "50-map.png"))
    return written
