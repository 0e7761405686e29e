"""Move chosen copies of duplicate groups to the system trash: the one place photoapp changes
the user's photo folders, and only on an explicit, confirmed command (the CLI's
``duplicates --trash`` with a prompt or ``--yes``, the GUI's "Move to trash" dialog).

Guards, so nothing else is ever moved:

- only paths that are copies in one of the given duplicate groups, and that the library
  still knows;
- never every copy of a group: at least one stays (asking for all of them is refused whole);
- the system trash (freedesktop.org Trash on Linux, the Recycle Bin, the macOS Trash) through
  ``send2trash``: a trashed file can be restored from the file manager. Nothing is unlinked.

Afterwards the library reconciles the trashed paths, so the index forgets them at once (a
watcher would also see them go).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import PhotoAppError
from .records import DuplicateGroup


class TrashError(PhotoAppError):
    """A trash request that would move something it must not (nothing was moved)."""


@dataclass
class TrashReport:
    trashed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def plan_trash(groups: Sequence[DuplicateGroup], paths: Iterable[str]) -> list[str]:
    """The paths to move, checked against ``groups`` (see the module doc); raises
    :class:`TrashError` and moves nothing when any path is not allowed."""
    wanted = list(dict.fromkeys(os.fspath(p) for p in paths))
    if not wanted:
        raise TrashError("no files chosen to move to the trash")
    group_of: dict[str, int] = {}
    for i, g in enumerate(groups):
        for p in g.paths:
            group_of.setdefault(p, i)
    outside = [p for p in wanted if p not in group_of]
    if outside:
        raise TrashError(f"not a copy in a duplicate group, not moved: {outside[0]}"
                         + (f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""))
    chosen = set(wanted)
    for i, g in enumerate(groups):
        if g.paths and all(p in chosen for p in g.paths):
            raise TrashError(f"every copy of a group was chosen ({len(g.paths)} files, e.g. {g.paths[0]}); "
                             "keep at least one")
    return wanted


def non_keepers(library, groups: Sequence[DuplicateGroup]) -> list[str]:
    """Every copy but the one to keep (the user's choice, else the suggestion) of each group."""
    from .keeper import group_candidates, keeper_for

    out = []
    for g in groups:
        candidates = group_candidates(library, g)
        if len(candidates) < 2:
            continue
        _, keep, _ = keeper_for(library, candidates)
        out.extend(c.path for i, c in enumerate(candidates) if i != keep)
    return out


def move_to_trash(library, groups: Sequence[DuplicateGroup], paths: Iterable[str]) -> TrashReport:
    """Move ``paths`` (copies in ``groups``) to the system trash, then make the library forget
    them. A file that cannot be moved (gone, no permission) is reported, never deleted."""
    plan = plan_trash(groups, paths)
    for path in plan:
        if library.info(path) is None:
            raise TrashError(f"not in the library (any more), not moved: {path}")
    from send2trash import send2trash

    report = TrashReport()
    for path in plan:
        try:
            send2trash(path)
        except OSError as exc:  # send2trash's TrashPermissionError is an OSError too
            report.failed.append((path, exc.strerror or str(exc)))
        else:
            report.trashed.append(path)
    if report.trashed:
        library.index(report.trashed, quick=True)  # reconcile: the moved paths are gone
    return report
