"""The thumbnail grid: one QListView over ``PhotoListModel`` with a painting delegate."""
from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from . import style
from .file_actions import copy_paths, open_in_system_viewer, show_in_file_manager
from .icons import icon
from .marks import paint_thumbnail_mark
from .photo_model import THUMB_FAILED_ROLE, HitRole, PathRole, PhotoListModel, ScoreRole

CAPTION_HEIGHT = 22
CELL_PADDING = 6
_CENTER = Qt.AlignmentFlag.AlignCenter  # enum "|" is slow in Python; the hot path uses constants


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail (or a placeholder while it loads), the file name and a score badge.

    Painting is the hot path of scrolling, so colours, pens and elided captions are made once,
    and thumbnails arrive from the worker at the exact device size with their corners rounded:
    a cell is a blit and one line of text.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thumb_size = 180
        self._placeholder_icon = icon("image", "#b8bfcc")
        self._failed_icon = icon("error", "#c2c8d4")
        self._caption_font = QFont()
        self._caption_font.setPointSizeF(8.5)
        self._caption_metrics = QFontMetrics(self._caption_font)
        self._badge_font = QFont()
        self._badge_font.setPointSizeF(8)
        self._badge_font.setBold(True)
        self._badge_metrics = QFontMetrics(self._badge_font)
        self._captions: dict[tuple[str, int], str] = {}
        self._placeholders: dict[tuple[bool, int, float], QPixmap] = {}
        self._selected_pen = QPen(QColor(style.ACCENT), 1.5)
        self._selected_brush = QBrush(QColor(style.ACCENT_SOFT))
        self._hover_brush = QBrush(QColor("#e9ecf2"))
        self._placeholder_brush = QBrush(QColor(style.PLACEHOLDER))
        self._badge_brush = QBrush(QColor(20, 24, 33, 190))
        self._text = QColor(style.TEXT)
        self._text_muted = QColor(style.TEXT_MUTED)
        self._white = QColor("white")
        self.marks = None  # gui.marks.MarksController: stars and heart on the thumbnail

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        side = self.thumb_size + 2 * CELL_PADDING
        return QSize(side, side + CAPTION_HEIGHT)

    def _placeholder(self, failed: bool, painter: QPainter) -> QPixmap:
        """The loading (or failed) tile for the current size, drawn once and then blitted."""
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        key = (failed, self.thumb_size, ratio)
        pixmap = self._placeholders.get(key)
        if pixmap is None:
            pixmap = QPixmap(round(self.thumb_size * ratio), round(self.thumb_size * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self._placeholder_brush)
            p.drawRoundedRect(QRect(0, 0, self.thumb_size, self.thumb_size), 6, 6)
            side = max(16, self.thumb_size // 4)
            icon_rect = QRect((self.thumb_size - side) // 2, (self.thumb_size - side) // 2, side, side)
            (self._failed_icon if failed else self._placeholder_icon).paint(p, icon_rect)
            p.end()
            self._placeholders = {k: v for k, v in self._placeholders.items() if k[1] == self.thumb_size}
            self._placeholders[key] = pixmap
        return pixmap

    def _caption(self, text: str, width: int) -> str:
        key = (text, width)
        elided = self._captions.get(key)
        if elided is None:
            if len(self._captions) > 20000:
                self._captions.clear()
            elided = self._captions[key] = self._caption_metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width)
        return elided

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        model = index.model()
        # Straight to the model: no QVariant round trips for the ~30 cells of a frame.
        fast = isinstance(model, PhotoListModel)
        rect = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        if selected or hovered:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(self._selected_pen if selected else Qt.PenStyle.NoPen)
            painter.setBrush(self._selected_brush if selected else self._hover_brush)
            painter.drawRoundedRect(rect, 8, 8)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

        box = QRect(rect.left() + CELL_PADDING - 2, rect.top() + CELL_PADDING - 2,
                    self.thumb_size, self.thumb_size)
        image = model.thumbnail(index.row()) if fast else index.data(Qt.ItemDataRole.DecorationRole)
        if image is not None and not image.isNull():
            ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
            size = QSize(round(image.width() / ratio), round(image.height() / ratio))
            if size.width() > box.width() or size.height() > box.height() or \
                    (size.width() < box.width() and size.height() < box.height()):
                size = size.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)  # an older size, until reloaded
            target = QRect(QPoint(0, 0), size)
            target.moveCenter(box.center())
            painter.drawImage(target, image)
        else:
            failed = (model.thumbnails.is_failed(model.id_at(index.row()), model.thumb_side) if fast
                      else bool(index.data(THUMB_FAILED_ROLE)))
            painter.drawPixmap(box.topLeft(), self._placeholder(failed, painter))

        if fast:
            row = index.row()
            score = model.score_at(row) if model.show_scores else None
            name = os.path.basename(model.path_at(row))
        else:
            score = index.data(ScoreRole)
            name = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if score is not None:
            self._paint_badge(painter, box, f"{score:.2f}")
        if self.marks is not None and self.marks.marks and fast:
            drawn = target if image is not None and not image.isNull() else box  # on the picture itself
            paint_thumbnail_mark(painter, drawn, self.marks.marks.get(model.id_at(index.row())))

        painter.setFont(self._caption_font)
        painter.setPen(self._text if selected else self._text_muted)
        caption = QRect(rect.left() + 4, box.bottom() + 3, rect.width() - 8, CAPTION_HEIGHT - 4)
        painter.drawText(caption, _CENTER,
                         self._caption(name, caption.width()))
        painter.restore()

    def _paint_badge(self, painter: QPainter, box: QRect, text: str) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._badge_font)
        width = self._badge_metrics.horizontalAdvance(text) + 12
        badge = QRect(box.right() - width - 4, box.top() + 4, width, self._badge_metrics.height() + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._badge_brush)
        painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
        painter.setPen(self._white)
        painter.drawText(badge, _CENTER, text)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


