"""The local scan state: library roots, every file seen (path, size, mtime, content hash, status),
the documents the index holds, and why bad files were skipped.

It lives in ``data_dir/catalog.sqlite3`` beside (not inside) the index backend, because with an
Elasticsearch backend the scan state is still local. It is also the crash-resume record: a file row
is written only after its document reached the backend and was flushed, so a killed run leaves
exactly the unfinished files without rows and the next run redoes only those.

Paths are stored as BLOBs of ``os.fsencode(path)``: names that are not valid UTF-8 round-trip
exactly and byte order makes "everything under this folder" a range scan.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import PhotoAppError
from .sqlite_files import connect_wal

CATALOG_FILENAME = "catalog.sqlite3"

# Ordered migrations: MIGRATIONS[i] takes the schema from version i to i + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE roots (
        path BLOB PRIMARY KEY,
        added_at REAL NOT NULL
    );
    CREATE TABLE files (
        path BLOB PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT,                       -- NULL while status = 'error'
        status TEXT NOT NULL CHECK (status IN ('indexed', 'error')),
        error_reason TEXT,
        error_detail TEXT,
        updated_at REAL NOT NULL
    );
    CREATE INDEX files_by_hash ON files(content_hash);
    CREATE TABLE documents (
        content_hash TEXT PRIMARY KEY,
        sort_time TEXT,                          -- ISO date taken, else file mtime
        width INTEGER, height INTEGER, size_bytes INTEGER, format TEXT,
        model_version TEXT NOT NULL DEFAULT '',
        indexed_at REAL NOT NULL
    );
    CREATE INDEX documents_by_time ON documents(sort_time);
    """,
    # v2: which index backend the file/document rows describe (switching backends resyncs).
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # v3: which analyzer versions ran on each document (photoapp.core.analyzers). A row is
    # written after the analyzer's fields reached the backend; a missing row, or one with
    # another version, is pending work. ``error`` is set when the analyzer could not run on
    # that content (its file unreadable): counted as done so it is not retried in a loop.
    """
    CREATE TABLE analyses (
        content_hash TEXT NOT NULL,
        analyzer TEXT NOT NULL,
        version TEXT NOT NULL,
        error TEXT,
        analysed_at REAL NOT NULL,
        PRIMARY KEY (content_hash, analyzer)
    ) WITHOUT ROWID;
    CREATE INDEX analyses_by_analyzer ON analyses(analyzer, version);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class CatalogError(PhotoAppError):
    """The catalog file is unusable (e.g. written by a newer photoapp)."""


def encode_path(path: str) -> bytes:
    return os.fsencode(path)


def decode_path(blob: bytes) -> str:
    return os.fsdecode(bytes(blob))


def folder_range(folder: str) -> tuple[bytes, bytes]:
    """[lo, hi) over encoded paths strictly inside ``folder``."""
    prefix = encode_path(os.path.join(folder, ""))
    return prefix, prefix[:-1] + bytes([prefix[-1] + 1])


@dataclass(frozen=True)
class FileRow:
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    status: str
    error_reason: str | None = None
    error_detail: str | None = None
    updated_at: float = 0.0


@dataclass(frozen=True)
class DocumentRow:
    content_hash: str
    sort_time: str | None = None
    width: int = 0
    height: int = 0
    size_bytes: int = 0
    format: str = ""
    model_version: str = ""


class CatalogWriter:
    """Writes inside one transaction (see ``Catalog.write``)."""

    def __init__(self, conn: sqlite3.Connection):
        self._c = conn

    def put_indexed(self, path: str, size: int, mtime_ns: int, content_hash: str) -> None:
        self._c.execute(
            "INSERT OR REPLACE INTO files(path, size, mtime_ns, content_hash, status, updated_at)"
            " VALUES (?, ?, ?, ?, 'indexed', ?)",
            (encode_path(path), size, mtime_ns, content_hash, time.time()))

    def put_error(self, path: str, size: int, mtime_ns: int, reason: str, detail: str) -> None:
        self._c.execute(
            "INSERT OR REPLACE INTO files(path, size, mtime_ns, content_hash, status, error_reason,"
            " error_detail, updated_at) VALUES (?, ?, ?, NULL, 'error', ?, ?, ?)",
            (encode_path(path), size, mtime_ns, reason, detail, time.time()))

    def delete_file(self, path: str) -> None:
        self._c.execute("DELETE FROM files WHERE path = ?", (encode_path(path),))

    def put_document(self, doc: DocumentRow) -> None:
        self._c.execute(
            "INSERT OR REPLACE INTO documents(content_hash, sort_time, width, height, size_bytes,"
            " format, model_version, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.content_hash, doc.sort_time, doc.width, doc.height, doc.size_bytes, doc.format,
             doc.model_version, time.time()))

    def delete_document(self, content_hash: str) -> None:
        self._c.execute("DELETE FROM documents WHERE content_hash = ?", (content_hash,))
        self._c.execute("DELETE FROM analyses WHERE content_hash = ?", (content_hash,))

    def put_analyses(self, content_hash: str, versions: dict[str, str],
                     error: str | None = None) -> None:
        """Record that these analyzers (name -> version) ran on the document."""
        now = time.time()
        self._c.executemany(
            "INSERT OR REPLACE INTO analyses(content_hash, analyzer, version, error, analysed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(content_hash, name, version, error, now) for name, version in versions.items()])

    def paths_of(self, content_hash: str) -> list[str]:
        return _paths_of(self._c, content_hash)


def _paths_of(conn: sqlite3.Connection, content_hash: str) -> list[str]:
    rows = conn.execute("SELECT path FROM files WHERE content_hash = ? AND status = 'indexed'"
                        " ORDER BY path", (content_hash,))
    return [decode_path(r[0]) for r in rows]


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the GUI thread and the indexing thread, serialised by a lock;
        # every write is a short transaction, so readers never wait long.
        # WAL, or read-only when the disk is full (sqlite_files.py): reads must still work.
        self._conn = connect_wal(self.path, check_same_thread=False, isolation_level=None,
                                 timeout=30)
        self._lock = threading.RLock()
        # Committed write transactions of this process: lets readers cache derived counts.
        self.generation = 0
        self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL+NORMAL survives a killed process
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    @classmethod
    def open(cls, data_dir: Path) -> "Catalog":
        return cls(Path(data_dir) / CATALOG_FILENAME)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- schema -------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CatalogError(f"{self.path} has schema version {version}; this photoapp "
                                   f"understands up to {SCHEMA_VERSION}. Upgrade photoapp.")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                script = MIGRATIONS[target - 1]
                # executescript commits first; the version bump is inside the same script so a
                # crash cannot leave a half-migrated schema marked as done.
                self._conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._conn.execute("PRAGMA user_version").fetchone()[0]

    # --- transactions -------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[CatalogWriter]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield CatalogWriter(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self.generation += 1

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # --- roots --------------------------------------------------------------------------------
    def roots(self) -> list[str]:
        return [decode_path(r[0]) for r in self._query("SELECT path FROM roots ORDER BY path")]

    def add_root(self, path: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO roots(path, added_at) VALUES (?, ?)",
                               (encode_path(path), time.time()))

    def remove_root(self, path: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM roots WHERE path = ?", (encode_path(path),))

    # --- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def forget_index_state(self) -> None:
        """Drop every file and document row (roots stay): the next scan re-indexes everything.
        Used when the rows no longer describe the backend (another backend, or its data lost)."""
        with self.write():
            self._conn.execute("DELETE FROM files")
            self._conn.execute("DELETE FROM documents")
            self._conn.execute("DELETE FROM analyses")

    # --- files --------------------------------------------------------------------------------
    def file(self, path: str) -> FileRow | None:
        rows = self._query("SELECT * FROM files WHERE path = ?", (encode_path(path),))
        return _file_row(rows[0]) if rows else None

    def files_under(self, folder: str) -> dict[str, FileRow]:
        lo, hi = folder_range(folder)
        rows = self._query("SELECT * FROM files WHERE path >= ? AND path < ?", (lo, hi))
        return {r.path: r for r in map(_file_row, rows)}

    def paths_of(self, content_hash: str) -> list[str]:
        with self._lock:
            return _paths_of(self._conn, content_hash)

    def errors(self) -> list[FileRow]:
        rows = self._query("SELECT * FROM files WHERE status = 'error' ORDER BY path")
        return [_file_row(r) for r in rows]

    # --- documents ----------------------------------------------------------------------------
    def known_hashes(self) -> set[str]:
        return {r[0] for r in self._query("SELECT content_hash FROM documents")}

    def hash_of_path(self, path: str) -> str | None:
        row = self.file(path)
        return row.content_hash if row and row.status == "indexed" else None

    def list_documents(self, sort: str = "date", limit: int = 100, offset: int = 0
                       ) -> list[tuple[str, list[str]]]:
        """(content hash, paths) pages for browsing; "date" is newest first, "name" by path."""
        order = {"date": "d.sort_time IS NULL, d.sort_time DESC, first_path",
                 "name": "first_path"}.get(sort)
        if order is None:
            raise ValueError(f"unknown sort {sort!r}; use 'date' or 'name'")
        rows = self._query(
            "SELECT d.content_hash, MIN(f.path) AS first_path FROM documents d"
            " JOIN files f ON f.content_hash = d.content_hash AND f.status = 'indexed'"
            f" GROUP BY d.content_hash ORDER BY {order} LIMIT ? OFFSET ?", (limit, offset))
        return [(h, self.paths_of(h)) for h, _ in rows]

    def counts(self) -> dict[str, int]:
        row = self._query(
            "SELECT (SELECT COUNT(*) FROM documents),"
            " (SELECT COUNT(*) FROM files WHERE status = 'indexed'),"
            " (SELECT COUNT(*) FROM files WHERE status = 'error'),"
            " (SELECT COUNT(*) FROM roots)")[0]
        return dict(zip(("documents", "files", "errors", "roots"), row))


    # --- analyses (which analyzer versions ran on each document) -------------------------------
    def pending_analyses(self, versions: dict[str, str], under: Iterable[str] | None = None,
                         limit: int | None = None) -> dict[str, list[str]]:
        """content hash -> names of the analyzers (of ``versions``: name -> current version) that
        have not run at that version on it; newest photos first. ``under``: only documents with
        a file at or inside one of these paths (None: the whole library)."""
        if not versions:
            return {}
        where, args = _under_clause(under)
        pending: dict[str, list[str]] = {}
        for name, version in versions.items():
            sql = ("SELECT d.content_hash FROM documents d WHERE NOT EXISTS (SELECT 1 FROM analyses a"
                   " WHERE a.content_hash = d.content_hash AND a.analyzer = ? AND a.version = ?)")
            if where:
                sql += (" AND EXISTS (SELECT 1 FROM files f WHERE f.content_hash = d.content_hash"
                        f" AND f.status = 'indexed' AND ({where}))")
            sql += " ORDER BY d.sort_time IS NULL, d.sort_time DESC"
            if limit:
                sql += f" LIMIT {int(limit)}"
            for (h,) in self._query(sql, (name, version, *args)):
                pending.setdefault(h, []).append(name)
        return pending

    def analysis_counts(self, versions: dict[str, str]) -> dict[str, int]:
        """name -> documents on which that analyzer ran at its current version."""
        # Rows go with their document (delete_document, forget_index_state), so the covering
        # index (analyzer, version) alone answers: no join with documents.
        out = {}
        for name, version in versions.items():
            out[name] = self._query(
                "SELECT COUNT(*) FROM analyses WHERE analyzer = ? AND version = ?",
                (name, version))[0][0]
        return out

    def analysed_by(self, analyzer: str) -> list[str]:
        """Documents with a record of ``analyzer`` (any version)."""
        return [r[0] for r in self._query(
            "SELECT content_hash FROM analyses WHERE analyzer = ? AND error IS NULL", (analyzer,))]

    def analysis_times(self, analyzer: str) -> dict[str, float]:
        """content hash -> when ``analyzer`` last ran on it (successfully): a later stage that
        builds on its results (people on faces) redoes a photo whose time moved."""
        return {h: float(t) for h, t in self._query(
            "SELECT content_hash, analysed_at FROM analyses WHERE analyzer = ? AND error IS NULL", (analyzer,))}

    def has_analyses_of(self, analyzer: str) -> bool:
        return bool(self._query("SELECT 1 FROM analyses WHERE analyzer = ? LIMIT 1", (analyzer,)))

    def forget_analyzer(self, analyzer: str) -> None:
        with self.write():
            self._conn.execute("DELETE FROM analyses WHERE analyzer = ?", (analyzer,))

    def adopt_legacy_documents(self, model_version: str, versions: dict[str, str]) -> int:
        """Documents indexed before analyses were recorded (catalog v2) carry only the bundle's
        ``model_version``: where that equals today's, those analyzers ran at today's versions."""
        with self.write() as w:
            rows = w._c.execute(
                "SELECT content_hash FROM documents d WHERE model_version = ? AND NOT EXISTS"
                " (SELECT 1 FROM analyses a WHERE a.content_hash = d.content_hash)",
                (model_version,)).fetchall()
            for (h,) in rows:
                w.put_analyses(h, versions)
        return len(rows)


def _under_clause(under: Iterable[str] | None) -> tuple[str, list]:
    if under is None:
        return "", []
    parts, args = [], []
    for folder in under:
        lo, hi = folder_range(folder)
        parts.append("f.path = ? OR (f.path >= ? AND f.path < ?)")
        args += [encode_path(folder), lo, hi]
    return " OR ".join(parts) or "0", args


def _file_row(r: tuple) -> FileRow:
    return FileRow(decode_path(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7])


def unique_roots(roots: Iterable[str]) -> list[str]:
    """Drop roots nested inside other roots (their files are walked with the outer root)."""
    out: list[str] = []
    for r in sorted(set(roots)):
        if not any(r == o or r.startswith(os.path.join(o, "")) for o in out):
            out.append(r)
    return out


def is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(os.path.join(folder, ""))
