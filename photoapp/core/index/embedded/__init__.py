"""The embedded index: SQLite (WAL, FTS5) for documents and tags, float16 vectors with an HNSW
graph beside it. No server; the default backend."""
from .backend import EmbeddedIndex

__all__ = ["EmbeddedIndex"]
