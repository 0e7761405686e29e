"""Folders a scan could not enter, files it could not stat and symlink loops are recorded in the
catalog like files that failed to decode, so ``photoapp errors``, ``status`` and the GUI's errors
view show them (they used to reach stderr only).

A problem row has size and mtime 0 and the scan's reason (``unreadable-folder``,
``unreadable``, ``symlink-loop``). It stays while the scan keeps finding the problem and goes
by the ordinary sweep once the scan no longer does (the folder became readable, the loop was
removed): the sweep drops rows the walk did not see, and a folder is never "seen" as a file.
"""
from __future__ import annotations

from .catalog import Catalog


def record_scan_problems(catalog: Catalog, plan) -> None:
    """Write ``plan.problems`` as error rows, and keep the sweep from deleting them right away."""
    if not plan.problems:
        return
    current = {p.path: p for p in plan.problems}
    plan.removed = [(path, h) for path, h in plan.removed if path not in current]
    with catalog.write() as w:
        for p in current.values():
            w.put_error(p.path, 0, 0, p.reason, p.detail)
