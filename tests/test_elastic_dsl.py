"""The request bodies the Elasticsearch backend generates, checked against the documented ES DSL.

These hold whatever server runs the suite: they are how we check the parts a test server may not
implement the way Elasticsearch does (see docs/elasticsearch.md).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np

from photoapp.core.index.elastic import mapping as m
from photoapp.core.index.elastic import dsl as q
from photoapp.core.index.elastic.connection import ServerInfo
from photoapp.core.query import Query, TermClause, parse_query
from photoapp.core.records import DetectedObject, PhotoDocument, Tag

ES_815 = ServerInfo((8, 15, 3), "elasticsearch", "n")
ES_811 = ServerInfo((8, 11, 0), "elasticsearch", "n")
ES_92 = ServerInfo((9, 2, 0), "elasticsearch", "n")


def resolved(query: Query, exact: bool = True):
    return ([q.Term.of(t, exact) for t in query.terms], [q.Term.of(t, exact) for t in query.excluded])


def test_min_confidence_is_a_nested_range_scored_by_confidence():
    query = parse_query("pizza>=0.9")
    body = q.search_query(query, *resolved(query))
    (clause,) = body["bool"]["must"]
    tags, objects = clause["dis_max"]["queries"]  # best of tag confidence and object score
    assert objects["nested"]["path"] == "objects"
    nested = tags["nested"]
    assert nested["path"] == "tags" and nested["score_mode"] == "max"
    fs = nested["query"]["function_score"]
    assert fs["field_value_factor"]["field"] == "tags.confidence"
    assert fs["boost_mode"] == "replace"
    conditions = fs["query"]["bool"]["filter"]
    assert {"terms": {"tags.label": ["pizza"]}} in conditions
    assert {"range": {"tags.confidence": {"gte": 0.9}}} in conditions


def test_strictly_greater_is_sent_as_gt():
    query = parse_query("pizza>0.9 cat>=0.5")
    ranges = [json.dumps(q.term_clause(t)) for t in resolved(query)[0]]
    assert '{"range": {"tags.confidence": {"gt": 0.9}}}' in ranges[0]
    assert '{"range": {"tags.confidence": {"gte": 0.5}}}' in ranges[1]


def test_free_text_matches_tag_or_text_and_uses_resolved_labels():
    term = q.Term.of(TermClause("rooster", None, False, ("cock",)))
    clause = q.term_clause(term)
    should = clause["bool"]["should"]
    assert clause["bool"]["minimum_should_match"] == 1
    tags = should[0]["dis_max"]["queries"][0]["nested"]
    tag_filter = tags["query"]["function_score"]["query"]["bool"]["filter"]
    assert tag_filter == [{"terms": {"tags.label": ["cock", "rooster"]}}]
    text = should[1]["bool"]["should"]
    assert {"constant_score": {"filter": {"match_phrase": {"names": "rooster"}}, "boost": 0.25}} in text


def test_unknown_label_matches_label_words():
    term = q.Term.of(TermClause("golden"), exact_label_exists=False)
    tags = q.tag_clause(term, scored=False)["dis_max"]["queries"][0]["nested"]
    assert tags["query"]["bool"]["filter"] == [{"match_phrase": {"tags.words": "golden"}}]


def test_exclusion_filters_camera_folder_dates():
    query = Query(terms=[TermClause("dog")], excluded=[TermClause("cat", 0.25)], camera=["canon"],
                  folders=["holi*days"], after=datetime(2020, 1, 1), before=datetime(2021, 1, 1))
    body = q.search_query(query, *resolved(query))["bool"]
    (excluded,) = body["must_not"]
    nested = excluded["bool"]["should"][0]["dis_max"]["queries"][0]["nested"]
    assert {"range": {"tags.confidence": {"gte": 0.25}}} in nested["query"]["bool"]["filter"]
    assert {"wildcard": {"camera": {"value": "*canon*", "case_insensitive": True}}} in body["filter"]
    assert {"wildcard": {"folders_lc": {"value": "*holi\\*days*", "case_insensitive": True}}} in body["filter"]
    assert {"range": {"taken_at": {"gte": "2020-01-01T00:00:00", "lt": "2021-01-01T00:00:00"}}} in body["filter"]


def test_knn_has_its_filters_inside_the_knn_clause():
    query = parse_query("tag:dog -cat camera:nikon")
    clause = q.knn_clause([0.1, 0.2], 10, query, *resolved(query), exclude_ids=["abc"])
    assert clause["field"] == "embedding" and clause["k"] == 10
    assert clause["num_candidates"] >= clause["k"]
    flt = clause["filter"]["bool"]
    assert {"ids": {"values": ["abc"]}} in flt["must_not"]
    assert any("dis_max" in f for f in flt["filter"])  # tag:dog restricts the candidates
    assert any("bool" in f for f in flt["must_not"])  # -cat too (tag at its floor, or name)
    assert {"wildcard": {"camera": {"value": "*nikon*", "case_insensitive": True}}} in flt["filter"]


def test_empty_query_is_match_all():
    assert q.search_query(Query(), [], []) == {"match_all": {}}
    assert q.knn_clause([1.0], 5).get("filter") is None


def test_template_mapping_has_the_documented_shape():
    t = m.index_template("photoapp", ES_815, 512)
    assert t["index_patterns"] == ["photoapp-photos-v*"]
    props = t["template"]["mappings"]["properties"]
    assert t["template"]["mappings"]["dynamic"] == "strict"
    assert props["tags"]["type"] == "nested"
    assert props["tags"]["properties"]["label"] == {"type": "keyword"}
    assert props["tags"]["properties"]["confidence"] == {"type": "double"}
    assert props["tags"]["properties"]["source"] == {"type": "keyword"}
    assert props["objects"]["type"] == "nested"
    assert props["tag_labels"]["type"] == "keyword"
    assert props["embedding"] == {"type": "dense_vector", "index": True, "similarity": "cosine",
                                  "dims": 512, "index_options": {"type": "int8_hnsw"}}
    assert props["gps"]["type"] == "geo_point"
    assert props["taken_at"]["type"] == "date"
    assert props["camera"]["type"] == "keyword"
    assert props["cluster_id"]["type"] == "integer"
    assert props["folders"]["analyzer"] == "folder_path"
    analysis = t["template"]["settings"]["analysis"]
    tokenizer = analysis["analyzer"]["folder_path"]["tokenizer"]
    assert analysis["tokenizer"][tokenizer]["type"] == "path_hierarchy"
    assert "porter_stem" in analysis["analyzer"]["photo_text"]["filter"]
    assert m.index_name("photoapp") == f"photoapp-photos-v{m.SCHEMA_VERSION}"
    assert m.alias_name("photoapp") == "photoapp-photos"


def test_mapping_adapts_to_the_server_version():
    old = m.mappings(ES_811, None)["properties"]["embedding"]
    assert old["index_options"] == {"type": "hnsw"}  # int8_hnsw arrived in 8.12
    assert "dims" not in old  # taken from the first vector
    assert "index.mapping.exclude_source_vectors" not in m.index_settings(ES_815)
    assert m.index_settings(ES_92)["index.mapping.exclude_source_vectors"] is False


def test_source_round_trip_keeps_every_field():
    emb = np.arange(8, dtype=np.float32) / 10
    doc = PhotoDocument(
        id="h1", paths=["/a/b/IMG_1.jpg", "/c/copy.jpg"], width=10, height=20, size_bytes=300, format="JPEG",
        taken_at=datetime(2020, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
        camera_make="Canon", camera_model="EOS", lens="50mm", gps=(48.1, 11.5), orientation=6,
        tags=[Tag("dog", 0.9, "classifier"), Tag("animal", 0.95, "ancestor")],
        objects=[DetectedObject("dog", 0.8, (0.1, 0.2, 0.3, 0.4))], embedding=emb, phash="ff00",
        cluster_id=3, indexed_at=datetime(2024, 5, 1, 12, 0), model_version="m1")
    src = m.to_source(doc, synonyms=lambda label: {"dog": ["domestic dog"]}.get(label, []))
    assert src["taken_at"] == "2020-01-01T00:30:00"  # wall clock: what after:/before: compare
    assert src["taken_utcoffset"] == 7200
    assert src["tags"][0]["words"] == "dog domestic dog"
    assert src["folders"] == ["/a/b", "/c"]
    assert src["names"] == "IMG_1.jpg copy.jpg"
    back = m.from_source("h1", src)
    assert back.embedding is not None and np.allclose(back.embedding, emb)
    wire = m.from_source("h1", json.loads(m.to_json(doc)))  # what the outbox stores and sends
    assert np.array_equal(wire.embedding, emb)  # 9 significant digits: float32 round-trips exactly
    wire.embedding = None
    back.embedding = doc.embedding = None
    assert back == doc and wire == doc


def test_mapping_conflicts_are_named():
    wanted = m.mappings(ES_815, 4)
    existing = {"properties": {**wanted["properties"], "tags": {"type": "keyword"}}}
    problems = m.mapping_conflicts(existing, wanted)
    assert any(p.startswith("tags: is keyword") for p in problems)
    assert m.mapping_conflicts(wanted, wanted) == []


def test_explain_reports_the_best_matching_tag():
    src = {"tags": [{"label": "dog", "confidence": 0.5}, {"label": "dog", "confidence": 0.9}],
           "paths": ["/x/dog.jpg"], "folders": ["/x"]}
    assert q.explain(resolved(parse_query("dog"))[0], src) == [("tag", "dog", 0.9), ("name", "dog.jpg", 1.0)]
    assert q.explain(resolved(parse_query("dog>=0.95"))[0], src) == []
