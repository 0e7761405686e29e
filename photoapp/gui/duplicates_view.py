"""Duplicate groups, and a side-by-side comparison to decide which copy to keep.

The list shows one card per group (a QListView row painted by a delegate, no widget per photo)
with the keeper marked: the user's choice, or the suggestion of ``core.keeper.suggest_keeper``
(largest resolution, then the oldest). Clicking a card opens ``DuplicateCompare``: the copies
side by side with synchronised zoom and pan, the facts that differ highlighted, and a "Keep"
button per copy. The choice is stored in the library (``Library.set_keeper``, undoable); the app
never deletes or moves a file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from . import formatting, style
from .detail_panel import ElidedLabel
from .file_actions import copy_paths, open_in_system_viewer, show_in_file_manager
from .icons import icon
from .pages import EmptyHint
from .thumbnails import ThumbnailCache, size_bucket
from .zoom_canvas import ZoomCanvas

GroupRole = Qt.ItemDataRole.UserRole + 1
THUMB = 150
MEMBER_W = 200
HEADER_H = 30
ROW_H = HEADER_H + THUMB + 86
KEEP_COLOR = "#20a36b"
DIFF_BG = "#fff1c9"  # a fact that differs between the copies
COMPARE_SIDE = 2560  # decode for comparing; a zoom past it shows that decode enlarged
MAX_COMPARED = 6  # copies shown side by side; more would be too narrow to judge


@dataclass
class DuplicateMember:
    id: str
    path: str
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None = None
    modified_at: datetime | None = None


@dataclass
class DuplicateRow:
    similarity: float
    members: list[DuplicateMember]
    key: str = ""  # core.keeper.group_key of the paths
    suggested: int = 0  # index of the suggested keeper
    chosen: str | None = None  # path the user chose to keep, if any
    notes: list[str] = field(default_factory=list)

    @property
    def keeper_index(self) -> int:
        if self.chosen is not None:
            for i, m in enumerate(self.members):
                if m.path == self.chosen:
                    return i
        return self.suggested


def build_rows(library, groups) -> list[DuplicateRow]:
    """Worker side: every copy of every group with its size, resolution and dates, and the keeper
    (core/keeper.py: the user's choice, else the suggestion)."""
    from ..core.keeper import group_candidates, keeper_for, suggest_keeper

    rows = []
    for group in groups:
        candidates = group_candidates(library, group)
        if len(candidates) < 2:
            continue
        members = [DuplicateMember(c.id, c.path, c.size_bytes, c.width, c.height, c.taken_at, c.modified_at)
                   for c in candidates]
        key, _, chosen = keeper_for(library, candidates)
        rows.append(DuplicateRow(group.similarity, members, key, suggest_keeper(candidates), chosen))
    return rows


def member_facts(member: DuplicateMember) -> dict[str, str]:
    """The facts compared between copies, as shown."""
    folder, name = os.path.split(member.path)
    return {
        "Resolution": f"{member.width} × {member.height}" if member.width else "—",
        "File size": formatting.file_size(member.size_bytes),
        "Date taken": formatting.date_time(member.taken_at),
        "Modified": formatting.date_time(member.modified_at),
        "Name": name,
        "Folder": folder,
    }


def differing_facts(members: list[DuplicateMember]) -> set[str]:
    """Names of the facts whose shown value is not the same for every copy."""
    facts = [member_facts(m) for m in members]
    return {k for k in facts[0] if len({f[k] for f in facts}) > 1} if facts else set()


def differences_from(member: DuplicateMember, keeper: DuplicateMember) -> set[str]:
    """Facts of ``member`` that are not what the copy being kept has: what one would lose or
    gain by keeping this one instead."""
    mine, kept = member_facts(member), member_facts(keeper)
    return {k for k in mine if mine[k] != kept[k]}


class DuplicateGroupModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailCache, parent=None):
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.rows: list[DuplicateRow] = []
        self._rows_by_id: dict[str, list[int]] = {}
        self.side = size_bucket(THUMB)
        thumbnails.ready.connect(self._on_ready)

    def set_rows(self, rows: list[DuplicateRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self._rows_by_id = {}
        for i, row in enumerate(rows):
            for m in row.members:
                self._rows_by_id.setdefault(m.id, []).append(i)
        self.endResetModel()

    def set_chosen(self, key: str, path: str | None) -> None:
        for i, row in enumerate(self.rows):
            if row.key == key:
                row.chosen = path
                self.dataChanged.emit(self.index(i), self.index(i))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == GroupRole:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{len(row.members)} copies"
        return None

    def _on_ready(self, doc_id: str) -> None:
        for r in self._rows_by_id.get(doc_id, ()):
            self.dataChanged.emit(self.index(r), self.index(r))


def group_title(row: DuplicateRow) -> str:
    kind = "identical files" if row.similarity >= 0.9999 else f"near-duplicates · {row.similarity:.1%} similar"
    return f"{len(row.members)} copies — {kind}"


def paint_keep_tag(painter: QPainter, box: QRect, metrics: QFontMetrics, text: str, color: str = KEEP_COLOR) -> None:
    tag = QRect(box.left() + 6, box.top() + 6, metrics.horizontalAdvance(text) + 12, metrics.height() + 4)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(tag, tag.height() / 2, tag.height() / 2)
    painter.setPen(QColor("white"))
    painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)


class DuplicateGroupDelegate(QStyledItemDelegate):
    def __init__(self, model: DuplicateGroupModel, parent=None):
        super().__init__(parent)
        self.model = model

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(600, ROW_H)

    @staticmethod
    def member_at(rect: QRect, x: int, count: int) -> int:
        i = (x - rect.left() - 12) // MEMBER_W
        return int(i) if 0 <= i < count else -1

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row: DuplicateRow = index.data(GroupRole)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        card = option.rect.adjusted(4, 4, -4, -4)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setPen(QPen(QColor(style.ACCENT if hovered else style.BORDER), 1))
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(card, 10, 10)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(style.TEXT))
        header = QRect(card.left() + 12, card.top() + 6, card.width() - 24, HEADER_H - 6)
        painter.drawText(header, Qt.AlignmentFlag.AlignVCenter, group_title(row))
        painter.setFont(option.font)
        painter.setPen(QColor(style.ACCENT))
        painter.drawText(header, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, "Compare ›")
        keeper = row.keeper_index
        kept = row.members[keeper]
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() - 0.5)
        metrics = QFontMetrics(small)
        for i, member in enumerate(row.members):
            x = card.left() + 12 + i * MEMBER_W
            if x + MEMBER_W > card.right() + 4:
                painter.setPen(QColor(style.TEXT_MUTED))
                painter.drawText(QRect(x, card.top() + HEADER_H, 80, THUMB), Qt.AlignmentFlag.AlignCenter,
                                 f"+{len(row.members) - i} more")
                break
            box = QRect(x, card.top() + HEADER_H + 2, MEMBER_W - 16, THUMB)
            image = self.model.thumbnails.get(member.id, self.model.side)
            if image is None or image.isNull():
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(style.PLACEHOLDER))
                painter.drawRoundedRect(box, 6, 6)
            else:
                target_size = image.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
                target = QRect(QPoint(0, 0), target_size)
                target.moveCenter(box.center())
                painter.drawImage(target, image)
            painter.setFont(small)
            text_top = box.bottom() + 6
            facts = member_facts(member)
            differs = differences_from(member, kept) if i != keeper else set()
            size_line = (f"{facts['Resolution']}  ·  {facts['File size']}" if member.width else facts["File size"])
            lines = [
                (size_line, style.TEXT, {"Resolution", "File size"} & differs),
                (metrics.elidedText(facts["Name"], Qt.TextElideMode.ElideMiddle, box.width()), style.TEXT,
                 "Name" in differs),
                # The end of the folder is what tells copies apart.
                (metrics.elidedText(facts["Folder"], Qt.TextElideMode.ElideLeft, box.width()), style.TEXT_MUTED,
                 "Folder" in differs),
            ]
            for j, (text, color, highlight) in enumerate(lines):
                line = QRect(x, text_top + j * 17, box.width(), 17)
                if highlight:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(QColor(DIFF_BG))
                    painter.drawRoundedRect(QRect(x - 2, line.top() + 1, min(box.width(), metrics.horizontalAdvance(text) + 6),
                                                  15), 3, 3)
                painter.setPen(QColor(color))
                painter.drawText(line, Qt.AlignmentFlag.AlignLeft, text)
            if i == keeper:
                paint_keep_tag(painter, box, metrics, "keep" if row.chosen else "keep (suggested)")
        painter.restore()


