"""The main window: sidebar | pages | detail panel, a search bar on top, indexing status below.

The window builds the widgets and composes two controllers: ``BrowseController`` (which view is
shown, listings, sorting, search, viewer; the navigation model lives there) and
``LibraryActions`` (library state, similar search, clusters, duplicates, folders, indexing).
Every library call runs in the ``TaskRunner``; indexing runs in the ``IndexingController``.
The window itself keeps what is window-wide: panels, the backend banner, shortcuts, saved
state and shutdown.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.settings import Settings
from . import drops
from .backend_banner import BackendBanner
from .browse import BrowseController
from .cluster_view import ClusterGallery
from .detail_panel import DetailPanel
from .duplicates_view import DuplicatesView
from .errors_view import ErrorsView
from .icons import app_icon, icon
from .indexing import IndexingController
from .organise import PhotoOrganiser
from .library_actions import LibraryActions
from .navigation import Navigation, View
from .map_view import install as install_map
from .on_this_day import install as install_on_this_day
from .people_view import install as install_people
from .pages import EmptyState, GridPage, PageStack, SimilarPage
from .photo_grid import PhotoGridView
from .photo_model import PhotoListModel
from .result_loader import ResultLoader
from .search_bar import SearchBar
from .settings_dialog import SettingsDialog
from .sidebar import Sidebar
from .status_widget import IndexStatusWidget
from .thumbnails import ThumbnailCache
from .timeline import TimelineController
from .viewer import ViewerWidget
from .workers import TaskRunner

log = logging.getLogger(__name__)

GUI_STATE_FILE = "gui.ini"
SORTS = (("date", "Date taken"), ("name", "Name"), ("relevance", "Relevance"))
PANEL_WIDTHS = [200, 300]  # sidebar, detail panel: the first-run split
# On a narrow window the side panels give way (down to their minimum widths) before the photo
# grid gets narrower than this: two columns of thumbnails at the default size.
NARROW_CENTRE = 420
# Thumbnails held in memory: enough for a few screens of the largest grid size (a 320 px
# thumbnail is 400 KB as a QImage, so 600 of them bound the cache near 240 MB).
THUMBNAIL_CACHE = 600


def gui_state_for(settings: Settings) -> QSettings:
    """Window geometry, splitters and the last view live beside the library, not in the registry."""
    settings.ensure_dirs()
    return QSettings(str(Path(settings.data_dir) / GUI_STATE_FILE), QSettings.Format.IniFormat)


def open_library(settings: Settings):
    """The library the settings name (runs in a worker: opening may migrate or check files)."""
    from ..core.library import Library

    return Library.open(settings)


class MainWindow(QMainWindow):
    view_changed = Signal(object)   # View
    results_shown = Signal(int)     # the first page of a listing/search is in the grid
    results_finished = Signal(int)  # every page is in
    similar_shown = Signal(int)
    clusters_shown = Signal(int)
    duplicates_shown = Signal(int)
    library_refreshed = Signal()
    library_switched = Signal()     # another library (backend) replaced the open one

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
        self.thumbnails = ThumbnailCache(self._thumbnail_path, capacity=THUMBNAIL_CACHE,
                                         threads=max(1, min(3, (os.cpu_count() or 2) - 1)), parent=self)
        self.indexer = IndexingController(library, watch=watch, parent=self)
        self.library_folders: list[str] = []
        self.settings_dialog: SettingsDialog | None = None
        self._closing = False
        self._build()
        self.browse = BrowseController(self)
        self.actions = LibraryActions(self)
        self._connect()
        self.organiser = PhotoOrganiser(self)  # ratings, favourites, undo, selection bar (gui/organise.py)
        self.timeline = TimelineController(self)  # the years scrubber beside All photos (gui/timeline.py)
        self.on_this_day_page = install_on_this_day(self)  # gui/on_this_day.py
        self.people_pages = install_people(self)  # gui/people_view.py: People, Person, face boxes
        self.map_page = install_map(self)  # gui/map_view.py
        self._restore_state()
        if library is not None:
            self.set_library(library)
        else:
            self.stack.setCurrentWidget(self.opening_page)
            self.detail.hide()

    # --- the library (may arrive after the window is on screen, may be replaced) ---------------
    def set_library(self, library) -> None:
        self.library = library
        self.indexer.library = library
        self.detail.library = library
        self.organiser.set_library(library)
        self.search_bar.set_tag_source(library.tag_counts)
        self.actions.refresh_library()

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
            self.banner.show_error(self.settings.backend, str(exc))

        self.runner.submit(lambda: opener(self.settings), opened, failed)

    def switch_library(self, opener, backend: str) -> None:
        """Close the open library and open the one ``backend`` names, without a restart (the
        way back from an unreachable cluster, or a backend changed in Settings)."""
        self.settings.backend = backend
        self.settings.save()
        old, self.library = self.library, None
        self.indexer.stop()
        self.browse.nav = Navigation()  # the old library's folders and searches are no way back
        self.library_folders = []
        self.actions.forget_derived()
        self.thumbnails.clear()
        self.banner.hide()
        self.stack.setCurrentWidget(self.opening_page)
        self.opening_page.setText("Opening library…")

        def opened():
            self.indexer.start(None)  # catch up with the disk, then watch, as at start-up
            self.library_switched.emit()

        def close_then_open():
            if old is not None:
                old.close()
            return opener(self.settings)

        self.open_library_async(lambda _settings: close_then_open(), then=opened)

    def switch_to_embedded(self) -> None:
        self.switch_library(open_library, "embedded")

    def show_backend_state(self, status) -> None:
        if status.backend_ok:
            self.banner.hide()
        else:
            self.banner.show_error(self.settings.backend, status.backend_detail or "unreachable")

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
        self.size_slider.setMinimumWidth(50)
        self.size_slider.setMaximumWidth(120)
        self.size_slider.setToolTip("Thumbnail size")
        zoom = QLabel()
        zoom.setPixmap(icon("zoom").pixmap(16, 16))
        self.sidebar_button = self._tool_button("panel-left", "Show or hide the sidebar (Ctrl+B)",
                                                self._toggle_sidebar, checkable=True)
        self.detail_button = self._tool_button("panel-right", "Show or hide the details (Ctrl+I)",
                                               self._toggle_detail, checkable=True)
        self.add_button = self._tool_button("folder-add", "Add folder…", lambda: self.actions.add_folder_dialog())
        self.settings_button = self._tool_button("settings", "Settings", self.open_settings)
        top = QWidget()
        top.setObjectName("TopBar")
        bar = QHBoxLayout(top)
        bar.setContentsMargins(8, 8, 8, 8)
        bar.setSpacing(6)
        bar.addWidget(self.sidebar_button)
        bar.addWidget(self.search_bar, 1)
        bar.addSpacing(4)
        bar.addWidget(self.sort_combo)
        bar.addWidget(zoom)
        bar.addWidget(self.size_slider)
        bar.addWidget(self.add_button)
        bar.addWidget(self.settings_button)
        bar.addWidget(self.detail_button)

        self.banner = BackendBanner()
        self.banner.switch_requested.connect(self.switch_to_embedded)
        self.banner.retry_requested.connect(lambda: self.actions.retry_backend())
        self.banner.hide()

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
        # The viewer's toolbar asks for ~590 px; on an 800 px screen beside both side panels
        # it gets less (its labels elide), rather than forcing the window wider than the screen.
        self.viewer.setMinimumWidth(360)
        self.opening_page = QLabel("Opening library…")
        self.opening_page.setObjectName("EmptyText")
        self.opening_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.opening_page.setWordWrap(True)
        self.stack = PageStack()
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
        self.splitter.setSizes([PANEL_WIDTHS[0], 800, PANEL_WIDTHS[1]])
        self._panel_widths = list(PANEL_WIDTHS)  # remembered while a panel is hidden
        self._detail_wanted = True    # the user's choice; a view without photos hides it anyway
        self._detail_for_view = True
        self._squeezed = False  # panels narrowed to fit a small window: not the user's widths
        self._fitted_sizes: list[int] = []
        self.splitter.splitterMoved.connect(lambda *_: self._remember_panel_widths(dragged=True))
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status = IndexStatusWidget()
        self.statusBar().addPermanentWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(False)
        self.refresh_timer = QTimer(self, interval=3000)

    def _tool_button(self, icon_name: str, tip: str, slot, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.clicked.connect(lambda *_: slot())
        return button

    def _connect(self) -> None:
        browse, actions = self.browse, self.actions
        self.sidebar.view_selected.connect(browse.go)
        self.search_bar.search_requested.connect(browse.search)
        self.search_bar.cleared.connect(browse.leave_search)
        self.sort_combo.currentIndexChanged.connect(lambda _: browse.resort())
        self.size_slider.valueChanged.connect(self._set_thumbnail_size)
        for grid, model in ((self.grid, self.model), (self.similar_grid, self.similar_model)):
            grid.current_hit_changed.connect(self.detail.show_hit)
            grid.similar_requested.connect(actions.find_similar_to_hit)
            grid.open_requested.connect(lambda row, m=model: browse.open_viewer(m, row))
            grid.preview_requested.connect(lambda row, m=model: browse.quick_look(m, row))
        # The viewer steps through a grid's rows: the grid (and so the detail panel) follows.
        self.viewer.row_changed.connect(lambda row: browse.follow_viewer(self.viewer.model, row))
        self.loader.first_page_shown.connect(browse.on_first_page)
        self.loader.finished.connect(browse.on_listing_finished)
        self.loader.failed.connect(browse.on_listing_failed)
        self.grid_page.back_button.clicked.connect(browse.back)
        self.similar_page.back_button.clicked.connect(browse.back)
        self.similar_page.min_score_changed.connect(actions.show_similar_cut)
        self.empty_state.add_folder_clicked.connect(actions.add_folder_dialog)
        self.cluster_gallery.cluster_opened.connect(actions.open_cluster)
        self.cluster_gallery.recompute_requested.connect(actions.recompute_clusters)
        self.viewer.closed.connect(browse.back)
        self.status.pause_toggled.connect(self.indexer.toggle_pause)
        self.status.errors_clicked.connect(lambda: self.navigate_errors())
        self.indexer.progress.connect(self.status.set_progress)
        self.indexer.paused_changed.connect(self.status.set_paused)
        self.indexer.started.connect(self.refresh_timer.start)
        self.indexer.finished.connect(actions.on_indexing_finished)
        self.indexer.failed.connect(actions.on_indexing_failed)
        self.indexer.watch_batch_done.connect(actions.on_watch_batch)
        self.indexer.watching_changed.connect(lambda _: actions.refresh_status())
        self.refresh_timer.timeout.connect(actions.refresh_while_indexing)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence.StandardKey.Paste, self, actions.paste_image)
        QShortcut(QKeySequence.StandardKey.Back, self, browse.back)
        QShortcut(QKeySequence.StandardKey.Forward, self, browse.forward)
        QShortcut(QKeySequence("Ctrl+B"), self, self._toggle_sidebar)
        QShortcut(QKeySequence("Ctrl+I"), self, self._toggle_detail)
        # Ctrl+Q on every platform (StandardKey.Quit is empty on Windows); closing the window
        # saves its state and stops the workers like the title bar's close button.
        QShortcut(QKeySequence("Ctrl+Q"), self, self.close, context=Qt.ShortcutContext.ApplicationShortcut)

    # --- the public face (tests, screenshots, benchmarks) -----------------------------------
    @property
    def current_view(self) -> View | None:
        return self.browse.current

    def navigate(self, view: View) -> None:
        self.browse.go(view)

    def navigate_errors(self) -> None:
        from .navigation import Errors

        self.browse.go(Errors())

    def go_back(self) -> None:
        self.browse.back()

    def go_forward(self) -> None:
        self.browse.forward()

    def search(self, text: str) -> None:
        self.browse.search(text)

    def open_viewer(self, model: PhotoListModel, row: int) -> None:
        self.browse.open_viewer(model, row)

    def quick_look(self, model: PhotoListModel, row: int) -> None:
        self.browse.quick_look(model, row)

    @property
    def quick_preview(self):
        return self.browse.quick_preview

    def find_similar(self, dropped: drops.DroppedImage) -> None:
        self.actions.find_similar(dropped)

    def add_folder(self, path: str) -> None:
        self.actions.add_folder(path)

    def remove_folder(self, path: str, confirm: bool = True) -> None:
        self.actions.remove_folder(path, confirm)

    def refresh_library(self) -> None:
        self.actions.refresh_library()

    def start_indexing(self) -> None:
        self.actions.start_indexing()

    def focus_search(self) -> None:
        self.search_bar.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_bar.selectAll()

    # --- drops ----------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.library_folders and drops.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        dropped = drops.image_from_mime(event.mimeData())
        if dropped is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.actions.find_similar(dropped)

    # --- settings -----------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.runner, self.library_folders,
                                add_folder=self.actions.add_folder_dialog,
                                remove_folder=self.actions.remove_folder, parent=self)
        self.settings_dialog = dialog
        self.library_refreshed.connect(lambda: dialog.set_folders(self.library_folders))
        dialog.backend_changed.connect(self._on_backend_saved)
        dialog.finished.connect(lambda _: setattr(self, "settings_dialog", None))
        dialog.show()
        return dialog

    def _on_backend_saved(self, backend: str) -> None:
        self.switch_library(open_library, backend)

    # --- panels ---------------------------------------------------------------------------
    def set_detail_visible(self, for_view: bool) -> None:
        """Photo views get the detail panel (unless the user hid it); the others get the room."""
        self._detail_for_view = for_view
        self._apply_detail_visibility()

    def _apply_detail_visibility(self) -> None:
        show = self._detail_for_view and self._detail_wanted
        self.detail_button.setChecked(self._detail_wanted)
        self.detail_button.setEnabled(self._detail_for_view)
        if show == self.detail.isHidden():  # isHidden: also right before the window is shown
            if not show:
                self._remember_panel_widths()
            self.detail.setVisible(show)
            if show:
                self._apply_panel_widths()

    def _toggle_detail(self) -> None:
        self._detail_wanted = not self._detail_wanted
        self.gui_state.setValue("window/detail", int(self._detail_wanted))
        self._apply_detail_visibility()

    def _toggle_sidebar(self, show: bool | None = None) -> None:
        show = self.sidebar.isHidden() if show is None else show
        self.sidebar_button.setChecked(show)
        self.gui_state.setValue("window/sidebar", int(show))
        if show != self.sidebar.isHidden():
            return
        if not show:
            self._remember_panel_widths()
        self.sidebar.setVisible(show)
        if show:
            self._apply_panel_widths()

    def _remember_panel_widths(self, dragged: bool = False) -> None:
        sizes = self.splitter.sizes()
        if self._squeezed and not dragged and all(abs(a - b) <= 2 for a, b in zip(sizes, self._fitted_sizes)):
            return  # our own fit to a small window: keep the user's widths for when it is wide again
        self._squeezed = False
        if not self.sidebar.isHidden() and sizes[0] > 0:
            self._panel_widths[0] = sizes[0]
        if not self.detail.isHidden() and sizes[2] > 0:
            self._panel_widths[1] = sizes[2]

    def _apply_panel_widths(self) -> None:
        """Size the panels from the remembered widths, narrowed to fit the window if needed
        (widening the window again restores them: the remembered widths are not changed)."""
        sidebar, detail = self._panel_widths
        sidebar = sidebar if not self.sidebar.isHidden() else 0
        detail = detail if not self.detail.isHidden() else 0
        total = sum(self.splitter.sizes()) if self.isVisible() else max(sum(self.splitter.sizes()), self.width())
        deficit = NARROW_CENTRE - (total - sidebar - detail)
        self._squeezed = deficit > 0
        if deficit > 0 and detail:
            give = min(deficit, detail - self.detail.minimumWidth())
            detail, deficit = detail - max(0, give), deficit - max(0, give)
        if deficit > 0 and sidebar:
            sidebar -= max(0, min(deficit, sidebar - self.sidebar.minimumWidth()))
        self.splitter.setSizes([sidebar, max(200, total - sidebar - detail), detail])
        self._fitted_sizes = self.splitter.sizes()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.isVisible():
            self._apply_panel_widths()

    # --- keys, state, shutdown ------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.browse.back()
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
        self._detail_wanted = bool(int(self.gui_state.value("window/detail", 1)))
        self._toggle_sidebar(bool(int(self.gui_state.value("window/sidebar", 1))))
        self._apply_detail_visibility()
        size = int(self.gui_state.value("grid/thumbnail_size", 168))
        self.size_slider.setValue(size)
        self._set_thumbnail_size(size)
        sort = self.gui_state.value("grid/sort", "date")
        index = self.sort_combo.findData(sort)
        if index >= 0:
            self.sort_combo.blockSignals(True)
            self.sort_combo.setCurrentIndex(index)
            self.sort_combo.blockSignals(False)

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
        self.refresh_timer.stop()
        self.indexer.shutdown()
        self.loader.cancel()
        self.thumbnails.wait()
        self.runner.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_state()
        if self.browse.quick_preview is not None:
            self.browse.quick_preview.close()  # a window of its own: it would keep the app running
        self.shutdown()
        super().closeEvent(event)
