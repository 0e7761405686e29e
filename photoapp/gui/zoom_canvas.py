"""A picture you can zoom, pan and turn: the viewer's canvas, also used side by side to compare
duplicates (``view_state``/``set_view_state`` keep two canvases on the same part of the picture).

Zoom is in *source* pixels: 1.0 means one pixel of the original file per screen pixel, even
while the canvas only holds a downscaled decode (``set_image(image, source_size)``; the viewer
swaps in the full-resolution decode when a zoom needs it). Fit never enlarges a small picture,
and any enlargement draws whole pixels (nearest neighbour), so small images are sharp, not blurred.
Rotation turns the view only; the file is never touched.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QWidget

MIN_ZOOM = 0.02
MAX_ZOOM = 32.0
ZOOM_STEP = 1.25
MARGIN = 16  # around a fitted picture


@dataclass(frozen=True)
class ViewState:
    """What a second canvas needs to show the same part of its own picture.

    ``relative`` is the zoom over the uncapped fit scale (1.0 = the whole picture fills the
    canvas), so pictures of different resolutions line up; ``center`` is the picture point at
    the canvas centre, as fractions of the (turned) picture."""

    fit: bool = True
    relative: float = 1.0
    center: tuple[float, float] = (0.5, 0.5)
    rotation: int = 0


class ZoomCanvas(QWidget):
    view_changed = Signal()  # zoom, pan or rotation changed by the user (or a call)

    def __init__(self, parent=None, background: str = "#15171c", text_color: str = "#9aa1ae",
                 enlarge_to_fit: bool = False):
        super().__init__(parent)
        # Comparing copies of different resolutions: show them the same size, so the smaller
        # one's lack of detail shows (as whole pixels) instead of it looking smaller.
        self.enlarge_to_fit = enlarge_to_fit
        self.image = QImage()
        self.source_size = QSize()
        self.message = ""
        self.fit = True
        self._zoom = 1.0
        self.center = QPointF(0.5, 0.5)
        self.rotation = 0  # degrees clockwise: 0, 90, 180, 270
        self._drag_from: QPointF | None = None
        self._background = QColor(background)
        self._text_color = QColor(text_color)
        self.setMinimumSize(120, 90)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    # --- content ---------------------------------------------------------------------------
    def set_image(self, image: QImage, message: str = "", source_size: QSize | None = None,
                  keep_view: bool = False) -> None:
        """Show ``image``; ``source_size`` is the original's size when ``image`` is a smaller
        decode. ``keep_view``: the same picture in a better resolution, keep zoom and pan."""
        self.image = image
        self.message = message
        if source_size is not None and source_size.isValid():
            self.source_size = QSize(source_size)
        else:
            self.source_size = image.size() if not image.isNull() else QSize()
        if not keep_view:
            self.fit, self.center = True, QPointF(0.5, 0.5)
        self._update_cursor()
        self.update()

    def set_rotation(self, degrees: int) -> None:
        self.rotation = degrees % 360
        self.fit, self.center = True, QPointF(0.5, 0.5)
        self._changed()

    def rotate_by(self, degrees: int) -> None:
        self.set_rotation(self.rotation + degrees)

    # --- geometry ----------------------------------------------------------------------------
    def turned_size(self) -> QSize:
        s = self.source_size
        return QSize(s.height(), s.width()) if self.rotation in (90, 270) else QSize(s)

    def _bounds(self) -> QRectF:
        return QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

    def raw_fit_scale(self) -> float:
        """The scale at which the whole (turned) picture fills the canvas, enlarging if small."""
        size, bounds = self.turned_size(), self._bounds()
        if size.isEmpty() or bounds.width() <= 0 or bounds.height() <= 0:
            return 1.0
        return min(bounds.width() / size.width(), bounds.height() / size.height())

    def fit_scale(self) -> float:
        if self.enlarge_to_fit:
            return self.raw_fit_scale()
        return min(1.0, self.raw_fit_scale())  # never enlarge to fit: a small picture stays sharp

    def zoom(self) -> float:
        """Screen pixels per source pixel now in force."""
        return self.fit_scale() if self.fit else self._zoom

    def picture_rect(self) -> QRectF:
        """Where the turned picture lies on the canvas."""
        size, z = self.turned_size(), self.zoom()
        w, h = size.width() * z, size.height() * z
        left = self.width() / 2 - self.center.x() * w
        top = self.height() / 2 - self.center.y() * h
        if z == 1.0 and self.rotation % 90 == 0:  # whole pixels: no resampling blur at 100 %
            left, top = round(left), round(top)
        return QRectF(left, top, w, h)

    def wants_full_resolution(self) -> bool:
        """The zoom shows more detail than the decoded image holds."""
        if self.image.isNull() or self.source_size.isEmpty():
            return False
        return self.zoom() * self.source_size.width() > self.image.width() * 1.05

    # --- zoom and pan ------------------------------------------------------------------------
    def set_fit(self) -> None:
        self.fit, self.center = True, QPointF(0.5, 0.5)
        self._changed()

    def _changed(self) -> None:
        self._update_cursor()
        self.update()
        self.view_changed.emit()

    def _update_cursor(self) -> None:
        """An open hand where dragging pans: the picture is larger than the canvas."""
        if self._drag_from is None:
            if self.can_pan():
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.unsetCursor()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the picture point under ``anchor`` (default: centre) still."""
        if self.source_size.isEmpty():
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        before = self.picture_rect()
        fx = (anchor.x() - before.left()) / max(1e-9, before.width())
        fy = (anchor.y() - before.top()) / max(1e-9, before.height())
        self.fit = False
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        size = self.turned_size()
        w, h = size.width() * self._zoom, size.height() * self._zoom
        left, top = anchor.x() - fx * w, anchor.y() - fy * h
        self.center = QPointF((self.width() / 2 - left) / w, (self.height() / 2 - top) / h)
        self._clamp()
        self._changed()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self.zoom() * factor, anchor)

    def pan_by(self, dx: float, dy: float) -> None:
        rect = self.picture_rect()
        if rect.width() <= 0 or rect.height() <= 0:
            return
        self.center = QPointF(self.center.x() - dx / rect.width(), self.center.y() - dy / rect.height())
        self._clamp()
        self.update()
        self.view_changed.emit()

    def _clamp(self) -> None:
        """Keep the picture on screen: centred along an axis where it is smaller than the canvas,
        otherwise no empty band beyond its edge."""
        size, z = self.turned_size(), self.zoom()
        cx, cy = self.center.x(), self.center.y()
        for axis, extent, view in ((0, size.width() * z, self.width()), (1, size.height() * z, self.height())):
            if extent <= view:
                value = 0.5
            else:
                half = view / 2 / extent
                value = max(half, min(1 - half, cx if axis == 0 else cy))
            if axis == 0:
                cx = value
            else:
                cy = value
        self.center = QPointF(cx, cy)

    def can_pan(self) -> bool:
        rect = self.picture_rect()
        return rect.width() > self.width() + 0.5 or rect.height() > self.height() + 0.5

    # --- synchronising two canvases --------------------------------------------------------
    def view_state(self) -> ViewState:
        return ViewState(self.fit, self.zoom() / self.raw_fit_scale(), (self.center.x(), self.center.y()),
                         self.rotation)

    def set_view_state(self, state: ViewState) -> None:
        """Show the same part of this picture as another canvas in ``state`` (no signal)."""
        self.rotation = state.rotation
        self.fit = state.fit
        if not state.fit:
            self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, state.relative * self.raw_fit_scale()))
        self.center = QPointF(*state.center)
        self._clamp()
        self._update_cursor()
        self.update()

    # --- Qt events --------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), self._background)
        if self.image.isNull():
            painter.setPen(self._text_color)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message or "Loading…")
            return
        rect = self.picture_rect()
        # Screen pixels per pixel of the decoded image (it may be smaller than the source).
        k = self.zoom() * self.source_size.width() / max(1, self.image.width())
        # Shrinking is smoothed; 1:1 and enlarging draw whole pixels (sharp, never blurred).
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, k < 0.999)
        painter.translate(rect.center())
        painter.rotate(self.rotation)
        painter.scale(k, k)
        painter.drawImage(QPointF(-self.image.width() / 2, -self.image.height() / 2), self.image)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._clamp()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom_by(ZOOM_STEP ** steps, event.position())
            event.accept()
        elif self.can_pan():
            delta = event.pixelDelta() if not event.pixelDelta().isNull() else event.angleDelta() / 2
            self.pan_by(delta.x(), delta.y())
            event.accept()
        else:
            event.ignore()  # the viewer may step photos

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.can_pan():
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag_from is not None:
            delta = event.position() - self._drag_from
            self._drag_from = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag_from is not None:
            self._drag_from = None
            self._update_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Double-click: 100 % at the pointer, or back to fit."""
        if self.fit and self.fit_scale() < 1.0:
            self.set_zoom(1.0, event.position())
        else:
            self.set_fit()
        event.accept()
