"""Full-size viewer with next/previous (a page of the main window), and the Space quick preview."""
from __future__ import annotations

import os

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from .icons import icon
from .photo_model import PhotoListModel
from .thumbnails import read_scaled
from .workers import TaskRunner

VIEWER_SIDE = 2560  # decode at most this large; the screen is the limit anyway


class ImageCanvas(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QImage()
        self.message = ""
        self.setMinimumSize(200, 150)

    def set_image(self, image: QImage, message: str = "") -> None:
        self.image = image
        self.message = message
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#15171c"))
        if self.image.isNull():
            painter.setPen(QColor("#9aa1ae"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message or "Loading…")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        bounds = QRectF(self.rect()).adjusted(16, 16, -16, -16)
        size = self.image.size()
        if size.width() > bounds.width() or size.height() > bounds.height():
            size = size.scaled(bounds.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRectF(0, 0, size.width(), size.height())
        target.moveCenter(bounds.center())
        painter.drawImage(target, self.image)


class ViewerWidget(QWidget):
    """Shows row ``row`` of a PhotoListModel; Left/Right step, Esc closes."""

    closed = Signal()
    row_changed = Signal(int)

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self._runner = runner
        self._generation = 0
        self.model: PhotoListModel | None = None
        self.row = -1
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setObjectName("Viewer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#Viewer { background: #15171c; } #Viewer QLabel { color: #e8eaef; background: transparent; }")
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 8, 10, 8)
        self.back_button = self._button("back", "Back (Esc)", self.closed.emit)
        self.prev_button = self._button("back", "Previous (←)", self.previous)
        self.next_button = self._button("forward", "Next (→)", self.next)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.counter = QLabel()
        self.counter.setStyleSheet("color: #9aa1ae;")
        bar.addWidget(self.back_button)
        bar.addSpacing(8)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.counter)
        bar.addSpacing(8)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        self.canvas = ImageCanvas()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)

    def _button(self, icon_name: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name, "#e8eaef"))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setStyleSheet("QToolButton:hover { background: #2a2e37; }")
        button.clicked.connect(slot)
        return button

    def show_row(self, model: PhotoListModel, row: int) -> None:
        self.model = model
        hit = model.hit(row)
        if hit is None:
            return
        self.row = row
        self._generation += 1
        generation = self._generation
        self.title.setText(os.path.basename(hit.path))
        self.counter.setText(f"{row + 1:,} / {model.rowCount():,}")
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < model.rowCount() - 1)
        placeholder = model.thumbnails.get(hit.id, model.thumb_side)  # a thumbnail until the full image lands
        self.canvas.set_image(placeholder if placeholder is not None else QImage())
        self._runner.submit(lambda: read_scaled(hit.path, VIEWER_SIDE),
                            lambda image: self._on_image(generation, image),
                            lambda exc: self._on_image(generation, QImage(), str(exc)))
        self.row_changed.emit(row)

    def _on_image(self, generation: int, image: QImage, error: str = "") -> None:
        if generation == self._generation:
            self.canvas.set_image(image, error or ("Cannot display this file" if image.isNull() else ""))

    def next(self) -> None:
        if self.model is not None and self.row < self.model.rowCount() - 1:
            self.show_row(self.model, self.row + 1)

    def previous(self) -> None:
        if self.model is not None and self.row > 0:
            self.show_row(self.model, self.row - 1)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.next()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.previous()
        elif key in (Qt.Key.Key_Escape, Qt.Key.Key_Backspace):
            self.closed.emit()
        else:
            super().keyPressEvent(event)


class QuickPreview(QDialog):
    """Space in the grid: a large preview that Space or Esc dismisses."""

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Quick preview")
        self.viewer = ViewerWidget(runner, self)
        self.viewer.back_button.hide()
        self.viewer.closed.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.viewer)
        self.resize(960, 720)

    def show_row(self, model: PhotoListModel, row: int) -> None:
        self.viewer.show_row(model, row)
        self.show()
        self.raise_()
        self.viewer.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Escape):
            self.accept()
            return
        self.viewer.keyPressEvent(event)
