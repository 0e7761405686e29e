"""ElasticIndex against a real Elasticsearch-speaking server (noida-db, or PHOTOAPP_TEST_ES_URL).

The behaviour every backend shares is in tests/contract/; here is what is specific to
Elasticsearch: the index layout on the server, analyzers, confidence-scored nested queries,
kNN filters, aggregations, mapping conflicts, reindexing, refused documents and export.
"""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from elasticsearch import Elasticsearch

from es_server import drop_indices, es_settings, es_url, make_es_settings  # noqa: F401  (fixtures)
from photoapp.core.errors import MappingConflictError
from photoapp.core.export import export_library
from photoapp.core.index.elastic import mapping as m
from photoapp.core.index.elastic.backend import ElasticIndex
from photoapp.core.index.elastic.connection import connect
from photoapp.core.query import parse_query
from photoapp.core.records import PhotoDocument, Tag

DIM = 32


def vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def photo(i: int, tags=(), folder="/lib/misc", **kw) -> PhotoDocument:
    return PhotoDocument(id=f"{i:040x}", paths=[f"{folder}/IMG_{i:04d}.jpg"],
                         tags=[Tag(label, conf) for label, conf in tags], embedding=vec(i), **kw)


@pytest.fixture
def index(es_settings):
    ix = ElasticIndex(es_settings)
    yield ix
    ix.close()
    drop(es_settings)


drop = drop_indices


def raw(settings) -> Elasticsearch:
    """A plain client for checking the server side (compatibility headers set like ours)."""
    return connect(settings)[0]


def test_layout_is_a_versioned_index_behind_an_alias(index, es_settings):
    prefix = es_settings.elasticsearch.index_prefix
    index.upsert([photo(1, [("dog", 0.9)])])
    index.flush()
    es = raw(es_settings)
    aliases = es.indices.get_alias(name=f"{prefix}-photos").body
    assert list(aliases) == [f"{prefix}-photos-v{m.SCHEMA_VERSION}"]
    assert es.indices.get_index_template(name=f"{prefix}-photos").body["index_templates"]
    mapping = es.indices.get_mapping(index=f"{prefix}-photos").body[f"{prefix}-photos-v{m.SCHEMA_VERSION}"]["mappings"]
    props = mapping["properties"]
    assert props["tags"]["type"] == "nested"
    assert props["embedding"]["type"] == "dense_vector"
    assert props["embedding"]["dims"] == DIM
    assert props["embedding"]["similarity"] == "cosine"
    assert props["embedding"]["index_options"]["type"] == (
        "int8_hnsw" if index.server.at_least(8, 12) else "hnsw")
    assert props["gps"]["type"] == "geo_point"
    assert (props["colors"]["type"], props["rating"]["type"], props["favorite"]["type"]) == \
        ("nested", "integer", "boolean")
    assert mapping["_meta"]["schema_version"] == m.SCHEMA_VERSION
    # the content hash is the document id
    assert es.get(index=f"{prefix}-photos", id=photo(1).id)["found"]
    es.close()


def test_folder_analyzer_is_a_path_hierarchy(index, es_settings):
    index.upsert([photo(1, folder="/home/ann/Pictures/Holidays 2020")])
    index.flush()
    es = raw(es_settings)
    tokens = es.indices.analyze(index=f"{es_settings.elasticsearch.index_prefix}-photos",
                                field="folders", text="/home/ann/Pictures").body["tokens"]
    assert [t["token"] for t in tokens] == ["/home", "/home/ann", "/home/ann/pictures"]
    # a term query on a folder finds the photos of its whole subtree
    res = es.search(index=f"{es_settings.elasticsearch.index_prefix}-photos",
                    query={"term": {"folders": "/home/ann"}})
    assert res["hits"]["total"]["value"] == 1
    es.close()


def test_pizza_with_at_least_90_percent(index):
    index.upsert([photo(1, [("pizza", 0.97)]), photo(2, [("pizza", 0.91)]), photo(3, [("pizza", 0.6)]),
                  photo(4, [("dog", 0.99)])])
    index.flush()
    hits = index.search(parse_query("pizza>=0.9"))
    assert [h.id for h in hits] == [photo(1).id, photo(2).id]  # surest first
    assert hits[0].score > hits[1].score
    assert hits[0].explanation == [("tag", "pizza", pytest.approx(0.97))]
    assert [h.id for h in index.search(parse_query("pizza"))][:3] == [photo(i).id for i in (1, 2, 3)]


