"""Full-size viewer with next/previous (a page of the main window), and the Space quick preview.

Keys: ←/→ step; Ctrl+scroll, +/- zoom; Ctrl+0 (or the Fit button) fits, Ctrl+1 is 100 %;
drag pans; R / Shift+R turn the view (never the file); F or F11 toggles full screen, Esc leaves
it (a second Esc closes the viewer); 0-5 rate and "." toggles the favourite (``marks``).
"""
from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from .detail_panel import ElidedLabel
from .icons import icon
from .marks import MarkBadge
from .photo_model import PhotoListModel
from .thumbnails import read_scaled
from .workers import TaskRunner
from .zoom_canvas import ZOOM_STEP, ZoomCanvas

VIEWER_SIDE = 2560  # first decode at most this large: enough to fit any screen
FULL_SIDE = 8192    # a zoom past the first decode loads this much: one photo, at most ~256 MB

ImageCanvas = ZoomCanvas  # the name older code and tests use


def load_for_view(path: str, longest_side: int) -> tuple[QImage, QSize]:
    """Worker side: the picture decoded to at most ``longest_side``, and the size of the
    original as displayed (EXIF orientation applied), so zoom can be in original pixels."""
    image = read_scaled(path, longest_side)
    size = QImageReader(str(path)).size()
    if not image.isNull() and size.isValid() and \
            (image.width() > image.height()) != (size.width() > size.height()):
        size.transpose()  # EXIF turned the picture by 90°; the reader reports the stored size
    return image, size if size.isValid() else image.size()


