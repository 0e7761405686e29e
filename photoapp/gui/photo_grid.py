"""The thumbnail grid: one QListView over ``PhotoListModel`` with a painting delegate."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from . import style
from .file_actions import copy_paths, open_in_system_viewer, show_in_file_manager
from .icons import icon
from .photo_model import THUMB_FAILED_ROLE, HitRole, PathRole, PhotoListModel, ScoreRole
from .thumbnails import size_bucket

CAPTION_HEIGHT = 22
CELL_PADDING = 6


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail (or a placeholder while it loads), the file name and a score badge."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thumb_size = 180
        self._placeholder_icon = icon("image", "#b8bfcc")
        self._caption_font = QFont()
        self._caption_font.setPointSizeF(8.5)
        self._badge_font = QFont()
        self._badge_font.setPointSizeF(8)
        self._badge_font.setBold(True)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        side = self.thumb_size + 2 * CELL_PADDING
        return QSize(side, side + CAPTION_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.setPen(QPen(QColor(style.ACCENT), 1.5) if selected else Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.ACCENT_SOFT if selected else "#e9ecf2"))
            painter.drawRoundedRect(rect, 8, 8)

        box = QRect(rect.left() + CELL_PADDING - 2, rect.top() + CELL_PADDING - 2,
                    self.thumb_size, self.thumb_size)
        model = index.model()
        # Straight to the model (no QVariant round trip per painted cell, ~30 cells a frame).
        fast = isinstance(model, PhotoListModel)
        image = model.thumbnail(index.row()) if fast else index.data(Qt.ItemDataRole.DecorationRole)
        if image is not None and not image.isNull():
            target = QSize(image.width(), image.height()).scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target_rect = QRect(QPoint(0, 0), target)
            target_rect.moveCenter(box.center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            clip = QPainterPath()
            clip.addRoundedRect(target_rect, 4, 4)
            painter.setClipPath(clip)
            painter.drawImage(target_rect, image)
            painter.setClipping(False)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.PLACEHOLDER))
            painter.drawRoundedRect(box, 6, 6)
            failed = (model.thumbnails.is_failed(model.hit(index.row()).id, model.thumb_side) if fast
                      else bool(index.data(THUMB_FAILED_ROLE)))
            side = max(16, self.thumb_size // 4)
            icon_rect = QRect(0, 0, side, side)
            icon_rect.moveCenter(box.center())
            (icon("error", "#c2c8d4") if failed else self._placeholder_icon).paint(painter, icon_rect)

        if fast:
            score = model.hit(index.row()).score if model.show_scores else None
        else:
            score = index.data(ScoreRole)
        if score is not None:
            self._paint_badge(painter, box, f"{score:.2f}")

        painter.setFont(self._caption_font)
        painter.setPen(QColor(style.TEXT if selected else style.TEXT_MUTED))
        caption = QRect(rect.left() + 4, box.bottom() + 3, rect.width() - 8, CAPTION_HEIGHT - 4)
        text = QFontMetrics(self._caption_font).elidedText(
            index.data(Qt.ItemDataRole.DisplayRole) or "", Qt.TextElideMode.ElideMiddle, caption.width())
        painter.drawText(caption, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()

    def _paint_badge(self, painter: QPainter, box: QRect, text: str) -> None:
        painter.setFont(self._badge_font)
        metrics = QFontMetrics(self._badge_font)
        width = metrics.horizontalAdvance(text) + 12
        badge = QRect(box.right() - width - 4, box.top() + 4, width, metrics.height() + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 24, 33, 190))
        painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


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
        width = max(1, self.viewport().width() - reserve - 2)
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
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
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
        # Dropping queued thumbnail loads for rows scrolled away, a little after scrolling stops.
        self._retain_timer = QTimer(self, singleShot=True, interval=60)
        self._retain_timer.timeout.connect(self._retain_visible)
        self.verticalScrollBar().valueChanged.connect(lambda _: self._retain_timer.start())

    # --- model and size -----------------------------------------------------------------
    def setModel(self, model) -> None:  # noqa: N802 - Qt override
        super().setModel(model)
        if isinstance(model, PhotoListModel):
            model.set_thumb_side(size_bucket(self.delegate.thumb_size * self.devicePixelRatioF()))
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
            model.set_thumb_side(size_bucket(pixels * self.devicePixelRatioF()))
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
        ids = [model.hit(r).id for r in self.visible_rows()]
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
        return menu

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_hit_changed.emit(current.data(HitRole) if current.isValid() else None)
