"""Where the reliability pieces meet the Library: one call to wire them in, one to heal on open.

- ``writer``: the library's writer lock (writer_lock.py), taken by every write path.
- ``pipeline.decode_limits``: pixel budget and largest accepted photo (pixel_budget.py), and a
  C heap that returns freed buffers (heap.py).
- ``pipeline.journal``: the intent journal of each commit (consistency.py).
- an interrupted folder removal (killed between forgetting the root and purging its rows) is
  finished the next time the lock is taken.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from .catalog import is_under
from .consistency import CommitJournal, heal
from .errors import BackendError
from .faults import fault_point
from .heap import fix_mmap_threshold
from .pixel_budget import DecodeLimits
from .privacy import exposure_warnings
from .writer_lock import WriterLock

log = logging.getLogger(__name__)


def install(lib) -> None:
    """Give a freshly built Library its writer lock, decode limits and commit journal."""
    fix_mmap_threshold()  # heap.py: freed image and tensor buffers go back to the system
    lib.writer = WriterLock(lib.settings.data_dir)
    lib.pipeline.decode_limits = DecodeLimits.from_settings(lib.settings)
    lib.pipeline.journal = CommitJournal(_companion(lib, ".journal"))
    lib.writer.on_acquire = lambda: heal_now(lib)


def heal_on_open(lib) -> None:
    """Finish what a killed writer left half done, if there is anything and nobody is writing.

    Costs two ``stat`` calls when the last writer finished cleanly, and then writes nothing: a
    full disk or a read-only data folder still opens for search, status and errors."""
    if not (lib.pipeline.journal.path.exists() or _companion(lib, ".removing").exists()):
        return
    try:
        with lib.writer.try_hold() as got:  # heal_now runs as on_acquire when we get it
            if not got:
                log.info("another photoapp is writing this library: it finishes its own commit")
    except (OSError, sqlite3.Error) as e:  # full or read-only disk: the next writer heals
        msg = f"could not repair an interrupted run yet ({e}); the next index will"
        log.warning(msg)
        lib._warnings.append(msg)


def status_warnings(lib) -> list[str]:
    """Lines for Library.status (the CLI and the GUI show them): an open data folder, another
    process writing this library."""
    lines = exposure_warnings(lib.settings.data_dir)
    pid = lib.writer.held_elsewhere()
    if pid is not None:
        who = f"pid {pid}" if pid > 0 else "another process"
        lines.append(f"another photoapp ({who}) is indexing this library: indexing here waits "
                     f"for it; searching does not")
    return lines


def heal_now(lib) -> None:
    try:
        heal(lib.catalog, lib.backend, lib.thumbs, lib.pipeline.journal)
        _finish_folder_removal(lib)
    except BackendError as e:  # e.g. the cluster is down: the journal stays for next time
        log.warning("could not repair an interrupted run yet: %s", e)


@contextmanager
def folder_removal(lib, folder: str):
    """Around Library.remove_folder: a marker that outlives a kill between the root going and
    its rows being purged (else its photos would stay searchable with no folder to remove)."""
    marker = _companion(lib, ".removing")
    _write_json(marker, {"folder": folder})
    yield
    marker.unlink(missing_ok=True)


def _finish_folder_removal(lib) -> None:
    marker = _companion(lib, ".removing")
    try:
        folder = json.loads(marker.read_text())["folder"]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError):
        marker.unlink(missing_ok=True)
        return
    roots = lib.catalog.roots()
    if folder not in roots:  # the root went, its rows did not: purge what no root covers
        rows = [r for p, r in lib.catalog.files_under(folder).items()
                if not any(is_under(p, root) for root in roots)]
        removed = [(r.path, r.content_hash if r.status == "indexed" else None) for r in rows]
        if removed:
            lib.pipeline.run([], removed)
            log.warning("finished removing %s from the library (%d files)", folder, len(rows))
    marker.unlink(missing_ok=True)


def _companion(lib, suffix: str) -> Path:
    return lib.catalog.path.with_name(lib.catalog.path.name + suffix)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


__all__ = ["install", "heal_on_open", "heal_now", "folder_removal", "fault_point",
           "status_warnings"]
