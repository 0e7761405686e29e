"""The grid's list model: one row per photo id, backed by a plain list of SearchHits.

Rows arrive in pages from a worker (``append_hits``), so the first page shows while the rest
of a 100,000-photo result is still being read. The thumbnail (a QImage) only appears in
``data()`` for the decoration role; it comes from the shared ``ThumbnailCache``.
"""
from __future__ import annotations

import html
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, QUrl

from .thumbnails import ThumbnailCache

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.records import SearchHit

IdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
ScoreRole = Qt.ItemDataRole.UserRole + 3
HitRole = Qt.ItemDataRole.UserRole + 4
THUMB_FAILED_ROLE = Qt.ItemDataRole.UserRole + 5

PHOTO_IDS_MIME = "application/x-photoapp-ids"

_KIND_NAMES = {"tag": "tag", "object": "object", "name": "file name", "camera": "camera",
               "folder": "folder", "similar": "similarity", "text": "text"}


def explain_hit(hit: SearchHit) -> str:
    """Rich-text tooltip saying why a photo matched (which tags/objects, how confident)."""
    name = html.escape(os.path.basename(hit.path) or hit.id[:12])
    lines = [f"<b>{name}</b>"]
    if hit.explanation:
        lines.append("Matched:")
        for kind, value, confidence in hit.explanation:
            kind_name = _KIND_NAMES.get(kind, kind)
            lines.append(f"&nbsp;&nbsp;• {html.escape(kind_name)} <b>{html.escape(str(value))}</b>"
                         f" — {confidence:.0%}")
    lines.append(f"<span style='color:#6b7280'>{html.escape(hit.path)}</span>")
    return "<br>".join(lines)


class PhotoListModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailCache, parent=None):
        super().__init__(parent)
        self.thumbnails = thumbnails
        self._hits: list[SearchHit] = []
        self._row_by_id: dict[str, int] = {}
        self.thumb_side = 256  # device pixels the delegate draws; set by the view
        self.show_scores = False
        thumbnails.ready.connect(self._on_thumbnail_ready)

    # --- contents -----------------------------------------------------------------------
    def set_hits(self, hits: Sequence[SearchHit], show_scores: bool | None = None) -> None:
        self.beginResetModel()
        self._hits = []
        self._row_by_id = {}
        if show_scores is not None:
            self.show_scores = show_scores
        self._extend(hits)
        self.endResetModel()

    def append_hits(self, hits: Sequence[SearchHit]) -> None:
        fresh = [h for h in hits if h.id not in self._row_by_id]
        if not fresh:
            return
        first = len(self._hits)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._extend(fresh)
        self.endInsertRows()

    def clear(self) -> None:
        self.set_hits([])

    def _extend(self, hits: Sequence[SearchHit]) -> None:
        for hit in hits:
            if hit.id in self._row_by_id:
                continue
            self._row_by_id[hit.id] = len(self._hits)
            self._hits.append(hit)

    def hits(self) -> list[SearchHit]:
        return list(self._hits)

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def thumbnail(self, row: int):
        """The row's QImage, or None while it loads (queues the load)."""
        return self.thumbnails.get(self._hits[row].id, self.thumb_side)

    def row_of(self, doc_id: str) -> int:
        return self._row_by_id.get(doc_id, -1)

    def sort_hits(self, key: str) -> None:
        """Client-side re-ordering of what is loaded: 'name' or 'relevance' (score)."""
        if key == "name":
            ordered = sorted(self._hits, key=lambda h: os.path.basename(h.path).lower())
        elif key == "relevance":
            ordered = sorted(self._hits, key=lambda h: -h.score)
        else:
            return
        self.set_hits(ordered)

    def set_thumb_side(self, side: int) -> None:
        if side != self.thumb_side:
            self.thumb_side = side
            if self._hits:
                self.dataChanged.emit(self.index(0), self.index(len(self._hits) - 1),
                                      [Qt.ItemDataRole.DecorationRole])

    # --- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(hit.path) or hit.id[:12]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return explain_hit(hit)
        if role == IdRole:
            return hit.id
        if role == PathRole:
            return hit.path
        if role == ScoreRole:
            return hit.score if self.show_scores else None
        if role == HitRole:
            return hit
        if role == THUMB_FAILED_ROLE:
            return self.thumbnails.is_failed(hit.id, self.thumb_side)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", PHOTO_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Dragging photos out: file URLs for other apps, ids for our own similar search."""
        rows = sorted({i.row() for i in indexes if i.isValid()})
        hits = [self._hits[r] for r in rows]
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(h.path) for h in hits])
        mime.setData(PHOTO_IDS_MIME, "\n".join(h.id for h in hits).encode())
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def _on_thumbnail_ready(self, doc_id: str) -> None:
        row = self._row_by_id.get(doc_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
