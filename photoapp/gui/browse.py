"""Browsing: going to a view (``navigation``), showing it, paging its photos into the grid,
sorting, searching, and the full-size viewer and quick preview over a grid.

``BrowseController`` owns the navigation state; the window owns the widgets and hands them over.
Every view change goes through ``go``/``back``/``forward``/``show``, so the page on screen,
the sidebar highlight, the search field and the remembered last view never disagree.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from . import listings
from .navigation import All, Cluster, Clusters, Duplicates, Errors, Navigation, Search, Similar, View, to_key
from .navigation import Map, OnThisDay
from .photo_model import HitPage, PhotoListModel
from .viewer import QuickPreview

if TYPE_CHECKING:
    from .main_window import MainWindow


class BrowseController(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.w = window
        self.nav = Navigation()
        self._listing_subtitle = ""
        self._viewer_return = None
        self.quick_preview: QuickPreview | None = None

    @property
    def current(self) -> View | None:
        return self.nav.current

    # --- going somewhere ------------------------------------------------------------------
    def go(self, view: View) -> None:
        """Open ``view``, remembering the current one for Back."""
        if view is None or self.w.library is None:
            return
        if self.viewer_open:
            self._close_viewer(select=False)
        self.nav.go(view)
        self.show(view)

    def replace(self, view: View) -> None:
        """Show ``view`` in place of the current one (no history entry)."""
        if self.w.library is None:
            return
        self.nav.replace(view)
        self.show(view)

    def back(self) -> None:
        if self.viewer_open:
            self._close_viewer()
            return
        view = self.nav.back()
        if view is not None:
            self.show(view)
        elif not isinstance(self.nav.current, All):
            self.replace(All())

    def forward(self) -> None:
        view = self.nav.forward()
        if view is not None:
            self.show(view)

    def refresh(self) -> None:
        """Show the current view again (after a library change)."""
        if self.nav.current is not None:
            self.show(self.nav.current)

    def show(self, view: View) -> None:
        w = self.w
        # A view that cannot be restored (a similar search, a cluster) reopens as All photos.
        w.gui_state.setValue("view/last", to_key(view) or "all")
        w.sidebar.show_view(view)
        if not w.library_folders and not isinstance(view, Errors):
            self._show_empty_library()
            w.view_changed.emit(view)
            return
        w.set_detail_visible(view.shows_photos)
        if not isinstance(view, (Search, Similar)) and w.search_bar.text():
            w.search_bar.clear()
        if isinstance(view, Search) and w.search_bar.text().strip() != view.text:
            w.search_bar.setText(view.text)
        w.search_bar.setEnabled(True)
        w.sort_combo.setEnabled(view.sortable)
        w.size_slider.setEnabled(view.shows_photos)
        if view.natural_sort == "relevance":
            if view.sortable:
                self._set_sort_quietly("relevance")
        elif w.sort_combo.currentData() == "relevance" and not view.has_relevance:
            self._set_sort_quietly("date")
        if isinstance(view, Clusters):
            w.stack.setCurrentWidget(w.cluster_gallery)
            w.actions.ensure_clusters()
        elif isinstance(view, Duplicates):
            w.stack.setCurrentWidget(w.duplicates_view)
            w.actions.ensure_duplicates()
        elif isinstance(view, Errors):
            w.stack.setCurrentWidget(w.errors_view)
            w.runner.submit(w.library.errors, w.errors_view.set_records, w.actions.on_background_error)
        elif isinstance(view, Map):
            w.stack.setCurrentWidget(w.map_page)
            w.map_page.load(w.library, w.actions.on_background_error)
        elif w.people_pages.handles(view):  # People, Person (gui/people_view.py)
            w.people_pages.show(view, back=self.nav.can_go_back)
        elif isinstance(view, OnThisDay):
            w.stack.setCurrentWidget(w.on_this_day_page)
            w.on_this_day_page.load(w.library, back=self.nav.can_go_back)
        elif isinstance(view, Similar):
            w.stack.setCurrentWidget(w.similar_page)
            w.actions.show_similar(view)
        elif isinstance(view, Cluster) and w.actions.cluster_by_id(view.id) is None:
            self.replace(Clusters())  # clusters were recomputed since: its id means nothing now
            return
        else:
            self._show_listing(view, listings.fetcher(w.library, view, self.sort_key()))
        w.view_changed.emit(view)

    def _show_empty_library(self) -> None:
        w = self.w
        w.stack.setCurrentWidget(w.empty_state)
        for widget in (w.search_bar, w.sort_combo, w.size_slider):
            widget.setEnabled(False)  # nothing to search or sort yet
        w.set_detail_visible(False)  # nothing to detail yet; the invitation gets the room

    # --- listings ---------------------------------------------------------------------------
    def _show_listing(self, view: View, fetch) -> None:
        w = self.w
        w.stack.setCurrentWidget(w.grid_page)
        w.grid_page.set_title(view.title, view.subtitle or "Loading…", self.nav.can_go_back)
        self._listing_subtitle = view.subtitle
        w.detail.set_empty()
        w.loader.load(fetch)

    def reload_keep_scroll(self, first_page: int | None = None) -> bool:
        """Fetch the current listing again without clearing it (new photos arrived): the
        selection and scroll position stay; an unchanged listing does not even repaint.
        False when the current view is not a listing that can be reloaded in place."""
        w, view = self.w, self.nav.current
        if view is None or not view.shows_photos or isinstance(view, Similar) \
                or self.viewer_open or w.stack.currentWidget() is not w.grid_page:
            return False
        scroll = w.grid.verticalScrollBar().value()
        current = w.grid.currentIndex().data(Qt.ItemDataRole.UserRole + 1)
        fetch = listings.fetcher(w.library, view, self.sort_key())

        def restore(_rows):
            w.loader.first_page_shown.disconnect(restore)
            row = w.model.row_of(current) if current else -1
            if row >= 0:
                w.grid.setCurrentIndex(w.model.index(row))
            w.grid.verticalScrollBar().setValue(scroll)

        w.loader.first_page_shown.connect(restore)
        w.loader.load(fetch, clear=False, first_page=first_page)
        return True

    def on_first_page(self, rows: int) -> None:
        w = self.w
        if not rows:
            view = self.nav.current
            empty = view.empty_text if view is not None else ""
            if not w.banner.isHidden():  # the backend is unreachable: nothing is wrong with the view
                empty = "Nothing to show until the index backend answers (see above)."
            notes = " · ".join(getattr(w.loader, "notes", []))  # e.g. objects still being filled
            empty = f"{empty} · {notes}" if notes and empty else (notes or empty)
            w.grid_page.set_title(w.grid_page.title.text(), empty, w.grid_page.back_button.isVisible())
        else:
            self._update_count_subtitle(loading=True)
            if not w.grid.currentIndex().isValid():
                w.grid.setCurrentIndex(w.model.index(0))
        w.results_shown.emit(rows)

    def on_listing_finished(self, rows: int) -> None:
        w = self.w
        if rows:
            self._update_count_subtitle(loading=False)
            view = self.nav.current
            if view is not None and not listings.arrives_sorted(view) and \
                    w.sort_combo.currentData() in ("name", "date"):
                self.resort()
        w.results_finished.emit(rows)

    def _update_count_subtitle(self, loading: bool) -> None:
        rows = self.w.model.rowCount()
        text = f"{rows:,} photo{'s' if rows != 1 else ''}{'…' if loading else ''}"
        extra = self._listing_subtitle
        # A query on a field still being filled says so ("objects: 81% of photos analysed so far").
        notes = " · ".join(getattr(self.w.loader, "notes", []))
        text = f"{text} · {notes}" if notes else text
        self.w.grid_page.subtitle.setText(f"{text} {extra}".strip() if extra else text)

    def on_listing_failed(self, exc: BaseException) -> None:
        from ..core.errors import QueryError

        w = self.w
        if isinstance(exc, QueryError):
            w.search_bar.set_error(str(exc))
            w.gui_state.setValue("view/last", "all")  # do not reopen a query that cannot run
            w.grid_page.set_title("Search results", f"Cannot search: {exc}", self.nav.can_go_back)
        else:
            w.grid_page.set_title(w.grid_page.title.text(), f"Error: {exc}", self.nav.can_go_back)
        w.statusBar().showMessage(str(exc), 8000)

    # --- sorting ----------------------------------------------------------------------------
    def _set_sort_quietly(self, key: str) -> None:
        combo = self.w.sort_combo
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findData(key))
        combo.blockSignals(False)

    def sort_key(self) -> str:
        """The sort a listing is fetched in: the sort box (a tag or colour listing by
        "relevance" comes by confidence / colour share; All photos has no relevance)."""
        return self.w.sort_combo.currentData() or "date"

    def resort(self) -> None:
        w = self.w
        key = w.sort_combo.currentData()
        w.gui_state.setValue("grid/sort", key)
        view = self.nav.current
        if view is not None and view.shows_photos and listings.arrives_sorted(view) \
                and not isinstance(view, Similar):
            self.refresh()  # the core lists it in the new order
        elif w.stack.currentWidget() is w.grid_page and key in ("name", "relevance"):
            w.model.sort_hits(key)
        elif w.stack.currentWidget() is w.grid_page and key == "date":
            self._sort_loaded_by_date()

    def _sort_loaded_by_date(self) -> None:
        """Search-based listings come by relevance; dates are looked up and sorted in a worker."""
        model, library = self.w.model, self.w.library
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

        generation = self.w.loader.generation

        def show(sorted_page: HitPage) -> None:
            if generation == self.w.loader.generation:  # not if another listing replaced it
                model.set_hits(sorted_page)

        self.w.runner.submit(by_date, show, self.w.actions.on_background_error)

    # --- search -----------------------------------------------------------------------------
    def search(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.leave_search()
            return
        self.go(Search(text))
        self.w.grid.setFocus()

    def leave_search(self) -> None:
        """The search field was emptied (Esc, the clear button): its results go too."""
        if isinstance(self.nav.current, Search):
            self.back() if self.nav.can_go_back else self.replace(All())

    # --- viewer and quick preview -------------------------------------------------------------
    @property
    def viewer_open(self) -> bool:
        return self.w.stack.currentWidget() is self.w.viewer

    def open_viewer(self, model: PhotoListModel, row: int) -> None:
        w = self.w
        if model.hit(row) is None:
            return
        self._viewer_return = w.stack.currentWidget()
        w.stack.setCurrentWidget(w.viewer)
        w.viewer.show_row(model, row)
        w.viewer.setFocus()

    def _close_viewer(self, select: bool = True) -> None:
        w = self.w
        page = self._viewer_return or w.grid_page
        w.stack.setCurrentWidget(page)
        grid = self.grid_of(w.viewer.model)
        if select and grid is not None and w.viewer.row >= 0:
            self.select_row(grid, w.viewer.row)
        (grid or w.grid).setFocus()

    def quick_look(self, model: PhotoListModel, row: int) -> None:
        if self.quick_preview is None:
            self.quick_preview = QuickPreview(self.w.runner, self.w)
            self.quick_preview.viewer.row_changed.connect(
                lambda r: self.follow_viewer(self.quick_preview.viewer.model, r))
        self.quick_preview.show_row(model, row)

    def follow_viewer(self, model: PhotoListModel | None, row: int) -> None:
        """The viewer or the quick preview stepped to ``row``: the grid selection moves with it,
        and with the selection the detail panel (tags, EXIF) follows the photo on screen."""
        grid = self.grid_of(model)
        if grid is not None and row >= 0:
            self.select_row(grid, row)

    def grid_of(self, model):
        w = self.w
        for grid in (w.grid, w.similar_grid):
            if model is not None and grid.model() is model:
                return grid
        return None

    @staticmethod
    def select_row(grid, row: int) -> None:
        index = grid.model().index(row)
        if index.isValid() and grid.currentIndex() != index:
            grid.setCurrentIndex(index)
            grid.scrollTo(index)