def test_synonyms_and_names_are_free_text(es_settings):
    class Vocab:
        def synonyms(self, label):
            return {"cock": ["rooster"]}.get(label, [])

    ix = ElasticIndex(es_settings, vocabulary=Vocab())
    try:
        ix.upsert([photo(1, [("cock", 0.8)], folder="/lib/farm"), photo(2, folder="/lib/Beach Trip")])
        ix.flush()
        assert [h.id for h in ix.search(parse_query("rooster"))] == [photo(1).id]
        assert [h.id for h in ix.search(parse_query("beach"))] == [photo(2).id]
        # file names are split into words: "IMG_0002.jpg" -> img / 0002 / jpg
        assert [h.id for h in ix.search(parse_query("img_0002"))] == [photo(2).id]
        assert [h.id for h in ix.search(parse_query("0002"))] == [photo(2).id]
        assert [h.id for h in ix.search(parse_query("000"))] == []  # words, not substrings
    finally:
        ix.close()
        drop(es_settings)


def test_similar_filters_inside_knn_and_returns_cosines(index):
    docs = [photo(i, [("dog", 0.9)] if i % 2 else [("cat", 0.9)]) for i in range(1, 21)]
    index.upsert(docs)
    index.flush()
    target = docs[0].embedding
    hits = index.similar(target, limit=5, query=parse_query("tag:dog"), exclude_ids=[docs[0].id])
    assert len(hits) == 5
    dog_ids = {d.id for d in docs if d.tags[0].label == "dog"} - {docs[0].id}
    assert {h.id for h in hits} <= dog_ids
    expected = sorted(((float(np.dot(target, d.embedding)), d.id) for d in docs if d.id in dog_ids),
                      reverse=True)[:5]
    assert [h.id for h in hits] == [i for _, i in expected]  # exact order on a small index
    for h, (cos, _) in zip(hits, expected):
        assert -1.0 <= h.score <= 1.0 and h.score == pytest.approx(cos, abs=1e-5)


def test_aggregations_tags_and_clusters(index):
    index.upsert([photo(1, [("pizza", 0.9), ("plate", 0.5)]), photo(2, [("pizza", 0.8)]),
                  photo(3, [("pineapple", 0.7)]), photo(4, [("dog", 0.9)])])
    index.flush()
    assert index.tag_counts(limit=2) == [("pizza", 2), ("dog", 1)]
    assert index.tag_counts(prefix="pi") == [("pizza", 2), ("pineapple", 1)]
    assert index.tag_counts(prefix="zz") == []
    ids = [photo(i).id for i in range(1, 5)]
    index.set_clusters({ids[0]: 0, ids[1]: 0, ids[2]: 1, ids[3]: 1}, {0: "food", 1: "other"})
    index.flush()
    assert index.cluster_counts() == [(0, "food", 2), (1, "other", 2)]
    index.set_clusters({ids[0]: 5}, {5: "one"})  # a new clustering replaces the old one
    index.flush()
    assert index.cluster_counts() == [(5, "one", 1)]
    assert index.get(ids[1]).cluster_id is None


def test_upsert_is_idempotent_by_content_hash(index):
    docs = [photo(i) for i in range(10)]
    index.upsert(docs)
    index.upsert(docs)
    index.flush()
    index.upsert(docs[:3])
    index.flush()
    assert index.stats().documents == 10


def test_refused_document_is_set_aside_not_blocking(index):
    index.upsert([photo(1)])
    index.flush()
    bad = photo(2)
    bad.embedding = np.ones(DIM + 3, dtype=np.float32)  # wrong vector size for this index
    index.upsert([bad, photo(3)])
    index.flush()
    assert index.pending_changes() == 0
    ((doc_id, reason, when),) = index.rejected_changes()
    assert doc_id == bad.id and "HTTP 400" in reason and "dimension" in reason
    assert abs((datetime.now(timezone.utc) - when).total_seconds()) < 60
    assert index.get(photo(3).id) is not None
    # Durable: a new session still lists it...
    settings = index.settings
    index.close()
    again = ElasticIndex(settings)
    assert [r[0] for r in again.rejected_changes()] == [bad.id]
    # ...until the document is written whole again (fixed) or deleted.
    fixed = photo(2)
    again.upsert([fixed])
    again.flush()
    assert again.rejected_changes() == [] and again.get(fixed.id) is not None
    again.close()


