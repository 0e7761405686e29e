"""Ratings and favourites in the GUI: one ``MarksController`` per window keeps every mark the user
gave (a dict, read once from ``Library.marks()``; photos with marks are few), writes changes
through ``Library.set_rating``/``set_favorite``/``undo`` in a worker, and tells the grid, the
viewer and the detail panel what changed. Drawing the stars and the heart lives here too, so
the grid, the viewer and the panel show marks the same way.
"""
from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.userdata import MAX_RATING, UserMark
from .workers import TaskRunner

STAR_COLOR = "#f5b301"
HEART_COLOR = "#e5484d"
EMPTY_DARK = "#4a4f5c"
EMPTY_LIGHT = "#c9ced8"


class MarksController(QObject):
    changed = Signal(object)   # set of doc ids whose marks changed
    message = Signal(str)      # what a change did ("4 stars on 3 photos"), for the status bar
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.library = None
        self.marks: dict[str, UserMark] = {}
        self.keepers: dict[str, str | None] = {}  # duplicate group key -> chosen path, as changed here

    def set_library(self, library) -> None:
        self.library = library
        self.marks = {}
        if library is not None:
            self.runner.submit(library.marks, self._loaded, lambda exc: self.failed.emit(str(exc)))

    def reload(self) -> None:
        """Read every mark again, keeping the current ones on screen meanwhile: after indexing
        (an edited photo inherits its old marks under a new id) or a change made elsewhere
        (``photoapp rate`` while the app runs)."""
        library = self.library
        if library is not None:
            self.runner.submit(library.marks, lambda m: self._loaded(m) if library is self.library else None,
                               lambda exc: self.failed.emit(str(exc)))

    def _loaded(self, marks: dict) -> None:
        before, self.marks = self.marks, dict(marks)
        changed = {i for i in set(before) | set(self.marks) if before.get(i) != self.marks.get(i)}
        self.changed.emit(changed if before else set(self.marks))

    def mark(self, doc_id: str) -> UserMark:
        return self.marks.get(doc_id, UserMark())

    # --- changes (each is one undoable step in the library) --------------------------------
    def rate(self, ids: Iterable[str], rating: int) -> None:
        ids, library = list(ids), self.library
        if ids and library is not None:
            self._submit(lambda: library.set_rating(ids, rating))

    def toggle_favorite(self, ids: Iterable[str]) -> None:
        """All favourites already: clear them; otherwise make them all favourites."""
        ids = list(ids)
        self.set_favorite(ids, not all(self.mark(i).favorite for i in ids))

    def set_favorite(self, ids: Iterable[str], on: bool) -> None:
        ids, library = list(ids), self.library
        if ids and library is not None:
            self._submit(lambda: library.set_favorite(ids, on))

    def set_keeper(self, group_key: str, path: str | None) -> None:
        """The copy of a duplicate group to keep (None: back to the suggestion); undoable."""
        library = self.library
        if library is not None:
            self._submit(lambda: library.set_keeper(group_key, path))

    def undo(self) -> None:
        if self.library is not None:
            self._submit(self.library.undo)

    def _submit(self, call) -> None:
        self.runner.submit(call, self._apply, lambda exc: self.failed.emit(str(exc)))

    def _apply(self, change) -> None:
        for doc_id, mark in change.marks.items():
            if mark.is_default:
                self.marks.pop(doc_id, None)
            else:
                self.marks[doc_id] = mark
        self.keepers.update(change.keepers)
        self.message.emit(change.description[:1].upper() + change.description[1:])
        self.changed.emit(set(change.marks) | {f"keeper:{k}" for k in change.keepers})


# --- drawing --------------------------------------------------------------------------------
def star_path(center: QPointF, radius: float) -> QPolygonF:
    import math

    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(QPointF(center.x() + r * math.cos(angle), center.y() + r * math.sin(angle)))
    return QPolygonF(points)


