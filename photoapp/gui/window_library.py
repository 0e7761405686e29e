"""Library actions for the main window: similar search (drops, paste, context menu), clusters,
duplicates, adding and removing folders, and reacting to indexing. A mixin of ``MainWindow``."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox

from . import drops
from .duplicates_view import build_rows
from .thumbnails import read_scaled

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.records import SearchHit

log = logging.getLogger(__name__)

SIMILAR_LIMIT = 200


class LibraryActionsMixin:
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

    # --- clusters and duplicates ----------------------------------------------------------
    def load_clusters(self, k: int | None = None, recompute: bool = False) -> None:
        library = self.library
        k = k if k is not None else (self.settings.cluster_count or None)
        self.cluster_gallery.set_busy("Computing clusters…" if recompute else "Loading…")

        def done(clusters):
            self._clusters_loaded = True
            self.cluster_gallery.set_busy("")
            self.cluster_gallery.set_clusters(clusters, getattr(library, "last_clustering", None))
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
            # All rows in one request: the grid is updated (and repainted) once per refresh, not
            # once for the first page and again for the rest; not at all when nothing changed.
            self._reload_keep_scroll(first_page=5000)

    def _reload_keep_scroll(self, first_page: int | None = None) -> None:
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
        self.loader.load(lambda o, n: library.all_photos(sort, n, o), clear=False, first_page=first_page)

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
