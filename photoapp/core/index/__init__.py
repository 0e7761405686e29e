"""Index backends. ``open_backend(settings)`` picks one from ``Settings.backend``."""
from __future__ import annotations

from ..errors import ConfigError
from .base import IndexBackend

EMBEDDED_FOLDER = "index"  # under Settings.data_dir


def open_backend(settings, vocabulary=None) -> IndexBackend:
    """"embedded" -> EmbeddedIndex in ``settings.data_dir / "index"``; an http(s) URL ->
    ElasticIndex (imported only then, so the embedded path never loads the ES client).

    ``vocabulary`` (optional, models.api.Vocabulary) lets the backend index tag synonyms.
    """
    backend = (settings.backend or "embedded").strip()
    if backend == "embedded":
        from .embedded import EmbeddedIndex

        return EmbeddedIndex(settings.data_dir / EMBEDDED_FOLDER, vocabulary=vocabulary)
    if backend.lower().startswith(("http://", "https://")):
        from .elastic import ElasticIndex

        return ElasticIndex(settings, vocabulary=vocabulary)
    raise ConfigError(f"unknown index backend {backend!r}: use 'embedded' or an Elasticsearch URL "
                      "(http://host:9200 or https://...)")


__all__ = ["IndexBackend", "open_backend"]
