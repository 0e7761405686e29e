"""Duplicate groups by tier, a side-by-side comparison to decide which copy to keep, and moving
the other copies to the system trash.

The list shows one card per group (a QListView row painted by a delegate, no widget per photo)
with its tier (exact copies, the same photo, the same scene: ``core.duplicates``; filter buttons
above the list) and the keeper marked: the user's choice, or the suggestion of
``core.keeper.suggest_keeper`` (largest resolution, then the oldest). Clicking a card opens
``DuplicateCompare``: the copies side by side with synchronised zoom and pan, the facts that
differ highlighted, and a "Keep" button per copy. The choice is stored in the library
(``Library.set_keeper``, undoable).

"Move to trash…" (the extra copies of the groups shown, of one group, or one copy) asks first,
naming how many files, then moves them to the system trash (``core.trash``: recoverable, never
the kept copy nor a whole group); the library forgets them and the cards update at once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
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
TRASH_COLOR = "#c2410c"
# Tier -> (filter button text, badge text, badge colour)
TIER_LOOKS = {
    "exact": ("Exact", "EXACT COPIES", "#3d6df2"),  # short: the filter row fits an 800 px window
    "photo": ("Same photo", "SAME PHOTO", "#7c3aed"),
    "scene": ("Same scene", "SAME SCENE", "#0f8a8a"),
}
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
    tier: str = "exact"  # core.duplicates.TIERS
    ids: list[str] = field(default_factory=list)  # the group's document ids

    @property
    def extra_paths(self) -> list[str]:
        """Every copy but the one kept."""
        keep = self.keeper_index
        return [m.path for i, m in enumerate(self.members) if i != keep]

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
        rows.append(DuplicateRow(group.similarity, members, key, suggest_keeper(candidates), chosen,
                                 tier=getattr(group, "tier", "exact"), ids=list(group.ids)))
    return rows


def row_groups(rows: list[DuplicateRow]):
    """The rows as ``DuplicateGroup``s, for ``core.trash`` to check a request against."""
    from ..core.records import DuplicateGroup

    return [DuplicateGroup(ids=r.ids or [m.id for m in r.members], paths=[m.path for m in r.members],
                           similarity=r.similarity, tier=r.tier) for r in rows]


def without_paths(rows: list[DuplicateRow], gone: set[str]) -> list[DuplicateRow]:
    """The rows once ``gone`` paths left the library: those copies dropped, groups left with one
    copy dropped, a keeper choice that went away forgotten."""
    from ..core.keeper import Candidate, group_key, suggest_keeper

    out = []
    for row in rows:
        members = [m for m in row.members if m.path not in gone]
        if len(members) == len(row.members):
            out.append(row)
            continue
        if len(members) < 2:
            continue
        candidates = [Candidate(m.path, m.width, m.height, m.size_bytes, m.taken_at, m.modified_at, m.id)
                      for m in members]
        chosen = row.chosen if row.chosen not in gone else None
        out.append(DuplicateRow(row.similarity, members, group_key([m.path for m in members]),
                                suggest_keeper(candidates), chosen, list(row.notes), row.tier,
                                sorted({m.id for m in members})))
    return out


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
    if row.tier == "scene":
        return f"{len(row.members)} shots of one scene, moments apart"
    if row.tier == "photo":
        return f"{len(row.members)} copies of one photo — re-encoded, resized or cropped"
    return f"{len(row.members)} copies — identical pictures"


def paint_tier_badge(painter: QPainter, left: int, top: int, height: int, metrics: QFontMetrics, tier: str) -> int:
    """The tier as a small coloured pill; returns its width."""
    _, text, color = TIER_LOOKS.get(tier, TIER_LOOKS["exact"])
    badge = QRect(left, top + (height - metrics.height() - 4) // 2, metrics.horizontalAdvance(text) + 14,
                  metrics.height() + 4)
    tint = QColor(color)
    tint.setAlpha(28)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(tint)
    painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
    painter.setPen(QColor(color))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    return badge.width()


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
        return QSize(420, ROW_H)  # as wide as the view: two copies and the title fit in 420

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
        badge_font = QFont(option.font)
        badge_font.setBold(True)
        badge_font.setPointSizeF(max(6.0, option.font.pointSizeF() - 1.5))
        painter.setFont(badge_font)
        header = QRect(card.left() + 12, card.top() + 6, card.width() - 24, HEADER_H - 6)
        badge_w = paint_tier_badge(painter, header.left(), header.top(), header.height(), QFontMetrics(badge_font),
                                   row.tier)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(style.TEXT))
        compare_w = QFontMetrics(option.font).horizontalAdvance("Compare ›") + 16
        title_box = header.adjusted(badge_w + 8, 0, -compare_w, 0)
        painter.drawText(title_box, Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(group_title(row), Qt.TextElideMode.ElideRight, title_box.width()))
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
    trash_clicked = Signal(str)  # path

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
        self.trash_button = QPushButton("Move to trash…")
        self.trash_button.setObjectName("TrashButton")
        self.trash_button.setToolTip("Move this copy to the system trash (asks first; restorable from the trash)")
        self.trash_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.trash_button.setStyleSheet(f"QPushButton {{ color: {TRASH_COLOR}; background: transparent; border: none;"
                                        " padding: 2px 4px; } QPushButton:hover { text-decoration: underline; }")
        self.trash_button.clicked.connect(lambda: self.trash_clicked.emit(self.member.path))
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
        layout.addWidget(self.trash_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addLayout(grid)
        self.differs: set[str] = set()
        self.set_keeper(member, False)

    def set_keeper(self, keeper: DuplicateMember, chosen: bool) -> None:
        """Mark this pane as the keeper or not; highlight the facts that differ from the keeper's."""
        is_keeper = keeper is self.member
        self.is_keeper = is_keeper
        # The kept copy is never offered for the trash; hidden, not removed, so panes line up.
        policy = self.trash_button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.trash_button.setSizePolicy(policy)
        self.trash_button.setVisible(not is_keeper)
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
    trash_requested = Signal(object)  # list of paths

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
        self.title = ElidedLabel("", mode=Qt.TextElideMode.ElideRight)  # gives way to the buttons at 800 px
        self.title.setObjectName("ViewTitle")
        self.hint = QLabel("Zoom (Ctrl+scroll, double-click) and pan move every copy together. Highlighted: "
                           "how a copy differs from the one kept. Nothing is deleted: other copies go to the "
                           "system trash only when you confirm.")
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
        self.trash_others_button = QPushButton("Trash others…")
        self.trash_others_button.setToolTip("Every copy but the one kept goes to the system trash (asks first)")
        self.trash_others_button.clicked.connect(
            lambda: self.row is not None and self.trash_requested.emit(self.row.extra_paths))
        top.addWidget(self.trash_others_button)
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
            pane.trash_clicked.connect(lambda path: self.trash_requested.emit([path]))
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
        extra = len(self.row.members) - 1
        # Short (the compare page fits an 800 px window); the tooltip says it in full.
        self.trash_others_button.setText(f"Trash {extra} other{'' if extra == 1 else 's'}…")
        self.trash_others_button.setToolTip(f"Move the {extra} other cop{'y' if extra == 1 else 'ies'} of this "
                                            "picture to the system trash (asks first; restorable)")

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
    files_trashed = Signal(object)  # list of paths moved to the system trash

    def __init__(self, thumbnails: ThumbnailCache, parent=None, marks=None):
        super().__init__(parent)
        self.marks = None
        self.all_rows: list[DuplicateRow] = []
        self.tier_filter: str | None = None  # None: every tier
        self.trash_dialog: QMessageBox | None = None
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
                             "Right-click a copy to move it to the trash.")
        self.compare = DuplicateCompare()
        self.compare.back_requested.connect(self.close_compare)
        self.compare.keep_requested.connect(self._keep)
        self.compare.trash_requested.connect(self.request_trash)
        # Tier filter: one checkable button per tier, and "All".
        self.tier_buttons: dict[str | None, QToolButton] = {}
        self.tier_group = QButtonGroup(self)
        self.tier_group.setExclusive(True)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.setSpacing(6)
        for tier in (None, *TIER_LOOKS):
            button = QToolButton()
            button.setObjectName("TierFilter")
            button.setCheckable(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            color = TIER_LOOKS[tier][2] if tier else style.ACCENT
            button.setStyleSheet(
                f"QToolButton {{ border: 1px solid {style.BORDER}; border-radius: 13px; padding: 3px 9px;"
                f" background: #ffffff; color: {style.TEXT}; }}"
                f" QToolButton:hover {{ border-color: {color}; }}"
                f" QToolButton:checked {{ background: {color}; border-color: {color}; color: white; font-weight: 600; }}")
            button.clicked.connect(lambda _=False, t=tier: self.set_tier_filter(t))
            self.tier_group.addButton(button)
            self.tier_buttons[tier] = button
            filters.addWidget(button)
        self.tier_buttons[None].setChecked(True)
        filters.addStretch(1)
        self.trash_shown_button = QPushButton("Move extra copies to trash…")
        self.trash_shown_button.setObjectName("TrashShown")
        self.trash_shown_button.setToolTip("Every copy but the one kept, in the groups shown, goes to the system "
                                           "trash (asks first; restorable from the trash)")
        self.trash_shown_button.setStyleSheet(
            f"QPushButton {{ color: {TRASH_COLOR}; border: 1px solid {style.BORDER}; border-radius: 6px;"
            f" padding: 4px 12px; background: #ffffff; }} QPushButton:hover {{ border-color: {TRASH_COLOR}; }}"
            " QPushButton:disabled { color: #b8bfcc; }")
        self.trash_shown_button.clicked.connect(lambda: self.request_trash(
            [p for r in self.model.rows for p in r.extra_paths]))
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.addWidget(title, 1)
        title_row.addWidget(self.trash_shown_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 14, 6, 0)  # the compare pane needs the width in an 800 px window
        layout.setSpacing(2)
        self.header = QWidget()
        header = QVBoxLayout(self.header)
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(2)
        header.addLayout(title_row)
        header.addWidget(self.subtitle)
        header.addSpacing(8)
        header.addLayout(filters)
        header.addSpacing(6)
        layout.addWidget(self.header)
        self.empty = EmptyHint("duplicates", "No duplicates found — every photo in the library is one of a kind.")
        self.body = QStackedWidget()
        self.body.addWidget(self.view)
        self.body.addWidget(self.empty)
        self.body.addWidget(self.compare)
        layout.addWidget(self.body, 1)
        self._update_filters()
        if marks is not None:
            self.set_marks(marks)

    def set_marks(self, marks) -> None:
        """Keeper choices (and their undo) go through a ``gui.marks.MarksController``; it also
        lends its worker runner (loading the compared pictures, moving files to the trash) and
        its library."""
        self.marks = marks
        self.compare.runner = marks.runner
        marks.changed.connect(self._on_marks_changed)

    def set_rows(self, rows: list[DuplicateRow], message: str | None = None) -> None:
        self.all_rows = rows
        self._show_filtered()
        self.close_compare()
        extra = sum(len(r.members) - 1 for r in rows)
        self.subtitle.setText(message or (
            f"{len(rows):,} groups · {extra:,} extra copies. Click a group to compare and choose what to keep; "
            "extra copies go to the system trash only when you confirm." if rows
            else "Identical files, copies of one photo and shots of one scene show up here."))

    # --- tiers --------------------------------------------------------------------------------
    def set_tier_filter(self, tier: str | None) -> None:
        self.tier_filter = tier
        self.tier_buttons[tier].setChecked(True)
        self._show_filtered()
        if not self.comparing:
            self.body.setCurrentWidget(self.view if self.model.rows else self.empty)

    def _show_filtered(self) -> None:
        rows = [r for r in self.all_rows if self.tier_filter is None or r.tier == self.tier_filter]
        self.model.set_rows(rows)
        self._update_filters()

    def _update_filters(self) -> None:
        counts = {t: sum(1 for r in self.all_rows if r.tier == t) for t in TIER_LOOKS}
        self.tier_buttons[None].setText(f"All  {len(self.all_rows):,}")
        for tier, (text, _, _) in TIER_LOOKS.items():
            self.tier_buttons[tier].setText(f"{text}  {counts[tier]:,}")
        extra = sum(len(r.members) - 1 for r in self.model.rows)
        self.trash_shown_button.setEnabled(extra > 0)
        self.trash_shown_button.setText(f"Move {extra:,} extra cop{'y' if extra == 1 else 'ies'} to trash…"
                                        if extra else "Move extra copies to trash…")

    # --- moving to the trash ------------------------------------------------------------------
    def request_trash(self, paths: list[str]) -> None:
        """Ask (naming how many files), then move ``paths`` to the system trash in a worker."""
        paths = list(dict.fromkeys(paths))
        if not paths or self.marks is None or self.marks.library is None:
            return
        n = len(paths)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Move to trash")
        box.setText(f"Move {n:,} file{'' if n == 1 else 's'} to the trash?")
        box.setInformativeText("The copies you keep stay where they are. You can restore trashed files "
                               "from the system trash.")
        box.setDetailedText("\n".join(paths))
        move = box.addButton(f"Move {n:,} to Trash", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: self._trash_answer(button is move, paths))
        self.trash_dialog = box
        box.open()

    def _trash_answer(self, confirmed: bool, paths: list[str]) -> None:
        self.trash_dialog = None
        if not confirmed:
            return
        from ..core.trash import move_to_trash

        library, groups = self.marks.library, row_groups(self.all_rows)
        self.subtitle.setText(f"Moving {len(paths):,} files to the trash…")
        self.marks.runner.submit(lambda: move_to_trash(library, groups, paths), self._trashed,
                                 lambda exc: self.subtitle.setText(f"Nothing moved: {exc}"))

    def _trashed(self, report) -> None:
        gone = set(report.trashed)
        comparing = self.compare.row if self.comparing else None
        self.set_rows(without_paths(self.all_rows, gone), message=(
            f"Moved {len(gone):,} file{'' if len(gone) == 1 else 's'} to the trash — restore them from the system "
            "trash if needed." + (f" {len(report.failed)} could not be moved: {report.failed[0][1]}"
                                  if report.failed else "")))
        if comparing is not None:  # stay on the group when copies are left to compare
            for i, row in enumerate(self.model.rows):
                if {m.path for m in row.members} <= {m.path for m in comparing.members}:
                    self.open_group(i)
                    break
        if gone:
            self.files_trashed.emit(sorted(gone))

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
        self._update_filters()

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
        menu.addSeparator()
        trash = menu.addAction("Move this copy to trash…", lambda: self.request_trash([member.path]))
        trash.setEnabled(member.path != row.members[row.keeper_index].path)
        n = len(row.members) - 1
        others = menu.addAction(f"Move the {n} other cop{'y' if n == 1 else 'ies'} to trash…",
                                lambda: self.request_trash(row.extra_paths))
        others.setEnabled(len(row.members) > 1)
        menu.exec(self.view.viewport().mapToGlobal(pos))
