"""Writes: the durable outbox -> ordered ``_bulk`` requests.

Every change is appended to the outbox (``outbox.py``) first, so ``enqueue`` never loses one and
never waits on the cluster; ``drain`` sends the queue in order with the client's
``streaming_bulk`` helper in sized chunks and removes each op once the server acknowledged it.
429s are retried by the helper with exponential backoff, connection errors here with exponential
backoff; while the cluster is down changes keep queueing. A change the cluster refuses for good
(a mapping error, a 400) goes to the outbox's dead-letter table, where ``rejected`` shows it to the
user, instead of blocking the queue.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from datetime import datetime, timezone

from ...errors import BackendError, BackendUnavailable
from .layout import Layout
from .outbox import Outbox, OutboxOp
from .session import Session

log = logging.getLogger(__name__)

# Item errors that say "this document can never be indexed as it is": retrying is pointless.
PERMANENT_STATUSES = {400, 409, 413}


class Writer:
    def __init__(self, session: Session, layout: Layout, outbox: Outbox, *, chunk_docs: int,
                 chunk_bytes: int, connect_attempts: int):
        self.session = session
        self.layout = layout
        self.outbox = outbox
        self.chunk_docs = chunk_docs
        self.chunk_bytes = chunk_bytes
        self.connect_attempts = connect_attempts
        self._drain_lock = threading.RLock()

    def enqueue(self, ops: list[tuple]) -> None:
        """Queue ``(op, doc_id, body[, paths])`` durably; sends whole chunks as they fill (a partial
        chunk waits for ``flush``: bigger bulks)."""
        self.outbox.append(ops)
        if self.outbox.pending() >= self.chunk_docs and not self.session.backing_off:
            try:
                self.drain(attempts=1, whole_chunks_only=True)
            except BackendUnavailable as exc:
                log.warning("%s; %d changes queued", exc, self.outbox.pending())

    def flush(self, attempts: int | None = None) -> None:
        """Send everything queued and make it searchable. Raises ``BackendUnavailable`` (with
        the queue intact) when the cluster cannot be reached after retrying."""
        self.session.retry_now()  # an explicit flush tries now, whatever the breaker says
        self.drain(attempts=attempts or self.connect_attempts)
        if self.layout.ready:
            self.session.call("refresh", lambda: self.session.client.indices.refresh(index=self.layout.alias))

    def pending(self) -> int:
        return self.outbox.pending()

    def pending_ids(self) -> set[str]:
        return self.outbox.pending_ids()

    def rejected(self) -> list[tuple[str, str, datetime]]:
        """(doc id, reason, when) of changes the cluster refused for good, oldest first."""
        return [(doc_id, f"Elasticsearch refused {_what(op)} (HTTP {status}): {error}",
                 datetime.fromtimestamp(at, timezone.utc))
                for op, doc_id, status, error, at in self.outbox.rejected()]

    def drain(self, attempts: int, whole_chunks_only: bool = False) -> None:
        # One sender at a time, threads (GUI workers share the backend) and processes (the GUI
        # and the CLI share the outbox file): a batch sent twice at once could let a slow first
        # send of an op land after a later op on the same document.
        with self._drain_lock, _file_lock(self.outbox.path.with_name(self.outbox.path.name + ".send-lock")):
            self._drain_locked(attempts, whole_chunks_only)

    def _drain_locked(self, attempts: int, whole_chunks_only: bool) -> None:
        failures = 0
        while True:
            batch = self.outbox.peek_batch(self.chunk_docs * 4)
            if not batch or (whole_chunks_only and len(batch) < self.chunk_docs):
                return
            try:
                self.layout.ensure(self.outbox.first_embedding_dims)
                obsolete = [op.seq for op in batch if op.op == "claim"]
                if obsolete:  # queued by an older photoapp: the catalog now sends set_paths itself
                    self.outbox.ack(obsolete)
                writes = [op for op in batch if op.op != "claim"]
                if writes:
                    self._send(writes)
                failures = 0
            except BackendUnavailable:
                failures += 1
                if failures >= attempts:
                    self.session.trip()
                    raise
                time.sleep(self.session.backoff(failures))
                self.session.reconnect()  # reconnect (and re-check the index) before the retry

    def _send(self, batch: list[OutboxOp]) -> None:
        """One ordered pass of ``streaming_bulk`` over ``batch``; acks as results arrive."""
        from elasticsearch import helpers

        by_id = {op.doc_id: op for op in batch}
        actions = []
        for op in batch:
            action = {"_op_type": op.op, "_index": self.layout.alias, "_id": op.doc_id}
            if op.op == "index":
                action["_source"] = op.raw  # JSON text: the serializer passes it through
            elif op.op == "update":
                action.update(op.body or {})
            actions.append(action)
        acked: list[OutboxOp] = []
        overloaded = False
        try:
            for ok, item in helpers.streaming_bulk(
                    self.session.client, actions, chunk_size=self.chunk_docs, max_chunk_bytes=self.chunk_bytes,
                    max_retries=5, initial_backoff=self.session.backoff_base, max_backoff=self.session.max_backoff,
                    raise_on_error=False, raise_on_exception=True, yield_ok=True, require_alias=True):
                (_, result), = item.items()
                op = by_id[result["_id"]]
                status = result.get("status", 200)
                if ok or (status == 404 and op.op in ("delete", "update")):
                    acked.append(op)  # a 404 here means "already gone": nothing left to apply
                elif status == 429:
                    overloaded = True  # the helper already retried with backoff; try later
                elif status in PERMANENT_STATUSES:
                    error = result.get("error", {})
                    reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
                    log.error("Elasticsearch refused %s of %s (HTTP %s): %s", op.op, op.doc_id, status, reason)
                    self.outbox.reject(op, status, reason)
                else:
                    overloaded = True  # 5xx on one item: keep it, retry later
                if len(acked) >= self.chunk_docs:
                    self.outbox.ack([a.seq for a in acked], settled=_settled(acked))
                    acked = []
        except BackendError:
            raise
        except Exception as exc:
            raise self.session.error(exc, "bulk indexing") from None
        finally:
            self.outbox.ack([a.seq for a in acked], settled=_settled(acked))
        if overloaded:
            raise BackendUnavailable("Elasticsearch is overloaded (HTTP 429/5xx after retries); "
                                     "the rest stays queued")


@contextlib.contextmanager
def _file_lock(path):
    """An exclusive lock on ``path`` between processes (flock; released if the holder dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one process per outbox is the user's job
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _settled(acked: list[OutboxOp]) -> list[str]:
    """Documents whose earlier refusal no longer matters: written whole again, or deleted."""
    return [op.doc_id for op in acked if op.op in ("index", "delete")]


def _what(op: str) -> str:
    return {"index": "the document", "update": "an update", "delete": "a delete"}.get(op, op)
