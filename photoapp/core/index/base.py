"""The one interface every index backend implements (embedded SQLite, Elasticsearch).

Contract (tests/contract/ runs the same suite against every backend):
- ``upsert`` is idempotent by ``PhotoDocument.id`` (content hash); re-upserting replaces.
- ``remove_path`` drops one path from a document and deletes the document when none remain.
- ``search`` ranks by relevance and tag confidence; ``similar`` returns cosine scores in [-1, 1],
  best first, honouring the same filters; neither returns documents matching ``Query.excluded``.
- Writes are visible to reads after ``flush``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

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
    def remove_path(self, path: str) -> None:
        """Drop one path from whichever document has it; delete the document if none remain."""

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

    @abstractmethod
    def iter_embeddings(self) -> Iterator[tuple[str, np.ndarray]]:
        """Every (id, embedding) pair, for clustering and duplicate search."""

    @abstractmethod
    def iter_documents(self) -> Iterator[PhotoDocument]: ...

    @abstractmethod
    def tag_counts(self, limit: int = 100, prefix: str = "") -> list[tuple[str, int]]:
        """Most common tags (optionally starting with ``prefix``), for the sidebar and completion."""

    @abstractmethod
    def cluster_counts(self) -> list[tuple[int, str, int]]:
        """(cluster id, name, size) per cluster."""

    @abstractmethod
    def stats(self) -> IndexStats: ...

    def close(self) -> None:  # pragma: no cover - default no-op
        pass