def test_mapping_conflict_with_an_existing_index(es_settings):
    prefix = es_settings.elasticsearch.index_prefix
    es = raw(es_settings)
    es.indices.create(index=f"{prefix}-photos-v1", mappings={"properties": {
        "tags": {"type": "keyword"}, "embedding": {"type": "float"}}})
    try:
        with pytest.raises(MappingConflictError) as err:
            ElasticIndex(es_settings)
        assert "tags: is keyword, we need nested" in str(err.value)
        assert f"{prefix}-photos-v1" in str(err.value)
    finally:
        es.indices.delete(index=f"{prefix}-photos-v1")
    es.indices.create(index=f"{prefix}-photos")  # someone else's index where our alias goes
    try:
        with pytest.raises(MappingConflictError, match="already exists"):
            ElasticIndex(es_settings)
    finally:
        es.indices.delete(index=f"{prefix}-photos")
        es.close()


def test_schema_change_reindexes_without_losing_data(es_settings, monkeypatch):
    prefix = es_settings.elasticsearch.index_prefix
    ix = ElasticIndex(es_settings)
    ix.upsert([photo(i, [("dog", 0.5)]) for i in range(7)])
    ix.flush()
    ix.close()
    monkeypatch.setattr(m, "SCHEMA_VERSION", m.SCHEMA_VERSION + 1)
    try:
        ix2 = ElasticIndex(es_settings)
        es = raw(es_settings)
        assert list(es.indices.get_alias(name=f"{prefix}-photos").body) == [f"{prefix}-photos-v{m.SCHEMA_VERSION}"]
        assert es.indices.exists(index=f"{prefix}-photos-v{m.SCHEMA_VERSION - 1}")  # the old index is kept
        es.close()
        assert ix2.stats().documents == 7
        assert len(ix2.search(parse_query("dog"))) == 7
        ix2.close()
    finally:
        drop(es_settings)


def write_old_schema_index(es, es_settings, version: int, missing: tuple[str, ...], docs) -> None:
    """An index as an older photoapp wrote it: schema ``version``, without the ``missing`` fields
    in its mapping or its documents, behind the library's alias."""
    prefix = es_settings.elasticsearch.index_prefix
    server = ElasticIndex(es_settings)
    info = server.server
    server.close()
    old = m.mappings(info, DIM)
    for field in missing:
        old["properties"].pop(field, None)
    old["_meta"]["schema_version"] = version
    es.indices.create(index=f"{prefix}-photos-v{version}", mappings=old, settings=m.index_settings(info),
                      aliases={f"{prefix}-photos": {"is_write_index": True}})
    for doc in docs:
        src = m.to_source(doc)
        for field in missing:
            src.pop(field, None)
        es.index(index=f"{prefix}-photos", id=doc.id, document=src)
    es.indices.refresh(index=f"{prefix}-photos")


def test_an_index_written_by_schema_v1_is_upgraded_with_its_documents(es_settings):
    """A library indexed before colours/ratings existed: opening it reindexes into the current
    layout (alias swap), keeps every document, and the new fields then work."""
    prefix = es_settings.elasticsearch.index_prefix
    es = raw(es_settings)
    write_old_schema_index(es, es_settings, 1, ("colors", "color_names", "rating", "favorite"),
                           [photo(i, [("dog", 0.5)]) for i in range(5)])
    try:
        ix = ElasticIndex(es_settings)
        assert list(es.indices.get_alias(name=f"{prefix}-photos").body) == [f"{prefix}-photos-v{m.SCHEMA_VERSION}"]
        assert ix.stats().documents == 5
        assert (ix.get(photo(2).id).rating, ix.get(photo(2).id).colors) == (0, [])
        ix.update_fields(photo(2).id, {"rating": 5, "colors": [("red", 0.6)], "favorite": True})
        ix.flush()
        got = ix.get(photo(2).id)
        assert (got.rating, got.colors, got.favorite, [t.label for t in got.tags]) == (5, [("red", 0.6)], True, ["dog"])
        ix.close()
    finally:
        es.close()
        drop(es_settings)


