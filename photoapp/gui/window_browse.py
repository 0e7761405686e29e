"""Browsing for the main window: view keys and navigation, paged listings, sorting, search,
and the full-size viewer. A mixin of ``MainWindow``; it uses the widgets that window builds."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from .photo_model import HitPage, PhotoListModel
from .viewer import QuickPreview

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.records import SearchHit  # noqa: F401


class BrowseMixin:
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
