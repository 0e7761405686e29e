"""Contract: writing, reading, replacing and deleting documents; persistence across reopen."""
from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from photo_corpus import corpus, unit
from photoapp.core.errors import BackendError
from photoapp.core.query import Query, parse_query
from photoapp.core.records import DetectedObject, PhotoDocument, Tag


def _load(backend, docs=None):
    docs = docs or corpus()
    backend.upsert(docs.values())
    backend.flush()
    return docs


def _same(stored, original):
    assert stored is not None
    assert sorted(stored.paths) == sorted(original.paths)
    for f in ("id", "width", "height", "size_bytes", "format", "taken_at", "camera_make", "camera_model",
              "lens", "gps", "orientation", "phash", "model_version", "rating", "favorite"):
        assert getattr(stored, f) == getattr(original, f), f
    assert [c[0] for c in stored.colors] == [c[0] for c in original.colors]
    assert [c[1] for c in stored.colors] == pytest.approx([c[1] for c in original.colors])
    assert [(t.label, t.source) for t in stored.tags] == [(t.label, t.source) for t in original.tags]
    assert [t.confidence for t in stored.tags] == pytest.approx([t.confidence for t in original.tags])
    assert [o.label for o in stored.objects] == [o.label for o in original.objects]
    for a, b in zip(stored.objects, original.objects):
        assert a.score == pytest.approx(b.score) and a.box == pytest.approx(b.box)
    if original.embedding is None:
        assert stored.embedding is None
    else:
        # Backends may store vectors at reduced precision (the embedded one keeps float16).
        np.testing.assert_allclose(stored.embedding, original.embedding, atol=2e-3)


def test_upsert_then_get_round_trips_every_field(backend):
    docs = _load(backend)
    for doc in docs.values():
        _same(backend.get(doc.id), doc)


def test_get_unknown_id_and_path_return_none(backend):
    _load(backend)
    assert backend.get("no-such-id") is None
    assert backend.get_by_path("/nowhere/x.jpg") is None


def test_get_by_path_finds_every_path_of_a_document(backend):
    docs = _load(backend)
    drawing = docs["drawing"]
    for path in drawing.paths:
        assert backend.get_by_path(path).id == drawing.id


def test_upsert_is_idempotent(backend):
    docs = _load(backend)
    before = backend.stats()
    hits_before = [(h.id, round(h.score, 6)) for h in backend.search(parse_query("dog"))]
    _load(backend, docs)
    after = backend.stats()
    assert (after.documents, after.files, after.tags, after.with_embedding) == \
        (before.documents, before.files, before.tags, before.with_embedding)
    assert [(h.id, round(h.score, 6)) for h in backend.search(parse_query("dog"))] == hits_before


def test_upsert_replaces_the_whole_document(backend):
    docs = _load(backend)
    changed = dataclasses.replace(docs["dog_high"], tags=[dataclasses.replace(docs["pizza"].tags[0])],
                                  objects=[], camera_make="Sony", camera_model="ILCE-7M3")
    backend.upsert([changed])
    backend.flush()
    stored = backend.get(changed.id)
    assert [t.label for t in stored.tags] == ["pizza"] and stored.objects == []
    assert changed.id not in {h.id for h in backend.search(parse_query("tag:dog"))}
    assert changed.id in {h.id for h in backend.search(parse_query("camera:sony"))}


def test_set_paths_replaces_paths(backend):
    docs = _load(backend)
    doc = docs["cat"]
    backend.set_paths(doc.id, ["/photos/moved/kitty.jpg", "/photos/copy/kitty.jpg"])
    backend.flush()
    assert backend.get_by_path("/photos/home/cat_on_sofa.jpg") is None
    assert backend.get_by_path("/photos/copy/kitty.jpg").id == doc.id
    assert sorted(backend.get(doc.id).paths) == ["/photos/copy/kitty.jpg", "/photos/moved/kitty.jpg"]
    # Names are searchable under the new name only.
    assert doc.id in {h.id for h in backend.search(parse_query("kitty"))}
    assert doc.id not in {h.id for h in backend.search(parse_query("sofa"))}
    assert doc.id in {h.id for h in backend.search(parse_query("folder:moved"))}