# --- side-by-side comparison -------------------------------------------------------------------
class ComparePane(QFrame):
    """One copy: the zoomable picture, its facts (differences highlighted) and a Keep button."""

    keep_clicked = Signal(str)  # path

    def __init__(self, member: DuplicateMember, parent=None):
        super().__init__(parent)
        self.member = member
        self.setObjectName("ComparePane")
        self.canvas = ZoomCanvas(background="#eef0f4", text_color=style.TEXT_MUTED, enlarge_to_fit=True)
        self.canvas.setMinimumSize(160, 160)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.keep_button = QPushButton()
        self.keep_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.keep_button.clicked.connect(lambda: self.keep_clicked.emit(self.member.path))
        self.fact_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        for r, (key, value) in enumerate(member_facts(member).items()):
            key_label = QLabel(key)
            key_label.setStyleSheet(f"color: {style.TEXT_MUTED};")
            # One line each, elided (a folder from the left: its end tells copies apart), so every
            # pane has the same height and the synchronised pictures line up.
            value_label = ElidedLabel(value, mode=Qt.TextElideMode.ElideLeft if key == "Folder"
                                      else Qt.TextElideMode.ElideMiddle)
            grid.addWidget(key_label, r, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value_label, r, 1)
            self.fact_labels[key] = value_label
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.keep_button)
        layout.addLayout(grid)
        self.differs: set[str] = set()
        self.set_keeper(member, False)

    def set_keeper(self, keeper: DuplicateMember, chosen: bool) -> None:
        """Mark this pane as the keeper or not; highlight the facts that differ from the keeper's."""
        is_keeper = keeper is self.member
        self.is_keeper = is_keeper
        self.differs = differences_from(self.member, keeper)
        for key, label in self.fact_labels.items():
            label.setProperty("differs", key in self.differs)
            label.setStyleSheet(f"background: {DIFF_BG}; border-radius: 3px; padding: 0 3px; font-weight: 600;"
                                if key in self.differs else "padding: 0 3px;")
        if is_keeper:
            self.keep_button.setText("✓ Keep this copy" if chosen else "✓ Keep (suggested)")
            self.keep_button.setStyleSheet(f"QPushButton {{ background: {KEEP_COLOR}; color: white; border: none;"
                                           " border-radius: 6px; padding: 5px 10px; font-weight: 600; }")
            self.setStyleSheet(f"#ComparePane {{ border: 2px solid {KEEP_COLOR}; border-radius: 10px;"
                               " background: #ffffff; }")
        else:
            self.keep_button.setText("Keep this copy instead")
            self.keep_button.setStyleSheet(f"QPushButton {{ background: #ffffff; color: {style.TEXT};"
                                           f" border: 1px solid {style.BORDER}; border-radius: 6px; padding: 5px 10px; }}"
                                           f" QPushButton:hover {{ border-color: {style.ACCENT}; }}")
            # The same 2 px as the keeper's border: every pane's picture gets the same size.
            self.setStyleSheet(f"#ComparePane {{ border: 2px solid {style.BORDER}; border-radius: 10px;"
                               " background: #ffffff; }")