def heart_path(rect: QRectF) -> QPainterPath:
    w, h, x, y = rect.width(), rect.height(), rect.left(), rect.top()
    path = QPainterPath(QPointF(x + w / 2, y + h * 0.95))
    path.cubicTo(x - w * 0.05, y + h * 0.55, x + w * 0.05, y - h * 0.05, x + w / 2, y + h * 0.28)
    path.cubicTo(x + w * 0.95, y - h * 0.05, x + w * 1.05, y + h * 0.55, x + w / 2, y + h * 0.95)
    return path


def paint_mark(painter: QPainter, rect: QRectF, mark: UserMark, size: float = 12.0,
               empty_stars: bool = False, dark: bool = False) -> float:
    """Draw ``mark`` (heart, then stars) from the left of ``rect``, vertically centred; returns
    the width used. Empty stars are drawn only when asked (a panel shows 0-5, a thumbnail only
    what was given)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    x, cy = rect.left(), rect.center().y()
    if mark.favorite:
        painter.setBrush(QColor(HEART_COLOR))
        painter.drawPath(heart_path(QRectF(x, cy - size / 2, size, size)))
        x += size + 4
    count = MAX_RATING if empty_stars else mark.rating
    for i in range(count):
        filled = i < mark.rating
        painter.setBrush(QColor(STAR_COLOR if filled else (EMPTY_DARK if dark else EMPTY_LIGHT)))
        painter.drawPolygon(star_path(QPointF(x + size / 2, cy), size / 2))
        x += size + 1
    painter.restore()
    return x - rect.left()


def paint_thumbnail_mark(painter: QPainter, box, mark: UserMark | None) -> None:
    """Stars and heart on a dark pill in a thumbnail's bottom-left corner (nothing if unmarked)."""
    if mark is None or mark.is_default:
        return
    size = 11.0
    width = (size + 4 if mark.favorite else 0) + mark.rating * (size + 1) + 10
    pill = QRectF(box.left() + 5, box.bottom() - size - 12, width, size + 8)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(20, 24, 33, 170))
    painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
    painter.restore()
    paint_mark(painter, pill.adjusted(5, 0, 0, 0), mark, size)


class MarkBadge(QWidget):
    """The current photo's stars and heart (viewer tool bar, detail panel). Clicking a star rates
    with it, clicking the heart toggles it: ``rate_clicked(n)``, ``favorite_clicked()``."""

    rate_clicked = Signal(int)
    favorite_clicked = Signal()
    SIZE = 14

    def __init__(self, dark: bool = False, parent=None):
        super().__init__(parent)
        self.dark = dark
        self.mark: UserMark | None = None
        self.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Rating: click a star or press 0-5 · favourite: click the heart or press .")

    def set_mark(self, mark: UserMark | None) -> None:
        self.mark = mark
        self.setVisible(mark is not None)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(int((self.SIZE + 4) + MAX_RATING * (self.SIZE + 1)) + 4, self.SIZE + 8)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        if self.mark is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        heart = QRectF(0, (self.height() - self.SIZE) / 2, self.SIZE, self.SIZE)
        if self.mark.favorite:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(HEART_COLOR))
        else:
            painter.setPen(QColor(EMPTY_DARK if self.dark else EMPTY_LIGHT))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(heart_path(heart))
        stars = QRectF(self.SIZE + 4, 0, self.width() - self.SIZE - 4, self.height())
        paint_mark(painter, stars, UserMark(self.mark.rating, False), self.SIZE, empty_stars=True, dark=self.dark)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        x = event.position().x()
        if x < self.SIZE + 2:
            self.favorite_clicked.emit()
            return
        n = int((x - self.SIZE - 4) // (self.SIZE + 1)) + 1
        if 1 <= n <= MAX_RATING:
            # Clicking the star already given clears the rating (as in most photo apps).
            self.rate_clicked.emit(0 if self.mark is not None and self.mark.rating == n else n)