def test_set_paths_empty_deletes_the_document(backend):
    docs = _load(backend)
    backend.set_paths(docs["cat"].id, [])
    backend.flush()
    assert backend.get(docs["cat"].id) is None
    assert backend.stats().documents == len(docs) - 1


def test_delete_removes_from_every_read_and_ignores_unknown_ids(backend):
    docs = _load(backend)
    gone = docs["dog_high"]
    backend.delete([gone.id, "unknown-id"])
    backend.flush()
    assert backend.get(gone.id) is None
    assert backend.get_by_path(gone.paths[0]) is None
    assert gone.id not in {h.id for h in backend.search(Query())}
    assert gone.id not in {h.id for h in backend.similar(gone.embedding, limit=10)}
    assert "golden retriever" not in dict(backend.tag_counts())
    assert gone.id not in {d.id for d in backend.iter_documents()}
    assert backend.stats().documents == len(docs) - 1


def test_unindexed_files_keep_their_embedding_absent(backend):
    docs = _load(backend)
    assert backend.get(docs["pizza"].id).embedding is None


def test_everything_persists_across_reopen(opener):
    if not opener.persistent:
        pytest.skip(f"{opener.factory.name} does not persist")
    first = opener.open()
    docs = _load(first)
    first.set_clusters({docs["cat"].id: 3}, {3: "cats"})
    first.flush()
    first.close()
    second = opener.open()
    for doc in docs.values():
        _same(second.get(doc.id), doc)
    assert [h.id for h in second.search(parse_query("dog"))][:2] == [docs["dog_high"].id, docs["dog_low"].id]
    assert second.similar(docs["street"].embedding if "street" in docs else docs["sign"].embedding,
                          limit=1)[0].id == docs["sign"].id
    assert second.cluster_counts() == [(3, "cats", 1)]
    # And it still takes writes.
    second.delete([docs["sign"].id])
    second.flush()
    assert second.get(docs["sign"].id) is None


def _with_user_fields(docs):
    """The corpus plus colours, ratings and favourites on some documents."""
    docs["dog_high"] = dataclasses.replace(docs["dog_high"], colors=[("yellow", 0.55), ("blue", 0.25)],
                                           rating=4, favorite=True)
    docs["cat"] = dataclasses.replace(docs["cat"], colors=[("gray", 0.7)], rating=2)
    docs["pizza"] = dataclasses.replace(docs["pizza"], favorite=True)
    return docs


def test_colors_rating_and_favorite_round_trip(backend):
    docs = _load(backend, _with_user_fields(corpus()))
    for doc in docs.values():
        _same(backend.get(doc.id), doc)
    listed = {d.id: d for d in backend.iter_documents()}
    assert set(listed) == {d.id for d in docs.values()}
    for doc in docs.values():
        _same(listed[doc.id], doc)
    assert backend.get(docs["sign"].id).colors == [] and backend.get(docs["sign"].id).rating == 0
    assert backend.get(docs["sign"].id).favorite is False


