"""Ratings and favourites with the Elasticsearch backend (a real server speaking its API, started
by the es_url fixture): mirrored into the index, searchable, undone, and re-applied on rebuild."""
from __future__ import annotations

import pytest

from library_support import MODELS_DIR
from es_server import drop_indices, es_settings, es_url  # noqa: F401  (fixtures)
from photo_factory import make_photos


@pytest.fixture
def es_library(es_settings, counting_bundle, tmp_path):
    from photoapp.core.library import Library

    es_settings.models_dir = MODELS_DIR
    es_settings.decode_workers, es_settings.batch_size = 2, 4
    folder = tmp_path / "photos"
    make_photos(folder, 4)
    lib = Library.open(es_settings, bundle=counting_bundle)
    lib.add_folder(folder)
    lib.index()
    lib.folder = folder
    try:
        yield lib
    finally:
        lib.close()
        drop_indices(es_settings)


def _ids(hits):
    return {h.id for h in hits}


def test_ratings_on_elasticsearch_are_searchable_and_undone(es_library):
    lib, folder = es_library, es_library.folder
    a, b = str(folder / "img_000.jpg"), str(folder / "img_001.jpg")
    lib.set_rating([a, b], 4)
    lib.set_favorite([b])
    ida, idb = lib.info(a).id, lib.info(b).id
    assert _ids(lib.search("rating>=4", limit=50)) == {ida, idb}
    assert _ids(lib.search("favorite", limit=50)) == {idb}
    assert (lib.backend.get(idb).rating, lib.backend.get(idb).favorite) == (4, True)
    lib.undo()
    assert _ids(lib.search("favorite", limit=50)) == set()
    lib.undo()
    assert _ids(lib.search("rating>=1", limit=50)) == set()
