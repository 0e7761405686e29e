"""Small pages of the main window: the first-run empty state and the similar-search header."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from .icons import app_icon, icon
from .photo_grid import PhotoGridView


class EmptyState(QWidget):
    """First run: nothing indexed yet. One clear action."""

    add_folder_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Your photo library is empty")
        title.setObjectName("EmptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setWordWrap(True)  # a narrow window (800 px with both side panels) wraps it
        text = QLabel("Add a folder of photos. photoapp indexes it on this computer — tags, objects and "
                      "similar photos — and keeps watching it for new pictures.\nNothing leaves your machine, "
                      "and your files are never changed.")
        text.setObjectName("EmptyText")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setMaximumWidth(540)
        text.setMinimumWidth(200)
        self.button = QPushButton(icon("folder-add", "#ffffff"), "  Add folder…")
        self.button.setObjectName("Primary")
        self.button.setIconSize(QSize(18, 18))
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self.add_folder_clicked.emit)
        layout = QVBoxLayout(self)
        layout.addStretch(3)
        layout.addWidget(logo)
        layout.addSpacing(12)
        layout.addWidget(title)
        layout.addSpacing(6)
        # Centred by stretches, not an alignment flag: with a flag the wrapped text would get
        # its one-line size hint and be clipped.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(text, 100)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addSpacing(18)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(4)


class EmptyHint(QWidget):
    """A centred icon and a sentence, shown where a list would be empty."""

    def __init__(self, icon_name: str, text: str, parent=None):
        super().__init__(parent)
        picture = QLabel()
        picture.setPixmap(icon(icon_name, "#b8bfcc").pixmap(56, 56))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel(text)
        self.label.setObjectName("EmptyText")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(picture)
        layout.addSpacing(8)
        layout.addWidget(self.label)
        layout.addStretch(3)


def back_button() -> QToolButton:
    """The "Back (Esc)" arrow at the start of a page's title row."""
    button = QToolButton()
    button.setIcon(icon("back"))
    button.setIconSize(QSize(18, 18))
    button.setToolTip("Back (Esc)")
    return button