def test_update_fields_replaces_only_the_named_fields(backend):
    docs = _load(backend)
    cat = docs["cat"]
    new_vec = unit(bird=1.0, street=0.2)
    backend.update_fields(cat.id, {
        "objects": [DetectedObject("bicycle", 0.81, (0.1, 0.1, 0.5, 0.5))],
        "tags": [Tag("lynx", 0.66, "classifier")],
        "colors": [("orange", 0.4), ("white", 0.35)],
        "rating": 5, "favorite": True, "embedding": new_vec})
    backend.flush()
    expected = dataclasses.replace(cat, objects=[DetectedObject("bicycle", 0.81, (0.1, 0.1, 0.5, 0.5))],
                                   tags=[Tag("lynx", 0.66, "classifier")],
                                   colors=[("orange", 0.4), ("white", 0.35)], rating=5, favorite=True,
                                   embedding=new_vec)
    _same(backend.get(cat.id), expected)
    for name, doc in docs.items():  # the others are untouched
        if name != "cat":
            _same(backend.get(doc.id), doc)
    assert cat.id in {h.id for h in backend.search(parse_query("tag:bicycle"))}
    assert cat.id in {h.id for h in backend.search(parse_query("tag:lynx"))}
    assert cat.id not in {h.id for h in backend.search(parse_query("tag:couch"))}
    assert cat.id not in {h.id for h in backend.search(parse_query("tag:tabby"))}
    counts = dict(backend.tag_counts())
    assert counts.get("lynx") == 1 and counts.get("tabby") == 1  # dog_low still has tabby
    assert backend.similar(new_vec, limit=1)[0].id == cat.id
    assert backend.stats().with_embedding == sum(d.embedding is not None for d in docs.values())
    # Paths and names stay searchable.
    assert cat.id in {h.id for h in backend.search(parse_query("sofa"))}


def test_update_fields_can_remove_an_embedding_and_ignores_unknown_ids(backend):
    docs = _load(backend)
    backend.update_fields(docs["sign"].id, {"embedding": None})
    backend.update_fields("no-such-id", {"rating": 3, "objects": []})
    backend.update_fields(docs["pizza"].id, {"embedding": unit(food=1.0)})  # had none
    backend.flush()
    assert backend.get(docs["sign"].id).embedding is None
    assert backend.get("no-such-id") is None
    assert docs["sign"].id not in {h.id for h in backend.similar(unit(street=1.0), limit=10)}
    assert backend.similar(unit(food=1.0), limit=1)[0].id == docs["pizza"].id
    assert backend.stats().documents == len(docs)


def test_update_fields_refuses_a_field_it_does_not_store(backend):
    docs = _load(backend)
    with pytest.raises(BackendError, match="paths"):
        backend.update_fields(docs["cat"].id, {"paths": ["/elsewhere.jpg"]})
    with pytest.raises(BackendError, match="no_such_field"):
        backend.clear_fields(["no_such_field"])


def test_update_then_upsert_replaces_everything_again(backend):
    docs = _load(backend)
    backend.update_fields(docs["dog_high"].id, {"objects": [], "colors": [("red", 0.9)]})
    backend.flush()
    backend.upsert([docs["dog_high"]])
    backend.flush()
    _same(backend.get(docs["dog_high"].id), docs["dog_high"])


def test_clear_fields_empties_them_on_every_document(backend):
    docs = _load(backend, _with_user_fields(corpus()))
    backend.clear_fields(["objects", "colors", "favorite"])
    backend.flush()
    for doc in docs.values():
        expected = dataclasses.replace(doc, objects=[], colors=[], favorite=False)
        _same(backend.get(doc.id), expected)
    assert docs["cat"].id not in {h.id for h in backend.search(parse_query("tag:couch"))}
    assert docs["cat"].id in {h.id for h in backend.search(parse_query("tag:tabby"))}
    backend.clear_fields(["tags", "embedding", "rating"])
    backend.flush()
    for doc in backend.iter_documents():
        assert doc.tags == [] and doc.embedding is None and doc.rating == 0
    assert backend.tag_counts() == []
    assert backend.similar(unit(dog=1.0), limit=5) == []
    stats = backend.stats()
    assert (stats.documents, stats.with_embedding, stats.tags) == (len(docs), 0, 0)
    # The index still takes the fields again afterwards.
    backend.update_fields(docs["cat"].id, {"tags": [Tag("cat", 0.9)], "embedding": unit(cat=1.0)})
    backend.flush()
    assert backend.similar(unit(cat=1.0), limit=1)[0].id == docs["cat"].id
    assert dict(backend.tag_counts()) == {"cat": 1}


