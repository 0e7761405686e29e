"""The Elasticsearch backend: ``ElasticIndex(settings, vocabulary=None)``, composed of

    session.py   the client, the server's capabilities, the circuit breaker, typed errors
    layout.py    index template, versioned index behind an alias, migration (reindex + swap)
    writer.py    the durable outbox -> ordered bulk requests; refused changes kept for the user
    reads.py     get, search, similar, aggregations, scans

While the cluster is down writes keep queueing in the outbox (nothing raised, nothing lost) and
reads raise ``BackendUnavailable``. This class only turns the ``IndexBackend`` calls into outbox
ops. The catalog owns which paths show which document: ``set_paths`` and ``delete`` say so,
nothing here moves a path from one document to another on its own.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from ...errors import BackendError, BackendUnavailable
from ...records import PhotoDocument
from ...settings import Settings
from . import mapping as m
from ..base import IndexBackend
from .connection import ServerInfo, cluster_key
from .layout import Layout
from .outbox import Outbox
from .reads import PAGE_SIZE, ElasticReads  # noqa: F401  (PAGE_SIZE: re-exported)
from .session import Session
from .writer import Writer

log = logging.getLogger(__name__)

# Bulk request sizing: ~500 photo documents with a 512-d vector is ~5 MB of JSON.
DEFAULT_CHUNK_DOCS = 500
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024


class ElasticIndex(ElasticReads, IndexBackend):
    name = "elasticsearch"

    def __init__(self, settings: Settings, vocabulary=None, *,
                 chunk_docs: int = DEFAULT_CHUNK_DOCS, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                 request_timeout: float = 30.0, connect_attempts: int = 3, backoff_base: float = 0.5,
                 max_backoff: float = 30.0):
        self.settings = settings
        self.vocabulary = vocabulary
        self.prefix = settings.elasticsearch.index_prefix
        self.alias = m.alias_name(self.prefix)
        self._include_works: bool | None = None  # terms-agg `include` honoured by the server?
        self._closed = False
        slug = hashlib.sha1(f"{cluster_key(settings)}|{self.alias}".encode()).hexdigest()[:12]
        self.outbox = Outbox(Path(settings.data_dir) / "elasticsearch" / f"outbox-{slug}.sqlite3")
        self.session = Session(settings, request_timeout=request_timeout, backoff_base=backoff_base,
                               max_backoff=max_backoff)
        self.layout = Layout(self.session, self.prefix)
        self.session.on_connect = self.layout.check
        self.writer = Writer(self.session, self.layout, self.outbox, chunk_docs=chunk_docs,
                             chunk_bytes=chunk_bytes, connect_attempts=connect_attempts)
        try:
            self.session.connect()
            if self.outbox.pending():
                # What an earlier session queued: sent and made searchable now, so reads (and
                # the library's "is the index empty?" check) see it.
                self.writer.flush(attempts=1)
        except BackendUnavailable as exc:
            # Opening while the cluster is down is allowed: writes queue, reads raise.
            log.warning("%s; %d queued changes will be sent when it is back", exc, self.outbox.pending())
        except BaseException:  # wrong credentials, mapping conflict...: nothing stays open
            self.outbox.close()
            self.session.close()
            raise

    @property
    def server(self) -> ServerInfo | None:
        return self.session.server

    # --- writes ------------------------------------------------------------------------------
    def upsert(self, docs: Iterable[PhotoDocument]) -> None:
        synonyms = getattr(self.vocabulary, "synonyms", None)
        self.writer.enqueue([("index", d.id, m.to_json(d, synonyms)) for d in docs])

    def delete(self, ids: Iterable[str]) -> None:
        self.writer.enqueue([("delete", i, None) for i in ids])

    def set_paths(self, doc_id: str, paths: list[str]) -> None:
        if not paths:
            self.delete([doc_id])
        else:
            self.writer.enqueue([("update", doc_id, {"doc": m.path_fields(paths)})])

    def update_fields(self, doc_id: str, fields: dict) -> None:
        """One partial update (the fields' _source, see ``mapping.FIELD_SOURCES``), queued in order
        after earlier writes; an unknown id is a 404, which counts as done."""
        _check_field_names(fields)
        if not fields:
            return
        synonyms = getattr(self.vocabulary, "synonyms", None)
        body = {}
        for name, value in fields.items():
            body.update(m.field_source(name, value, synonyms))
        self.writer.enqueue([("update", doc_id, {"doc": body})])

    def clear_fields(self, names: list[str]) -> None:
        """Queue an update emptying the fields on every document that has one of them. Sends what
        is queued first (the documents must be on the cluster to be found): raises
        ``BackendUnavailable`` when it cannot, with nothing cleared."""
        _check_field_names(names)
        names = list(dict.fromkeys(names))
        if not names:
            return
        self.flush()
        empty: dict = {}
        for name in names:
            empty.update(m.field_source(name, m.FIELD_EMPTY[name]))
        query = {"bool": {"should": [m.FIELD_PRESENT[n] for n in names], "minimum_should_match": 1}}
        ids = [h["_id"] for h in self._scan("clearing fields", False, query)]
        self.writer.enqueue([("update", doc_id, {"doc": empty}) for doc_id in ids])

    def set_clusters(self, assignment: dict[str, int], names: dict[int, str]) -> None:
        ops = []
        try:  # photos clustered before but not now lose their old cluster
            stale = [i for i in self._ids_with_cluster() if i not in assignment]
            ops.extend(("update", i, {"doc": {"cluster_id": None, "cluster_name": None}}) for i in stale)
        except BackendUnavailable:
            log.warning("Elasticsearch unreachable: old cluster ids are kept until the next clustering")
        for doc_id, cid in assignment.items():
            ops.append(("update", doc_id, {"doc": {"cluster_id": int(cid), "cluster_name": names.get(cid)}}))
        self.writer.enqueue(ops)

    def flush(self) -> None:
        """Send everything queued and make it searchable. Raises ``BackendUnavailable`` (with
        the queue intact) when the cluster cannot be reached after retrying."""
        self.writer.flush()

    def flush_durable(self) -> None:
        """Everything is in the outbox already: a cluster that is away gets it later."""
        try:
            self.writer.flush()
        except BackendUnavailable as exc:
            log.warning("%s; %d changes stay queued and are sent when it is back", exc, self.writer.pending())

    # --- the outbox, for status and the pipeline ------------------------------------------------
    def pending_changes(self) -> int:
        """Changes waiting in the outbox for the cluster."""
        return self.writer.pending()

    def pending_ids(self) -> set[str]:
        """Documents queued in the outbox and not sent yet: durable, so already indexed as far
        as the pipeline is concerned."""
        return self.writer.pending_ids()

    def rejected_changes(self) -> list[tuple[str, str, datetime]]:
        """(doc id, reason, when) of changes the cluster refused for good."""
        return self.writer.rejected()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.outbox.pending():
            try:
                self.writer.drain(attempts=1)
            except BackendError as exc:
                log.warning("closing with %d changes queued: %s", self.outbox.pending(), exc)
        self.outbox.close()
        self.session.close()


def _check_field_names(names) -> None:
    unknown = sorted(set(names) - set(m.FIELD_SOURCES))
    if unknown:
        raise BackendError(f"cannot update {', '.join(unknown)}: the index stores "
                           f"{', '.join(sorted(m.FIELD_SOURCES))}")
