"""What the user decided about photos: star ratings, favourites and duplicate keepers.

This store is the one owner of those facts. It lives in its own SQLite file in the data folder
(``userdata.sqlite3``), apart from the catalog and the index, so deleting or rebuilding either
of them never loses a rating. Marks are keyed by content hash (the document id): a photo that
is renamed, moved or copied keeps its stars. The index holds a *mirror* (``rating``/``favorite``
fields) only so that queries can filter on them; ``Library`` writes the mirror after each change
here and the pipeline copies the marks into every document it (re)writes.

Every change records the values it replaced in an undo journal (kept in the same file, so
``photoapp undo`` works across runs); ``undo()`` puts the last change back.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import PhotoAppError
from .sqlite_files import connect_wal

USERDATA_FILENAME = "userdata.sqlite3"
MAX_RATING = 5
UNDO_DEPTH = 100  # changes remembered; older ones are dropped


class UserDataError(PhotoAppError, ValueError):
    """A rating out of range, or nothing to undo."""


@dataclass(frozen=True)
class UserMark:
    rating: int = 0  # 0 = unrated
    favorite: bool = False

    @property
    def is_default(self) -> bool:
        return self.rating == 0 and not self.favorite


@dataclass(frozen=True)
class Change:
    """One recorded change: what it was, and the marks it touched (after it was applied or undone)."""

    description: str
    marks: dict[str, UserMark]  # doc id -> mark now in force
    keepers: dict[str, str | None]  # duplicate group key -> keeper path now in force (None: suggestion)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS marks (
    doc_id TEXT PRIMARY KEY,
    rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    favorite INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS keepers (
    group_key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS undo_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    description TEXT NOT NULL,
    previous TEXT NOT NULL,  -- JSON: {"marks": {id: [rating, favorite]}, "keepers": {key: path|null}}
    created_at REAL NOT NULL
);
"""


