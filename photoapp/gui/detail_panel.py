"""The detail panel: a larger preview (with detector boxes on request), tags with confidence
bars, detected objects, the user's rating and favourite, and the photo's metadata with its
exposure settings. Loading happens in a worker.

Exposure (ISO, aperture, shutter, focal length) is read from the file when a photo is shown
(``core.metadata.read_exposure_file``, read-only, header only): the file is the one owner of
those facts; the index keeps only what search filters on (date, camera, lens)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from . import formatting, style
from .color_swatches import ColorChips
from .marks import MarkBadge
from .text_panel import TextSection
from .thumbnails import read_scaled
from .formatting import date_with_source
from .workers import TaskRunner

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.metadata import Exposure
    from ..core.records import DetectedObject, PhotoDocument, SearchHit, Tag

PREVIEW_SIDE = 720
MIN_SHOWN_CONFIDENCE = 0.05
_BOX_COLORS = ["#ff5c5c", "#3d6df2", "#20a36b", "#f2a33d", "#9b5cf2", "#17a2b8"]


class PreviewWidget(QWidget):
    """Draws an image scaled to fit, and optionally the detector's boxes over it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QImage()
        self.objects: list[DetectedObject] = []
        self.show_boxes = False
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_image(self, image: QImage, objects: list[DetectedObject]) -> None:
        self.image = image
        self.objects = objects
        self.updateGeometry()
        self.update()

    def set_show_boxes(self, show: bool) -> None:
        self.show_boxes = show
        self.update()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        if self.image.isNull():
            return int(width * 0.66)
        return max(120, min(int(width * self.image.height() / max(1, self.image.width())), 520))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, self.heightForWidth(320))

    def image_rect(self) -> QRectF:
        if self.image.isNull():
            return QRectF(self.rect())
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRectF(0, 0, size.width(), size.height())
        rect.moveCenter(QRectF(self.rect()).center())
        return rect

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.image.isNull():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.PLACEHOLDER))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(0, 0, -1, -1), 8, 8)
            return
        target = self.image_rect()
        painter.drawImage(target, self.image)
        if not self.show_boxes:
            return
        font = QFont(self.font())
        font.setPointSizeF(8)
        font.setBold(True)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        for i, obj in enumerate(self.objects):
            color = QColor(_BOX_COLORS[i % len(_BOX_COLORS)])
            x0, y0, x1, y1 = obj.box
            box = QRectF(target.left() + x0 * target.width(), target.top() + y0 * target.height(),
                         (x1 - x0) * target.width(), (y1 - y0) * target.height())
            painter.setPen(QPen(color, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(box)
            label = f"{obj.label} {obj.score:.0%}"
            tag = QRectF(box.left(), max(target.top(), box.top() - metrics.height() - 2),
                         metrics.horizontalAdvance(label) + 8, metrics.height() + 2)
            painter.fillRect(tag, color)
            painter.setPen(QColor("white"))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)


class ConfidenceBars(QWidget):
    """Tags as rows of label, bar and percentage."""

    ROW = 22

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[str, float, str]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: list[tuple[str, float, str]]) -> None:
        self.rows = rows
        self.setFixedHeight(max(1, len(rows)) * self.ROW)
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        label_w = int(self.width() * 0.46)
        pct_w = metrics.horizontalAdvance("100%") + 6
        bar_w = max(20, self.width() - label_w - pct_w - 12)
        if not self.rows:
            painter.setPen(QColor(style.TEXT_MUTED))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignVCenter, "None")
            return
        for i, (label, confidence, source) in enumerate(self.rows):
            y = i * self.ROW
            painter.setPen(QColor(style.TEXT if source != "ancestor" else style.TEXT_MUTED))
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_w - 6)
            painter.drawText(QRectF(0, y, label_w, self.ROW), Qt.AlignmentFlag.AlignVCenter, text)
            track = QRectF(label_w, y + self.ROW / 2 - 3, bar_w, 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(style.PLACEHOLDER))
            painter.drawRoundedRect(track, 3, 3)
            fill = QRectF(track)
            fill.setWidth(max(3.0, track.width() * max(0.0, min(1.0, confidence))))
            painter.setBrush(QColor(style.ACCENT if source != "ancestor" else "#9fb5f5"))
            painter.drawRoundedRect(fill, 3, 3)
            painter.setPen(QColor(style.TEXT_MUTED))
            painter.drawText(QRectF(label_w + bar_w + 6, y, pct_w + 6, self.ROW),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"{confidence:.0%}")