class PageStack(QStackedWidget):
    """The main area's pages. Only the page on screen sets the minimum size: a plain
    QStackedWidget takes the widest of all its pages (the people page's buttons), which kept the
    window from fitting 800 px even on the photo grid."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        page = self.currentWidget()
        if page is None:
            return super().minimumSizeHint()
        # As a layout would: a minimum the page sets itself (the viewer's 360 px) wins over its hint.
        hint, explicit = page.minimumSizeHint(), page.minimumSize()
        return QSize(explicit.width() or hint.width(), explicit.height() or hint.height())


class TitleRow(QHBoxLayout):
    """A page's title row: the back arrow (shown when there is somewhere to go back to), the
    title, and a subtitle that takes the rest of the row."""

    def __init__(self, title: str):
        super().__init__()
        self.back_button = back_button()
        self.back_button.hide()
        self.title = QLabel(title)
        self.title.setObjectName("ViewTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("ViewSubtitle")
        self.setSpacing(8)
        self.addWidget(self.back_button)
        self.addWidget(self.title)
        self.addSpacing(6)
        self.addWidget(self.subtitle, 1, Qt.AlignmentFlag.AlignBottom)


class GridPage(QWidget):
    """A title row over a photo grid (all photos, a folder, a tag, search results, a cluster)."""

    def __init__(self, grid: PhotoGridView, parent=None):
        super().__init__(parent)
        self.grid = grid
        header = TitleRow("All photos")
        self.back_button, self.title, self.subtitle = header.back_button, header.title, header.subtitle
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 4, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        # The grid and, on All photos, the timeline scrubber beside it (gui/timeline.py).
        self.body = QHBoxLayout()
        self.body.setSpacing(0)
        self.body.addWidget(grid, 1)
        layout.addLayout(self.body, 1)

    def set_title(self, title: str, subtitle: str = "", back: bool = False) -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.back_button.setVisible(back)


class SimilarPage(QWidget):
    """The query image on top, similar photos (with their scores) below, and a relevance slider
    that hides results scoring below it (at once, without searching again)."""

    min_score_changed = Signal(float)
    STEPS = 100  # slider units per 1.0 of score

    def __init__(self, grid: PhotoGridView, parent=None):
        super().__init__(parent)
        from ..core.similar_cutoff import DEFAULT_MIN_SCORE, SLIDER_MAX, SLIDER_MIN

        self.grid = grid
        self.back_button = back_button()
        self.query_image = QLabel()
        self.query_image.setFixedSize(132, 132)
        self.query_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.query_image.setStyleSheet("background: #ffffff; border: 1px solid #dcdfe6; border-radius: 8px;")
        title = QLabel("Similar photos")
        title.setObjectName("ViewTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("ViewSubtitle")
        self.subtitle.setWordWrap(True)
        self.subtitle.setMinimumWidth(100)
        hint = QLabel("Drop or paste (Ctrl+V) any image to search again. A score of 1 is the same "
                      "picture; 0 is no closer than the average of its neighbourhood.")
        hint.setObjectName("ViewSubtitle")
        hint.setWordWrap(True)
        hint.setMinimumWidth(100)
        self.default_min_score = DEFAULT_MIN_SCORE
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("MinScoreSlider")
        self.slider.setRange(round(SLIDER_MIN * self.STEPS), round(SLIDER_MAX * self.STEPS))
        self.slider.setSingleStep(1)
        self.slider.setPageStep(10)
        self.slider.setValue(round(DEFAULT_MIN_SCORE * self.STEPS))
        self.slider.setMinimumWidth(70)  # the page must fit an 800 px window with both panels open
        self.slider.setMaximumWidth(260)
        self.slider.setToolTip("Hide results scoring below this (more relevant, fewer results to the right)")
        self.slider.setAccessibleName("Minimum score")
        self.slider_value = QLabel()
        self.slider_value.setObjectName("ViewSubtitle")
        self.slider_value.setMinimumWidth(36)
        self.slider.valueChanged.connect(self._slider_moved)
        cutoff_label = QLabel("Minimum score")
        cutoff_label.setObjectName("ViewSubtitle")
        cutoff = QHBoxLayout()
        cutoff.setSpacing(8)
        cutoff.addWidget(cutoff_label)
        cutoff.addWidget(self.slider, 1)
        cutoff.addWidget(self.slider_value)
        cutoff.addStretch(1)
        text = QVBoxLayout()
        text.setSpacing(4)
        text.addStretch(1)
        text.addWidget(title)
        text.addWidget(self.subtitle)
        text.addWidget(hint)
        text.addLayout(cutoff)
        text.addStretch(1)
        header = QHBoxLayout()
        header.setSpacing(14)
        header.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.query_image)
        header.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 4, 0)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(grid, 1)
        self._show_value()

    def min_score(self) -> float:
        return self.slider.value() / self.STEPS

    def set_min_score(self, score: float) -> None:
        self.slider.setValue(round(score * self.STEPS))

    def _show_value(self) -> None:
        self.slider_value.setText(f"{self.min_score():.2f}")

    def _slider_moved(self, _value: int) -> None:
        self._show_value()
        self.min_score_changed.emit(self.min_score())

    def set_query(self, image: QImage | None, label: str) -> None:
        if image is not None and not image.isNull():
            scaled = image.scaled(QSize(124, 124), Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            self.query_image.setPixmap(QPixmap.fromImage(scaled))
        else:
            self.query_image.setPixmap(icon("image", "#b8bfcc").pixmap(48, 48))
        self.subtitle.setText(f"to {label} · searching…")

    def set_count(self, label: str, count: int, total: int | None = None) -> None:
        """``count`` results shown; ``total`` found before the cutoff (said when it hid some)."""
        text = f"to {label} · {count:,} result{'s' if count != 1 else ''}"
        if total is not None and total > count:
            text += f" ({total - count:,} below the minimum score hidden)"
        self.subtitle.setText(text)
