"""The one interface every index backend implements (embedded SQLite, Elasticsearch).

Contract (tests/contract/ runs the same suite against every backend):
- ``upsert`` is idempotent by ``PhotoDocument.id`` (content hash); re-upserting replaces.
- The catalog alone owns which paths show which document: it sends ``set_paths`` / ``delete``
  for every document whose paths changed, in the same commit as the ``upsert`` that gave a path
  to a new document. A backend never deletes a document on its own; in between, a path may show
  on both documents (Elasticsearch) or already only on the new one (embedded: one row per path).
- ``search`` ranks by relevance and tag confidence; ``similar`` returns cosine scores in [-1, 1],
  best first, honouring the same filters; neither returns documents matching ``Query.excluded``.
- Writes are visible to reads after ``flush``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from datetime import datetime

import numpy as np

from ..query import Query
from ..records import IndexStats, PhotoDocument, SearchHit


class IndexBackend(ABC):
    name: str = "abstract"

    # --- writes -------------------------------------------------------------------------
    @abstractmethod
    def upsert(self, docs: Iterable[PhotoDocument]) -> None:
        """Add or replace documents (batched by the caller)."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None:
        """Delete documents by id; unknown ids are ignored."""

    @abstractmethod
    def set_paths(self, doc_id: str, paths: list[str]) -> None:
        """Replace the path list of one document (moves/renames/copies); empty list deletes it."""

    @abstractmethod
    def update_fields(self, doc_id: str, fields: dict) -> None:
        """Replace some fields of an existing document, leaving the others as they are.

        Keys are ``PhotoDocument`` attribute names filled by one analyzer or by the user:
        "objects", "tags", "embedding", "colors", "rating", "favorite" (later stages add
        "faces", "text", "place"); a value of ``None``/empty removes the field's content. Used
        by later analysis stages that backfill a document stage 1 already wrote, and by user
        edits. An unknown ``doc_id`` is ignored; an unknown key raises ``BackendError``."""

    @abstractmethod
    def clear_fields(self, names: list[str]) -> None:
        """Empty the named fields on every document (an analyzer was turned off in settings)."""

    @abstractmethod
    def set_clusters(self, assignment: dict[str, int], names: dict[int, str]) -> None:
        """Write cluster ids (and cluster names) computed by the core."""

    @abstractmethod
    def flush(self) -> None:
        """Make previous writes durable and visible."""

    # --- reads --------------------------------------------------------------------------
    @abstractmethod
    def get(self, doc_id: str) -> PhotoDocument | None: ...

    @abstractmethod
    def get_by_path(self, path: str) -> PhotoDocument | None: ...

    @abstractmethod
    def search(self, query: Query, limit: int = 50, offset: int = 0) -> list[SearchHit]: ...

    @abstractmethod
    def similar(self, vector: np.ndarray, limit: int = 50, query: Query | None = None,
                exclude_ids: Iterable[str] = ()) -> list[SearchHit]: ...

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored embeddings of these documents, by id (ids without one are left out); the core
        re-ranks similar-photo candidates with them (core/similar_rerank.py). Default: one
        ``get`` each; backends override it with one read."""
        out = {}
        for doc_id in ids:
            doc = self.get(doc_id)
            if doc is not None and doc.embedding is not None:
                out[doc_id] = np.asarray(doc.embedding, dtype=np.float32)
        return out

    @abstractmethod
    def iter_documents(self) -> Iterator[PhotoDocument]: ...

    @abstractmethod
    def tag_counts(self, limit: int = 100, prefix: str = "", min_confidence: float | None = None
                   ) -> list[tuple[str, int]]:
        """Most common tags (optionally starting with ``prefix``), for the sidebar and completion.
        With ``min_confidence`` a photo counts under a tag only where the tag is at least that sure
        (the sidebar passes plan.TAG_MIN_CONFIDENCE); None counts every tag."""

    @abstractmethod
    def list_photos(self, listing, sort: str = "date", limit: int = 100, offset: int = 0) -> list[SearchHit]:
        """The photos of a typed listing (core/query/listing.py: Folder, Tag, Cluster, Color, All),
        ``sort`` "date" (newest first, undated last), "name" (primary path) or "relevance" (a tag's
        confidence / a colour's share); hits carry paths, score = that confidence or share, else 0."""

    @abstractmethod
    def cluster_counts(self) -> list[tuple[int, str, int]]:
        """(cluster id, name, size) per cluster."""

    @abstractmethod
    def date_counts(self) -> list[tuple[int, int, int]]:
        """(year, month, photos) for every month of the wall-clock ``taken_at`` that has photos,
        oldest first; undated photos are not counted (the timeline, core/timeline.py)."""

    @abstractmethod
    def stats(self) -> IndexStats: ...

    def flush_durable(self) -> None:
        """``flush`` for writers that need their writes *kept*, not yet searchable (the
        pipeline's commits): a backend that queues writes durably while its server is away
        (Elasticsearch's outbox) returns instead of raising ``BackendUnavailable``, and sends
        the queue later. Default: ``flush``."""
        self.flush()

    # --- changes not (yet) on the index ------------------------------------------------------
    def pending_ids(self) -> set[str]:
        """Documents written durably but not yet applied to the index (a remote backend's queue
        while its server is away). They count as indexed: the pipeline must not analyse them
        again. Default: none (writes apply at once)."""
        return set()

    def rejected_changes(self) -> list[tuple[str, str, datetime]]:
        """(doc id, reason, when (UTC)) of changes the index refused for good (a remote server's
        mapping error, HTTP 400), oldest first, for ``photoapp errors``, ``status`` and the GUI.
        An entry goes when its document is written whole again or deleted. Default: none."""
        return []

    def close(self) -> None:  # pragma: no cover - default no-op
        pass