class ElidedLabel(QLabel):
    """A one-line label that elides instead of widening the panel (long file names)."""

    def __init__(self, text: str = "", parent=None, mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle):
        super().__init__(parent)
        self._full = text
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(QFontMetrics(self.font()).elidedText(self._full, self._mode, max(10, self.width())))


def breakable_path(path: str) -> str:
    """Let a long path wrap after each separator (a zero-width space), so it never widens the panel."""
    for sep in ("/", "\\", "_", "-", "."):
        path = path.replace(sep, sep + "\u200b")
    return path


def _key_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "key")
    return label


def _section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("SectionTitle")
    return label


class DetailPanel(QScrollArea):
    """Shows one photo's details; ``show_hit`` loads them in a worker."""

    loaded = Signal(str)  # doc id, once the details are on screen

    def __init__(self, runner: TaskRunner, library=None, parent=None):
        super().__init__(parent)
        self.setObjectName("DetailPanel")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(200)
        self._runner = runner
        self.library = library
        self._generation = 0
        self.current_id: str | None = None
        self.document: PhotoDocument | None = None

        body = QWidget()
        body.setObjectName("DetailPanel")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(8)
        self.title = ElidedLabel("No photo selected")
        self.title.setObjectName("ViewTitle")
        self.title.setStyleSheet("font-size: 12pt;")
        self.preview = PreviewWidget()
        # Short labels: with the horizontal scroll bar off, a row wider than the panel at its
        # narrowest (200 px, an 800x600 window) cut off the panel's right edge.
        self.boxes_checkbox = QCheckBox("Show object boxes")
        self.boxes_checkbox.setToolTip("Draw the detected objects' boxes on the preview")
        self.boxes_checkbox.toggled.connect(self.preview.set_show_boxes)
        self.tags = ConfidenceBars()
        self.objects = ConfidenceBars()
        self.colors = ColorChips()  # clicking a chip emits color_clicked(name): a colour filter
        # Chips past the panel's edge are cut, instead of widening (and so clipping) the whole panel.
        self.colors.setMinimumWidth(1)
        self.colors.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(6)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.fields: dict[str, QLabel] = {}
        # Stars and heart under the picture, where a photographer looks for them; a row of
        # their own (in the form they would widen the key column's neighbour past narrow panels).
        self.mark_badge = MarkBadge()
        for key in ("Date", "Camera", "Lens", "Aperture", "Shutter", "ISO", "Focal length",
                    "Size", "Resolution", "Place", "Path"):
            value = QLabel("—")
            value.setWordWrap(True)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(_key_label(key), value)
            self.fields[key] = value
        layout.addWidget(self.title)
        layout.addWidget(self.preview)
        layout.addWidget(self.mark_badge)
        layout.addWidget(self.boxes_checkbox)
        layout.addWidget(_section_title("Tags"))
        layout.addWidget(self.tags)
        layout.addWidget(_section_title("Detected objects"))
        layout.addWidget(self.objects)
        layout.addWidget(_section_title("Colours"))
        layout.addWidget(self.colors)
        self.text_section = TextSection(self.preview)  # text read in the photo (gui/text_panel.py)
        layout.addWidget(self.text_section)
        layout.addWidget(_section_title("Information"))
        layout.addLayout(self.form)
        layout.addStretch(1)
        self.setWidget(body)
        self._body = body
        self.marks = None
        self.set_empty()

    def set_marks(self, marks) -> None:
        """Show and edit ratings through a ``gui.marks.MarksController``."""
        self.marks = marks
        marks.changed.connect(lambda ids: self._show_mark() if self.current_id in ids else None)
        self.mark_badge.rate_clicked.connect(
            lambda n: marks.rate([self.current_id], n) if self.current_id else None)
        self.mark_badge.favorite_clicked.connect(
            lambda: marks.toggle_favorite([self.current_id]) if self.current_id else None)

    def _show_mark(self) -> None:
        if self.marks is not None and self.current_id:
            self.mark_badge.set_mark(self.marks.mark(self.current_id))
        else:
            self.mark_badge.set_mark(None)

    def set_empty(self) -> None:
        self._generation += 1
        self.current_id = None
        self.document = None
        self.title.setText("No photo selected")
        self.preview.set_image(QImage(), [])
        self.tags.set_rows([])
        self.objects.set_rows([])
        self.colors.set_colors([])
        self.text_section.set_lines([])
        for value in self.fields.values():
            value.setText("—")
        self._show_mark()

    def show_hit(self, hit: SearchHit | None) -> None:
        if hit is None or self.library is None:
            self.set_empty()
            return
        self._generation += 1
        generation, library = self._generation, self.library
        self.current_id = hit.id
        self.title.setText(os.path.basename(hit.path))
        self._show_mark()

        def load():
            from ..core.metadata import read_exposure_file  # Pillow: off the start-up path

            doc = library.info(hit.id)
            path = hit.path if os.path.exists(hit.path) else (doc.path if doc else hit.path)
            return doc, read_scaled(path, PREVIEW_SIDE), read_exposure_file(path)

        self._runner.submit(load, lambda result: self._show(generation, hit, *result),
                            lambda exc: self._show_error(generation, exc))

    def _show(self, generation: int, hit: SearchHit, doc: PhotoDocument | None, image: QImage,
              exposure: Exposure | None = None) -> None:
        if generation != self._generation:
            return
        self.document = doc
        self.preview.set_image(image, doc.objects if doc else [])
        self.text_section.set_lines(doc.text if doc else [],
                                    [label for kind, label, _ in hit.explanation if kind == "text"])
        if doc is None:
            self.fields["Path"].setText(breakable_path(hit.path))
            self.loaded.emit(hit.id)
            return
        # What the photo shows first; the WordNet ancestors ("mammal", "animal") after.
        tags = sorted(doc.tags, key=lambda t: (t.source == "ancestor", -t.confidence))
        self.tags.set_rows([(t.label, t.confidence, t.source) for t in _display_tags(tags)])
        best: dict[str, float] = {}
        for obj in doc.objects:
            best[obj.label] = max(best.get(obj.label, 0.0), obj.score)
        counts: dict[str, int] = {}
        for obj in doc.objects:
            counts[obj.label] = counts.get(obj.label, 0) + 1
        self.objects.set_rows([(f"{label} ×{counts[label]}" if counts[label] > 1 else label, score, "detector")
                               for label, score in sorted(best.items(), key=lambda kv: -kv[1])])
        self.boxes_checkbox.setEnabled(bool(doc.objects))
        self.colors.set_colors(doc.colors)
        others = len(doc.paths) - 1
        self.fields["Date"].setText(date_with_source(doc))  # and where the date came from
        self.fields["Camera"].setText(formatting.camera(doc.camera_make, doc.camera_model))
        if exposure is None:
            from ..core.metadata import Exposure
            exposure = Exposure()
        self.fields["Lens"].setText(doc.lens or exposure.lens or "—")
        self.fields["Aperture"].setText(exposure.aperture_text or "—")
        self.fields["Shutter"].setText(exposure.shutter_text or "—")
        self.fields["ISO"].setText(str(exposure.iso) if exposure.iso else "—")
        self.fields["Focal length"].setText(exposure.focal_text or "—")
        self.fields["Size"].setText(formatting.file_size(doc.size_bytes))
        self.fields["Resolution"].setText(f"{doc.width} × {doc.height}" + (f"  {doc.format}" if doc.format else ""))
        # The place name first (reverse-geocoded, core/places), the coordinates under it.
        place = doc.place.label if getattr(doc, "place", None) is not None and doc.gps else ""
        self.fields["Place"].setText(f"{place}\n{formatting.gps(doc.gps)}" if place else formatting.gps(doc.gps))
        self.fields["Path"].setText(breakable_path(hit.path) + (f"\n(+{others} other cop{'y' if others == 1 else 'ies'})" if others > 0 else ""))
        self.loaded.emit(hit.id)

    def _show_error(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.fields["Path"].setText(f"Could not load details: {exc}")


def _display_tags(tags: list[Tag], limit: int = 12, ancestors: int = 4) -> list[Tag]:
    """The strongest tags, one row per label (a label can come from two sources), with at most
    ``ancestors`` broader terms after them."""
    seen: set[str] = set()
    result = []
    for tag in tags:
        if tag.label in seen or (tag.source == "ancestor" and ancestors <= 0):
            continue
        if tag.confidence < MIN_SHOWN_CONFIDENCE and result:
            continue  # the classifier's faint runners-up are noise to a reader
        if tag.source == "ancestor":
            ancestors -= 1
        seen.add(tag.label)
        result.append(tag)
        if len(result) == limit:
            break
    return result
