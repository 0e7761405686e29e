"""The main window: sidebar | pages | detail panel, a search bar on top, indexing status below.

Pages are keyed by a *view key* (see ``sidebar``) plus ``search:<text>``, ``similar`` and
``viewer``; ``navigate`` opens one and remembers where we came from for Esc/back. Every
library call runs in the ``TaskRunner``; indexing runs in the ``IndexingController``'s thread.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.settings import Settings
from .cluster_view import ClusterGallery
from .detail_panel import DetailPanel
from .duplicates_view import DuplicatesView
from .errors_view import ErrorsView
from .icons import app_icon, icon
from .indexing import IndexingController
from .organise import PhotoOrganiser
from .pages import EmptyState, GridPage, SimilarPage
from .photo_grid import PhotoGridView
from .photo_model import PhotoListModel
from .result_loader import ResultLoader
from .search_bar import SearchBar
from .settings_dialog import SettingsDialog
from .sidebar import Sidebar
from .status_widget import IndexStatusWidget
from .thumbnails import ThumbnailCache
from .viewer import QuickPreview, ViewerWidget
from .window_browse import BrowseMixin
from .window_library import LibraryActionsMixin
from .workers import TaskRunner

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    pass

log = logging.getLogger(__name__)

GUI_STATE_FILE = "gui.ini"
SORTS = (("date", "Date taken"), ("name", "Name"), ("relevance", "Relevance"))


def gui_state_for(settings: Settings) -> QSettings:
    """Window geometry, splitters and the last view live beside the library, not in the registry."""
    settings.ensure_dirs()
    return QSettings(str(Path(settings.data_dir) / GUI_STATE_FILE), QSettings.Format.IniFormat)


class MainWindow(BrowseMixin, LibraryActionsMixin, QMainWindow):
    view_changed = Signal(str)
    results_shown = Signal(int)     # the first page of a listing/search is in the grid
    results_finished = Signal(int)  # every page is in
    similar_shown = Signal(int)
    clusters_shown = Signal(int)
    duplicates_shown = Signal(int)
    library_refreshed = Signal()

    def __init__(self, library, settings: Settings, gui_state: QSettings | None = None,
                 watch: bool = True, parent=None):
        super().__init__(parent)
        self.library = library
        self.settings = settings
        self.gui_state = gui_state if gui_state is not None else gui_state_for(settings)
        self.setWindowTitle("photoapp")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.runner = TaskRunner(max_threads=2, parent=self)
        # Thumbnail decoding shares the CPU (and the GIL) with painting: leave a core to the GUI.
        self.thumbnails = ThumbnailCache(self._thumbnail_path, threads=max(1, min(3, (os.cpu_count() or 2) - 1)),
                                         parent=self)
        self.indexer = IndexingController(library, watch=watch, parent=self)
        self.current_view = ""
        self._history: list[str] = []
        self._folders: list[str] = []
        self._clusters_loaded = False
        self._duplicates_loaded = False
        self._similar_label = ""
        self._closing = False
        self._build()
        self._connect()
        self.organiser = PhotoOrganiser(self)  # ratings, favourites, undo, selection bar (gui/organise.py)
        self._restore_state()
        if library is not None:
            self.set_library(library)
        else:
            self.stack.setCurrentWidget(self.opening_page)
            self.detail.hide()

    # --- the library (may arrive after the window is on screen) ------------------------------
    def set_library(self, library) -> None:
        self.library = library
        self.indexer.library = library
        self.detail.library = library
        self.organiser.set_library(library)
        self.search_bar.set_tag_source(library.tag_counts)
        self.refresh_library()

    def open_library_async(self, opener, then=None) -> None:
        """Open the library in a worker so the window paints first (an ES backend may take a
        while to answer); ``then`` runs once it is set."""
        def opened(library):
            if self._closing:
                library.close()
                return
            self.set_library(library)
            if then is not None:
                then()

        def failed(exc):
            self.opening_page.setText(f"Cannot open the library:\n{exc}")
            QMessageBox.critical(self, "photoapp cannot open the library",
                                 f"{exc}\n\nData folder: {self.settings.data_dir}\n"
                                 "Check the index backend in Settings (or settings.json).")

        self.runner.submit(lambda: opener(self.settings), opened, failed)

    def _thumbnail_path(self, doc_id: str):
        library = self.library
        return library.thumbnail_path(doc_id, self.settings.thumbnail_size) if library is not None else None

    # --- construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.search_bar = SearchBar(self.runner, None)
        self.sort_combo = QComboBox()
        for key, text in SORTS:
            self.sort_combo.addItem(text, key)
        self.sort_combo.setToolTip("Sort order")
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(96, 320)
        self.size_slider.setValue(168)
        self.size_slider.setMinimumWidth(60)
        self.size_slider.setMaximumWidth(120)
        self.size_slider.setToolTip("Thumbnail size")
        zoom = QLabel()
        zoom.setPixmap(icon("zoom").pixmap(16, 16))
        self.add_button = self._tool_button("folder-add", "Add folder…", self.add_folder_dialog)
        self.settings_button = self._tool_button("settings", "Settings", self.open_settings)
        top = QWidget()
        top.setObjectName("TopBar")
        bar = QHBoxLayout(top)
        bar.setContentsMargins(12, 8, 12, 8)
        bar.setSpacing(10)
        bar.addWidget(self.search_bar, 1)
        bar.addSpacing(8)
        bar.addWidget(self.sort_combo)
        bar.addWidget(zoom)
        bar.addWidget(self.size_slider)
        bar.addWidget(self.add_button)
        bar.addWidget(self.settings_button)

        self.sidebar = Sidebar()
        self.model = PhotoListModel(self.thumbnails, self)
        self.grid = PhotoGridView()
        self.grid.setModel(self.model)
        self.loader = ResultLoader(self.runner, self.model, parent=self)
        self.grid_page = GridPage(self.grid)
        self.similar_model = PhotoListModel(self.thumbnails, self)
        self.similar_grid = PhotoGridView()
        self.similar_grid.setModel(self.similar_model)
        self.similar_loader = ResultLoader(self.runner, self.similar_model, parent=self)
        self.similar_page = SimilarPage(self.similar_grid)
        self.empty_state = EmptyState()
        self.cluster_gallery = ClusterGallery(self.thumbnails)
        self.duplicates_view = DuplicatesView(self.thumbnails)
        self.errors_view = ErrorsView()
        self.viewer = ViewerWidget(self.runner)
        self.quick_preview: QuickPreview | None = None
        self.opening_page = QLabel("Opening library…")
        self.opening_page.setObjectName("EmptyText")
        self.opening_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        for page in (self.opening_page, self.empty_state, self.grid_page, self.similar_page, self.cluster_gallery,
                     self.duplicates_view, self.errors_view, self.viewer):
            self.stack.addWidget(page)
        self.detail = DetailPanel(self.runner, self.library)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([220, 860, 320])
        self._panel_widths = [220, 320]  # sidebar, detail: remembered while the detail is hidden
        self.splitter.splitterMoved.connect(lambda *_: self._remember_panel_widths())
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(top)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status = IndexStatusWidget()
        self.statusBar().addPermanentWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(False)
        self._refresh_timer = QTimer(self, interval=3000)
        self._refresh_timer.timeout.connect(self._refresh_while_indexing)

    def _tool_button(self, icon_name: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _connect(self) -> None:
        self.sidebar.view_selected.connect(self.navigate)
        self.search_bar.search_requested.connect(self.search)
        self.sort_combo.currentIndexChanged.connect(lambda _: self._resort())
        self.size_slider.valueChanged.connect(self._set_thumbnail_size)
        for grid, model in ((self.grid, self.model), (self.similar_grid, self.similar_model)):
            grid.current_hit_changed.connect(self.detail.show_hit)
            grid.similar_requested.connect(self.find_similar_to_hit)
            grid.open_requested.connect(lambda row, m=model: self.open_viewer(m, row))
            grid.preview_requested.connect(lambda row, m=model: self.quick_look(m, row))
        self.loader.first_page_shown.connect(self._on_first_page)
        self.loader.finished.connect(self._on_listing_finished)
        self.loader.failed.connect(self._on_listing_failed)
        self.grid_page.back_button.clicked.connect(self.go_back)
        self.similar_page.back_button.clicked.connect(self.go_back)
        self.empty_state.add_folder_clicked.connect(self.add_folder_dialog)
        self.cluster_gallery.cluster_opened.connect(self.open_cluster)
        self.cluster_gallery.recompute_requested.connect(self.recompute_clusters)
        self.viewer.closed.connect(self._close_viewer)
        self.status.pause_toggled.connect(self.indexer.toggle_pause)
        self.status.errors_clicked.connect(lambda: self.navigate("errors"))
        self.indexer.progress.connect(self.status.set_progress)
        self.indexer.paused_changed.connect(self.status.set_paused)
        self.indexer.started.connect(self._refresh_timer.start)
        self.indexer.finished.connect(self._on_indexing_finished)
        self.indexer.failed.connect(self._on_indexing_failed)
        self.indexer.watching_changed.connect(lambda _: self._refresh_status())
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence.StandardKey.Paste, self, self.paste_image)

    # --- library state ------------------------------------------------------------------
    def refresh_library(self) -> None:
        """Re-read folders, tags, error count and counts (in a worker), then update the chrome."""
        library = self.library

        def load():
            folders = library.folders()
            return {"folders": folders, "subfolders": _subfolders(folders),
                    "tags": library.tag_counts(40, ""), "status": library.status()}

        self.runner.submit(load, self._apply_library_state, self._on_background_error)

    def _apply_library_state(self, state: dict) -> None:
        first_time = not self._folders and not self.current_view
        self._folders = state["folders"]
        current = self.sidebar.current_key()
        self.sidebar.set_folders(state["folders"], state["subfolders"])
        self.sidebar.set_tags(state["tags"])
        status = state["status"]
        self.sidebar.set_error_count(status.errors)
        self.status.set_error_count(status.errors)
        self._apply_status(status)
        if current:
            self.sidebar.select_key(current)
        if first_time and self._folders:
            # Load the models now, in the background, so the first search does not wait for them.
            self.indexer.preload_models()
        if first_time:
            last = str(self.gui_state.value("view/last", "all"))
            self.navigate(last if self._view_exists(last) else "all", push=False)
        elif not self._folders:
            self.navigate("all", push=False)
        self.library_refreshed.emit()

    def _refresh_status(self) -> None:
        self.runner.submit(self.library.status, self._apply_status, self._on_background_error)

    def _apply_status(self, status) -> None:
        self.status.set_summary(status.documents, len(status.folders), bool(self.indexer.watcher))
        self.status.set_error_count(status.errors)
        self.sidebar.set_error_count(status.errors)

    def _view_exists(self, key: str) -> bool:
        if key.startswith(("folder:", "tag:")):
            return self.sidebar.has_key(key)
        return key in ("all", "clusters", "duplicates", "errors") or key.startswith("search:")

    # --- settings -----------------------------------------------------------------------
    _settings_dialog: SettingsDialog | None = None

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.runner, self._folders, add_folder=self.add_folder_dialog,
                                remove_folder=self.remove_folder, parent=self)
        self._settings_dialog = dialog
        self.library_refreshed.connect(lambda: dialog.set_folders(self._folders))
        dialog.finished.connect(lambda _: setattr(self, "_settings_dialog", None))
        dialog.show()
        return dialog

    # --- keys, state, shutdown ------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.go_back()
            return
        super().keyPressEvent(event)

    def _set_thumbnail_size(self, value: int) -> None:
        self.grid.set_thumbnail_size(value)
        self.similar_grid.set_thumbnail_size(value)
        self.gui_state.setValue("grid/thumbnail_size", value)

    def _restore_state(self) -> None:
        geometry = self.gui_state.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        try:
            widths = [int(w) for w in self.gui_state.value("window/panels", [])]
        except (TypeError, ValueError):
            widths = []
        if len(widths) == 2 and all(w > 0 for w in widths):
            self._panel_widths = widths
            self._apply_panel_widths()
        size = int(self.gui_state.value("grid/thumbnail_size", 168))
        self.size_slider.setValue(size)
        self._set_thumbnail_size(size)
        sort = self.gui_state.value("grid/sort", "date")
        index = self.sort_combo.findData(sort)
        if index >= 0:
            self.sort_combo.blockSignals(True)
            self.sort_combo.setCurrentIndex(index)
            self.sort_combo.blockSignals(False)

    def _remember_panel_widths(self) -> None:
        sizes = self.splitter.sizes()
        if sizes[0] > 0:
            self._panel_widths[0] = sizes[0]
        if self.detail.isVisible() and sizes[2] > 0:
            self._panel_widths[1] = sizes[2]

    def _apply_panel_widths(self) -> None:
        sidebar, detail = self._panel_widths
        total = max(sum(self.splitter.sizes()), self.width())
        self.splitter.setSizes([sidebar, max(200, total - sidebar - detail), detail])

    def save_state(self) -> None:
        self.gui_state.setValue("window/geometry", self.saveGeometry())
        self._remember_panel_widths()
        self.gui_state.setValue("window/panels", [str(w) for w in self._panel_widths])
        self.gui_state.sync()

    def shutdown(self) -> None:
        """Stop every worker; safe to call twice (closeEvent, tests)."""
        if self._closing:
            return
        self._closing = True
        self.search_bar.close_popup()
        self._refresh_timer.stop()
        self.indexer.shutdown()
        self.loader.cancel()
        self.thumbnails.wait()
        self.runner.wait()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_state()
        self.shutdown()
        super().closeEvent(event)


def _subfolders(folders: list[str], limit: int = 40) -> dict[str, list[str]]:
    """Immediate sub-folders of each root for the sidebar tree (worker thread)."""
    result = {}
    for root in folders:
        try:
            with os.scandir(root) as entries:
                subs = sorted(e.path for e in entries if e.is_dir(follow_symlinks=False)
                              and not e.name.startswith("."))
        except OSError:
            subs = []
        result[root] = subs[:limit]
    return result
