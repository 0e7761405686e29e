"""A durable, ordered queue of index changes waiting for Elasticsearch (SQLite in the data folder).

Every write goes here first and leaves only after the server acknowledged it, so a crash, a
network cut or a cluster restart loses nothing. Each op is idempotent by document id (index =
replace the whole document, update = set fields, delete), so an op re-sent because its
acknowledgement was lost does no harm. An op the server refuses for good (a document that can
never be indexed) moves to ``rejected`` instead of blocking the queue forever.

``claim`` ops ("these paths now show these documents") were queued by older versions, before
the catalog became the one owner of path <-> content; the writer drops any it still finds.

The ``rejected`` table is the dead letter: kept until the document is written whole again or
deleted (``ack(..., settled=...)``), so the user sees only refusals that still matter.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    op      TEXT NOT NULL CHECK (op IN ('index', 'update', 'delete', 'claim')),
    doc_id  TEXT NOT NULL,
    body    TEXT,
    paths   TEXT,  -- JSON list: the document's paths after this op (index / path update)
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    seq     INTEGER PRIMARY KEY,
    op      TEXT NOT NULL,
    doc_id  TEXT NOT NULL,
    body    TEXT,
    status  INTEGER,
    error   TEXT,
    at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_doc ON outbox(doc_id, seq);
CREATE INDEX IF NOT EXISTS rejected_by_doc ON rejected(doc_id);
"""


@dataclass(frozen=True)
class OutboxOp:
    seq: int
    op: str  # index | update | delete | claim (paths that now belong to another document)
    doc_id: str
    raw: str | None  # the body as JSON text: an index op's body goes to the server as is
    paths: list[str] | None = None

    @property
    def body(self) -> dict | None:
        return json.loads(self.raw) if self.raw is not None else None


class Outbox:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection, guarded by a lock: the GUI may write from a worker thread while
        # another drains. WAL + synchronous=FULL: an appended op survives a power cut.
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(SCHEMA)

    def append(self, ops: list[tuple]) -> None:
        """Add ``(op, doc_id, body[, paths])`` in order, in one transaction. ``body`` is a dict
        or already-serialised JSON text (index ops: serialised once, sent as is)."""
        if not ops:
            return
        now = time.time()
        rows = []
        for op, doc_id, body, *rest in ops:
            raw = body if isinstance(body, str) or body is None else json.dumps(body, separators=(",", ":"))
            paths = rest[0] if rest else None
            rows.append((op, doc_id, raw, json.dumps(paths) if paths is not None else None, now))
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO outbox (op, doc_id, body, paths, created) VALUES (?, ?, ?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def peek_batch(self, max_ops: int) -> list[OutboxOp]:
        """The oldest ops, in order, stopping before the first doc id seen twice.

        One op per doc id per batch is what makes retrying part of a batch safe: a retried op can
        never overtake a later op on the same document.
        """
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, op, doc_id, body, paths FROM outbox ORDER BY seq LIMIT ?", (max_ops,)).fetchall()
        batch, seen = [], set()
        for seq, op, doc_id, body, paths in rows:
            if doc_id in seen:
                break
            seen.add(doc_id)
            batch.append(OutboxOp(seq, op, doc_id, body, json.loads(paths) if paths is not None else None))
        return batch

    def ack(self, seqs: list[int], settled: list[str] = ()) -> None:
        """The server acknowledged these ops: they leave the queue. ``settled``: documents whose
        earlier refusals no longer apply (written whole again, or deleted)."""
        if not seqs:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            self._conn.executemany("DELETE FROM rejected WHERE doc_id = ?", [(d,) for d in settled])
            self._conn.execute("COMMIT")

    def reject(self, op: OutboxOp, status: int | None, error: str) -> None:
        """The server refused this op for good; keep it for the user to see, stop retrying it."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT OR REPLACE INTO rejected (seq, op, doc_id, body, status, error, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (op.seq, op.op, op.doc_id, op.raw,
                 status, error[:2000], time.time()))
            self._conn.execute("DELETE FROM outbox WHERE seq = ?", (op.seq,))
            self._conn.execute("COMMIT")

    def pending(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def pending_ids(self) -> set[str]:
        """Documents written (``index``) here and not sent yet, unless a later queued op deletes
        them: the cluster will have them, so their analysis need not run again."""
        with self._lock:
            return {r[0] for r in self._conn.execute(
                "SELECT doc_id FROM outbox o WHERE op = 'index' AND NOT EXISTS (SELECT 1 FROM outbox d "
                "WHERE d.doc_id = o.doc_id AND d.op = 'delete' AND d.seq > o.seq)")}

    def rejected(self) -> list[tuple[str, str, int | None, str, float]]:
        """(op, doc_id, HTTP status, error, when (epoch s)) of ops the server refused."""
        with self._lock:
            return self._conn.execute(
                "SELECT op, doc_id, status, error, at FROM rejected ORDER BY seq").fetchall()

    def first_embedding_dims(self) -> int | None:
        """Dimensions of the first queued vector (to create the index with the right dims)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM outbox WHERE op = 'index' AND body LIKE '%\"embedding\":%' "
                "ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return None
        emb = json.loads(row[0]).get("embedding")
        return len(emb) if emb else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
