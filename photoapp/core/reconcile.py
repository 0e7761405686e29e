"""Compare what is on disk with what the catalog remembers: the mark-and-sweep step.

Both a full scan (targets = the library roots) and the watcher (targets = the paths its events
named) go through :func:`plan_changes`, which produces the pipeline's input: new/changed files,
paths gone, and moves whose content is known without reading it.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .catalog import Catalog, FileRow, is_under
from .jobs import JobControl
from .pipeline import WorkItem
from .scan import FolderScanner, ScannedFile, ScanProblem, stat_file


@dataclass
class ChangePlan:
    work: list[WorkItem] = field(default_factory=list)
    removed: list[tuple[str, str | None]] = field(default_factory=list)
    attach: list[tuple[WorkItem, str]] = field(default_factory=list)
    scanned: int = 0
    unchanged: int = 0
    problems: list[ScanProblem] = field(default_factory=list)
    missing_roots: list[str] = field(default_factory=list)


def outermost(paths: Iterable[str]) -> list[str]:
    out: list[str] = []
    for p in sorted(set(paths)):
        if not any(is_under(p, o) for o in out):
            out.append(p)
    return out


def plan_changes(catalog: Catalog, targets: Iterable[str], *, roots: Iterable[str],
                 exclude: Iterable[str] = (), moves: Iterable[tuple[str, str]] = (),
                 control: JobControl | None = None,
                 on_file: Callable[[int, str], None] | None = None) -> ChangePlan:
    """Reconcile ``targets`` (files or folders, existing or not, each inside a root).

    Files under a folder the walk could not read are left alone rather than swept: an unreadable
    folder is not a deleted one. A missing *root* is not swept either (an unplugged drive).
    """
    plan = ChangePlan()
    root_set = set(roots)
    # Rows the catalog had at a move's source, re-keyed to where they went.
    moved_rows: dict[str, FileRow] = {}
    for src, dest in moves:
        rows = {src: catalog.file(src)} if catalog.file(src) else catalog.files_under(src)
        for path, row in rows.items():
            if row and row.status == "indexed":
                moved_rows[dest + path[len(src):]] = row

    for target in outermost(targets):
        seen: set[str] = set()
        known = catalog.files_under(target)
        own = catalog.file(target)
        if own:
            known[target] = own
        if os.path.isdir(target):
            scanner = FolderScanner(exclude=exclude)
            files: Iterable[ScannedFile] = scanner.walk(target)
        else:
            f = stat_file(target)
            scanner = None
            files = [f] if f else []
        for f in files:
            if control:
                control.checkpoint()
            seen.add(f.path)
            plan.scanned += 1
            if on_file:
                on_file(plan.scanned, f.path)
            row = known.get(f.path)
            if row and row.size == f.size and row.mtime_ns == f.mtime_ns:
                plan.unchanged += 1  # errors too: a bad file is retried once it changes
                continue
            moved = moved_rows.get(f.path)
            if moved and moved.size == f.size and moved.mtime_ns == f.mtime_ns:
                plan.attach.append((WorkItem.of(f, row.content_hash if row else None),
                                    moved.content_hash))
                continue
            plan.work.append(WorkItem.of(f, row.content_hash if row and row.status == "indexed" else None))
        if scanner:
            plan.problems += scanner.problems
        unreadable = scanner.unreadable_dirs if scanner else []
        if target in root_set and not os.path.isdir(target):
            plan.missing_roots.append(target)
            continue
        for path, row in known.items():
            if path in seen or any(is_under(path, d) for d in unreadable):
                continue
            plan.removed.append((path, row.content_hash if row.status == "indexed" else None))
    return plan

