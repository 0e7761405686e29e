"""The grid's list model: one row per photo id, stored as columns (ids, paths, scores).

Rows arrive in pages from a worker, so the first page shows while the rest of a 100,000-photo
result is still being read. A page is turned into a ``HitPage`` (plain lists of strings and
floats) in the worker: appending it on the GUI thread is a few C-speed list extends, and the
model holds no per-row Python objects for the cyclic garbage collector to walk (with 100,000
SearchHit objects a full collection stalled the GUI for ~100 ms). The thumbnail (a QImage)
only appears in ``data()`` for the decoration role; it comes from the shared ``ThumbnailCache``.
"""
from __future__ import annotations

import html
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
               "folder": "folder", "similar": "similarity", "text": "text in photo"}


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


@dataclass
class HitPage:
    """Search hits as columns; built off the GUI thread (``from_hits``)."""

    ids: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    explanations: dict[int, tuple] = field(default_factory=dict)  # index in page -> explanation

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_hits(cls, hits: Iterable[SearchHit], seen: set[str] | None = None,
                  known: dict | None = None) -> "HitPage":
        """Columns of ``hits``, skipping ids in ``seen`` or ``known`` and repeats; ``seen`` is
        updated (a loader passes the same set for every page of one listing)."""
        page = cls()
        seen = set() if seen is None else seen
        known = known or {}
        for hit in hits:
            if hit.id in seen or hit.id in known:
                continue
            seen.add(hit.id)
            if hit.explanation:
                page.explanations[len(page.ids)] = tuple(tuple(e) for e in hit.explanation)
            page.ids.append(hit.id)
            page.paths.append(hit.path)
            page.scores.append(float(hit.score))
        return page


class PhotoListModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailCache, parent=None):
        super().__init__(parent)
        self.thumbnails = thumbnails
        self._ids: list[str] = []
        self._paths: list[str] = []
        self._scores: list[float] = []
        self._explanations: dict[int, tuple] = {}
        self._row_by_id: dict[str, int] = {}
        self.thumb_side = 256  # device pixels the delegate draws; set by the view
        self.show_scores = False
        thumbnails.ready.connect(self._on_thumbnail_ready)

    # --- contents -----------------------------------------------------------------------
    def set_hits(self, hits: Sequence[SearchHit] | HitPage, show_scores: bool | None = None) -> None:
        self.beginResetModel()
        self._ids, self._paths, self._scores, self._explanations, self._row_by_id = [], [], [], {}, {}
        if show_scores is not None:
            self.show_scores = show_scores
        self._extend(hits if isinstance(hits, HitPage) else HitPage.from_hits(hits))
        self.endResetModel()

    def shows(self, page: HitPage) -> bool:
        """True when ``page`` holds exactly the rows the model has (same order, paths, scores):
        replacing the rows with it would change nothing but cost a reset and a repaint."""
        return (page.ids == self._ids and page.paths == self._paths and page.scores == self._scores
                and page.explanations == self._explanations)

    def append_hits(self, hits: Sequence[SearchHit] | HitPage) -> None:
        if not isinstance(hits, HitPage):
            page = HitPage.from_hits(hits, known=self._row_by_id)
        elif not self._row_by_id.keys().isdisjoint(hits.ids):  # rare: rows moved while paging
            page = HitPage.from_hits(self._page_hits(hits), known=self._row_by_id)
        else:
            page = hits
        if not len(page):
            return
        first = len(self._ids)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._extend(page)
        self.endInsertRows()

    def clear(self) -> None:
        self.set_hits([])

    def _extend(self, page: HitPage) -> None:
        start = len(self._ids)
        self._row_by_id.update(zip(page.ids, range(start, start + len(page))))
        self._ids.extend(page.ids)
        self._paths.extend(page.paths)
        self._scores.extend(page.scores)
        for i, explanation in page.explanations.items():
            self._explanations[start + i] = explanation

    @staticmethod
    def _page_hits(page: HitPage) -> list[SearchHit]:
        from ..core.records import SearchHit

        return [SearchHit(page.ids[i], page.paths[i], page.scores[i], [page.paths[i]],
                          [tuple(e) for e in page.explanations.get(i, ())]) for i in range(len(page))]

    def hits(self) -> list[SearchHit]:
        return [self.hit(row) for row in range(len(self._ids))]

    def hit(self, row: int) -> SearchHit | None:
        """The row as a SearchHit (made on demand; the model keeps columns)."""
        if not 0 <= row < len(self._ids):
            return None
        from ..core.records import SearchHit

        path = self._paths[row]
        return SearchHit(self._ids[row], path, self._scores[row], [path],
                         [tuple(e) for e in self._explanations.get(row, ())])

    def id_at(self, row: int) -> str:
        return self._ids[row]

    def path_at(self, row: int) -> str:
        return self._paths[row]

    def score_at(self, row: int) -> float:
        return self._scores[row]

    def thumbnail(self, row: int):
        """The row's QImage, or None while it loads (queues the load)."""
        return self.thumbnails.get(self._ids[row], self.thumb_side)

    def row_of(self, doc_id: str) -> int:
        return self._row_by_id.get(doc_id, -1)

    def sort_hits(self, key: str) -> None:
        """Client-side re-ordering of what is loaded: 'name' or 'relevance' (score)."""
        if key == "name":
            order = sorted(range(len(self._ids)), key=lambda r: os.path.basename(self._paths[r]).lower())
        elif key == "relevance":
            order = sorted(range(len(self._ids)), key=lambda r: -self._scores[r])
        else:
            return
        page = HitPage([self._ids[r] for r in order], [self._paths[r] for r in order],
                       [self._scores[r] for r in order],
                       {i: self._explanations[r] for i, r in enumerate(order) if r in self._explanations})
        self.set_hits(page)

    def set_thumb_side(self, side: int) -> None:
        if side != self.thumb_side:
            self.thumb_side = side
            if self._ids:
                self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1),
                                      [Qt.ItemDataRole.DecorationRole])

    # --- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._ids):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(self._paths[row]) or self._ids[row][:12]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return explain_hit(self.hit(row))
        if role == IdRole:
            return self._ids[row]
        if role == PathRole:
            return self._paths[row]
        if role == ScoreRole:
            return self._scores[row] if self.show_scores else None
        if role == HitRole:
            return self.hit(row)
        if role == THUMB_FAILED_ROLE:
            return self.thumbnails.is_failed(self._ids[row], self.thumb_side)
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
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(self._paths[r]) for r in rows])
        mime.setData(PHOTO_IDS_MIME, "\n".join(self._ids[r] for r in rows).encode())
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def _on_thumbnail_ready(self, doc_id: str) -> None:
        row = self._row_by_id.get(doc_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
