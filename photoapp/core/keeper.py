"""Which copy of a duplicate group to keep: the suggestion rule, and the key a user's own choice
is stored under (``UserData.set_keeper``). Nothing here deletes or moves a file.

The suggestion prefers the most picture (largest resolution), then the original (the oldest:
earliest date taken, then earliest file time, since copies are made after the original), then
the largest file (least recompressed), then the shortest path (the copy in a deeper "backup/old"
folder is usually the extra one).
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    path: str
    width: int = 0
    height: int = 0
    size_bytes: int = 0
    taken_at: datetime | None = None
    modified_at: datetime | None = None
    id: str = ""  # document id (identical copies share one)


def group_candidates(library, group) -> list[Candidate]:
    """Every copy in a ``DuplicateGroup`` with what the rule compares (sizes from the index,
    file times from a stat: nothing is opened). Paths the index no longer resolves are kept,
    with what is known (their path), so they can still be shown."""
    found: list[Candidate] = []
    seen: set[str] = set()
    for doc_id in group.ids:
        doc = library.info(doc_id)
        if doc is None:
            continue
        paths = [p for p in doc.paths if p in group.paths] or list(doc.paths)
        for path in paths:
            if path not in seen:
                seen.add(path)
                found.append(Candidate(path, doc.width, doc.height, doc.size_bytes, doc.taken_at,
                                       _modified(path), doc_id))
    for path in group.paths:
        if path not in seen and group.ids:
            seen.add(path)
            found.append(Candidate(path, modified_at=_modified(path), id=group.ids[0]))
    return found


def keeper_for(library, candidates: Sequence[Candidate]) -> tuple[str, int, str | None]:
    """(group key, index of the copy to keep, the path the user chose or None): the user's
    choice when it is still one of the copies, else the suggestion."""
    key = group_key([c.path for c in candidates])
    chosen = library.keeper(key)
    for i, c in enumerate(candidates):
        if c.path == chosen:
            return key, i, chosen
    return key, suggest_keeper(candidates), None


def _modified(path: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime)
    except OSError:
        return None


def suggest_keeper(candidates: Sequence[Candidate]) -> int:
    """Index of the copy to keep; -1 for an empty group."""
    if not candidates:
        return -1

    def rank(i: int):
        c = candidates[i]
        taken = c.taken_at.timestamp() if c.taken_at else float("inf")
        modified = c.modified_at.timestamp() if c.modified_at else float("inf")
        return (-(c.width * c.height), taken, modified, -c.size_bytes, len(c.path), c.path)

    return min(range(len(candidates)), key=rank)


def group_key(paths: Sequence[str]) -> str:
    """A stable name for a group: its set of paths. A copy added or removed makes it a new group,
    whose keeper is suggested afresh (the old choice may not fit it any more)."""
    return hashlib.sha1("\n".join(sorted(set(paths))).encode("utf-8", "surrogateescape")).hexdigest()
