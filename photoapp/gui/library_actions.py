"""What the window does to and with the library: read its state (folders, tags, counts) into the
chrome, similar search (drops, paste, context menu), clusters, duplicates, adding and removing
folders, and reacting to indexing and to the watcher's batches.

``LibraryActions`` is a controller the window composes (beside ``BrowseController``); it shows
results through the window's widgets and moves between views only through the browser.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..core.catalog import is_under
from . import drops
from .duplicates_view import build_rows
from .navigation import All, Cluster, Folder, Similar, from_key
from .thumbnails import read_scaled

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.records import SearchHit
    from .main_window import MainWindow

log = logging.getLogger(__name__)

SIMILAR_LIMIT = 200


class LibraryActions(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.w = window
        self.clusters_loaded = False
        self.duplicates_loaded = False
        self._similar_target = None  # the target whose results the similar page shows
        self._similar_hits: list = []  # its results before the page's minimum-score cut
        window.duplicates_view.files_trashed.connect(self.on_files_trashed)

    @property
    def browse(self):
        return self.w.browse

    # --- library state ----------------------------------------------------------------------
    def refresh_library(self) -> None:
        """Re-read folders, tags, error count and counts (in a worker), then update the chrome."""
        library = self.w.library
        if library is None:
            return

        def load():
            # Folders and counts come from the local catalog; tags from the index backend, which
            # may be unreachable (a cluster that is down): the window must still open, listing
            # its folders, with the backend's error in the banner ("Opening library…" forever).
            folders = library.folders()
            status = library.status()
            try:
                tags = library.tag_counts(40, "")
            except Exception as exc:  # noqa: BLE001 - status says why; tags come back with it
                log.warning("tags unavailable: %s", exc)
                tags = []
            return {"folders": folders, "subfolders": _subfolders(folders), "tags": tags, "status": status}

        self.w.runner.submit(load, self._apply_library_state, self.on_background_error)

    def _apply_library_state(self, state: dict) -> None:
        w = self.w
        first_time = self.browse.current is None
        had_folders = bool(w.library_folders)
        w.library_folders = state["folders"]
        w.sidebar.set_folders(state["folders"], state["subfolders"])
        w.sidebar.set_tags(state["tags"])
        self.apply_status(state["status"])
        w.sidebar.show_view(self.browse.current)  # rebuilt items: highlight the page on screen
        if first_time and w.library_folders:
            # Load the models now, in the background, so the first search does not wait for them.
            w.indexer.preload_models()
        if first_time:
            last = from_key(str(w.gui_state.value("view/last", "all")))
            self.browse.replace(last if last is not None and self._view_exists(last) else All())
        elif had_folders != bool(w.library_folders):
            self.browse.replace(All())  # first folder added, or the last one removed
        w.library_refreshed.emit()

    def _view_exists(self, view) -> bool:
        return not isinstance(view, Folder) or self.w.sidebar.has_view(view)

    def retry_backend(self) -> None:
        """The banner's Retry: read the library again and, whatever the answer, show the current
        view again (its photos, once the backend answers; the banner otherwise). A listing is
        reloaded in place, so photos already shown do not blink away and back."""
        def once():
            self.w.library_refreshed.disconnect(once)
            if not self.browse.reload_keep_scroll():
                self.browse.refresh()

        self.w.library_refreshed.connect(once)
        self.refresh_library()

    def refresh_status(self) -> None:
        if self.w.library is not None:
            self.w.runner.submit(self.w.library.status, self.apply_status, self.on_background_error)

    def apply_status(self, status) -> None:
        w = self.w
        w.status.set_summary(status.documents, len(status.folders), bool(w.indexer.watcher),
                             status.stages)
        w.status.set_error_count(status.errors)
        w.sidebar.set_error_count(status.errors)
        w.show_backend_state(status)

    # --- similar ----------------------------------------------------------------------------
    def find_similar_to_hit(self, hit: SearchHit) -> None:
        if hit is not None:
            self.find_similar(drops.DroppedImage("id", hit.id, os.path.basename(hit.path)))

    def find_similar(self, dropped: drops.DroppedImage) -> None:
        self.browse.go(Similar(dropped.label, dropped))

    def show_similar(self, view: Similar) -> None:
        """Run the similar search for ``view`` unless the page already shows its results."""
        dropped = view.target
        if dropped is None or dropped is self._similar_target:
            return
        w = self.w
        self._similar_target = dropped
        library, thumbnails_size = w.library, w.settings.thumbnail_size
        w.similar_page.set_query(dropped.value if dropped.kind == "image" else None, dropped.label)
        w.similar_loader.load_list([], show_scores=True)

        def run():
            hits = library.similar(dropped.similar_target, limit=SIMILAR_LIMIT)  # all: the slider cuts
            preview = None
            if dropped.kind == "file":
                preview = read_scaled(dropped.value, 256)
            elif dropped.kind == "id":
                path = library.thumbnail_path(dropped.value, thumbnails_size)
                preview = read_scaled(path, 256) if path else None
            return hits, preview

        def show(result):
            if dropped is not self._similar_target:
                return  # another image was dropped meanwhile
            hits, preview = result
            if preview is not None:
                w.similar_page.set_query(preview, dropped.label)
            self._similar_hits = hits
            shown = self.show_similar_cut()
            if shown:
                w.similar_grid.setCurrentIndex(w.similar_model.index(0))
            w.similar_shown.emit(len(shown))

        def failed(exc):
            w.similar_page.subtitle.setText(f"Cannot search by this image: {exc}")
            w.statusBar().showMessage(str(exc), 8000)
            w.similar_shown.emit(0)

        w.runner.submit(run, show, failed)

    def show_similar_cut(self, _min_score: float | None = None) -> list:
        """The similar results scoring at least the page's minimum score (its slider), shown."""
        w, hits = self.w, self._similar_hits
        cut = w.similar_page.min_score()
        shown = [h for h in hits if h.score >= cut]
        w.similar_loader.load_list(shown, show_scores=True)
        if self._similar_target is not None:
            w.similar_page.set_count(self._similar_target.label, len(shown), len(hits))
        return shown

    def paste_image(self) -> None:
        dropped = drops.image_from_mime(QGuiApplication.clipboard().mimeData())
        if dropped is None:
            self.w.statusBar().showMessage("The clipboard holds no image or image file.", 5000)
            return
        self.find_similar(dropped)

    # --- clusters and duplicates --------------------------------------------------------------
    def ensure_clusters(self) -> None:
        if not self.clusters_loaded:
            self.load_clusters()

    def load_clusters(self, k: int | None = None, recompute: bool = False) -> None:
        w = self.w
        library = w.library
        k = k if k is not None else (w.settings.cluster_count or None)
        w.cluster_gallery.set_busy("Computing clusters…" if recompute else "Loading…")

        def done(clusters):
            self.clusters_loaded = True
            w.cluster_gallery.set_busy("")
            w.cluster_gallery.set_clusters(clusters, getattr(library, "last_clustering", None))
            w.sidebar.set_cluster_count(len(clusters))
            w.clusters_shown.emit(len(clusters))

        def failed(exc):
            w.cluster_gallery.set_busy("")
            w.cluster_gallery.subtitle.setText(f"Cannot compute clusters: {exc}")
            w.clusters_shown.emit(0)

        w.runner.submit(lambda: library.clusters(k=k, recompute=recompute), done, failed)

    def recompute_clusters(self, k: int) -> None:
        self.load_clusters(k=k or None, recompute=True)

    def open_cluster(self, cluster) -> None:
        self.browse.go(Cluster(str(cluster.id), cluster.name or ""))

    def cluster_by_id(self, cluster_id: str):
        return next((c for c in self.w.cluster_gallery.model.clusters if str(c.id) == cluster_id), None)

    def ensure_duplicates(self) -> None:
        if not self.duplicates_loaded:
            self.load_duplicates()

    def load_duplicates(self) -> None:
        w = self.w
        library = w.library
        w.duplicates_view.subtitle.setText("Looking for duplicates…")

        def done(rows):
            self.duplicates_loaded = True
            w.duplicates_view.set_rows(rows)
            w.sidebar.set_duplicate_count(len(rows))
            w.duplicates_shown.emit(len(rows))

        def failed(exc):
            w.duplicates_view.subtitle.setText(f"Cannot look for duplicates: {exc}")
            w.duplicates_shown.emit(0)

        w.runner.submit(lambda: build_rows(library, library.duplicates()), done, failed)

    def forget_derived(self) -> None:
        """Clusters and duplicates are recomputed on next view (the photos changed)."""
        self.clusters_loaded = self.duplicates_loaded = False

    # --- folders and indexing -------------------------------------------------------------------
    def add_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self.w, "Add a folder of photos", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        w = self.w

        def done(_):
            self.refresh_library()
            w.indexer.start([path])
            if not w.library_folders:
                w.library_folders = [path]
                self.browse.replace(All())

        def failed(exc):
            QMessageBox.warning(w, "Cannot add folder", str(exc))

        library = w.library
        w.runner.submit(lambda: library.add_folder(path), done, failed)

    def remove_folder(self, path: str, confirm: bool = True) -> None:
        w = self.w
        if confirm:
            answer = QMessageBox.question(
                w, "Remove folder",
                f"Remove “{path}” from the library?\n\nphotoapp forgets every photo indexed under it: "
                "its tags, search vectors, cluster and duplicate entries and cached thumbnails are "
                "deleted from photoapp's data folder, and the folder is no longer watched.\n\n"
                "The photos themselves are not touched.",
                QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return

        def done(report):
            w.statusBar().showMessage(
                f"Removed {report.folder}: {report.documents_deleted:,} photos forgotten, "
                f"{report.thumbnails_deleted:,} thumbnails deleted.", 8000)
            self.forget_derived()
            w.thumbnails.clear()
            w.library_folders = [f for f in w.library_folders if f != path]
            self.browse.nav.forget(lambda v: not (isinstance(v, Folder) and is_under(v.path, path)))
            self.refresh_library()
            self.browse.replace(All())
            if w.settings_dialog is not None:
                w.settings_dialog.set_folders(w.library_folders)

        library = w.library
        w.runner.submit(lambda: library.remove_folder(path), done,
                        lambda exc: QMessageBox.warning(w, "Cannot remove folder", str(exc)))

    def start_indexing(self) -> None:
        if self.w.library is not None and self.w.library_folders:
            self.w.indexer.start(None)

    def refresh_while_indexing(self) -> None:
        w = self.w
        if not w.indexer.running:
            w.refresh_timer.stop()
        self.refresh_status()
        if isinstance(self.browse.current, All) and not w.loader.loading and w.model.rowCount() < 5000:
            # All rows in one request: the grid is updated (and repainted) once per refresh, not
            # once for the first page and again for the rest; not at all when nothing changed.
            self.browse.reload_keep_scroll(first_page=5000)

    def on_indexing_finished(self, report) -> None:
        w = self.w
        self.forget_derived()
        w.status.set_idle()
        self.refresh_library()
        self.browse.reload_keep_scroll()
        if report is not None and getattr(report, "errors", 0):
            w.statusBar().showMessage(f"Indexing finished with {report.errors:,} files skipped — "
                                      "see Errors.", 8000)

    def on_watch_batch(self, _event) -> None:
        """The watcher indexed a batch of new, changed or deleted photos: show them."""
        self.forget_derived()
        self.refresh_library()
        self.browse.reload_keep_scroll()

    def on_files_trashed(self, _paths) -> None:
        """Copies went to the system trash from the duplicates view (which already shows the
        groups without them; the library forgot them): counts, clusters and the grid follow."""
        self.clusters_loaded = False
        self.w.sidebar.set_duplicate_count(len(self.w.duplicates_view.all_rows))
        self.refresh_library()
        self.browse.reload_keep_scroll()

    def on_indexing_failed(self, exc) -> None:
        self.w.status.set_idle()
        self.w.statusBar().showMessage(f"Indexing failed: {exc}", 15000)

    def on_background_error(self, exc: BaseException) -> None:
        log.warning("background task failed: %s", exc)
        self.w.statusBar().showMessage(str(exc), 8000)


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
