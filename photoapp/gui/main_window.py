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
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
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
from . import drops
from .cluster_view import ClusterGallery
from .detail_panel import DetailPanel
from .duplicates_view import DuplicatesView, build_rows
from .errors_view import ErrorsView
from .icons import app_icon, icon
from .indexing import IndexingController
from .pages import EmptyState, GridPage, SimilarPage
from .photo_grid import PhotoGridView
from .photo_model import HitPage, PhotoListModel
from .result_loader import ResultLoader
from .search_bar import SearchBar
from .settings_dialog import SettingsDialog
from .sidebar import Sidebar
from .status_widget import IndexStatusWidget
from .thumbnails import ThumbnailCache, read_scaled
from .viewer import QuickPreview, ViewerWidget
from .workers import TaskRunner

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.records import SearchHit

log = logging.getLogger(__name__)

GUI_STATE_FILE = "gui.ini"
SIMILAR_LIMIT = 200
SORTS = (("date", "Date taken"), ("name", "Name"), ("relevance", "Relevance"))


def gui_state_for(settings: Settings) -> QSettings:
    """Window geometry, splitters and the last view live beside the library, not in the registry."""
    settings.ensure_dirs()
    return QSettings(str(Path(settings.data_dir) / GUI_STATE_FILE), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
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
            self.runner.submit(self.library.vocabulary, None,
                               lambda exc: log.info("models not preloaded: %s", exc), priority=-1)
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

    # --- navigation ---------------------------------------------------------------------
    def navigate(self, key: str, push: bool = True) -> None:
        if not key or self.library is None:
            return
        if push and self.current_view and self.current_view != key and self.current_view != "viewer":
            self._history.append(self.current_view)
            del self._history[:-50]
        self.current_view = key
        if key not in ("viewer", "similar"):
            self.gui_state.setValue("view/last", key)
        self.sidebar.select_key(key)
        if not self._folders and key not in ("errors",):
            self.stack.setCurrentWidget(self.empty_state)
            for widget in (self.search_bar, self.sort_combo, self.size_slider):
                widget.setEnabled(False)  # nothing to search or sort yet
            if self.detail.isVisible():
                self._remember_panel_widths()
                self.detail.hide()  # nothing to detail yet; the invitation gets the room
            self.view_changed.emit(key)
            return
        # Photo pages get the detail panel; clusters, duplicates and errors get the room.
        show_detail = key in ("all", "similar") or key.startswith(("folder:", "tag:", "search:", "cluster:"))
        if show_detail != self.detail.isVisible():
            if not show_detail:
                self._remember_panel_widths()
            self.detail.setVisible(show_detail)
            if show_detail:
                self._apply_panel_widths()
        if not key.startswith("search:") and key != "similar" and self.search_bar.text():
            self.search_bar.clear()
        self.search_bar.setEnabled(True)
        photo_page = show_detail or key == "viewer"
        self.sort_combo.setEnabled(photo_page and key != "similar")
        self.size_slider.setEnabled(photo_page)
        if key in ("all",) or key.startswith(("folder:", "tag:")):
            self._set_sort_quietly("date" if self.sort_combo.currentData() == "relevance" else None)
        back = bool(self._history) and key.startswith(("search:", "cluster:"))
        if key == "all":
            library, sort = self.library, self.sort_key()  # read widgets here, not in the worker
            self._show_listing("All photos", lambda o, n: library.all_photos(sort, n, o), back=False)
        elif key.startswith("folder:"):
            folder = key[len("folder:"):]
            self._show_search_listing(os.path.basename(folder) or folder, f'folder:"{folder}"', folder, back)
        elif key.startswith("tag:"):
            tag = key[len("tag:"):]
            self._show_search_listing(f"Tag: {tag}", f'tag:"{tag}"', "", back)
        elif key.startswith("search:"):
            text = key[len("search:"):]
            if self.search_bar.text().strip() != text:
                self.search_bar.setText(text)
            self._show_search_listing("Search results", text, f"for “{text}”", back)
        elif key.startswith("cluster:"):
            self._show_cluster(key[len("cluster:"):])
        elif key == "clusters":
            self.stack.setCurrentWidget(self.cluster_gallery)
            if not self._clusters_loaded:
                self.load_clusters()
        elif key == "duplicates":
            self.stack.setCurrentWidget(self.duplicates_view)
            if not self._duplicates_loaded:
                self.load_duplicates()
        elif key == "errors":
            self.stack.setCurrentWidget(self.errors_view)
            self.runner.submit(self.library.errors, self.errors_view.set_records, self._on_background_error)
        elif key == "similar":
            self.stack.setCurrentWidget(self.similar_page)
        self.view_changed.emit(key)

    def go_back(self) -> None:
        if self.stack.currentWidget() is self.viewer:
            self._close_viewer()
            return
        if self._history:
            self.navigate(self._history.pop(), push=False)
        elif self.current_view != "all":
            self.navigate("all", push=False)

    def _show_listing(self, title: str, fetch, subtitle: str = "", back: bool = False,
                      show_scores: bool = False, total: int | None = None) -> None:
        self.stack.setCurrentWidget(self.grid_page)
        self.grid_page.set_title(title, subtitle or "Loading…", back)
        self._listing_subtitle = subtitle
        self.detail.set_empty()
        self.loader.load(fetch, show_scores=show_scores, total=total)

    def _show_search_listing(self, title: str, query: str, subtitle: str, back: bool) -> None:
        library = self.library
        self._show_listing(title, lambda o, n: library.search(query, n, o), subtitle, back)

    def _set_sort_quietly(self, key: str | None) -> None:
        if key is not None:
            self.sort_combo.blockSignals(True)
            self.sort_combo.setCurrentIndex(self.sort_combo.findData(key))
            self.sort_combo.blockSignals(False)

    def sort_key(self) -> str:
        key = self.sort_combo.currentData()
        return key if key in ("date", "name") else "date"

    def _resort(self) -> None:
        key = self.sort_combo.currentData()
        self.gui_state.setValue("grid/sort", key)
        if self.current_view == "all":
            self.navigate("all", push=False)
        elif self.stack.currentWidget() is self.grid_page and key in ("name", "relevance"):
            self.model.sort_hits(key)
        elif self.stack.currentWidget() is self.grid_page and key == "date":
            self._sort_loaded_by_date()

    def _sort_loaded_by_date(self) -> None:
        """Search-based listings come by relevance; dates are looked up and sorted in a worker."""
        model, library = self.model, self.library
        page = HitPage(list(model._ids), list(model._paths), list(model._scores), dict(model._explanations))

        def by_date() -> HitPage:
            def taken(i):
                doc = library.info(page.ids[i])
                when = doc.taken_at if doc is not None else None
                return (when is None, -when.timestamp() if when else 0.0, page.paths[i])
            order = sorted(range(len(page)), key=taken)
            return HitPage([page.ids[i] for i in order], [page.paths[i] for i in order],
                           [page.scores[i] for i in order],
                           {n: page.explanations[i] for n, i in enumerate(order) if i in page.explanations})

        self.runner.submit(by_date, model.set_hits, self._on_background_error)

    def _on_first_page(self, rows: int) -> None:
        if not rows:
            empty = "No photos match." if self.current_view.startswith(("search:", "tag:", "folder:")) else \
                "No photos yet — indexing will fill this view."
            self.grid_page.set_title(self.grid_page.title.text(), empty, self.grid_page.back_button.isVisible())
        else:
            self._update_count_subtitle(loading=True)
            if not self.grid.currentIndex().isValid():
                self.grid.setCurrentIndex(self.model.index(0))
        self.results_shown.emit(rows)

    def _on_listing_finished(self, rows: int) -> None:
        if rows:
            self._update_count_subtitle(loading=False)
            if self.current_view.startswith(("search:", "folder:", "tag:")) and \
                    self.sort_combo.currentData() in ("name", "date"):
                self._resort()
        self.results_finished.emit(rows)

    def _update_count_subtitle(self, loading: bool) -> None:
        rows = self.model.rowCount()
        extra = getattr(self, "_listing_subtitle", "")
        text = f"{rows:,} photo{'s' if rows != 1 else ''}{'…' if loading else ''}"
        self.grid_page.subtitle.setText(f"{text} {extra}".strip() if extra else text)

    def _on_listing_failed(self, exc: BaseException) -> None:
        from ..core.errors import QueryError

        if isinstance(exc, QueryError):
            self.search_bar.set_error(str(exc))
            self.gui_state.setValue("view/last", "all")  # do not reopen a query that cannot run
            self.grid_page.set_title("Search results", f"Cannot search: {exc}", bool(self._history))
        else:
            self.grid_page.set_title(self.grid_page.title.text(), f"Error: {exc}", bool(self._history))
        self.statusBar().showMessage(str(exc), 8000)

    # --- search -------------------------------------------------------------------------
    def search(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.navigate("all")
            return
        if self.sort_combo.currentData() != "relevance":
            self.sort_combo.blockSignals(True)
            self.sort_combo.setCurrentIndex(self.sort_combo.findData("relevance"))
            self.sort_combo.blockSignals(False)
        self.navigate(f"search:{text}")
        self.grid.setFocus()

    def focus_search(self) -> None:
        self.search_bar.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_bar.selectAll()

    # --- similar ------------------------------------------------------------------------
    def find_similar_to_hit(self, hit: SearchHit) -> None:
        if hit is not None:
            self.find_similar(drops.DroppedImage("id", hit.id, os.path.basename(hit.path)))

    def find_similar(self, dropped: drops.DroppedImage) -> None:
        library, thumbnails_size = self.library, self.settings.thumbnail_size
        self._similar_label = dropped.label
        self.similar_page.set_query(dropped.value if dropped.kind == "image" else None, dropped.label)
        self.similar_loader.load_list([], show_scores=True)
        self.navigate("similar")

        def run():
            hits = library.similar(dropped.similar_target, limit=SIMILAR_LIMIT)
            preview = None
            if dropped.kind == "file":
                preview = read_scaled(dropped.value, 256)
            elif dropped.kind == "id":
                path = library.thumbnail_path(dropped.value, thumbnails_size)
                preview = read_scaled(path, 256) if path else None
            return hits, preview

        def show(result):
            hits, preview = result
            if preview is not None:
                self.similar_page.set_query(preview, dropped.label)
            self.similar_loader.load_list(hits, show_scores=True)
            self.similar_page.set_count(dropped.label, len(hits))
            if hits:
                self.similar_grid.setCurrentIndex(self.similar_model.index(0))
            self.similar_shown.emit(len(hits))

        def failed(exc):
            self.similar_page.subtitle.setText(f"Cannot search by this image: {exc}")
            self.statusBar().showMessage(str(exc), 8000)
            self.similar_shown.emit(0)

        self.runner.submit(run, show, failed)

    def paste_image(self) -> None:
        dropped = drops.image_from_mime(QGuiApplication.clipboard().mimeData())
        if dropped is None:
            self.statusBar().showMessage("The clipboard holds no image or image file.", 5000)
            return
        self.find_similar(dropped)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._folders and drops.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._folders and drops.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        dropped = drops.image_from_mime(event.mimeData())
        if dropped is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.find_similar(dropped)

    # --- viewer -------------------------------------------------------------------------
    def open_viewer(self, model: PhotoListModel, row: int) -> None:
        if model.hit(row) is None:
            return
        self._viewer_return = self.stack.currentWidget()
        self._viewer_model = model
        self.stack.setCurrentWidget(self.viewer)
        self.viewer.show_row(model, row)
        self.viewer.setFocus()

    def _close_viewer(self) -> None:
        page = getattr(self, "_viewer_return", self.grid_page)
        self.stack.setCurrentWidget(page)
        grid = self.similar_grid if page is self.similar_page else self.grid
        if self.viewer.row >= 0 and self.viewer.model is grid.model():
            index = grid.model().index(self.viewer.row)
            grid.setCurrentIndex(index)
            grid.scrollTo(index)
        grid.setFocus()

    def quick_look(self, model: PhotoListModel, row: int) -> None:
        if self.quick_preview is None:
            self.quick_preview = QuickPreview(self.runner, self)
        self.quick_preview.show_row(model, row)

    # --- clusters and duplicates ----------------------------------------------------------
    def load_clusters(self, k: int | None = None, recompute: bool = False) -> None:
        library = self.library
        k = k if k is not None else (self.settings.cluster_count or None)
        self.cluster_gallery.set_busy("Computing clusters…" if recompute else "Loading…")

        def done(clusters):
            self._clusters_loaded = True
            self.cluster_gallery.set_busy("")
            self.cluster_gallery.set_clusters(clusters)
            self.sidebar.set_cluster_count(len(clusters))
            self.clusters_shown.emit(len(clusters))

        def failed(exc):
            self.cluster_gallery.set_busy("")
            self.cluster_gallery.subtitle.setText(f"Cannot compute clusters: {exc}")
            self.clusters_shown.emit(0)

        self.runner.submit(lambda: library.clusters(k=k, recompute=recompute), done, failed)

    def recompute_clusters(self, k: int) -> None:
        self.load_clusters(k=k or None, recompute=True)

    def open_cluster(self, cluster) -> None:
        self.navigate(f"cluster:{cluster.id}")

    def _show_cluster(self, cluster_id: str) -> None:
        cluster = next((c for c in self.cluster_gallery.model.clusters if str(c.id) == cluster_id), None)
        if cluster is None:
            self.navigate("clusters", push=False)
            return
        from ..core.records import SearchHit

        ids, library = list(cluster.member_ids), self.library

        def page(offset: int, limit: int) -> list[SearchHit]:
            hits = []
            for doc_id in ids[offset: offset + limit]:
                doc = library.info(doc_id)
                if doc is not None and doc.paths:
                    hits.append(SearchHit(doc.id, doc.path, 0.0, list(doc.paths)))
            return hits

        self._show_listing(cluster.name or f"Cluster {cluster.id}", page, "in this cluster", back=True,
                           total=len(ids))

    def load_duplicates(self) -> None:
        library = self.library
        self.duplicates_view.subtitle.setText("Looking for duplicates…")

        def done(rows):
            self._duplicates_loaded = True
            self.duplicates_view.set_rows(rows)
            self.sidebar.set_duplicate_count(len(rows))
            self.duplicates_shown.emit(len(rows))

        def failed(exc):
            self.duplicates_view.subtitle.setText(f"Cannot look for duplicates: {exc}")
            self.duplicates_shown.emit(0)

        self.runner.submit(lambda: build_rows(library, library.duplicates()), done, failed)

    # --- folders and indexing -------------------------------------------------------------
    def add_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        def done(_):
            self.refresh_library()
            self.indexer.start([path])
            if self.current_view in ("", "all") or not self._folders:
                self._folders = self._folders or [path]
                self.navigate("all", push=False)

        def failed(exc):
            QMessageBox.warning(self, "Cannot add folder", str(exc))

        library = self.library
        self.runner.submit(lambda: library.add_folder(path), done, failed)

    def remove_folder(self, path: str, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, "Remove folder",
                f"Remove “{path}” from the library?\n\nphotoapp forgets every photo indexed under it: "
                "its tags, search vectors, cluster and duplicate entries and cached thumbnails are "
                "deleted from photoapp's data folder, and the folder is no longer watched.\n\n"
                "The photos themselves are not touched.",
                QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return

        def done(report):
            self.statusBar().showMessage(
                f"Removed {report.folder}: {report.documents_deleted:,} photos forgotten, "
                f"{report.thumbnails_deleted:,} thumbnails deleted.", 8000)
            self._clusters_loaded = self._duplicates_loaded = False
            self.thumbnails.clear()
            self.refresh_library()
            self.navigate("all", push=False)
            if self._settings_dialog is not None:
                self._settings_dialog.set_folders([f for f in self._folders if f != path])

        library = self.library
        self.runner.submit(lambda: library.remove_folder(path), done,
                           lambda exc: QMessageBox.warning(self, "Cannot remove folder", str(exc)))

    def start_indexing(self) -> None:
        if self.library is not None and self._folders:
            self.indexer.start(None)

    def _refresh_while_indexing(self) -> None:
        if not self.indexer.running:
            self._refresh_timer.stop()
        self._refresh_status()
        if self.current_view == "all" and self.stack.currentWidget() is self.grid_page \
                and not self.loader.loading and self.model.rowCount() < 5000:
            self._reload_keep_scroll()

    def _reload_keep_scroll(self) -> None:
        scroll = self.grid.verticalScrollBar().value()
        current = self.grid.currentIndex().data(Qt.ItemDataRole.UserRole + 1)
        library, sort = self.library, self.sort_key()

        def restore(_rows):
            self.loader.first_page_shown.disconnect(restore)
            row = self.model.row_of(current) if current else -1
            if row >= 0:
                self.grid.setCurrentIndex(self.model.index(row))
            self.grid.verticalScrollBar().setValue(scroll)

        self.loader.first_page_shown.connect(restore)
        self.loader.load(lambda o, n: library.all_photos(sort, n, o), clear=False)

    def _on_indexing_finished(self, report) -> None:
        self._clusters_loaded = self._duplicates_loaded = False
        self.status.set_idle()
        self.refresh_library()
        if self.current_view == "all" and self.stack.currentWidget() is self.grid_page:
            self._reload_keep_scroll()
        if report is not None and getattr(report, "errors", 0):
            self.statusBar().showMessage(f"Indexing finished with {report.errors:,} files skipped — "
                                         "see Errors.", 8000)

    def _on_indexing_failed(self, exc) -> None:
        self.status.set_idle()
        self.statusBar().showMessage(f"Indexing failed: {exc}", 15000)

    def _on_background_error(self, exc: BaseException) -> None:
        log.warning("background task failed: %s", exc)
        self.statusBar().showMessage(str(exc), 8000)

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
