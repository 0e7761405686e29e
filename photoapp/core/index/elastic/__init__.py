"""The Elasticsearch backend: a remote cluster shared by several machines. Imported only when a
library is configured with an http(s) URL, so the embedded path never loads the ES client."""
from .backend import ElasticIndex

__all__ = ["ElasticIndex"]
