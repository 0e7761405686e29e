"""The backend contract suite: every test in tests/contract/ runs once per registered backend.

Adding a backend = adding one factory function below, decorated with ``@backend_factory(name)``:

    @backend_factory("elastic")
    def elastic(request, storage: Path, vocabulary=None) -> IndexBackend:
        server = request.getfixturevalue("noida_server")   # any fixture, started only when used
        return ElasticIndex(...)                            # index name derived from ``storage``

A factory gets the pytest ``request`` (to pull in fixtures such as a server), a folder private to
the test (``storage``) and an optional vocabulary, and returns an open backend. Calling it again
with the same ``storage`` must reopen the *same* index (the persistence test does that); pass
``persistent=False`` for a backend that cannot. The suite closes every backend it opened.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from photoapp.core.index.base import IndexBackend
from photoapp.core.index.embedded.backend import EmbeddedIndex


@dataclass(frozen=True)
class BackendFactory:
    name: str
    open: Callable[..., IndexBackend]
    persistent: bool = True


BACKENDS: dict[str, BackendFactory] = {}


def backend_factory(name: str, *, persistent: bool = True):
    def register(fn: Callable[..., IndexBackend]) -> Callable[..., IndexBackend]:
        BACKENDS[name] = BackendFactory(name, fn, persistent)
        return fn
    return register


@backend_factory("embedded")
def embedded(request, storage: Path, vocabulary=None) -> IndexBackend:
    return EmbeddedIndex(storage / "embedded-index", vocabulary=vocabulary)


@backend_factory("embedded-ann")
def embedded_ann(request, storage: Path, vocabulary=None) -> IndexBackend:
    # The same backend with the approximate vector index switched on from the first vectors,
    # so the suite also covers the HNSW path (normally only libraries over 20k photos use it).
    return EmbeddedIndex(storage / "embedded-index", vocabulary=vocabulary, ann_threshold=1)


# Elasticsearch: noida-db started once per session (or PHOTOAPP_TEST_ES_URL); see tests/es_server.py.
from es_server import es_url, open_contract_backend  # noqa: E402,F401  (es_url is a fixture)


@backend_factory("elastic")
def elastic(request, storage: Path, vocabulary=None) -> IndexBackend:
    return open_contract_backend(request, storage, vocabulary)


class BackendOpener:
    """``open()`` / ``reopen()`` a backend on this test's storage; closes them all at the end."""

    def __init__(self, factory: BackendFactory, request, storage: Path):
        self.factory, self.request, self.storage = factory, request, storage
        self.opened: list[IndexBackend] = []

    @property
    def persistent(self) -> bool:
        return self.factory.persistent

    def open(self, vocabulary=None) -> IndexBackend:
        backend = self.factory.open(self.request, self.storage, vocabulary)
        self.opened.append(backend)
        return backend

    def close_all(self) -> None:
        for backend in self.opened:
            backend.close()


@pytest.fixture(params=sorted(BACKENDS))
def opener(request, tmp_path: Path):
    opener = BackendOpener(BACKENDS[request.param], request, tmp_path)
    yield opener
    opener.close_all()


@pytest.fixture
def backend(opener: BackendOpener) -> IndexBackend:
    return opener.open()