def test_updates_persist_across_reopen(opener):
    if not opener.persistent:
        pytest.skip(f"{opener.factory.name} does not persist")
    first = opener.open()
    docs = _load(first)
    first.update_fields(docs["cat"].id, {"colors": [("black", 0.8)], "rating": 3, "favorite": True})
    first.flush()
    first.close()
    second = opener.open()
    stored = second.get(docs["cat"].id)
    assert (stored.colors, stored.rating, stored.favorite) == ([("black", 0.8)], 3, True)


def test_a_file_name_that_is_not_utf8_round_trips(backend):
    """POSIX names are bytes; Python hands the undecodable ones over with lone surrogates
    (os.fsdecode). Every backend stores them losslessly and gives back the same str."""
    weird = os.fsdecode(b"/photos/caf\xe9/\xff\xfeimg.jpg")  # Latin-1 folder, junk bytes
    doc = PhotoDocument(id="9" * 40, paths=[weird, "/photos/plain/ok.jpg"], tags=[Tag("dog", 0.7)],
                        embedding=unit(dog=1.0))
    backend.upsert([doc])
    backend.flush()
    assert sorted(backend.get(doc.id).paths) == sorted(doc.paths)
    assert backend.get_by_path(weird).id == doc.id
    assert os.fsencode(backend.get_by_path(weird).path) in (b"/photos/caf\xe9/\xff\xfeimg.jpg", b"/photos/plain/ok.jpg")
    hit = next(h for h in backend.search(parse_query("tag:dog")) if h.id == doc.id)
    assert weird in hit.paths
    assert weird in backend.similar(unit(dog=1.0), limit=1)[0].paths
    assert [d.paths for d in backend.iter_documents() if d.id == doc.id] == [sorted(doc.paths)]
    backend.set_paths(doc.id, [weird])
    backend.flush()
    assert backend.get(doc.id).paths == [weird]
    assert backend.get_by_path("/photos/plain/ok.jpg") is None


def test_pages_deep_past_ten_thousand_results(backend):
    """A cluster refuses from + size beyond 10,000 (index.max_result_window; noida-db too):
    deep pages must still come back, in the same order as shallow ones."""
    from datetime import datetime, timedelta

    n = 10_050
    start = datetime(2001, 1, 1)
    docs = [PhotoDocument(id=f"{i:040x}", paths=[f"/deep/{i // 1000}/img_{i:05d}.jpg"], format="JPEG",
                          taken_at=start + timedelta(minutes=i)) for i in range(n)]
    for i in range(0, n, 2000):
        backend.upsert(docs[i:i + 2000])
    backend.flush()
    newest_first = [d.id for d in reversed(docs)]
    everything = Query()
    across = backend.search(everything, limit=20, offset=9_990)  # straddles the window's edge
    assert [h.id for h in across] == newest_first[9_990:10_010]
    assert [h.id for h in backend.search(everything, limit=10, offset=10_000)] == newest_first[10_000:10_010]
    tail = backend.search(everything, limit=50, offset=10_040)
    assert [h.id for h in tail] == newest_first[10_040:]
    assert tail[-1].paths == ["/deep/0/img_00000.jpg"]
    assert backend.search(everything, limit=10, offset=n) == []


def test_a_changed_file_moves_to_its_new_document_when_the_catalog_says_so(backend):
    """The catalog's commit for an edited file: the new content's document with the path, then
    the old document's remaining paths (here: one copy left elsewhere)."""
    docs = _load(backend)
    drawing = docs["drawing"]  # two copies: /photos/misc/... and /backup/misc/...
    edited, kept = drawing.paths[0], drawing.paths[1]
    new = PhotoDocument(id="7" * 40, paths=[edited], tags=[Tag("cat", 0.6)], embedding=unit(cat=1.0))
    backend.upsert([new])
    backend.set_paths(drawing.id, [kept])
    backend.flush()
    assert backend.get_by_path(edited).id == new.id
    assert backend.get_by_path(kept).id == drawing.id
    assert backend.get(drawing.id).paths == [kept] and backend.get(new.id).paths == [edited]
    assert backend.stats().documents == len(docs) + 1
