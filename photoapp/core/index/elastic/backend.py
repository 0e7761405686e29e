"""The Elasticsearch backend: ``ElasticIndex(settings, vocabulary=None)``.

Writes go to a durable outbox first (``outbox.py``) and are sent in order with the client's
``streaming_bulk`` helper in sized chunks; 429s are retried by the helper with exponential
backoff, connection errors by ``_drain`` with exponential backoff. While the cluster is down
writes keep queueing (nothing raised, nothing lost) and reads raise ``BackendUnavailable``.

Server capabilities are detected rather than assumed: the server version picks the vector
index type and the compatibility headers, and an aggregation that ignores ``include`` (a test
server does) is noticed from its answer and compensated for.
"""
from __future__ import annotations

import hashlib
import uuid
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ...errors import BackendError, BackendUnavailable, MappingConflictError
from ...query import Query
from ...records import IndexStats, PhotoDocument, SearchHit
from ...settings import Settings
from . import mapping as m
from . import dsl as q
from ..base import IndexBackend
from .connection import ServerInfo, build_client, cluster_key, server_info, set_compat_major, translate_error
from .outbox import Outbox, OutboxOp

log = logging.getLogger(__name__)

# Bulk request sizing: ~500 photo documents with a 512-d vector is ~5 MB of JSON.
DEFAULT_CHUNK_DOCS = 500
DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024
PAGE_SIZE = 500  # search_after page for iter_documents / iter_embeddings
# Item errors that say "this document can never be indexed as it is": retrying is pointless.
_PERMANENT_STATUSES = {400, 409, 413}