def test_an_index_from_before_month_search_gets_the_month_of_its_photos(es_settings):
    """Schema v3 stored no taken_month; the reindex copies _source as it was, so the upgrade
    fills it (partial updates, no scripts): ``month:`` then finds the old photos."""
    prefix = es_settings.elasticsearch.index_prefix
    es = raw(es_settings)
    taken = {0: datetime(2019, 3, 2, 10, 0), 1: datetime(2021, 3, 30, 23, 59), 2: datetime(2021, 7, 4), 3: None}
    write_old_schema_index(es, es_settings, 3, ("taken_month", "taken_at_source", "people", "person_ids", "person_names"),
                           [photo(i, [("dog", 0.5)], taken_at=when) for i, when in taken.items()])
    try:
        ix = ElasticIndex(es_settings)
        assert list(es.indices.get_alias(name=f"{prefix}-photos").body) == [f"{prefix}-photos-v{m.SCHEMA_VERSION}"]
        assert sorted(h.id for h in ix.search(parse_query("month:march"))) == sorted([photo(0).id, photo(1).id])
        assert [h.id for h in ix.search(parse_query("month:7"))] == [photo(2).id]
        assert ix.stats().documents == 4
        ix.close()
    finally:
        es.close()
        drop(es_settings)


def test_export_copies_documents_with_embeddings(es_url, tmp_path):
    src_settings = make_es_settings(es_url, tmp_path / "a")
    dst_settings = make_es_settings(es_url, tmp_path / "b")
    source, target = ElasticIndex(src_settings), ElasticIndex(dst_settings)
    try:
        docs = [photo(i, [("dog", 0.9)], taken_at=datetime(2020, 1, i + 1)) for i in range(25)]
        source.upsert(docs)
        source.set_clusters({d.id: i % 3 for i, d in enumerate(docs)}, {0: "a", 1: "b", 2: "c"})
        source.flush()
        seen = []
        assert export_library(source, target, progress=lambda done, total: seen.append((done, total)),
                              batch_size=10) == 25
        assert seen == [(10, 25), (20, 25), (25, 25)]
        assert target.stats().documents == 25
        assert sorted(target.cluster_counts()) == sorted(source.cluster_counts())
        got = target.get(docs[3].id)
        assert np.allclose(got.embedding, docs[3].embedding) and got.taken_at == docs[3].taken_at
        assert target.similar(docs[3].embedding, limit=1)[0].id == docs[3].id
    finally:
        source.close()
        target.close()
        drop(src_settings)
        drop(dst_settings)


def test_deep_pages_without_point_in_time_use_a_doc_id_tiebreaker(index, monkeypatch):
    """Servers without point in time: search_after on the index itself, same pages."""
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
    from elasticsearch import BadRequestError

    from photoapp.core.query import Query

    docs = [PhotoDocument(id=f"{i:040x}", paths=[f"/deep/img_{i:05d}.jpg"], taken_at=datetime(2001, 1, 1 + i % 28))
            for i in range(10_030)]
    index.upsert(docs)
    index.flush()
    with_pit = [h.id for h in index.search(Query(), limit=25, offset=9_995)]

    def refuse(**_):
        meta = ApiResponseMeta(status=400, http_version="1.1", headers=HttpHeaders(), duration=0.0,
                               node=NodeConfig("http", "localhost", 9200))
        raise BadRequestError("point in time is not supported", meta, {})

    monkeypatch.setattr(index.session.client, "open_point_in_time", refuse)
    without = [h.id for h in index.search(Query(), limit=25, offset=9_995)]
    assert without == with_pit and len(without) == 25
    # Many photos share a date: the order within a date is the doc id, newest date first.
    first_page = [h.id for h in index.search(Query(), limit=9_995)]
    assert len(set(first_page) | set(without)) == 9_995 + 25