def check_rating(value) -> int:
    """A rating as an int in 0..5, or a clear error (the CLI passes user text)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise UserDataError(f"a rating is a whole number from 0 to {MAX_RATING}, not {value!r}") from None
    if isinstance(value, float) and value != n:
        raise UserDataError(f"a rating is a whole number from 0 to {MAX_RATING}, not {value!r}")
    if not 0 <= n <= MAX_RATING:
        raise UserDataError(f"a rating is from 0 (none) to {MAX_RATING} stars, not {n}")
    return n


class UserData:
    """Thread-safe (one connection behind a lock: writes are rare and tiny)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        # WAL, or read-only when the disk is full (sqlite_files.py): reads still work.
        self._db = connect_wal(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=5000")  # the CLI and the app may share the file
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_folder(cls, data_dir: str | Path) -> "UserData":
        return cls(Path(data_dir) / USERDATA_FILENAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- reads ------------------------------------------------------------------------------
    def get(self, doc_id: str) -> UserMark:
        return self.get_many([doc_id]).get(doc_id, UserMark())

    def get_many(self, doc_ids: Iterable[str]) -> dict[str, UserMark]:
        """Marks of the ids that have one (ids without a mark are left out)."""
        ids = list(dict.fromkeys(doc_ids))
        result: dict[str, UserMark] = {}
        with self._lock:
            for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
                chunk = ids[start:start + 500]
                rows = self._db.execute(
                    f"SELECT doc_id, rating, favorite FROM marks WHERE doc_id IN ({','.join('?' * len(chunk))})",
                    chunk)
                for doc_id, rating, favorite in rows:
                    result[doc_id] = UserMark(int(rating), bool(favorite))
        return result

    def all_marks(self) -> dict[str, UserMark]:
        with self._lock:
            rows = self._db.execute("SELECT doc_id, rating, favorite FROM marks").fetchall()
        return {d: UserMark(int(r), bool(f)) for d, r, f in rows}

    def keeper(self, group_key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT path FROM keepers WHERE group_key = ?", (group_key,)).fetchone()
        return row[0] if row else None

    def can_undo(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM undo_log LIMIT 1").fetchone() is not None

    def last_change(self) -> str | None:
        """Description of the change ``undo()`` would revert."""
        with self._lock:
            row = self._db.execute("SELECT description FROM undo_log ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    # --- writes -----------------------------------------------------------------------------
    def set_rating(self, doc_ids: Iterable[str], rating: int) -> Change:
        rating = check_rating(rating)
        ids = list(dict.fromkeys(doc_ids))
        stars = f"{rating} star{'s' if rating != 1 else ''}" if rating else "no rating"
        return self._change_marks(ids, lambda m: UserMark(rating, m.favorite), f"{stars} on {_count(ids)}")

    def set_favorite(self, doc_ids: Iterable[str], favorite: bool) -> Change:
        ids = list(dict.fromkeys(doc_ids))
        what = "favourite" if favorite else "not favourite"
        return self._change_marks(ids, lambda m: UserMark(m.rating, bool(favorite)), f"{what}: {_count(ids)}")

    def set_keeper(self, group_key: str, path: str | None) -> Change:
        """Mark ``path`` as the copy to keep in a duplicate group (None: back to the suggestion)."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT path FROM keepers WHERE group_key = ?", (group_key,)).fetchone()
            description = f"keep {os.path.basename(path)}" if path else "keeper back to the suggestion"
            self._journal(description, {"marks": {}, "keepers": {group_key: row[0] if row else None}})
            self._write_keeper(group_key, path)
        return Change(description, {}, {group_key: path})

    def inherit(self, previous: dict[str, list[str]]) -> dict[str, UserMark]:
        """Give each new id that has no mark the mark of the first of its previous ids that has
        one (a photo edited in place gets a new content hash). Not an undoable user change."""
        wanted = {new: olds for new, olds in previous.items() if olds}
        if not wanted:
            return {}
        have = self.get_many(wanted)
        known = self.get_many(old for olds in wanted.values() for old in olds)
        given: dict[str, UserMark] = {}
        for new, olds in wanted.items():
            if new in have:
                continue
            mark = next((known[o] for o in olds if o in known), None)
            if mark is not None:
                given[new] = mark
        if given:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                for doc_id, mark in given.items():
                    self._write_mark(doc_id, mark)
        return given

    def undo(self) -> Change:
        """Put back the values the last change replaced; raises UserDataError when there is none."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT seq, description, previous FROM undo_log ORDER BY seq DESC LIMIT 1").fetchone()
            if row is None:
                raise UserDataError("nothing to undo")
            seq, description, previous = row
            data = json.loads(previous)
            marks = {d: UserMark(int(r), bool(f)) for d, (r, f) in data.get("marks", {}).items()}
            for doc_id, mark in marks.items():
                self._write_mark(doc_id, mark)
            keepers = dict(data.get("keepers", {}))
            for key, path in keepers.items():
                self._write_keeper(key, path)
            self._db.execute("DELETE FROM undo_log WHERE seq = ?", (seq,))
        return Change(f"undo {description}", marks, keepers)

    # --- internals --------------------------------------------------------------------------
    def _change_marks(self, ids: list[str], new_mark, description: str) -> Change:
        if not ids:
            return Change(description, {}, {})
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            before: dict[str, UserMark] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for d, r, f in self._db.execute(
                        f"SELECT doc_id, rating, favorite FROM marks WHERE doc_id IN ({','.join('?' * len(chunk))})",
                        chunk):
                    before[d] = UserMark(int(r), bool(f))
            previous = {d: before.get(d, UserMark()) for d in ids}
            after = {d: new_mark(m) for d, m in previous.items()}
            self._journal(description, {"marks": {d: [m.rating, m.favorite] for d, m in previous.items()},
                                        "keepers": {}})
            for doc_id, mark in after.items():
                self._write_mark(doc_id, mark)
        return Change(description, after, {})

    def _write_mark(self, doc_id: str, mark: UserMark) -> None:
        if mark.is_default:  # an unrated, unloved photo needs no row
            self._db.execute("DELETE FROM marks WHERE doc_id = ?", (doc_id,))
        else:
            self._db.execute(
                "INSERT INTO marks (doc_id, rating, favorite, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(doc_id) DO UPDATE SET rating = excluded.rating, favorite = excluded.favorite, "
                "updated_at = excluded.updated_at", (doc_id, mark.rating, int(mark.favorite), time.time()))

    def _write_keeper(self, group_key: str, path: str | None) -> None:
        if path is None:
            self._db.execute("DELETE FROM keepers WHERE group_key = ?", (group_key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO keepers (group_key, path, updated_at) VALUES (?, ?, ?)",
                             (group_key, path, time.time()))

    def _journal(self, description: str, previous: dict) -> None:
        self._db.execute("INSERT INTO undo_log (description, previous, created_at) VALUES (?, ?, ?)",
                         (description, json.dumps(previous), time.time()))
        self._db.execute("DELETE FROM undo_log WHERE seq <= (SELECT MAX(seq) FROM undo_log) - ?", (UNDO_DEPTH,))


def _count(ids: list[str]) -> str:
    return f"{len(ids)} photo{'s' if len(ids) != 1 else ''}"
