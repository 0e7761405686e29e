"""Text read in a photo, in the detail panel: the lines found (select one to see where it is),
"Copy text", and the lines' boxes drawn over the preview. A search hit that matched text in
the photo highlights the lines it matched, in the list and on the preview.

``TextSection`` is added to the detail panel's layout; ``TextBoxesOverlay`` sits over the
panel's preview widget (a transparent child that follows its size and draws in the rectangle
the preview shows the image in), so the preview itself knows nothing about text."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPen
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from . import style
from .icons import icon

if TYPE_CHECKING:
    from ..core.records import TextLine

BOX_COLOR = "#f2a33d"  # amber: distinct from the detector boxes' palette and the accent blue
HIGHLIGHT_FILL = QColor(255, 214, 0, 90)
HIGHLIGHT_EDGE = "#e08a00"
VISIBLE_ROWS = 7  # the list grows up to this many lines, then scrolls


class TextBoxesOverlay(QWidget):
    """Draws text line boxes over a ``PreviewWidget`` (anything with ``image_rect()``)."""

    def __init__(self, preview: QWidget):
        super().__init__(preview)
        self.preview = preview
        self.boxes: list[tuple[float, float, float, float]] = []
        self.highlighted: set[int] = set()
        self.show_all = True
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        preview.installEventFilter(self)
        self.setGeometry(preview.rect())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.preview and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.preview.rect())
        return False

    def set_boxes(self, boxes: list[tuple[float, float, float, float]], highlighted: set[int]) -> None:
        self.boxes, self.highlighted = boxes, set(highlighted)
        self.raise_()
        self.update()

    def set_show_all(self, show: bool) -> None:
        self.show_all = show
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        if not self.boxes or getattr(self.preview, "image", None) is None or self.preview.image.isNull():
            return
        target = self.preview.image_rect()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for i, (x0, y0, x1, y1) in enumerate(self.boxes):
            lit = i in self.highlighted
            if not (lit or self.show_all):
                continue
            rect = QRectF(target.left() + x0 * target.width(), target.top() + y0 * target.height(),
                          (x1 - x0) * target.width(), (y1 - y0) * target.height()).adjusted(-1, -1, 1, 1)
            if lit:
                painter.setBrush(HIGHLIGHT_FILL)
                painter.setPen(QPen(QColor(HIGHLIGHT_EDGE), 2.5))
            else:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(QColor(BOX_COLOR), 1.5))
            painter.drawRoundedRect(rect, 2, 2)


class TextSection(QWidget):
    """The "Text in photo" section: lines, copy button, boxes toggle."""

    copied = Signal(str)  # the text put on the clipboard

    def __init__(self, preview: QWidget, parent=None):
        super().__init__(parent)
        self.lines: list[TextLine] = []
        self.overlay = TextBoxesOverlay(preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Text in photo")
        self.title.setObjectName("SectionTitle")
        # An icon button: with "Copy text" spelled out the row was wider than the panel at its
        # narrowest (800x600 window), which cut off the panel's right edge.
        self.copy_button = QToolButton()
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.setToolTip("Copy text: every line read in this photo")
        self.copy_button.setAccessibleName("Copy text")
        self.copy_button.clicked.connect(self.copy_text)
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.empty = QLabel("None")
        self.empty.setStyleSheet(f"color: {style.TEXT_MUTED};")
        self.list = QListWidget()
        self.list.setObjectName("TextLines")
        self.list.setStyleSheet("#TextLines::item { padding: 2px 4px; }")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(True)
        self.list.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.boxes_checkbox = QCheckBox("Show text boxes")
        self.boxes_checkbox.setChecked(True)
        self.boxes_checkbox.toggled.connect(self.overlay.set_show_all)
        layout.addLayout(header)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        layout.addWidget(self.boxes_checkbox)
        self.matched: set[int] = set()
        self.set_lines([])

    def set_lines(self, lines, matched_text=()) -> None:
        """Show ``lines`` (TextLine); lines whose text is in ``matched_text`` (what a search hit
        matched, from its explanation) are highlighted."""
        self.lines = list(lines or [])
        wanted = set(matched_text or ())
        self.matched = {i for i, line in enumerate(self.lines) if line.text in wanted}
        self.list.blockSignals(True)
        self.list.clear()
        for i, line in enumerate(self.lines):
            item = QListWidgetItem(line.text)
            item.setToolTip(f"{line.score:.0%} sure")
            if i in self.matched:
                item.setBackground(HIGHLIGHT_FILL)
            self.list.addItem(item)
        self.list.blockSignals(False)
        has = bool(self.lines)
        self.empty.setVisible(not has)
        self.list.setVisible(has)
        self.copy_button.setEnabled(has)
        self.boxes_checkbox.setVisible(has)
        self._fit_list()
        self.overlay.set_boxes([line.box for line in self.lines], self.matched)

    def _fit_list(self) -> None:
        rows = min(VISIBLE_ROWS, max(1, self.list.count()))
        height = sum(self.list.sizeHintForRow(i) for i in range(rows)) if self.list.count() else 20
        self.list.setFixedHeight(height + 2 * self.list.frameWidth() + 4)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override: wrapped rows change height
        super().resizeEvent(event)
        self._fit_list()

    def _selection_changed(self) -> None:
        rows = {self.list.row(item) for item in self.list.selectedItems()}
        self.overlay.set_boxes([line.box for line in self.lines], rows or self.matched)

    def text(self) -> str:
        """The lines selected, or all of them, one per line (what "Copy text" copies)."""
        rows = sorted(self.list.row(item) for item in self.list.selectedItems())
        chosen = [self.lines[r] for r in rows] if rows else self.lines
        return "\n".join(line.text for line in chosen)

    def copy_text(self) -> None:
        text = self.text()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.copied.emit(text)
