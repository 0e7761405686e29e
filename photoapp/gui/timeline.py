"""The timeline scrubber: years down the right edge of All photos, like Google Photos and Immich.

The grid lists every photo newest first, so a month is a range of rows and its first row is
known from the month counts alone (``core.timeline.Timeline.position``): the scrubber maps its
height to the rows of the listing, writes each year where its photos start, and dragging or
clicking it scrolls the grid there. Hovering shows the month under the pointer. It replaces the
grid's scroll bar while shown, and only shows on All photos sorted by date (the one listing
whose rows the counts describe).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QAbstractItemView, QLabel, QWidget

from ..core.timeline import Timeline, timeline
from . import style
from .navigation import All

if TYPE_CHECKING:
    from .main_window import MainWindow

WIDTH = 58
_MARGIN = 10  # px above the first and below the last year, so labels are never cut
_LABEL_GAP = 17  # px between two year labels; a year with less room gets a dot


class TimelineScrubber(QWidget):
    """Years and months of a ``Timeline`` on a vertical strip; emits the row to scroll to."""

    jump_requested = Signal(int)  # row of the newest-first listing

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("TimelineScrubber")
        self.setFixedWidth(WIDTH)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("")
        self.timeline = Timeline()
        self.rows = 0  # rows of the listing (dated and undated photos)
        self.current_row = 0
        self._hover_y: int | None = None
        self._dragging = False
        self._year_font = QFont(self.font())
        self._year_font.setPointSizeF(8.5)
        self._year_font.setBold(True)
        # The month under the pointer; a child of the page (set by the controller), so it can
        # stand over the grid's edge.
        self.bubble = QLabel(self)
        self.bubble.setObjectName("TimelineBubble")
        self.bubble.setStyleSheet(f"#TimelineBubble {{ background: {style.ACCENT}; color: white; font-weight: 600;"
                                  " border-radius: 11px; padding: 3px 10px; }")
        self.bubble.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.bubble.hide()

    # --- state ----------------------------------------------------------------------------
    def set_timeline(self, tl: Timeline, rows: int) -> None:
        self.timeline = tl
        self.rows = max(rows, tl.total)
        self.update()

    def set_current_row(self, row: int) -> None:
        if row != self.current_row:
            self.current_row = row
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(WIDTH, 200)

    # --- geometry: rows <-> y ---------------------------------------------------------------
    def _span(self) -> float:
        return max(1.0, self.height() - 2 * _MARGIN)

    def y_of_row(self, row: int) -> float:
        return _MARGIN + self._span() * (row / max(1, self.rows))

    def row_at(self, y: float) -> int:
        frac = min(1.0, max(0.0, (y - _MARGIN) / self._span()))
        return min(max(0, self.rows - 1), int(frac * self.rows))

    def year_marks(self) -> list[tuple[int, float, bool]]:
        """(year, y, labelled) for each year, newest at the top; a year too close to the last
        labelled one above it gets a dot instead of a label."""
        marks, last = [], None
        for y in self.timeline.years():
            pos = self.y_of_row(self.timeline.position(y.year))
            labelled = last is None or pos - last >= _LABEL_GAP
            if labelled:
                last = pos
            marks.append((y.year, pos, labelled))
        return marks

    def label_at(self, y: float) -> str:
        month = self.timeline.month_at(self.row_at(y))
        return month.label if month is not None else "Undated"

    # --- painting -------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = self.width()
        if not self.timeline.months:
            p.end()
            return
        # The rail, and the part of it already scrolled past.
        rail_x = w - 8
        p.setPen(QPen(QColor(style.BORDER), 2))
        p.drawLine(int(rail_x), _MARGIN, int(rail_x), int(self.height() - _MARGIN))
        now_y = self.y_of_row(self.current_row)
        p.setPen(QPen(QColor(style.ACCENT), 2))
        p.drawLine(int(rail_x), _MARGIN, int(rail_x), int(now_y))
        # Years: labels where there is room, dots where there is not.
        p.setFont(self._year_font)
        metrics = QFontMetrics(self._year_font)
        shown = self.timeline.month_at(self.current_row)
        for year, y, labelled in self.year_marks():
            if labelled:
                # The year on screen stands out, like the current page of a book's index.
                p.setPen(QColor(style.ACCENT if shown is not None and shown.year == year else style.TEXT_MUTED))
                text = str(year)
                p.drawText(QRectF(0, y - metrics.height() / 2, rail_x - 7, metrics.height()),
                           int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
                p.setPen(QPen(QColor(style.TEXT_MUTED), 1))
                p.drawLine(int(rail_x - 4), int(y), int(rail_x), int(y))
            else:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor("#b9c0cf"))
                p.drawEllipse(QRectF(rail_x - 11, y - 1.5, 3, 3))
        # Where the grid is now: a handle on the rail.
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(style.ACCENT))
        p.drawRoundedRect(QRectF(rail_x - 3, now_y - 7, 6, 14), 3, 3)
        if self._hover_y is not None:
            p.setPen(QPen(QColor(style.ACCENT), 1.5))
            p.drawLine(0, self._hover_y, int(rail_x), self._hover_y)
        p.end()

    # --- mouse ----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.timeline.months:
            self._dragging = True
            self._jump(event.position().y())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._dragging:
            self._jump(event.position().y())
        self.show_hover(int(event.position().y()))

    def mouseReleaseEvent(self, _event) -> None:  # noqa: N802 - Qt override
        self._dragging = False

    def leaveEvent(self, _event) -> None:  # noqa: N802 - Qt override
        self.clear_hover()

    def hideEvent(self, _event) -> None:  # noqa: N802 - Qt override
        self.clear_hover()

    def clear_hover(self) -> None:
        self._hover_y = None
        self._dragging = False
        self.bubble.hide()
        self.update()

    def show_hover(self, y: int) -> None:
        """The month under the pointer in a pill left of the strip, over the grid's edge."""
        if not self.timeline.months:
            return
        self._hover_y = y
        self.bubble.setText(self.label_at(y))
        self.bubble.adjustSize()
        parent = self.bubble.parentWidget()
        at = self.mapTo(parent, QPoint(0, y)) if parent is not None else QPoint(0, y)
        top = max(0, min((parent.height() if parent else 0) - self.bubble.height(), at.y() - self.bubble.height() // 2))
        self.bubble.move(at.x() - self.bubble.width() + 4, top)
        self.bubble.show()
        self.bubble.raise_()
        self.update()

    def _jump(self, y: float) -> None:
        row = self.row_at(y)
        self.set_current_row(row)
        self.jump_requested.emit(row)

    def jump_to(self, year: int, month: int | None = None) -> int:
        """Scroll to the newest photo of that month (or year); returns its row."""
        row = self.timeline.position(year, month)
        self.set_current_row(row)
        self.jump_requested.emit(row)
        return row


class TimelineController:
    """Puts the scrubber beside the main grid, feeds it month counts (in a worker) and moves the
    grid when it is used. Rows beyond those loaded so far are reached once their page arrives."""

    def __init__(self, window: MainWindow):
        self.w = window
        self.scrubber = TimelineScrubber()
        self.scrubber.hide()
        window.grid_page.body.addWidget(self.scrubber)
        self.scrubber.bubble.setParent(window.grid_page)
        self._pending_row: int | None = None
        self._generation = 0
        self.scrubber.jump_requested.connect(self.scroll_to_row)
        window.view_changed.connect(lambda _view: self.update_visibility())
        window.loader.finished.connect(lambda _rows: self._on_listing_finished())
        window.model.rowsInserted.connect(lambda *_: self._retry_pending())
        window.model.modelReset.connect(lambda: self._retry_pending())
        window.grid.verticalScrollBar().valueChanged.connect(lambda _v: self._follow_grid())

    def applies(self) -> bool:
        w = self.w
        return (w.library is not None and isinstance(w.browse.current, All)
                and w.browse.sort_key() == "date" and w.stack.currentWidget() is w.grid_page)

    def update_visibility(self) -> None:
        """Show (and refresh the counts) on All photos by date; hide everywhere else."""
        w = self.w
        if not self.applies():
            self.scrubber.hide()
            w.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            return
        self._generation += 1
        generation, library = self._generation, w.library

        def counts() -> Timeline:
            return timeline(library.backend)

        def show(tl: Timeline) -> None:
            if generation != self._generation or not self.applies():
                return
            rows = max(w.model.rowCount(), tl.total)
            self.scrubber.set_timeline(tl, rows)
            visible = len(tl.months) > 0
            self.scrubber.setVisible(visible)
            # The scrubber is the scroll bar while it shows (the wheel and keys still scroll).
            w.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if visible
                                              else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            self._follow_grid()

        w.runner.submit(counts, show, lambda exc: None)

    def scroll_to_row(self, row: int) -> None:
        model = self.w.model
        if row < model.rowCount():
            self._pending_row = None
            self.w.grid.scrollTo(model.index(row), QAbstractItemView.ScrollHint.PositionAtTop)
        else:
            self._pending_row = row  # its page is still on its way

    def _on_listing_finished(self) -> None:
        # Every page is in: a row still beyond them (a listing capped at ResultLoader.max_rows)
        # goes to the last photo there is.
        if self._pending_row is not None and self.w.model.rowCount():
            self.scroll_to_row(min(self._pending_row, self.w.model.rowCount() - 1))
        self.update_visibility()

    def _retry_pending(self) -> None:
        if self._pending_row is not None and self._pending_row < self.w.model.rowCount():
            self.scroll_to_row(self._pending_row)

    def _follow_grid(self) -> None:
        if self.scrubber.isVisible() and not self.scrubber._dragging:
            self.scrubber.set_current_row(max(0, self.first_visible_row()))

    def first_visible_row(self) -> int:
        """The first photo of the top row on screen (cells are centred in their grid cells, so
        look at the middle of the first cell, a little down when it is partly scrolled away)."""
        grid = self.w.grid
        cell = grid.gridSize()
        for y in (cell.height() // 2, cell.height()):
            index: QModelIndex = grid.indexAt(QPoint(max(8, cell.width() // 2), max(8, y)))
            if index.isValid():
                return index.row()
        return -1
