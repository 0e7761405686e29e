"""Reads from the cluster: documents, search, similar, aggregations, scans.

``ElasticReads`` is mixed into ``ElasticIndex``; it expects ``self.session`` (session.py),
``self.layout`` (layout.py) and ``self._include_works``. Every read goes through ``_search`` /
``session.call``: typed errors, and an index that does not exist yet reads as empty.
Paths come back as the original file names (``from_storable``; mapping.py stores them as
storable text).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator

import numpy as np

from ...errors import BackendError
from ...pathtext import from_storable, to_storable
from ...query import Query
from ...query import listing as L
from ...records import IndexStats, PhotoDocument, SearchHit
from . import dsl as q
from . import mapping as m

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # search_after page for iter_documents and other scans
# index.max_result_window (10,000 unless changed on the cluster; noida-db enforces it too):
# a page reaching past it is fetched with search_after instead of from/size.
MAX_RESULT_WINDOW = 10_000
_PIT_KEEP_ALIVE = "1m"


def scan_hits(search, source, query: dict | None = None, page: int = PAGE_SIZE) -> Iterator[dict]:
    """Every hit of ``query``, paged with search_after on the doc_id keyword; ``search(**body)``
    runs one request and returns its response (a dict, or None)."""
    after = None
    while True:
        body: dict = {"query": query or {"match_all": {}}, "size": page,
                      "sort": [{"doc_id": "asc"}], "_source": source}
        if after is not None:
            body["search_after"] = after
        res = search(**body)
        hits = (res or {}).get("hits", {}).get("hits", [])
        yield from hits
        if len(hits) < page:
            return
        after = hits[-1]["sort"]

class ElasticReads:
    def _search(self, what: str, **body):
        """One search on the alias; None when the index does not exist (yet)."""
        from elasticsearch import NotFoundError

        self.session.connect()
        if not self.layout.refresh_ready():  # another process may have created it since
            return None  # nothing written yet: every read is empty
        try:
            if body.get("from", 0) + body.get("size", 10) > MAX_RESULT_WINDOW:
                return self._search_deep(body)
            return self.session.client.search(index=self.layout.alias, **body).body
        except NotFoundError:
            self.layout.ready = False  # deleted behind our back: recreated on the next write
            return None
        except Exception as exc:
            raise self.session.error(exc, what) from None

    def _search_deep(self, body: dict) -> dict:
        """A page beyond the cluster's result window (``from + size`` > 10,000 is refused): walk
        to it with ``search_after`` in a point in time (one consistent snapshot, ``_shard_doc``
        as tiebreaker), skipping pages with no ``_source``. A server without point in time gets
        ``search_after`` on the index with ``doc_id`` as tiebreaker (consistent order, but
        writes made meanwhile can shift the page). Answers like a plain search."""
        from elasticsearch import ApiError

        body = dict(body)
        skip, want = max(int(body.pop("from", 0)), 0), int(body.pop("size", 10))
        sort = list(body.pop("sort", None) or ["_score"])
        es = self.session.client
        try:
            pit = es.open_point_in_time(index=self.layout.alias, keep_alive=_PIT_KEEP_ALIVE).body["id"]
        except ApiError as exc:
            if exc.meta.status not in (400, 404, 405, 501):
                raise
            log.info("no point in time on this server (HTTP %s): deep paging without one", exc.meta.status)
            pit = None
        if pit is None and not any(isinstance(k, dict) and "doc_id" in k for k in sort):
            sort.append({"doc_id": "asc"})
        hits: list[dict] = []
        total = None
        after = None
        try:
            while len(hits) < want:
                size = min(MAX_RESULT_WINDOW, skip if skip else want - len(hits))
                page = dict(body, size=size, sort=sort, track_total_hits=total is None)
                if skip:
                    page["_source"] = False
                if after is not None:
                    page["search_after"] = after
                if pit is not None:
                    res = es.search(pit={"id": pit, "keep_alive": _PIT_KEEP_ALIVE}, **page).body
                    pit = res.get("pit_id", pit)
                else:
                    res = es.search(index=self.layout.alias, **page).body
                total = total if total is not None else res["hits"].get("total")
                found = res["hits"]["hits"]
                if found:
                    after = found[-1]["sort"]
                if skip:
                    skip -= len(found)
                else:
                    hits.extend(found)
                if len(found) < size:
                    break
        finally:
            if pit is not None:
                try:
                    es.close_point_in_time(id=pit)
                except Exception as exc:  # it expires by itself after the keep-alive
                    log.debug("closing a point in time failed: %s", exc)
        return {"hits": {"hits": hits[:want], "total": total}}

    def get(self, doc_id: str) -> PhotoDocument | None:
        from elasticsearch import NotFoundError

        self.session.connect()
        if not self.layout.refresh_ready():
            return None
        try:
            res = self.session.client.get(index=self.layout.alias, id=doc_id).body
        except NotFoundError:
            return None
        except Exception as exc:
            raise self.session.error(exc, "get") from None
        return m.from_source(res["_id"], res["_source"]) if res.get("found") else None

    def get_by_path(self, path: str) -> PhotoDocument | None:
        res = self._search("get_by_path", query={"term": {"paths": to_storable(path)}}, size=1)
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
                      "_source": {"excludes": ["embedding", "faces.embedding"]}}
        newest_first = [{"taken_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "desc"}]
        body["sort"] = (["_score"] + newest_first) if terms else newest_first
        res = self._search("search", **body)
        hits = []
        for h in (res or {}).get("hits", {}).get("hits", []):
            src = h["_source"]
            paths = sorted(from_storable(p) for p in src.get("paths", []))
            score = h.get("_score")
            hits.append(SearchHit(
                id=h["_id"], path=paths[0] if paths else "", paths=paths,
                score=float(score) if score is not None and terms else 0.0,
                explanation=q.explain(terms, src, query)))
        return hits

    def list_photos(self, listing, sort: str = "date", limit: int = 100, offset: int = 0) -> list[SearchHit]:
        """A typed listing (core/query/listing.py); see base.py."""
        body = q.listing_body(listing, sort)
        if limit <= 0:
            return []
        body.update({"size": limit, "from": max(offset, 0), "track_scores": True, "_source": {"includes": ["paths"]}})
        res = self._search("list_photos", **body)
        scored = isinstance(listing, (L.Tag, L.Color))  # score = the tag's confidence / colour's share
        hits = []
        for h in (res or {}).get("hits", {}).get("hits", []):
            paths = sorted(from_storable(p) for p in h["_source"].get("paths", []))
            score = h.get("_score")
            hits.append(SearchHit(id=h["_id"], path=paths[0] if paths else "", paths=paths,
                                  score=float(score) if scored and score is not None else 0.0))
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
            paths = sorted(from_storable(p) for p in src.get("paths", []))
            hits.append(SearchHit(id=h["_id"], path=paths[0] if paths else "", paths=paths,
                                  score=max(-1.0, min(1.0, cos))))
        hits.sort(key=lambda hit: (-hit.score, hit.id))
        return hits[:limit]

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """See base.py: one search for the stored float vectors of these ids."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        res = self._search("embeddings", query={"ids": {"values": ids}}, size=len(ids),
                           _source={"includes": ["embedding"]})
        out = {}
        for h in (res or {}).get("hits", {}).get("hits", []):
            emb = h.get("_source", {}).get("embedding")
            if emb is not None:
                out[h["_id"]] = np.asarray(emb, dtype=np.float32)
        return out

    def _scan(self, what: str, source, query: dict | None = None) -> Iterator[dict]:
        return scan_hits(lambda **body: self._search(what, **body), source, query)

    def iter_documents(self) -> Iterator[PhotoDocument]:
        for h in self._scan("iter_documents", True):
            yield m.from_source(h["_id"], h["_source"])

    def _ids_with_cluster(self) -> list[str]:
        return [h["_id"] for h in self._scan("cluster ids", False, {"exists": {"field": "cluster_id"}})]

    def tag_counts(self, limit: int = 100, prefix: str = "", min_confidence: float | None = None
                   ) -> list[tuple[str, int]]:
        prefix = prefix.lower()
        if min_confidence:
            # A server that ignores `include` (see below) gets asked for every label instead.
            size = 65_536 if prefix and self._include_works is False else limit
            res = self._search("tag_counts", size=0, aggs=q.confident_tag_counts_aggs(size, prefix, min_confidence))
            buckets = ((res or {}).get("aggregations", {}).get("tags", {}).get("sure", {})
                       .get("labels", {}).get("buckets", []))
            if prefix and size == limit and any(not b["key"].startswith(prefix) for b in buckets):
                self._include_works = False
                return self.tag_counts(limit, prefix, min_confidence)
            rows = [(b["key"], int(b["doc_count"])) for b in buckets if b["key"].startswith(prefix)]
            return sorted(rows, key=lambda r: (-r[1], r[0]))[:limit]

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

    def date_counts(self) -> list[tuple[int, int, int]]:
        # taken_at holds the wall clock without a zone, so ES reads it as UTC and the UTC
        # calendar months of the histogram are the photos' own months.
        res = self._search("date_counts", size=0, aggs={"months": {"date_histogram": {
            "field": "taken_at", "calendar_interval": "month", "min_doc_count": 1, "format": "yyyy-MM"}}})
        out = []
        for b in (res or {}).get("aggregations", {}).get("months", {}).get("buckets", []):
            if b.get("doc_count"):
                ym = str(b["key_as_string"])
                out.append((int(ym[:4]), int(ym[5:7]), int(b["doc_count"])))
        return sorted(out)

    def stats(self) -> IndexStats:
        res = self._search("stats", size=0, track_total_hits=True, aggs={
            "files": {"value_count": {"field": "paths"}},
            "tags": {"cardinality": {"field": "tag_labels"}}})
        if res is None:
            return IndexStats(documents=0, files=0, tags=0, with_embedding=0, size_bytes=0)
        aggs = res.get("aggregations", {})
        # A count, not a filter aggregation: some servers refuse aggregations that touch a
        # dense_vector field, and a count is as cheap.
        es, alias = self.session.client, self.layout.alias
        with_embedding = self.session.call("stats", lambda: es.count(
            index=alias, query={"exists": {"field": "embedding"}}).body["count"])
        size = 0
        try:
            st = self.session.call("stats", lambda: es.indices.stats(index=alias, metric="store").body)
            size = int(st["_all"]["primaries"]["store"]["size_in_bytes"])
        except BackendError as exc:
            log.debug("index size unavailable: %s", exc)
        return IndexStats(documents=int(res["hits"]["total"]["value"]),
                          files=int(aggs.get("files", {}).get("value", 0)),
                          tags=int(aggs.get("tags", {}).get("value", 0)),
                          with_embedding=int(with_embedding), size_bytes=size)