class DuplicateCompare(QWidget):
    """A group side by side. Zooming or panning one picture moves the others to the same place."""

    back_requested = Signal()
    keep_requested = Signal(str, str)  # group key, path

    def __init__(self, parent=None):
        super().__init__(parent)
        self.row: DuplicateRow | None = None
        self.panes: list[ComparePane] = []
        self._syncing = False
        self._generation = 0
        self.runner = None
        self.back_button = QToolButton()
        self.back_button.setIcon(icon("back"))
        self.back_button.setText("All groups")
        self.back_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.back_button.setToolTip("Back to the list of groups (Esc)")
        self.back_button.clicked.connect(self.back_requested.emit)
        self.title = QLabel()
        self.title.setObjectName("ViewTitle")
        self.hint = QLabel("Zoom (Ctrl+scroll, double-click) and pan move every copy together. Highlighted: "
                           "how a copy differs from the one kept. photoapp never deletes files.")
        self.hint.setObjectName("ViewSubtitle")
        self.hint.setWordWrap(True)
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(lambda: self._apply_to_first(ZoomCanvas.set_fit))
        self.actual_button = QPushButton("100%")
        self.actual_button.clicked.connect(lambda: self._apply_to_first(lambda c: c.set_zoom(1.0)))
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addSpacing(8)
        top.addWidget(self.title, 1)
        top.addWidget(self.fit_button)
        top.addWidget(self.actual_button)
        self.strip = QWidget()
        self.strip_layout = QHBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(0, 0, 0, 0)
        self.strip_layout.setSpacing(10)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.strip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.scroll, 1)

    def clear(self) -> None:
        """Drop the panes and their decoded pictures (up to ~17 MB each): nothing is held once
        the comparison is closed."""
        self._generation += 1
        for pane in self.panes:
            pane.setParent(None)
            pane.deleteLater()
        self.panes = []
        self.row = None

    def show_group(self, row: DuplicateRow) -> None:
        self.clear()
        self.row = row
        generation = self._generation
        members = row.members[:MAX_COMPARED]
        extra = len(row.members) - len(members)
        self.title.setText(group_title(row) + (f" (first {len(members)} shown)" if extra else ""))
        for member in members:
            pane = ComparePane(member)
            pane.setMinimumWidth(220)
            pane.keep_clicked.connect(lambda path: self.keep_requested.emit(self.row.key, path))
            pane.canvas.view_changed.connect(lambda c=pane.canvas: self._sync_from(c))
            self.strip_layout.addWidget(pane, 1)
            self.panes.append(pane)
        self.update_keeper()
        if self.runner is not None:
            from .viewer import load_for_view

            for i, member in enumerate(members):
                path = member.path
                self.runner.submit(lambda p=path: load_for_view(p, COMPARE_SIDE),
                                   lambda result, i=i: self._on_image(generation, i, *result),
                                   lambda exc, i=i: self._on_image(generation, i, QImage(), QSize(), str(exc)))

    def update_keeper(self) -> None:
        if self.row is None:
            return
        keeper = self.row.members[self.row.keeper_index]
        for pane in self.panes:
            pane.set_keeper(keeper, self.row.chosen is not None)

    def _on_image(self, generation: int, i: int, image: QImage, source: QSize, error: str = "") -> None:
        if generation != self._generation or i >= len(self.panes):
            return
        canvas = self.panes[i].canvas
        canvas.set_image(image, error or ("Cannot display this file" if image.isNull() else ""), source_size=source)
        others = [p.canvas for p in self.panes if p.canvas is not canvas and not p.canvas.image.isNull()]
        if others:  # arrive where the others already are
            canvas.set_view_state(others[0].view_state())

    def _apply_to_first(self, action) -> None:
        if self.panes:
            action(self.panes[0].canvas)

    def _sync_from(self, source: ZoomCanvas) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            state = source.view_state()
            for pane in self.panes:
                if pane.canvas is not source:
                    pane.canvas.set_view_state(state)
        finally:
            self._syncing = False

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Backspace):
            self.back_requested.emit()
            return
        super().keyPressEvent(event)


