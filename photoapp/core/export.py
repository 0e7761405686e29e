"""Copy a library from one index backend into another without running any model.

Typical use: a library indexed with the embedded index is published to an Elasticsearch cluster.
Documents travel whole (paths, tags, objects, embedding, cluster id), so the target answers the
same searches as the source straight away.
"""
from __future__ import annotations

from collections.abc import Callable

from .index.base import IndexBackend
from .records import PhotoDocument

EXPORT_BATCH = 256


def export_library(source: IndexBackend, target: IndexBackend,
                   progress: Callable[[int, int], None] | None = None,
                   batch_size: int = EXPORT_BATCH) -> int:
    """Upsert every document of ``source`` into ``target``; returns how many were copied.

    Idempotent (documents are keyed by content hash), so an interrupted export can simply be run
    again. ``progress(done, total)`` is called after each batch. Cluster names are carried over
    through ``set_clusters`` because they live beside the documents, not in them.
    """
    total = source.stats().documents
    done = 0
    batch: list[PhotoDocument] = []
    clusters: dict[str, int] = {}
    for doc in source.iter_documents():
        batch.append(doc)
        if doc.cluster_id is not None:
            clusters[doc.id] = doc.cluster_id
        if len(batch) >= batch_size:
            target.upsert(batch)
            done += len(batch)
            batch = []
            if progress is not None:
                progress(done, total)
    if batch:
        target.upsert(batch)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    if clusters:
        names = {cid: name for cid, name, _size in source.cluster_counts()}
        target.set_clusters(clusters, names)
    target.flush()
    return done
