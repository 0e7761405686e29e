"""Streams a result list into a ``PhotoListModel`` page by page from a worker.

The first page is small so it paints quickly; later pages are large so a 100,000-photo
listing costs few round trips. Starting a new load makes the old one's pages stale (a
generation number), so a fast typist never sees an older query's rows.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from .photo_model import HitPage, PhotoListModel
from .workers import TaskRunner

if TYPE_CHECKING:  # records import numpy; keep it off the start-up path
    from ..core.records import SearchHit

Fetch = Callable[[int, int], "list[SearchHit]"]  # (offset, limit) -> hits


class ResultLoader(QObject):
    first_page_shown = Signal(int)   # rows in the first page
    finished = Signal(int)           # total rows loaded
    failed = Signal(object)          # the exception (e.g. QueryError)

    def __init__(self, runner: TaskRunner, model: PhotoListModel, first_page: int = 200,
                 page: int = 5000, max_rows: int = 500_000, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.model = model
        self.first_page = first_page
        self.page = page
        self.max_rows = max_rows
        self._generation = 0
        self._fetch: Fetch | None = None
        self._total: int | None = None
        self._seen: set[str] = set()
        self._task: int | None = None
        self.loading = False
        # The first page's notes (core SearchResults.notes): fields the query reads that are
        # still being filled, e.g. "objects: 81% of photos analysed so far".
        self.notes: list[str] = []

    @property
    def generation(self) -> int:
        """Changes with every new listing: work started for an older one can tell it is stale."""
        return self._generation

    def load(self, fetch: Fetch, show_scores: bool = False, clear: bool = True,
             total: int | None = None, first_page: int | None = None) -> None:
        """``total``: the source has exactly this many entries (offsets count entries, not the
        hits returned, so a page with unresolvable entries does not end the listing early).
        ``first_page``: rows in the first request instead of the usual small first page (a
        refresh of a listing already on screen: one page means one model update, one repaint)."""
        self._drop_queued()
        self._generation += 1
        self._fetch = fetch
        self._total = total
        self._seen: set[str] = set()  # ids already paged in this listing; touched by workers only
        self.loading = True
        self._replace_on_first = not clear
        if clear:
            self.model.set_hits([], show_scores=show_scores)
        else:
            self.model.show_scores = show_scores
        self._request(self._generation, 0, first_page or self.first_page)

    def load_list(self, hits: list[SearchHit], show_scores: bool = False) -> None:
        """Show a list already in hand (e.g. similar results)."""
        self._drop_queued()
        self._generation += 1
        self.loading = False
        self.notes = list(getattr(hits, "notes", []))
        self.model.set_hits(hits, show_scores=show_scores)
        self.first_page_shown.emit(len(hits))
        self.finished.emit(len(hits))

    def cancel(self) -> None:
        self._drop_queued()
        self._generation += 1
        self.loading = False

    def _drop_queued(self) -> None:
        """A superseded listing's next page must not delay the new listing's first page."""
        if self._task is not None:
            self.runner.cancel(self._task)
            self._task = None

    def _request(self, generation: int, offset: int, limit: int) -> None:
        fetch, seen = self._fetch, self._seen

        def page():  # worker: fetch, then turn the hits into columns (GUI thread only appends)
            hits = fetch(offset, limit)
            return len(hits), HitPage.from_hits(hits, seen), list(getattr(hits, "notes", []))

        self._task = self.runner.submit(page, lambda result: self._on_page(generation, offset, limit, *result),
                                        lambda exc: self._on_error(generation, exc),
                                        priority=10 if offset == 0 else 0)  # first pages jump the queue

    def _on_page(self, generation: int, offset: int, limit: int, fetched: int, hits: HitPage,
                 notes: list[str] = ()) -> None:
        if generation != self._generation:
            return
        self._task = None
        if offset == 0:
            self.notes = list(notes)
            if self._replace_on_first:
                if not self.model.shows(hits):  # unchanged: no reset, no repaint
                    self.model.set_hits(hits)
            else:
                self.model.append_hits(hits)
            self.first_page_shown.emit(self.model.rowCount())
        else:
            self.model.append_hits(hits)
        if self._total is not None:
            next_offset = offset + limit
            exhausted = next_offset >= self._total
        else:
            next_offset = offset + fetched
            exhausted = fetched < limit
        if exhausted or next_offset >= self.max_rows:
            self.loading = False
            self.finished.emit(self.model.rowCount())
            return
        # Pages grow (200, 5,000, 50,000, ...): few appends, so few relayouts of a big grid.
        limit = max(self.page, next_offset * 10) if next_offset < self.page else self.page * 10
        self._request(generation, next_offset, min(limit, self.max_rows - next_offset))

    def _on_error(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.failed.emit(exc)
