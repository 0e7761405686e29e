"""The index and the catalog agree after a kill at any point.

Each pipeline commit writes the backend first (and flushes it), then the catalog. A kill between
the two leaves the backend holding documents or paths the catalog does not know; if those files
are deleted before the next run, nothing would ever look at them again and search would return
them for good ("ghost photos"). So each commit first writes its *intent*, the content hashes it is
about to change, to a small journal file beside the catalog, and removes it once the catalog
transaction (and the thumbnail clean-up) is done. A journal found on disk means a writer died
mid-commit; :func:`heal` makes the backend say exactly what the catalog says for those hashes:

  backend has it, catalog does not     -> deleted from the backend (the files, if still there,
                                          have no catalog row and are re-read by the next scan)
  catalog has it, backend does not     -> its catalog rows are forgotten (re-read next scan)
  both, but paths differ               -> the backend gets the catalog's paths
  deleted in the catalog               -> its thumbnails go too

Healing runs with the writer lock held: on open (only if no other process is writing) and each
time a process takes the lock (a waiting indexer heals what a killed holder left). With no
journal on disk it costs one ``stat``, and it never writes: opening stays read-only.
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from .faults import fault_point

log = logging.getLogger(__name__)


class CommitJournal:
    """``<catalog file>.journal``: the hashes the commit in progress is changing."""

    def __init__(self, path: Path):
        self.path = Path(path)
        # Hashes of an earlier interrupted commit that could not be healed yet (the backend was
        # unreachable): carried along until a heal succeeds, never dropped by our own end().
        self._carried: list[str] = []

    def begin(self, hashes: Iterable[str]) -> None:
        self._carried = self.pending() or []
        self._write(set(hashes) | set(self._carried))
        fault_point("after-journal")

    def end(self) -> None:
        if self._carried:
            self._write(set(self._carried))
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def _write(self, hashes: set[str]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w") as f:
            json.dump({"pid": os.getpid(), "hashes": sorted(hashes)}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)  # atomic: a reader sees the whole intent or none

    def pending(self) -> list[str] | None:
        """The hashes of an unfinished commit, or None when the last one finished."""
        try:
            with open(self.path) as f:
                return list(json.load(f).get("hashes", []))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:  # torn by a crash during begin(): nothing was written
            log.warning("unreadable commit journal %s (%s): ignored", self.path, e)
            return []


class NoJournal:
    """For a pipeline used without a library (tests of the pipeline alone)."""

    def begin(self, hashes: Iterable[str]) -> None:
        pass

    def end(self) -> None:
        pass


def heal(catalog, backend, thumbs, journal: CommitJournal) -> int:
    """Bring the backend in line with the catalog for an interrupted commit; returns how many
    documents needed a change. The caller holds the writer lock."""
    hashes = journal.pending()
    if hashes is None:
        return 0
    fixed = 0
    forget: list[tuple[str, list[str]]] = []
    documents = catalog.known_hashes()
    for h in hashes:
        paths = catalog.paths_of(h) if h in documents else []
        doc = backend.get(h)
        if not paths:
            if doc is not None:
                backend.delete([h])  # a ghost: the catalog never recorded it, or let it go
                fixed += 1
            thumbs.delete(h)
            if h in documents:
                forget.append((h, []))
        elif doc is None:
            forget.append((h, paths))
            fixed += 1
        elif sorted(doc.paths) != sorted(paths):
            backend.set_paths(h, paths)
            fixed += 1
    backend.flush()
    journal._carried = []  # healed: nothing left to carry
    if forget:
        with catalog.write() as w:
            for h, paths in forget:
                for p in paths:
                    w.delete_file(p)
                w.delete_document(h)
    journal.end()
    if fixed:
        log.warning("healed %d document(s) left half-written by an interrupted run", fixed)
    return fixed
