"""Organising photos in the main window without touching files: ratings (keys 0-5), favourites
("."), undo (Ctrl+Z), the "3 selected" bar with batch actions, the grid's context-menu additions,
the full-screen viewer hiding the window's chrome, and the help on an empty search
(``search_help``).

``PhotoOrganiser(window)`` wires these into a built main window using only widgets every
version of the window has (grids, viewer, detail panel, duplicates view, status bar), so the
window itself needs two lines: create the organiser, and hand it the library.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from ..core.userdata import MAX_RATING
from . import style
from .file_actions import copy_paths, show_in_file_manager
from .icons import icon
from .marks import MarksController
from .search_help import SearchHelp

MAX_FOLDERS_SHOWN = 5  # "show in folder" for a selection opens at most this many windows
COMPACT_BELOW = 1100  # window width under which the selection bar shows icons only


def stars_text(n: int) -> str:
    return "★" * n + "☆" * (MAX_RATING - n) if n else "No rating"


class SelectionBar(QWidget):
    """The status bar's left part: "3 selected" with batch actions, and what the last rating
    change did (with its undo)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(4)
        self.count = QLabel()
        self.count.setStyleSheet("font-weight: 600;")
        self.similar_button = self._button("similar", "Find similar")
        self.copy_button = self._button("copy", "Copy paths")
        self.folder_button = self._button("folder", "Show in folder")
        self.rate_button = self._button("star", "Rate")
        self.rate_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.rate_menu = QMenu(self.rate_button)
        self.rate_button.setMenu(self.rate_menu)
        self.feedback = QLabel()
        self.feedback.setStyleSheet(f"color: {style.TEXT_MUTED};")
        self.undo_button = self._button("undo", "Undo")
        self.undo_button.setToolTip("Undo the last rating, favourite or keeper change (Ctrl+Z)")
        for w in (self.count, self.similar_button, self.copy_button, self.folder_button, self.rate_button):
            layout.addWidget(w)
        layout.addSpacing(10)
        layout.addWidget(self.feedback)
        layout.addWidget(self.undo_button)
        self._feedback_timer = QTimer(self, singleShot=True, interval=6000)
        self._feedback_timer.timeout.connect(self._clear_feedback)
        self.compact = False
        self.set_count(0)
        self._clear_feedback()

    def set_compact(self, compact: bool) -> None:
        """Icons only (names in tooltips) and no feedback text: a narrow window keeps the count
        and every action usable instead of squeezing their names to "C…s"."""
        self.compact = compact
        style_ = Qt.ToolButtonStyle.ToolButtonIconOnly if compact else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for button in (self.similar_button, self.copy_button, self.folder_button, self.rate_button, self.undo_button):
            button.setToolButtonStyle(style_)
            if compact and not button.toolTip():
                button.setToolTip(button.text())
        self.feedback.setVisible(not compact and self.undo_button.isVisible())
        self.count.setMinimumWidth(self.count.sizeHint().width())

    @staticmethod
    def _button(icon_name: str, text: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setIconSize(QSize(16, 16))
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def set_count(self, n: int) -> None:
        self.count.setText(f"{n:,} selected")
        for w in (self.count, self.similar_button, self.copy_button, self.folder_button, self.rate_button):
            w.setVisible(n > 0)
        self.similar_button.setToolTip("Photos like this one" if n == 1 else f"Photos like these {n}")
        self.copy_button.setText("Copy path" if n == 1 else "Copy paths")
        self.copy_button.setToolTip(self.copy_button.text())
        self.count.setMinimumWidth(self.count.sizeHint().width())

    def show_feedback(self, text: str) -> None:
        self.feedback.setText(text)
        self.feedback.setVisible(not self.compact)
        self.undo_button.setToolTip(f"Undo: {text} (Ctrl+Z)")
        self.undo_button.setVisible(True)
        self._feedback_timer.start()

    def _clear_feedback(self) -> None:
        self.feedback.setVisible(False)
        self.undo_button.setVisible(False)


class PhotoOrganiser(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.marks = MarksController(window.runner, self)
        window.marks = self.marks  # the quick preview (made later, on Space) finds it here
        self.grids = [window.grid, window.similar_grid]
        for grid in self.grids:
            grid.delegate.marks = self.marks  # stars and heart on thumbnails
            grid.extend_menu = self.extend_menu
            for n in range(MAX_RATING + 1):
                QShortcut(QKeySequence(str(n)), grid, lambda n=n, g=grid: self.rate(g, n),
                          context=Qt.ShortcutContext.WidgetShortcut)
            QShortcut(QKeySequence("."), grid, lambda g=grid: self.toggle_favorite(g),
                      context=Qt.ShortcutContext.WidgetShortcut)
            grid.selectionModel().selectionChanged.connect(lambda *_: self.update_selection())
            grid.model().modelReset.connect(self.update_selection)  # a reset clears the selection silently
        window.viewer.set_marks(self.marks)
        window.viewer.fullscreen_changed.connect(self._set_chrome_hidden)
        window.detail.set_marks(self.marks)
        window.duplicates_view.set_marks(self.marks)
        QShortcut(QKeySequence.StandardKey.Undo, window, self.marks.undo)
        self.marks.changed.connect(self._repaint)
        self.bar = SelectionBar()
        self.bar.similar_button.clicked.connect(lambda: self.find_similar(self.active_grid()))
        self.bar.copy_button.clicked.connect(lambda: copy_paths(self.selected_paths(self.active_grid())))
        self.bar.folder_button.clicked.connect(lambda: self.show_folders(self.active_grid()))
        self.bar.undo_button.clicked.connect(self.marks.undo)
        self._fill_rate_menu(self.bar.rate_menu, lambda: self.active_grid())
        self.marks.message.connect(self.bar.show_feedback)
        self.marks.failed.connect(lambda text: self.bar.show_feedback(f"Could not change: {text}"))
        window.statusBar().insertPermanentWidget(0, self.bar)
        window.stack.currentChanged.connect(lambda _: self.update_selection())
        window.installEventFilter(self)  # the bar goes compact on a narrow window
        # Marks given elsewhere (the CLI) or inherited by edited photos show after a refresh.
        window.library_refreshed.connect(self.marks.reload)
        self._hidden_chrome: list[QWidget] = []
        self.search_help = SearchHelp(window)  # "did you mean" and "show all" on an empty search

    def set_library(self, library) -> None:
        self.marks.set_library(library)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.w and event.type() == QEvent.Type.Resize:
            self.bar.set_compact(self.w.width() < COMPACT_BELOW)
        return False

    # --- selection ----------------------------------------------------------------------------
    def active_grid(self):
        """The grid on screen (the similar page's, or the main one)."""
        page = self.w.stack.currentWidget()
        return self.w.similar_grid if page is getattr(self.w, "similar_page", None) else self.w.grid

    def selected_hits(self, grid) -> list:
        hits = [h for h in grid.selected_hits() if h is not None]
        if not hits and grid.currentIndex().isValid():
            hit = grid.model().hit(grid.currentIndex().row())
            hits = [hit] if hit is not None else []
        return hits

    def selected_ids(self, grid) -> list[str]:
        return [h.id for h in self.selected_hits(grid)]

    def selected_paths(self, grid) -> list[str]:
        return [h.path for h in self.selected_hits(grid)]

    def update_selection(self) -> None:
        page = self.w.stack.currentWidget()
        on_grid = page is getattr(self.w, "grid_page", None) or page is getattr(self.w, "similar_page", None)
        grid = self.active_grid()
        self.bar.set_count(len(grid.selectionModel().selectedIndexes()) if on_grid else 0)

    # --- actions ------------------------------------------------------------------------------
    def rate(self, grid, n: int) -> None:
        self.marks.rate(self.selected_ids(grid), n)

    def toggle_favorite(self, grid) -> None:
        self.marks.toggle_favorite(self.selected_ids(grid))

    def find_similar(self, grid) -> None:
        hits = self.selected_hits(grid)
        if len(hits) == 1:
            grid.similar_requested.emit(hits[0])
        elif hits:
            from .drops import DroppedImage

            # Several photos: what they have in common (Library.similar of a list of ids).
            actions = getattr(self.w, "actions", self.w)
            actions.find_similar(DroppedImage("ids", tuple(h.id for h in hits), f"{len(hits)} photos"))

    def show_folders(self, grid) -> None:
        shown = set()
        for path in self.selected_paths(grid):
            folder = os.path.dirname(path)
            if folder not in shown and len(shown) < MAX_FOLDERS_SHOWN:
                shown.add(folder)
                show_in_file_manager(path)

    def _fill_rate_menu(self, menu: QMenu, grid_of) -> None:
        for n in range(MAX_RATING, -1, -1):
            action = menu.addAction(f"{stars_text(n)}\t{n}", lambda n=n: self.rate(grid_of(), n))
            action.setToolTip(f"Rate {n}")
        menu.addSeparator()
        menu.addAction(icon("heart"), "Favourite on/off\t.", lambda: self.toggle_favorite(grid_of()))

    def extend_menu(self, menu: QMenu, grid) -> None:
        """The grid's context menu, fuller: open, preview, rate, favourite, undo, select all."""
        hits = self.selected_hits(grid)
        if not hits:
            return
        first = menu.actions()[0] if menu.actions() else None
        row = grid.currentIndex().row()
        opening = [menu.addAction(icon("image"), "Open\tEnter", lambda: grid.open_requested.emit(row)),
                   menu.addAction(icon("zoom"), "Quick preview\tSpace", lambda: grid.preview_requested.emit(row))]
        if first is not None:
            for action in opening:
                menu.removeAction(action)
                menu.insertAction(first, action)
            menu.insertSeparator(first)
        menu.addSeparator()
        rate = menu.addMenu(icon("star"), "Rate" if len(hits) == 1 else f"Rate {len(hits)} photos")
        self._fill_rate_menu(rate, lambda: grid)
        all_favourite = all(self.marks.mark(h.id).favorite for h in hits)
        menu.addAction(icon("heart"), "Remove from favourites\t." if all_favourite else "Add to favourites\t.",
                       lambda: self.marks.set_favorite([h.id for h in hits], not all_favourite))
        undo = menu.addAction(icon("undo"), "Undo\tCtrl+Z", self.marks.undo)
        undo.setEnabled(self.w.library is not None)
        menu.addSeparator()
        menu.addAction("Select all\tCtrl+A", grid.selectAll)

    # --- painting and full screen ---------------------------------------------------------------
    def _repaint(self, _ids) -> None:
        for grid in self.grids:
            grid.viewport().update()

    def _set_chrome_hidden(self, hidden: bool) -> None:
        """Full-screen viewer: hide everything of the window but the viewer (the panels beside
        it and the bars above and below), and bring back exactly what was shown."""
        if hidden:
            self._hidden_chrome = []
            widget = self.w.viewer
            central = self.w.centralWidget()
            while widget is not None and widget is not central:
                parent = widget.parentWidget()
                if parent is None:
                    break
                for sibling in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
                    if sibling is not widget and sibling.isVisible() and not sibling.isWindow() \
                            and parent is not self.w.stack:
                        sibling.hide()
                        self._hidden_chrome.append(sibling)
                widget = parent
            status = self.w.statusBar()
            if status.isVisible():
                status.hide()
                self._hidden_chrome.append(status)
        else:
            for w in self._hidden_chrome:
                w.show()
            self._hidden_chrome = []