class ViewerWidget(QWidget):
    """Shows row ``row`` of a PhotoListModel; Left/Right step, Esc closes."""

    closed = Signal()
    row_changed = Signal(int)
    fullscreen_changed = Signal(bool)

    def __init__(self, runner: TaskRunner, parent=None, marks=None):
        super().__init__(parent)
        self._runner = runner
        self._generation = 0
        self.model: PhotoListModel | None = None
        self.row = -1
        self.doc_id: str | None = None
        self.path = ""
        self.fullscreen = False
        self._full_loaded = False
        self._rotations: dict[str, int] = {}  # turns the user gave photos this session (view only)
        self.marks = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setObjectName("Viewer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#Viewer { background: #15171c; } #Viewer QLabel { color: #e8eaef; background: transparent; }"
                           " #Viewer QToolButton { color: #e8eaef; background: transparent; border: none; border-radius: 4px;"
                           " padding: 3px 6px; font-weight: 600; }"
                           " #Viewer QToolButton:hover { background: #2a2e37; }"
                           " #Viewer QToolButton:checked { background: #3a3f4b; }")
        self.bar = QWidget()
        bar = QHBoxLayout(self.bar)
        bar.setContentsMargins(10, 8, 10, 8)
        self.back_button = self._button("back", "Back (Esc)", self.closed.emit)
        self.prev_button = self._button("back", "Previous (←)", self.previous)
        self.next_button = self._button("forward", "Next (→)", self.next)
        self.fit_button = self._button("fit", "Fit to window (Ctrl+0)", self.fit)
        self.actual_button = self._button("", "Actual size, 100 % (Ctrl+1)", self.actual_size, text="100%")
        self.rotate_left_button = self._button("rotate-left", "Turn left (Shift+R) — the file is not changed",
                                               lambda: self.rotate(-90))
        self.rotate_right_button = self._button("rotate-right", "Turn right (R) — the file is not changed",
                                                lambda: self.rotate(90))
        self.fullscreen_button = self._button("fullscreen", "Full screen (F or F11)", self.toggle_fullscreen)
        self.title = ElidedLabel()  # a long name shrinks; it never pushes the buttons off
        self.title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.mark_badge = MarkBadge(dark=True)
        self.zoom_label = QLabel("Fit")
        self.zoom_label.setStyleSheet("color: #9aa1ae;")
        self.zoom_label.setMinimumWidth(44)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.counter = QLabel()
        self.counter.setStyleSheet("color: #9aa1ae;")
        bar.addWidget(self.back_button)
        bar.addSpacing(8)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.mark_badge)
        bar.addSpacing(8)
        bar.addWidget(self.zoom_label)
        for button in (self.fit_button, self.actual_button, self.rotate_left_button, self.rotate_right_button,
                       self.fullscreen_button):
            bar.addWidget(button)
        bar.addSpacing(8)
        bar.addWidget(self.counter)
        bar.addSpacing(8)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        self.canvas = ZoomCanvas()
        self.canvas.view_changed.connect(self._on_view_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.bar)
        layout.addWidget(self.canvas, 1)
        if marks is not None:
            self.set_marks(marks)

    # Narrow windows (800×600 with both side panels) drop the extras first; their keys still work.
    _NARROW_STEPS = ((640, ("rotate_left_button", "rotate_right_button", "fullscreen_button")),
                     (540, ("mark_badge", "zoom_label")),
                     (440, ("fit_button", "actual_button", "counter")))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_bar()

    def _fit_bar(self) -> None:
        width = self.width()
        for limit, names in self._NARROW_STEPS:
            for name in names:
                widget = getattr(self, name)
                if name == "mark_badge":
                    widget.setVisible(width >= limit and widget.mark is not None)
                else:
                    widget.setVisible(width >= limit)

    def _button(self, icon_name: str, tip: str, slot, text: str = "") -> QToolButton:
        button = QToolButton()
        if icon_name:
            button.setIcon(icon(icon_name, "#e8eaef"))
            button.setIconSize(QSize(20, 20))
        if text:
            button.setText(text)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    # --- ratings (MarksController from gui/marks.py) ---------------------------------------
    def set_marks(self, marks) -> None:
        self.marks = marks
        marks.changed.connect(lambda ids: self._show_mark() if self.doc_id in ids else None)
        self.mark_badge.rate_clicked.connect(lambda n: marks.rate([self.doc_id], n) if self.doc_id else None)
        self.mark_badge.favorite_clicked.connect(lambda: marks.toggle_favorite([self.doc_id]) if self.doc_id else None)

    def _show_mark(self) -> None:
        self.mark_badge.set_mark(self.marks.mark(self.doc_id) if self.marks is not None and self.doc_id else None)
        self._fit_bar()

    # --- photos ----------------------------------------------------------------------------
    def show_row(self, model: PhotoListModel, row: int) -> None:
        self.model = model
        hit = model.hit(row)
        if hit is None:
            return
        self.row = row
        self.doc_id, self.path = hit.id, hit.path
        self._generation += 1
        self._full_loaded = False
        generation = self._generation
        self.title.setText(os.path.basename(hit.path))
        self.counter.setText(f"{row + 1:,} / {model.rowCount():,}")
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < model.rowCount() - 1)
        self._show_mark()
        placeholder = model.thumbnails.get(hit.id, model.thumb_side)  # a thumbnail until the full image lands
        self.canvas.set_image(placeholder if placeholder is not None else QImage())
        self.canvas.rotation = self._rotations.get(hit.id, 0)
        self._update_zoom_label()
        path = hit.path
        self._runner.submit(lambda: load_for_view(path, VIEWER_SIDE),
                            lambda result: self._on_image(generation, *result),
                            lambda exc: self._on_image(generation, QImage(), QSize(), str(exc)))
        self.row_changed.emit(row)

    def _on_image(self, generation: int, image: QImage, source: QSize, error: str = "",
                  full: bool = False) -> None:
        if generation != self._generation:
            return
        if image.isNull() and full:
            return  # the first decode stays; a failed enlargement is no reason to blank the view
        self.canvas.set_image(image, error or ("Cannot display this file" if image.isNull() else ""),
                              source_size=source, keep_view=full)
        self._update_zoom_label()

    def _load_full_resolution(self) -> None:
        """A zoom past the first decode: load the detail the file has (once per photo)."""
        if self._full_loaded or not self.path:
            return
        self._full_loaded = True
        generation, path = self._generation, self.path
        self._runner.submit(lambda: load_for_view(path, FULL_SIDE),
                            lambda result: self._on_image(generation, *result, full=True),
                            lambda exc: None)

    def next(self) -> None:
        if self.model is not None and self.row < self.model.rowCount() - 1:
            self.show_row(self.model, self.row + 1)

    def previous(self) -> None:
        if self.model is not None and self.row > 0:
            self.show_row(self.model, self.row - 1)

    # --- zoom, rotation, full screen -------------------------------------------------------
    def fit(self) -> None:
        self.canvas.set_fit()

    def actual_size(self) -> None:
        self.canvas.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.canvas.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.canvas.zoom_by(1 / ZOOM_STEP)

    def rotate(self, degrees: int) -> None:
        self.canvas.rotate_by(degrees)
        if self.doc_id:
            self._rotations[self.doc_id] = self.canvas.rotation

    def _on_view_changed(self) -> None:
        self._update_zoom_label()
        if self.canvas.wants_full_resolution():
            self._load_full_resolution()

    def _update_zoom_label(self) -> None:
        canvas = self.canvas
        if canvas.image.isNull():
            self.zoom_label.setText("")
        elif canvas.fit:
            self.zoom_label.setText("Fit" if canvas.fit_scale() < 1.0 else "100%")
        else:
            self.zoom_label.setText(f"{canvas.zoom():.0%}")
        self.fit_button.setEnabled(not canvas.fit)

    def toggle_fullscreen(self) -> None:
        self.set_fullscreen(not self.fullscreen)

    def set_fullscreen(self, on: bool) -> None:
        """Full screen for the window holding the viewer; the window hides its own chrome on
        ``fullscreen_changed``. The tool bar goes too: only the picture is left."""
        if on == self.fullscreen:
            return
        self.fullscreen = on
        window = self.window()
        if on:
            self._was_maximized = window.isMaximized()
            window.showFullScreen()
        elif getattr(self, "_was_maximized", False):
            window.showMaximized()
        else:
            window.showNormal()
        self.bar.setVisible(not on)
        self.fullscreen_changed.emit(on)
        self.setFocus()

    # --- keys ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.next()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.previous()
        elif key == Qt.Key.Key_Escape and self.fullscreen:
            self.set_fullscreen(False)
        elif key in (Qt.Key.Key_Escape, Qt.Key.Key_Backspace):
            self.closed.emit()
        elif key in (Qt.Key.Key_F11, Qt.Key.Key_F) and not ctrl:
            self.toggle_fullscreen()
        elif key == Qt.Key.Key_R and not ctrl:
            self.rotate(-90 if mods & Qt.KeyboardModifier.ShiftModifier else 90)
        elif ctrl and key == Qt.Key.Key_0:
            self.fit()
        elif ctrl and key == Qt.Key.Key_1:
            self.actual_size()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif not ctrl and Qt.Key.Key_0 <= key <= Qt.Key.Key_5 and self.marks is not None and self.doc_id:
            self.marks.rate([self.doc_id], int(key) - int(Qt.Key.Key_0))
        elif not ctrl and key == Qt.Key.Key_Period and self.marks is not None and self.doc_id:
            self.marks.toggle_favorite([self.doc_id])
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """A plain wheel over a fitted picture steps photos (the canvas zooms/pans otherwise)."""
        steps = event.angleDelta().y()
        if steps < 0:
            self.next()
        elif steps > 0:
            self.previous()
        event.accept()


class QuickPreview(QDialog):
    """Space in the grid: a large preview that Space or Esc dismisses."""

    def __init__(self, runner: TaskRunner, parent=None, marks=None):
        super().__init__(parent)
        self.setWindowTitle("Quick preview")
        # Ratings keys work here too: the window's marks controller (gui/organise.py) if any.
        self.viewer = ViewerWidget(runner, self, marks=marks if marks is not None else getattr(parent, "marks", None))
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
        if event.key() == Qt.Key.Key_Space or (event.key() == Qt.Key.Key_Escape and not self.viewer.fullscreen):
            self.accept()
            return
        self.viewer.keyPressEvent(event)