class DuplicatesView(QWidget):
    refresh_requested = Signal()

    def __init__(self, thumbnails: ThumbnailCache, parent=None, marks=None):
        super().__init__(parent)
        self.marks = None
        self.model = DuplicateGroupModel(thumbnails, self)
        self.title = title = QLabel("Duplicates")
        title.setObjectName("ViewTitle")
        self.subtitle = QLabel("Looking for duplicates…")
        self.subtitle.setObjectName("ViewSubtitle")
        self.subtitle.setWordWrap(True)
        self.view = QListView()
        self.view.setObjectName("DuplicateList")
        self.view.setUniformItemSizes(True)
        self.view.setMouseTracking(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.view.setItemDelegate(DuplicateGroupDelegate(self.model, self.view))
        self.view.setModel(self.model)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.clicked.connect(lambda index: self.open_group(index.row()))
        self.view.setToolTip("Click a group to compare its copies side by side and choose which to keep. "
                             "photoapp never deletes files.")
        self.compare = DuplicateCompare()
        self.compare.back_requested.connect(self.close_compare)
        self.compare.keep_requested.connect(self._keep)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 12, 0)
        layout.setSpacing(2)
        self.header = QWidget()
        header = QVBoxLayout(self.header)
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(2)
        header.addWidget(title)
        header.addWidget(self.subtitle)
        header.addSpacing(8)
        layout.addWidget(self.header)
        self.empty = EmptyHint("duplicates", "No duplicates found — every photo in the library is one of a kind.")
        self.body = QStackedWidget()
        self.body.addWidget(self.view)
        self.body.addWidget(self.empty)
        self.body.addWidget(self.compare)
        layout.addWidget(self.body, 1)
        if marks is not None:
            self.set_marks(marks)

    def set_marks(self, marks) -> None:
        """Keeper choices (and their undo) go through a ``gui.marks.MarksController``; it also
        lends its worker runner to load the compared pictures."""
        self.marks = marks
        self.compare.runner = marks.runner
        marks.changed.connect(self._on_marks_changed)

    def set_rows(self, rows: list[DuplicateRow]) -> None:
        self.model.set_rows(rows)
        self.close_compare()
        extra = sum(len(r.members) - 1 for r in rows)
        self.subtitle.setText(
            f"{len(rows):,} groups · {extra:,} extra copies. Click a group to compare and choose what to keep — "
            "photoapp never deletes files." if rows else "Identical files and visually near-identical photos show up here.")

    # --- comparing ----------------------------------------------------------------------------
    @property
    def comparing(self) -> bool:
        return self.body.currentWidget() is self.compare

    def open_group(self, row: int) -> None:
        if not 0 <= row < len(self.model.rows):
            return
        self.compare.show_group(self.model.rows[row])
        self.header.hide()
        self.body.setCurrentWidget(self.compare)
        self.compare.setFocus()

    def close_compare(self) -> None:
        self.compare.clear()
        self.header.show()
        self.body.setCurrentWidget(self.view if self.model.rows else self.empty)

    def _keep(self, key: str, path: str) -> None:
        if self.marks is not None:
            self.marks.set_keeper(key, path)

    def _on_marks_changed(self, ids) -> None:
        for item in ids:
            if isinstance(item, str) and item.startswith("keeper:"):
                key = item[len("keeper:"):]
                self.model.set_chosen(key, self.marks.keepers.get(key))
                if self.compare.row is not None and self.compare.row.key == key:
                    self.compare.update_keeper()

    # --- list -------------------------------------------------------------------------------
    def member_at(self, pos: QPoint) -> DuplicateMember | None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return None
        row: DuplicateRow = index.data(GroupRole)
        i = DuplicateGroupDelegate.member_at(self.view.visualRect(index), pos.x(), len(row.members))
        return row.members[i] if i >= 0 else None

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        member = self.member_at(pos)
        if member is None:
            return
        row: DuplicateRow = index.data(GroupRole)
        menu = QMenu(self)
        menu.addAction(icon("zoom"), "Compare side by side", lambda: self.open_group(index.row()))
        menu.addAction("Keep this copy", lambda: self._keep(row.key, member.path))
        menu.addSeparator()
        menu.addAction(icon("folder"), "Show in file manager", lambda: show_in_file_manager(member.path))
        menu.addAction(icon("open"), "Open in system viewer", lambda: open_in_system_viewer(member.path))
        menu.addAction(icon("copy"), "Copy path", lambda: copy_paths([member.path]))
        menu.exec(self.view.viewport().mapToGlobal(pos))
