"""The cluster gallery: cards with a mosaic of representative photos, a name and a size.

The number of clusters is a spin box; recomputing runs ``Library.clusters(k, recompute=True)``
in a worker and the cards are replaced when it returns.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from . import style
from .icons import icon
from .photo_grid import FittedIconView
from .thumbnails import ThumbnailCache, size_bucket

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.records import ClusterInfo

ClusterRole = Qt.ItemDataRole.UserRole + 1
MosaicRole = Qt.ItemDataRole.UserRole + 2
CARD_W, CARD_H = 236, 268
MOSAIC = 4


class ClusterCardModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailCache, parent=None):
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.clusters: list[ClusterInfo] = []
        self._rows_by_photo: dict[str, list[int]] = {}
        self.tile_side = size_bucket(CARD_W // 2)
        thumbnails.ready.connect(self._on_thumbnail_ready)

    def set_clusters(self, clusters: list[ClusterInfo]) -> None:
        self.beginResetModel()
        self.clusters = sorted(clusters, key=lambda c: -c.size)
        self._rows_by_photo = {}
        for row, cluster in enumerate(self.clusters):
            for doc_id in mosaic_ids(cluster):
                self._rows_by_photo.setdefault(doc_id, []).append(row)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.clusters)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.clusters):
            return None
        cluster = self.clusters[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cluster.name or f"Cluster {cluster.id}"
        if role == Qt.ItemDataRole.ToolTipRole:
            tags = ", ".join(f"{t} ({c:.0%})" for t, c in cluster.top_tags[:6])
            return f"<b>{cluster.name or cluster.id}</b><br>{cluster.size:,} photos" + (f"<br>{tags}" if tags else "")
        if role == ClusterRole:
            return cluster
        if role == MosaicRole:
            return [self.thumbnails.get(doc_id, self.tile_side) for doc_id in mosaic_ids(cluster)]
        return None

    def _on_thumbnail_ready(self, doc_id: str) -> None:
        for row in self._rows_by_photo.get(doc_id, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [MosaicRole])


def mosaic_ids(cluster: ClusterInfo) -> list[str]:
    """Representative first, then other members, up to four."""
    ids = [cluster.representative_id] if cluster.representative_id else []
    for doc_id in cluster.member_ids:
        if len(ids) >= MOSAIC:
            break
        if doc_id not in ids:
            ids.append(doc_id)
    return ids


class ClusterCardDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(CARD_W, CARD_H)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        card = option.rect.adjusted(6, 6, -6, -6)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setPen(QPen(QColor(style.ACCENT if selected else ("#c7cdd9" if hovered else style.BORDER)),
                            1.5 if selected else 1))
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(card, 10, 10)

        mosaic = QRect(card.left() + 8, card.top() + 8, card.width() - 16, card.width() - 16)
        clip = QPainterPath()
        clip.addRoundedRect(mosaic, 7, 7)
        painter.setClipPath(clip)
        images = index.data(MosaicRole) or []
        half = mosaic.width() // 2
        cells = [QRect(mosaic.left() + (i % 2) * (half + 1), mosaic.top() + (i // 2) * (half + 1), half, half)
                 for i in range(MOSAIC)]
        if len(images) == 1:
            cells = [mosaic]
        for i, cell in enumerate(cells):
            image = images[i] if i < len(images) else None
            if image is None or image.isNull():
                painter.fillRect(cell, QColor(style.PLACEHOLDER))
                continue
            # Cover the cell: crop the centre rather than letterbox.
            scaled = image.size().scaled(cell.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(cell.center())
            painter.save()
            painter.setClipRect(cell, Qt.ClipOperation.IntersectClip)
            painter.drawImage(target, image)
            painter.restore()
        painter.setClipping(False)

        name_font = QFont(option.font)
        name_font.setBold(True)
        name_font.setPointSizeF(option.font.pointSizeF() + 0.5)
        painter.setFont(name_font)
        painter.setPen(QColor(style.TEXT))
        text_rect = QRect(card.left() + 10, mosaic.bottom() + 8, card.width() - 20, 20)
        name = QFontMetrics(name_font).elidedText(index.data() or "", Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        cluster: ClusterInfo = index.data(ClusterRole)
        painter.setFont(option.font)
        painter.setPen(QColor(style.TEXT_MUTED))
        painter.drawText(text_rect.translated(0, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"{cluster.size:,} photo{'s' if cluster.size != 1 else ''}")
        painter.restore()


class ClusterGallery(QWidget):
    cluster_opened = Signal(object)  # ClusterInfo
    recompute_requested = Signal(int)  # k (0 = automatic)

    def __init__(self, thumbnails: ThumbnailCache, parent=None):
        super().__init__(parent)
        self.model = ClusterCardModel(thumbnails, self)
        title = QLabel("Clusters")
        title.setObjectName("ViewTitle")
        self.subtitle = QLabel("Groups of visually similar photos")
        self.subtitle.setObjectName("ViewSubtitle")
        self.subtitle.setWordWrap(True)
        self.subtitle.setMinimumWidth(80)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(0, 500)
        self.count_spin.setPrefix("Groups: ")  # says what the number is, in less room than a label
        self.count_spin.setSpecialValueText("Groups: auto")
        self.count_spin.setToolTip("Number of clusters (Auto lets photoapp choose); Enter recomputes")
        self.count_spin.setMinimumWidth(80)
        self.recompute_button = QPushButton(icon("refresh"), "Recompute")
        self.recompute_button.clicked.connect(lambda: self.recompute_requested.emit(self.count_spin.value()))
        # Enter in the box recomputes, like the button (focus leaving it does not).
        self.count_spin.lineEdit().returnPressed.connect(self._recompute_if_idle)
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("ViewSubtitle")
        header = QHBoxLayout()
        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(title)
        heading.addWidget(self.subtitle)
        heading.addWidget(self.busy_label)
        header.addLayout(heading, 1)
        header.addSpacing(6)
        header.addWidget(self.count_spin)
        header.addWidget(self.recompute_button)
        self.view = FittedIconView()
        self.view.setObjectName("ClusterGrid")
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setUniformItemSizes(True)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setMouseTracking(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setItemDelegate(ClusterCardDelegate(self.view))
        self.view.setModel(self.model)
        self.view.activated.connect(self._open)
        self.view.clicked.connect(self._open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 12, 0)
        layout.addLayout(header)
        layout.addSpacing(6)
        layout.addWidget(self.view, 1)

    def _recompute_if_idle(self) -> None:
        if self.recompute_button.isEnabled():
            self.recompute_requested.emit(self.count_spin.value())

    def set_busy(self, message: str) -> None:
        self.busy_label.setText(message)
        self.recompute_button.setEnabled(not message)

    def set_clusters(self, clusters: list[ClusterInfo], quality=None) -> None:
        """``quality``: the core's ClusteringResult (silhouette, Davies-Bouldin), when known."""
        self.model.set_clusters(clusters)
        photos = sum(c.size for c in clusters)
        groups = "group" if len(clusters) == 1 else "groups"
        text = (f"{len(clusters):,} {groups} of visually similar photos · {photos:,} photos"
                if clusters else "No clusters yet — index some photos first")
        # One group (or too few photos) has no silhouette: the scores are NaN, not worth showing.
        if clusters and quality is not None and math.isfinite(quality.silhouette) \
                and math.isfinite(quality.davies_bouldin):
            text += (f" · silhouette {quality.silhouette:.2f}"
                     f" · Davies-Bouldin {quality.davies_bouldin:.2f}")
        self.subtitle.setText(text)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.cluster_opened.emit(index.data(ClusterRole))
