"""Contract: typed listings (core/query/listing.py) for folder, tag, cluster and colour views."""
from __future__ import annotations

from datetime import datetime

import pytest

from photo_corpus import corpus
from photoapp.core.query import listing as L
from photoapp.core.records import PhotoDocument, Tag

FOLDERS = {
    "inside": "/p/2020/a.jpg",
    "sibling": "/p/2020-old/b.jpg",
    "below": "/p/2020/sub/c.jpg",
    "quoted": '/p/say "cheese"/d.jpg',
    "percent": "/p/100%_done/e.jpg",
    "accents": "/p/Café ünï/f.jpg",
    "upper": "/p/PHOTOS/g.jpg",
    "lower": "/p/photos/h.jpg",
}


def _folder_docs() -> dict[str, PhotoDocument]:
    return {name: PhotoDocument(id=f"{i + 1:040x}", paths=[path], format="JPEG",
                                taken_at=datetime(2020, 1, i + 1),
                                tags=[Tag("dog", 0.1 * (i + 1), "classifier")])
            for i, (name, path) in enumerate(FOLDERS.items())}


@pytest.fixture
def folders(backend):
    docs = _folder_docs()
    backend.upsert(docs.values())
    backend.flush()
    return docs


def names(backend, listing, docs, **kw):
    name_of = {d.id: n for n, d in docs.items()}
    return [name_of[h.id] for h in backend.list_photos(listing, **kw)]


def test_folder_lists_its_tree_not_its_siblings(backend, folders):
    assert names(backend, L.Folder("/p/2020"), folders) == ["below", "inside"]  # newest first
    assert names(backend, L.Folder("/p/2020/"), folders) == ["below", "inside"]
    assert names(backend, L.Folder("/p/2020-old"), folders) == ["sibling"]
    assert names(backend, L.Folder("/p/2020/sub"), folders) == ["below"]
    assert names(backend, L.Folder("/p/20"), folders) == []


def test_folder_names_are_never_parsed(backend, folders):
    assert names(backend, L.Folder('/p/say "cheese"'), folders) == ["quoted"]
    assert names(backend, L.Folder("/p/100%_done"), folders) == ["percent"]
    assert names(backend, L.Folder("/p/Café ünï"), folders) == ["accents"]
    assert names(backend, L.Folder("/p/PHOTOS"), folders) == ["upper"]  # case-sensitive, as the disk
    assert names(backend, L.Folder("/p/photos"), folders) == ["lower"]


def test_folder_listing_pages_and_sorts(backend, folders):
    everything = names(backend, L.Folder("/p"), folders, limit=100)
    assert sorted(everything) == sorted(FOLDERS)
    assert everything == [n for n, _ in sorted(FOLDERS.items(), key=lambda kv: -list(FOLDERS).index(kv[0]))]
    paged = (names(backend, L.Folder("/p"), folders, limit=3) + names(backend, L.Folder("/p"), folders, limit=3, offset=3)
             + names(backend, L.Folder("/p"), folders, limit=3, offset=6))
    assert paged == everything
    by_name = names(backend, L.Folder("/p"), folders, sort="name", limit=100)
    assert by_name == [n for n, _ in sorted(FOLDERS.items(), key=lambda kv: kv[1])]
    hit = backend.list_photos(L.Folder('/p/say "cheese"'))[0]
    assert hit.path == FOLDERS["quoted"] and hit.paths == [FOLDERS["quoted"]]


def test_tag_listing_counts_what_tag_counts_counts(backend, folders):
    # dog at 0.1, 0.2, ... 0.8: from 0.3 on, six photos, most confident first by relevance.
    listed = names(backend, L.Tag("dog"), folders, sort="relevance", limit=100)
    assert listed == ["lower", "upper", "accents", "percent", "quoted", "below"]
    assert dict(backend.tag_counts(min_confidence=0.3)) == {"dog": 6}
    assert dict(backend.tag_counts()) == {"dog": 8}
    assert backend.list_photos(L.Tag("dog"), sort="relevance")[0].score == pytest.approx(0.8)
    assert names(backend, L.Tag("dog", min_confidence=0.75), folders) == ["lower"]
    assert names(backend, L.Tag("cat"), folders) == []


def test_cluster_colour_and_all_listings(backend):
    docs = corpus()
    docs["sign"].colors = [("red", 0.35), ("gray", 0.3)]
    docs["pizza"].colors = [("red", 0.6)]
    backend.upsert(docs.values())
    backend.flush()
    backend.set_clusters({docs["dog_high"].id: 1, docs["dog_low"].id: 1, docs["cat"].id: 2}, {1: "dogs"})
    backend.flush()
    assert names(backend, L.Cluster(1), docs) == ["dog_low", "dog_high"]
    assert names(backend, L.Cluster(7), docs) == []
    assert names(backend, L.Color("red"), docs) == ["sign", "pizza"]  # dated first
    assert names(backend, L.Color("red"), docs, sort="relevance") == ["pizza", "sign"]
    assert len(backend.list_photos(L.All(), limit=100)) == len(docs)
    assert backend.list_photos(L.All(), limit=0) == []


def test_confident_tag_counts_with_prefix(backend):
    docs = corpus()
    backend.upsert(docs.values())
    backend.flush()
    # cat: 0.90 (cat photo), 0.50 (dog_low); at 0.6 only one of them counts.
    assert dict(backend.tag_counts(min_confidence=0.6, prefix="c")) == {"cat": 1, "cock": 1, "comic book": 1}
    assert backend.tag_counts(min_confidence=0.99) == []
    # cat, dog and tabby have two sure photos each: ties go alphabetically.
    assert backend.tag_counts(limit=1, min_confidence=0.3) == [("cat", 2)]


def test_unknown_sort_is_refused(backend):
    with pytest.raises(ValueError):
        backend.list_photos(L.All(), sort="size")