class FittedIconView(QListView):
    """An icon-mode list whose columns spread over the whole width (no ragged right margin)."""

    def cell_size(self) -> QSize:
        return self.itemDelegate().sizeHint(QStyleOptionViewItem(), QModelIndex())

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            self._fit_grid()  # also when a scroll bar appears or goes, which resizes only the viewport
        return super().viewportEvent(event)

    def _fit_grid(self) -> None:
        cell = self.cell_size()
        # The wrapping layout keeps room for a vertical scroll bar even when none is shown.
        reserve = 0 if self.verticalScrollBar().isVisible() else self.verticalScrollBar().sizeHint().width()
        width = max(1, self.viewport().width() - reserve - 8)  # the wrap test keeps a few px spare
        columns = max(1, width // (cell.width() + 4))
        grid = QSize(width // columns, cell.height() + 4)
        if grid != self.gridSize():
            self.setGridSize(grid)


class PhotoGridView(FittedIconView):
    """Icon-mode list of photos. Emits requests; the window decides what they do."""

    open_requested = Signal(int)        # row: full-size viewer
    preview_requested = Signal(int)     # row: quick preview (Space)
    similar_requested = Signal(object)  # SearchHit
    current_hit_changed = Signal(object)  # SearchHit | None

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("PhotoGrid")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        # Lay 100,000 cells out 2,000 at a time between events instead of in one long stall.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDragEnabled(True)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(40)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.delegate = ThumbnailDelegate(self)
        self.setItemDelegate(self.delegate)
        self.doubleClicked.connect(lambda index: self.open_requested.emit(index.row()))
        self.extend_menu = None  # callable(menu, grid): more context-menu entries (gui/organise.py)
        # Dropping queued thumbnail loads for rows scrolled away, a little after scrolling stops.
        self._retain_timer = QTimer(self, singleShot=True, interval=60)
        self._retain_timer.timeout.connect(self._retain_visible)
        self.verticalScrollBar().valueChanged.connect(lambda _: self._retain_timer.start())

    # --- model and size -----------------------------------------------------------------
    def setModel(self, model) -> None:  # noqa: N802 - Qt override
        super().setModel(model)
        if isinstance(model, PhotoListModel):
            model.set_thumb_side(round(self.delegate.thumb_size * self.devicePixelRatioF()))
        self.selectionModel().currentChanged.connect(self._on_current_changed)

    def photo_model(self) -> PhotoListModel:
        return self.model()

    def thumbnail_size(self) -> int:
        return self.delegate.thumb_size

    def set_thumbnail_size(self, pixels: int) -> None:
        self.delegate.thumb_size = int(pixels)
        self._fit_grid()
        model = self.model()
        if isinstance(model, PhotoListModel):
            model.set_thumb_side(round(pixels * self.devicePixelRatioF()))
        current = self.currentIndex()
        self.scheduleDelayedItemsLayout()
        if current.isValid():
            QTimer.singleShot(0, lambda: self.scrollTo(current))

    def visible_rows(self, margin_screens: float = 1.0) -> range:
        """Rows on screen, plus a margin of screens above and below."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return range(0)
        vp = self.viewport().rect()
        extra = int(vp.height() * margin_screens)
        first = self.indexAt(QPoint(8, 8)).row()
        if first < 0:
            first = 0
        last = self.indexAt(QPoint(vp.width() - 8, vp.height() - 8)).row()
        if last < 0:
            last = model.rowCount() - 1
        grid = self.gridSize()
        per_row = max(1, vp.width() // max(1, grid.width()))
        rows_extra = (extra // max(1, grid.height())) * per_row
        return range(max(0, first - rows_extra), min(model.rowCount(), last + 1 + rows_extra))

    def _retain_visible(self) -> None:
        model = self.model()
        if not isinstance(model, PhotoListModel):
            return
        ids = [model.id_at(r) for r in self.visible_rows()]
        model.thumbnails.retain(ids)

    # --- interaction --------------------------------------------------------------------
    def selected_hits(self) -> list:
        model = self.model()
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [model.hit(r) for r in rows]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        current = self.currentIndex()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and current.isValid():
            self.open_requested.emit(current.row())
            return
        if key == Qt.Key.Key_Space and current.isValid():
            self.preview_requested.emit(current.row())
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        index = self.indexAt(event.pos())
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        menu = self.build_context_menu(index)
        menu.exec(event.globalPos())

    def build_context_menu(self, index: QModelIndex) -> QMenu:
        hit = index.data(HitRole)
        path = index.data(PathRole)
        paths = [h.path for h in self.selected_hits()] or [path]
        menu = QMenu(self)
        menu.addAction(icon("open"), "Open in system viewer", lambda: open_in_system_viewer(path))
        menu.addAction(icon("folder"), "Show in file manager", lambda: show_in_file_manager(path))
        menu.addAction(icon("copy"), "Copy path" if len(paths) == 1 else f"Copy {len(paths)} paths",
                       lambda: copy_paths(paths))
        menu.addSeparator()
        menu.addAction(icon("similar"), "Find similar", lambda: self.similar_requested.emit(hit))
        if self.extend_menu is not None:
            self.extend_menu(menu, self)
        return menu

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_hit_changed.emit(current.data(HitRole) if current.isValid() else None)
