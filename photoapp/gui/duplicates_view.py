"""Duplicate groups side by side with size, resolution and path, to decide what to keep.

The app never deletes: the context menu only reveals, opens or copies. One QListView row per
group, painted by a delegate (no widget per photo).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from . import formatting, style
from .file_actions import copy_paths, open_in_system_viewer, show_in_file_manager
from .icons import icon
from .pages import EmptyHint
from .thumbnails import ThumbnailCache, size_bucket

GroupRole = Qt.ItemDataRole.UserRole + 1
THUMB = 150
MEMBER_W = 200
HEADER_H = 30
ROW_H = HEADER_H + THUMB + 86


@dataclass
class DuplicateMember:
    id: str
    path: str
    size_bytes: int
    width: int
    height: int


@dataclass
class DuplicateRow:
    similarity: float
    members: list[DuplicateMember]


def build_rows(library, groups) -> list[DuplicateRow]:
    """Worker side: attach size and resolution to every path of every group."""
    rows = []
    for group in groups:
        docs = {doc_id: library.info(doc_id) for doc_id in group.ids}
        members = []
        seen = set()
        for doc_id, doc in docs.items():
            paths = [p for p in (doc.paths if doc else []) if p in group.paths] or (doc.paths if doc else [])
            for path in paths:
                if path in seen:
                    continue
                seen.add(path)
                members.append(DuplicateMember(doc_id, path, doc.size_bytes, doc.width, doc.height))
        for path in group.paths:  # paths the catalog no longer resolves: still worth showing
            if path not in seen and group.ids:
                seen.add(path)
                members.append(DuplicateMember(group.ids[0], path, 0, 0, 0))
        if len(members) > 1:
            rows.append(DuplicateRow(group.similarity, members))
    return rows


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
        painter.setPen(QPen(QColor(style.BORDER), 1))
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(card, 10, 10)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(style.TEXT))
        kind = "identical files" if row.similarity >= 0.9999 else f"near-duplicates · {row.similarity:.1%} similar"
        painter.drawText(QRect(card.left() + 12, card.top() + 6, card.width() - 24, HEADER_H - 6),
                         Qt.AlignmentFlag.AlignVCenter, f"{len(row.members)} copies — {kind}")
        best = max(row.members, key=lambda m: (m.width * m.height, m.size_bytes))
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
            folder, name = os.path.split(member.path)
            lines = [
                (f"{member.width} × {member.height}  ·  {formatting.file_size(member.size_bytes)}"
                 if member.width else formatting.file_size(member.size_bytes), style.TEXT),
                (metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, box.width()), style.TEXT),
                # The end of the folder is what tells copies apart.
                (metrics.elidedText(folder, Qt.TextElideMode.ElideLeft, box.width()), style.TEXT_MUTED),
            ]
            for j, (text, color) in enumerate(lines):
                painter.setPen(QColor(color))
                painter.drawText(QRect(x, text_top + j * 17, box.width(), 17), Qt.AlignmentFlag.AlignLeft, text)
            if member is best and len(row.members) > 1:
                tag = QRect(box.left() + 6, box.top() + 6, metrics.horizontalAdvance("largest") + 12,
                            metrics.height() + 4)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#20a36b"))
                painter.drawRoundedRect(tag, tag.height() / 2, tag.height() / 2)
                painter.setPen(QColor("white"))
                painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, "largest")
        painter.restore()


class DuplicatesView(QWidget):
    refresh_requested = Signal()

    def __init__(self, thumbnails: ThumbnailCache, parent=None):
        super().__init__(parent)
        self.model = DuplicateGroupModel(thumbnails, self)
        title = QLabel("Duplicates")
        title.setObjectName("ViewTitle")
        self.subtitle = QLabel("Looking for duplicates…")
        self.subtitle.setObjectName("ViewSubtitle")
        self.view = QListView()
        self.view.setObjectName("DuplicateList")
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.view.setItemDelegate(DuplicateGroupDelegate(self.model, self.view))
        self.view.setModel(self.model)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setToolTip("Right-click a photo to reveal it in the file manager. photoapp never deletes files.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 12, 0)
        layout.setSpacing(2)
        layout.addWidget(title)
        layout.addWidget(self.subtitle)
        layout.addSpacing(8)
        self.empty = EmptyHint("duplicates", "No duplicates found — every photo in the library is one of a kind.")
        self.body = QStackedWidget()
        self.body.addWidget(self.view)
        self.body.addWidget(self.empty)
        layout.addWidget(self.body, 1)

    def set_rows(self, rows: list[DuplicateRow]) -> None:
        self.model.set_rows(rows)
        self.body.setCurrentWidget(self.view if rows else self.empty)
        extra = sum(len(r.members) - 1 for r in rows)
        self.subtitle.setText(
            f"{len(rows):,} groups · {extra:,} extra copies. Compare and decide what to keep — "
            "photoapp never deletes files." if rows else "Identical files and visually near-identical photos show up here.")

    def member_at(self, pos: QPoint) -> DuplicateMember | None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return None
        row: DuplicateRow = index.data(GroupRole)
        i = DuplicateGroupDelegate.member_at(self.view.visualRect(index), pos.x(), len(row.members))
        return row.members[i] if i >= 0 else None

    def _context_menu(self, pos: QPoint) -> None:
        member = self.member_at(pos)
        if member is None:
            return
        menu = QMenu(self)
        menu.addAction(icon("folder"), "Show in file manager", lambda: show_in_file_manager(member.path))
        menu.addAction(icon("open"), "Open in system viewer", lambda: open_in_system_viewer(member.path))
        menu.addAction(icon("copy"), "Copy path", lambda: copy_paths([member.path]))
        menu.exec(self.view.viewport().mapToGlobal(pos))