class ElasticIndex(IndexBackend):
    name = "elasticsearch"

    def __init__(self, settings: Settings, vocabulary=None, *,
                 chunk_docs: int = DEFAULT_CHUNK_DOCS, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                 request_timeout: float = 30.0, connect_attempts: int = 3, backoff_base: float = 0.5,
                 max_backoff: float = 30.0):
        self.settings = settings
        self.vocabulary = vocabulary
        self.prefix = settings.elasticsearch.index_prefix
        self.alias = m.alias_name(self.prefix)
        self.chunk_docs = chunk_docs
        self.chunk_bytes = chunk_bytes
        self.connect_attempts = connect_attempts
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        key = cluster_key(settings)
        slug = hashlib.sha1(f"{key}|{self.alias}".encode()).hexdigest()[:12]
        self.outbox = Outbox(Path(settings.data_dir) / "elasticsearch" / f"outbox-{slug}.sqlite3")
        self._client = build_client(settings, request_timeout=request_timeout, max_retries=1)
        self._server: ServerInfo | None = None
        self._index_ready = False  # the alias exists and its mapping is ours
        self._retry_at = 0.0  # circuit breaker: no connection attempt before this time
        self._failures = 0
        self._include_works: bool | None = None  # terms-agg `include` honoured by the server?
        self._unrefreshed: dict[str, list[str]] = {}  # doc id -> paths, sent since last refresh
        self._closed = False
        self._drain_lock = threading.RLock()
        try:
            self._connect()
            self._drain(attempts=1)
        except BackendUnavailable as exc:
            # Opening while the cluster is down is allowed: writes queue, reads raise.
            log.warning("%s; %d queued changes will be sent when it is back", exc, self.outbox.pending())
        except BaseException:  # wrong credentials, mapping conflict...: nothing stays open
            self.outbox.close()
            self._client.close()
            raise

    # --- connection -------------------------------------------------------------------------
    @property
    def server(self) -> ServerInfo | None:
        return self._server

    def _connect(self) -> None:
        if self._server is not None:
            return
        if time.monotonic() < self._retry_at:
            raise BackendUnavailable(f"Elasticsearch at {cluster_key(self.settings)} is unreachable "
                                     f"(next try in {self._retry_at - time.monotonic():.0f} s)")
        try:
            info = server_info(self._client)
        except BackendUnavailable:
            self._trip()
            raise
        set_compat_major(self._client, info)
        self._server = info
        self._failures = 0
        self._check_existing_index()

    def _trip(self) -> None:
        """Remember a failure: later calls do not wait on a dead cluster every time."""
        self._failures += 1
        self._server = None
        delay = min(self.max_backoff, self.backoff_base * 2 ** (self._failures - 1))
        self._retry_at = time.monotonic() + delay

    def _call(self, what: str, fn):
        """Run one read/admin request; typed errors out, breaker tripped when unreachable."""
        self._connect()
        try:
            return fn()
        except Exception as exc:
            err = translate_error(exc, what)
            if isinstance(err, BackendUnavailable):
                self._trip()
            raise err from None

    # --- index layout ---------------------------------------------------------------------
    def _check_existing_index(self) -> None:
        """If our alias (or an index of that name) exists, its mapping must be ours."""
        from elasticsearch import NotFoundError

        assert self._server is not None
        es = self._client
        wanted = m.mappings(self._server, None)
        try:
            alias_exists = bool(es.indices.exists_alias(name=self.alias))
            target = None
            if alias_exists:
                target = sorted(es.indices.get_alias(name=self.alias).body)[-1]
            elif es.indices.exists(index=self.alias):
                raise MappingConflictError(
                    f"an index named {self.alias!r} already exists (not photoapp's alias); rename it "
                    f"or set elasticsearch.index_prefix to use other index names")
            else:  # no alias: the newest versioned index of ours, if one was left without it
                target = self._newest_versioned_index()
            if target is None:
                self._index_ready = False  # created on first write, when the vector size is known
                return
            existing = es.indices.get_mapping(index=target).body[target]["mappings"]
        except MappingConflictError:
            raise
        except NotFoundError:
            self._index_ready = False
            return
        except Exception as exc:
            raise translate_error(exc, "checking the index") from None
        version = (existing.get("_meta") or {}).get("schema_version", m.SCHEMA_VERSION)
        # An older photoapp layout lacks the fields added since: the reindex below adds them.
        problems = m.mapping_conflicts(existing, wanted, missing_ok=version < m.SCHEMA_VERSION)
        if problems:
            raise MappingConflictError(
                f"index {target!r} has an incompatible mapping: " + "; ".join(problems[:6])
                + ("; ..." if len(problems) > 6 else "")
                + ". Delete it, or set elasticsearch.index_prefix to use other index names")
        if version < m.SCHEMA_VERSION:
            self._reindex(target)
        elif not alias_exists:
            self._call("adding the alias", lambda: es.indices.put_alias(index=target, name=self.alias))
        self._index_ready = True

    def _newest_versioned_index(self) -> str | None:
        found = self._client.indices.get(index=f"{self.alias}-v*", expand_wildcards="open").body
        versions = {int(n.rsplit("-v", 1)[1]): n for n in found if n.rsplit("-v", 1)[1].isdigit()}
        return versions[max(versions)] if versions else None

    def _reindex(self, old_index: str) -> None:
        """Schema upgrade: new versioned index, copy, atomic alias swap. The old index stays."""
        new_index = m.index_name(self.prefix)
        dims = None
        mapping = self._client.indices.get_mapping(index=old_index).body[old_index]["mappings"]
        dims = mapping.get("properties", {}).get("embedding", {}).get("dims")
        self._create_index(dims, with_alias=False)
        self._call("reindexing", lambda: self._client.reindex(
            source={"index": old_index}, dest={"index": new_index}, wait_for_completion=True, refresh=True))
        self._call("swapping the alias", lambda: self._client.indices.update_aliases(actions=[
            {"remove": {"index": old_index, "alias": self.alias}},
            {"add": {"index": new_index, "alias": self.alias}}]))
        log.info("reindexed %s -> %s (schema v%d)", old_index, new_index, m.SCHEMA_VERSION)

    def _create_index(self, dims: int | None, with_alias: bool = True) -> None:
        from elasticsearch import BadRequestError

        assert self._server is not None
        es = self._client
        template = m.index_template(self.prefix, self._server, dims)
        self._call("writing the index template",
                   lambda: es.indices.put_index_template(name=m.template_name(self.prefix), **template))
        try:
            es.indices.create(index=m.index_name(self.prefix),
                              aliases={self.alias: {"is_write_index": True}} if with_alias else None)
        except BadRequestError as exc:
            if "resource_already_exists" not in str(exc) or not with_alias:
                raise translate_error(exc, "creating the index") from None
            self._check_existing_index()  # someone else created it: it must still be ours
        except Exception as exc:
            raise translate_error(exc, "creating the index") from None

    def _ensure_index(self) -> None:
        if self._index_ready:
            return
        self._connect()
        if self._index_ready:
            return
        self._create_index(self.outbox.first_embedding_dims())
        self._index_ready = True

    # --- writes ------------------------------------------------------------------------------
    def upsert(self, docs: Iterable[PhotoDocument]) -> None:
        synonyms = getattr(self.vocabulary, "synonyms", None)
        docs = list(docs)
        ops: list[tuple] = [("index", d.id, m.to_json(d, synonyms), sorted(set(d.paths))) for d in docs]
        # A path shows one picture: another document that had it is an older version of the file.
        owners = {p: d.id for d in docs for p in d.paths}
        if owners:
            ops.append(("claim", f"claim:{uuid.uuid4().hex}", {"paths": owners}))
        self._enqueue(ops)

    def remove_path(self, path: str) -> None:
        """Drop one path from whichever document has it; a document left without paths goes."""
        self._enqueue([("claim", f"claim:{uuid.uuid4().hex}", {"paths": {path: None}})])

    def delete(self, ids: Iterable[str]) -> None:
        self._enqueue([("delete", i, None) for i in ids])

    def set_paths(self, doc_id: str, paths: list[str]) -> None:
        if not paths:
            self.delete([doc_id])
        else:
            fields = m.path_fields(paths)
            self._enqueue([("update", doc_id, {"doc": fields}, fields["paths"]),
                           ("claim", f"claim:{uuid.uuid4().hex}", {"paths": {p: doc_id for p in paths}})])

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
        self._enqueue([("update", doc_id, {"doc": body})])

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
        self._enqueue([("update", doc_id, {"doc": empty}) for doc_id in ids])

    def set_clusters(self, assignment: dict[str, int], names: dict[int, str]) -> None:
        ops = []
        try:  # photos clustered before but not now lose their old cluster
            stale = [i for i in self._ids_with_cluster() if i not in assignment]
            ops.extend(("update", i, {"doc": {"cluster_id": None, "cluster_name": None}}) for i in stale)
        except BackendUnavailable:
            log.warning("Elasticsearch unreachable: old cluster ids are kept until the next clustering")
        for doc_id, cid in assignment.items():
            ops.append(("update", doc_id, {"doc": {"cluster_id": int(cid), "cluster_name": names.get(cid)}}))
        self._enqueue(ops)

    def _enqueue(self, ops: list[tuple]) -> None:
        self.outbox.append(ops)
        # Send whole chunks as they fill; a partial chunk waits for flush() (bigger bulks).
        if self.outbox.pending() >= self.chunk_docs and time.monotonic() >= self._retry_at:
            try:
                self._drain(attempts=1, whole_chunks_only=True)
            except BackendUnavailable as exc:
                log.warning("%s; %d changes queued", exc, self.outbox.pending())

    def flush(self) -> None:
        """Send everything queued and make it searchable. Raises ``BackendUnavailable`` (with
        the queue intact) when the cluster cannot be reached after retrying."""
        self._retry_at = 0.0  # an explicit flush tries now, whatever the circuit breaker says
        self._drain(attempts=self.connect_attempts)
        if self._index_ready:
            self._call("refresh", lambda: self._client.indices.refresh(index=self.alias))
            self._unrefreshed.clear()

    def pending_changes(self) -> int:
        """Changes waiting in the outbox for the cluster."""
        return self.outbox.pending()

    def rejected_changes(self) -> list[tuple[str, str, int | None, str]]:
        """(op, doc id, HTTP status, error) for changes the cluster refused for good."""
        return self.outbox.rejected()

    def _drain(self, attempts: int, whole_chunks_only: bool = False) -> None:
        # One sender at a time (GUI workers share the backend): order is the outbox's order.
        with self._drain_lock:
            self._drain_locked(attempts, whole_chunks_only)

    def _drain_locked(self, attempts: int, whole_chunks_only: bool) -> None:
        failures = 0
        while True:
            batch = self.outbox.peek_batch(self.chunk_docs * 4)
            if not batch or (whole_chunks_only and len(batch) < self.chunk_docs):
                return
            try:
                self._ensure_index()
                writes = [op for op in batch if op.op != "claim"]
                claims = [op for op in batch if op.op == "claim"]
                if writes:
                    self._send(writes)
                if claims:
                    self._apply_claims(claims)
                failures = 0
            except BackendUnavailable:
                failures += 1
                if failures >= attempts:
                    self._trip()
                    raise
                time.sleep(min(self.max_backoff, self.backoff_base * 2 ** (failures - 1)))
                self._server = None  # reconnect (and re-check the index) before the retry

    def _send(self, batch: list[OutboxOp]) -> None:
        """One ordered pass of ``streaming_bulk`` over ``batch``; acks as results arrive."""
        from elasticsearch import helpers

        by_id = {op.doc_id: op for op in batch}
        actions = []
        for op in batch:
            action = {"_op_type": op.op, "_index": self.alias, "_id": op.doc_id}
            if op.op == "index":
                action["_source"] = op.raw  # JSON text: the serializer passes it through
            elif op.op == "update":
                action.update(op.body or {})
            actions.append(action)
        acked: list[int] = []
        overloaded = False
        try:
            for ok, item in helpers.streaming_bulk(
                    self._client, actions, chunk_size=self.chunk_docs, max_chunk_bytes=self.chunk_bytes,
                    max_retries=5, initial_backoff=self.backoff_base, max_backoff=self.max_backoff,
                    raise_on_error=False, raise_on_exception=True, yield_ok=True, require_alias=True):
                (op_type, result), = item.items()
                op = by_id[result["_id"]]
                status = result.get("status", 200)
                if ok or (status == 404 and op.op in ("delete", "update")):
                    acked.append(op.seq)  # a 404 here means "already gone": nothing left to apply
                    self._remember_sent(op)
                elif status == 429:
                    overloaded = True  # the helper already retried with backoff; try later
                elif status in _PERMANENT_STATUSES:
                    error = result.get("error", {})
                    reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
                    log.error("Elasticsearch refused %s of %s (HTTP %s): %s", op.op, op.doc_id, status, reason)
                    self.outbox.reject(op, status, reason)
                else:
                    overloaded = True  # 5xx on one item: keep it, retry later
                if len(acked) >= self.chunk_docs:
                    self.outbox.ack(acked)
                    acked = []
        except BackendError:
            raise
        except Exception as exc:
            err = translate_error(exc, "bulk indexing")
            raise err from None
        finally:
            self.outbox.ack(acked)
        if overloaded:
            raise BackendUnavailable("Elasticsearch is overloaded (HTTP 429/5xx after retries); "
                                     "the rest stays queued")

    def _remember_sent(self, op: OutboxOp) -> None:
        """Paths of documents sent since the last refresh: search cannot see them yet (near
        real time), and a claim must still find them."""
        if op.op == "delete":
            self._unrefreshed[op.doc_id] = []
        elif op.paths is not None:
            self._unrefreshed[op.doc_id] = list(op.paths)
        if len(self._unrefreshed) > 20_000:  # bounded memory: make them searchable instead
            self._client.indices.refresh(index=self.alias)
            self._unrefreshed.clear()

    def _apply_claims(self, claims: list[OutboxOp]) -> None:
        """Take the claimed paths away from every other document that has them.

        Runs after the batch's writes; a path claimed twice goes to the later claim, which is
        what applying the claims one by one in order would give.
        """
        from elasticsearch import helpers

        owners: dict[str, str | None] = {}
        for claim in claims:  # in outbox order
            owners.update(claim.body["paths"])
        holders: dict[str, list[str]] = {}
        paths = list(owners)
        for i in range(0, len(paths), 1000):
            res = self._search("claiming paths", size=10_000, _source=["paths"],
                               query={"terms": {"paths": paths[i:i + 1000]}})
            for h in (res or {}).get("hits", {}).get("hits", []):
                holders[h["_id"]] = list(h["_source"].get("paths", []))
        holders.update({d: list(p) for d, p in self._unrefreshed.items()})  # fresher than search
        actions = []
        for doc_id, held in holders.items():
            lost = [p for p in held if p in owners and owners[p] != doc_id]
            if not lost:
                continue
            remaining = [p for p in held if p not in lost]
            if remaining:
                actions.append({"_op_type": "update", "_index": self.alias, "_id": doc_id,
                                "doc": m.path_fields(remaining)})
                self._unrefreshed[doc_id] = remaining
            else:
                actions.append({"_op_type": "delete", "_index": self.alias, "_id": doc_id})
                self._unrefreshed[doc_id] = []
        try:
            for ok, item in helpers.streaming_bulk(self._client, actions, chunk_size=self.chunk_docs,
                                                   max_retries=5, initial_backoff=self.backoff_base,
                                                   raise_on_error=False, require_alias=True):
                (_, result), = item.items()
                if not ok and result.get("status") != 404:
                    raise BackendUnavailable(f"claiming paths failed (HTTP {result.get('status')}); "
                                             "will retry")
        except BackendError:
            raise
        except Exception as exc:
            raise translate_error(exc, "claiming paths") from None
        self.outbox.ack([c.seq for c in claims])

    # --- reads ------------------------------------------------------------------------------
    def _search(self, what: str, **body):
        """One search on the alias; None when the index does not exist (yet)."""
        from elasticsearch import NotFoundError

        self._connect()
        if not self._index_ready:
            self._call("checking the index", self._check_existing_index)  # another process may have
            if not self._index_ready:                                     # created it since
                return None  # nothing written yet: every read is empty
        try:
            return self._client.search(index=self.alias, **body).body
        except NotFoundError:
            self._index_ready = False  # deleted behind our back: recreated on the next write
            return None
        except Exception as exc:
            err = translate_error(exc, what)
            if isinstance(err, BackendUnavailable):
                self._trip()
            raise err from None

    def get(self, doc_id: str) -> PhotoDocument | None:
        from elasticsearch import NotFoundError

        self._connect()
        if not self._index_ready:
            self._call("checking the index", self._check_existing_index)
            if not self._index_ready:
                return None
        try:
            res = self._client.get(index=self.alias, id=doc_id).body
        except NotFoundError:
            return None
        except Exception as exc:
            err = translate_error(exc, "get")
            if isinstance(err, BackendUnavailable):
                self._trip()
            raise err from None
        return m.from_source(res["_id"], res["_source"]) if res.get("found") else None

    def get_by_path(self, path: str) -> PhotoDocument | None:
        res = self._search("get_by_path", query={"term": {"paths": path}}, size=1)
        hits = (res or {}).get("hits", {}).get("hits", [])
        return m.from_source(hits[0]["_id"], hits[0]["_source"]) if hits else None

    def _resolve(self, clauses) -> list[q.Term]:
        """Resolve labels like the embedded index: a term without vocabulary labels means
        exactly the label of that name when some photo has it, else labels by their words.
        One request (a filter aggregation per term) answers "does some photo have it"."""
        unlabeled = [c.text for c in clauses if not c.labels]
        exists: dict[str, bool] = {}
        if unlabeled:
            aggs = {f"t{i}": {"filter": {"bool": {"should": [{"term": {"tag_labels": text}},
                                                             {"term": {"object_labels": text}}]}}}
                    for i, text in enumerate(unlabeled)}
            res = self._search("resolving labels", size=0, aggs=aggs) or {}
            found = res.get("aggregations", {})
            exists = {text: found.get(f"t{i}", {}).get("doc_count", 0) > 0 for i, text in enumerate(unlabeled)}
        return [q.Term.of(c, exists.get(c.text, False)) for c in clauses]

    def search(self, query: Query, limit: int = 50, offset: int = 0) -> list[SearchHit]:
        if limit <= 0:
            return []
        terms, excluded = self._resolve(query.terms), self._resolve(query.excluded)
        body: dict = {"query": q.search_query(query, terms, excluded), "size": limit, "from": max(offset, 0),
                      "_source": {"excludes": ["embedding"]}}
        newest_first = [{"taken_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "desc"}]
        body["sort"] = (["_score"] + newest_first) if terms else newest_first
        res = self._search("search", **body)
        hits = []
        for h in (res or {}).get("hits", {}).get("hits", []):
            src = h["_source"]
            paths = sorted(src.get("paths", []))
            score = h.get("_score")
            hits.append(SearchHit(
                id=h["_id"], path=paths[0] if paths else "", paths=paths,
                score=float(score) if score is not None and terms else 0.0,
                explanation=q.explain(terms, src)))
        return hits

    def similar(self, vector: np.ndarray, limit: int = 50, query: Query | None = None,
                exclude_ids: Iterable[str] = ()) -> list[SearchHit]:
        v = np.asarray(vector, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(v))
        if norm == 0.0 or limit <= 0:
            return []
        v = v / norm
        terms = self._resolve(query.terms) if query else []
        excluded = self._resolve(query.excluded) if query else []
        knn = q.knn_clause([float(x) for x in v], limit, query, terms, excluded, list(exclude_ids))
        res = self._search("similar", knn=knn, size=limit, _source={"includes": ["paths", "embedding"]})
        hits = []
        for h in (res or {}).get("hits", {}).get("hits", []):
            src = h["_source"]
            emb = src.get("embedding")
            if emb is not None:
                # Exact cosine from the stored float vector: the HNSW score is computed on
                # int8-quantised vectors and is only approximate.
                e = np.asarray(emb, dtype=np.float32)
                cos = float(np.dot(v, e) / (np.linalg.norm(e) or 1.0))
            else:
                cos = 2.0 * float(h["_score"]) - 1.0  # ES cosine _score is (1 + cos) / 2
            paths = sorted(src.get("paths", []))
            hits.append(SearchHit(id=h["_id"], path=paths[0] if paths else "", paths=paths,
                                  score=max(-1.0, min(1.0, cos))))
        hits.sort(key=lambda hit: (-hit.score, hit.id))
        return hits[:limit]

    def _scan(self, what: str, source, query: dict | None = None) -> Iterator[dict]:
        """Every matching hit, paged with search_after on the doc_id keyword."""
        after = None
        while True:
            body: dict = {"query": query or {"match_all": {}}, "size": PAGE_SIZE,
                          "sort": [{"doc_id": "asc"}], "_source": source}
            if after is not None:
                body["search_after"] = after
            res = self._search(what, **body)
            hits = (res or {}).get("hits", {}).get("hits", [])
            yield from hits
            if len(hits) < PAGE_SIZE:
                return
            after = hits[-1]["sort"]

    def iter_embeddings(self) -> Iterator[tuple[str, np.ndarray]]:
        for h in self._scan("iter_embeddings", {"includes": ["embedding"]},
                            {"exists": {"field": "embedding"}}):
            emb = h["_source"].get("embedding")
            if emb is not None:
                yield h["_id"], np.asarray(emb, dtype=np.float32)

    def iter_documents(self) -> Iterator[PhotoDocument]:
        for h in self._scan("iter_documents", True):
            yield m.from_source(h["_id"], h["_source"])

    def _ids_with_cluster(self) -> list[str]:
        return [h["_id"] for h in self._scan("cluster ids", False, {"exists": {"field": "cluster_id"}})]

    def tag_counts(self, limit: int = 100, prefix: str = "") -> list[tuple[str, int]]:
        prefix = prefix.lower()

        def agg(size: int, include: bool) -> list[tuple[str, int]]:
            terms: dict = {"field": "tag_labels", "size": size}
            if include and prefix:
                terms["include"] = re.escape(prefix) + ".*"
            res = self._search("tag_counts", size=0, aggs={"tags": {"terms": terms}})
            buckets = (res or {}).get("aggregations", {}).get("tags", {}).get("buckets", [])
            return [(b["key"], int(b["doc_count"])) for b in buckets]

        if not prefix:
            return agg(limit, False)
        if self._include_works is not False:
            rows = agg(limit, True)
            if all(k.startswith(prefix) for k, _ in rows):
                if self._include_works is None and rows:
                    self._include_works = True
                return rows
            self._include_works = False  # the server ignored `include`
            log.info("server ignores terms-aggregation include; filtering tag counts client-side")
        # Fallback: every label, filtered here (labels number in the thousands, not millions).
        rows = [(k, c) for k, c in agg(65_536, False) if k.startswith(prefix)]
        return rows[:limit]

    def cluster_counts(self) -> list[tuple[int, str, int]]:
        res = self._search("cluster_counts", size=0, aggs={"clusters": {
            "terms": {"field": "cluster_id", "size": 10_000},
            "aggs": {"name": {"terms": {"field": "cluster_name", "size": 1}}}}})
        out = []
        for b in (res or {}).get("aggregations", {}).get("clusters", {}).get("buckets", []):
            names = b.get("name", {}).get("buckets", [])
            out.append((int(b["key"]), names[0]["key"] if names else "", int(b["doc_count"])))
        out.sort(key=lambda row: (-row[2], row[0]))
        return out

    def stats(self) -> IndexStats:
        res = self._search("stats", size=0, track_total_hits=True, aggs={
            "files": {"value_count": {"field": "paths"}},
            "tags": {"cardinality": {"field": "tag_labels"}}})
        if res is None:
            return IndexStats(documents=0, files=0, tags=0, with_embedding=0, size_bytes=0)
        aggs = res.get("aggregations", {})
        # A count, not a filter aggregation: some servers refuse aggregations that touch a
        # dense_vector field, and a count is as cheap.
        with_embedding = self._call("stats", lambda: self._client.count(
            index=self.alias, query={"exists": {"field": "embedding"}}).body["count"])
        size = 0
        try:
            st = self._call("stats", lambda: self._client.indices.stats(index=self.alias, metric="store").body)
            size = int(st["_all"]["primaries"]["store"]["size_in_bytes"])
        except BackendError as exc:
            log.debug("index size unavailable: %s", exc)
        return IndexStats(documents=int(res["hits"]["total"]["value"]),
                          files=int(aggs.get("files", {}).get("value", 0)),
                          tags=int(aggs.get("tags", {}).get("value", 0)),
                          with_embedding=int(with_embedding), size_bytes=size)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.outbox.pending():
            try:
                self._drain(attempts=1)
            except BackendError as exc:
                log.warning("closing with %d changes queued: %s", self.outbox.pending(), exc)
        self.outbox.close()
        self._client.close()


def _check_field_names(names) -> None:
    unknown = sorted(set(names) - set(m.FIELD_SOURCES))
    if unknown:
        raise BackendError(f"cannot update {', '.join(unknown)}: the index stores "
                           f"{', '.join(sorted(m.FIELD_SOURCES))}")
