"""The way out of an empty search: "No photos match “dgo”. Did you mean dog?" (a link that runs
the corrected search, from ``Library.suggest``) and "Show all photos" (a link back to the whole
library). Drawn over the empty grid, so the page layout stays as it is.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from . import style


class NoResultsHint(QWidget):
    suggestion_clicked = Signal(str)
    show_all_clicked = Signal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("NoResultsHint")
        self.suggestion: str | None = None
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"font-size: 12pt; color: {style.TEXT};")
        self.did_you_mean = self._link_label()
        self.did_you_mean.linkActivated.connect(lambda _: self.suggestion and self.suggestion_clicked.emit(self.suggestion))
        self.show_all = self._link_label()
        self.show_all.setText(f"<a href='all' style='color:{style.ACCENT}; text-decoration:none'>Show all photos</a>")
        self.show_all.linkActivated.connect(lambda _: self.show_all_clicked.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(8)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.did_you_mean)
        layout.addWidget(self.show_all)
        layout.addStretch(2)
        parent.installEventFilter(self)  # follow the viewport's size
        self.hide()

    @staticmethod
    def _link_label() -> QLabel:
        label = QLabel()
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                      | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        label.setCursor(Qt.CursorShape.PointingHandCursor)
        label.setStyleSheet("font-size: 11pt;")
        return label

    def show_for(self, query: str | None, suggestion: str | None) -> None:
        self.suggestion = suggestion
        self.message.setText(f"No photos match “{query}”." if query else "No photos here.")
        if suggestion:
            self.did_you_mean.setText(f"Did you mean <a href='suggestion' style='color:{style.ACCENT};"
                                      f" text-decoration:none; font-weight:600'>{html.escape(suggestion)}</a>?")
        self.did_you_mean.setVisible(bool(suggestion))
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False


class SearchHelp(QObject):
    """Shows ``NoResultsHint`` over the main grid when a listing comes back empty."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.hint = NoResultsHint(window.grid.viewport())
        self._generation = 0
        window.results_shown.connect(self._on_results)
        window.view_changed.connect(lambda *_: self._hide())
        self.hint.suggestion_clicked.connect(window.search)
        self.hint.show_all_clicked.connect(self.show_all)

    def _hide(self) -> None:
        self._generation += 1
        self.hint.hide()

    def current_query(self) -> str | None:
        """The text of the search on screen, or None when the view is not a search."""
        view = self.w.current_view
        if isinstance(view, str):  # older windows name views by strings ("search:dog")
            return view[len("search:"):] if view.startswith("search:") else None
        return getattr(view, "text", None) if type(view).__name__ == "Search" else None

    def _on_results(self, rows: int) -> None:
        if rows:
            self._hide()
            return
        query, library = self.current_query(), self.w.library
        if query is None:  # an empty folder or tag view says so in its own subtitle
            self._hide()
            return
        self._generation += 1
        generation = self._generation
        self.hint.show_for(query, None)
        if library is not None and hasattr(library, "suggest"):
            self.w.runner.submit(lambda: library.suggest(query),
                                 lambda s: self.hint.show_for(query, s) if generation == self._generation else None,
                                 lambda exc: None)  # no suggestion is not an error

    def show_all(self) -> None:
        try:
            from .navigation import All
        except ImportError:  # older windows name views by strings
            self.w.navigate("all")
            return
        self.w.navigate(All())
