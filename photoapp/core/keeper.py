"""Which copy of a duplicate group to keep: the suggestion rule, and the key a user's own choice
is stored under (``UserData.set_keeper``). Nothing here deletes or moves a file.

The suggestion prefers the most picture (largest resolution), then the original (the oldest:
earliest date taken, then earliest file time, since copies are made after the original), then
the largest file (least recompressed), then the shortest path (the copy in a deeper "backup/old"
folder is usually the extra one).
"""
from __future__ import annotations

import hashlib
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
