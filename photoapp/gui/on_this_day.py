"""The "On this day" page: photos taken on today's month and day in earlier years, one section
per year ("3 years ago"), most recent first. The grouping is the core's (core/timeline.py);
this page only lays it out: a heading and a grid that is exactly as tall as its photos, per
year, in one scrolling column.
"""
from __future__ import annotations

import math
from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout,
                               QWidget)

from ..core.timeline import YearAgo, on_this_day
from .pages import TitleRow
from .photo_grid import PhotoGridView
from .photo_model import PhotoListModel

PER_YEAR = 60  # photos shown per year; a day with more is rare, and the grid stays small


class YearSection(QWidget):
    """"2 years ago" over the grid of that year's photos."""

    def __init__(self, group: YearAgo, day: date, model: PhotoListModel, thumb_size: int, parent=None):
        super().__init__(parent)
        self.group = group
        self.model = model
        heading = QLabel(group.title)
        heading.setObjectName("YearHeading")
        detail = QLabel(f"{_day_text(group, day)} · {len(group.hits)} photo{'s' if len(group.hits) != 1 else ''}")
        detail.setObjectName("ViewSubtitle")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(10)
        top.addWidget(heading)
        top.addWidget(detail, 1, Qt.AlignmentFlag.AlignBottom)
        self.grid = PhotoGridView()
        self.grid.setModel(model)
        self.grid.set_thumbnail_size(thumb_size)
        # The page scrolls, not each year: every grid shows all its rows.
        self.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 10)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.grid)
        self.grid.installEventFilter(self)
        self.grid.viewport().installEventFilter(self)
        self.wheel_target = None  # the page's scroll bar: the wheel over a year scrolls the page

    def fit_height(self) -> None:
        cell = self.grid.gridSize() if self.grid.gridSize().isValid() else self.grid.cell_size()
        width = max(1, self.grid.viewport().width() - 8)
        columns = max(1, width // max(1, cell.width()))
        rows = math.ceil(self.model.rowCount() / columns) if self.model.rowCount() else 0
        self.grid.setFixedHeight(rows * cell.height() + 2 * self.grid.frameWidth() + 6)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.grid and event.type() == event.Type.Resize:
            self.fit_height()
        elif obj is self.grid.viewport() and event.type() == event.Type.Wheel and self.wheel_target is not None:
            QApplication.sendEvent(self.wheel_target, event)  # the grid shows all its rows: nothing to scroll
            return True
        return False


def _day_text(group: YearAgo, day: date) -> str:
    """"Friday 14 March 2025" (29 February shown on the 28th of a common year keeps its own)."""
    try:
        when = date(group.year, day.month, day.day)
    except ValueError:
        return str(group.year)
    return f"{when:%A} {when.day} {when:%B %Y}"


def _month_day(day: date) -> str:
    return f"{day.day} {day:%B}"


class OnThisDayPage(QWidget):
    """The page; ``load(library)`` fills it from a worker."""

    open_requested = Signal(object, int)   # (PhotoListModel, row): the viewer over that year
    current_hit_changed = Signal(object)   # SearchHit | None: the detail panel follows
    similar_requested = Signal(object)     # SearchHit

    def __init__(self, runner, thumbnails, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.thumbnails = thumbnails
        self.thumb_size = 150
        self.sections: list[YearSection] = []
        self.day = date.today()
        self._generation = 0
        header = TitleRow("On this day")
        self.back_button, self.title, self.subtitle = header.back_button, header.title, header.subtitle
        self.column = QWidget()
        self.column.setObjectName("OnThisDayColumn")
        self.column_layout = QVBoxLayout(self.column)
        self.column_layout.setContentsMargins(0, 0, 10, 10)
        self.column_layout.setSpacing(6)
        self.empty = QLabel("")
        self.empty.setObjectName("EmptyText")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.column_layout.addWidget(self.empty)
        self.column_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.column)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 4, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.scroll, 1)
        self.setStyleSheet("#YearHeading { font-size: 12.5pt; font-weight: 600; }"
                           " #OnThisDayColumn { background: transparent; }")

    def load(self, library, day: date | None = None, back: bool = False) -> None:
        self.day = day or date.today()
        self.back_button.setVisible(back)
        self.subtitle.setText(f"{_month_day(self.day)} in earlier years · Loading…")
        self._generation += 1
        generation, when = self._generation, self.day
        backend = library.backend

        def groups() -> list[YearAgo]:
            return on_this_day(backend, when, per_year=PER_YEAR)

        def show(found: list[YearAgo]) -> None:
            if generation == self._generation:
                self.set_groups(found)

        self.runner.submit(groups, show, lambda exc: self.subtitle.setText(f"Error: {exc}"))

    def set_groups(self, groups: list[YearAgo]) -> None:
        for section in self.sections:
            section.setParent(None)
            section.deleteLater()
        self.sections = []
        photos = sum(len(g.hits) for g in groups)
        if not groups:
            self.subtitle.setText(f"{_month_day(self.day)} in earlier years")
            self.empty.setText(f"No photos from {_month_day(self.day)} in earlier years.\n"
                               "Come back tomorrow: every day has its own memories.")
            self.empty.show()
            return
        self.empty.hide()
        years = len(groups)
        self.subtitle.setText(f"{_month_day(self.day)} · {photos:,} photo{'s' if photos != 1 else ''} from "
                              f"{years} earlier year{'s' if years != 1 else ''}")
        for i, group in enumerate(groups):
            model = PhotoListModel(self.thumbnails, self)
            model.set_hits(group.hits)
            section = YearSection(group, self.day, model, self.thumb_size)
            section.wheel_target = self.scroll.verticalScrollBar()
            section.grid.open_requested.connect(lambda row, m=model: self.open_requested.emit(m, row))
            section.grid.preview_requested.connect(lambda row, m=model: self.open_requested.emit(m, row))
            section.grid.current_hit_changed.connect(lambda hit, s=section: self._on_current(s, hit))
            section.grid.similar_requested.connect(self.similar_requested)
            self.column_layout.insertWidget(self.column_layout.count() - 1, section)
            self.sections.append(section)
        for section in self.sections:
            section.fit_height()

    def _on_current(self, section: YearSection, hit) -> None:
        if hit is None:
            return
        # One photo is current on the page: the other years let go of theirs.
        for other in self.sections:
            if other is not section:
                other.grid.blockSignals(True)
                other.grid.clearSelection()
                other.grid.setCurrentIndex(other.model.index(-1))
                other.grid.blockSignals(False)
        self.current_hit_changed.emit(hit)

    def set_thumbnail_size(self, pixels: int) -> None:
        self.thumb_size = int(pixels)
        for section in self.sections:
            section.grid.set_thumbnail_size(pixels)
            section.fit_height()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, 480)


def install(window) -> OnThisDayPage:
    """Add the page to the main window's stack and wire it to the viewer, the detail panel,
    similar search, Back and the thumbnail size (one line in main_window.py)."""
    page = OnThisDayPage(window.runner, window.thumbnails)
    window.stack.addWidget(page)
    browse = window.browse
    page.open_requested.connect(browse.open_viewer)
    page.current_hit_changed.connect(window.detail.show_hit)
    page.similar_requested.connect(lambda hit: window.actions.find_similar_to_hit(hit))
    page.back_button.clicked.connect(browse.back)
    page.set_thumbnail_size(window.size_slider.value())
    window.size_slider.valueChanged.connect(page.set_thumbnail_size)

    def count_today() -> None:
        # "On this day · 4" in the sidebar: there is something to look back at today.
        if window.library is None:
            return
        backend = window.library.backend
        window.runner.submit(lambda: sum(len(g.hits) for g in on_this_day(backend, per_year=PER_YEAR)),
                             window.sidebar.set_on_this_day_count, lambda exc: None)

    window.library_refreshed.connect(count_today)
    return page
