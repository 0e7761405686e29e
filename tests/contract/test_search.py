"""Contract: keyword search, every filter of the query language, ranking and explanations."""
from __future__ import annotations

from datetime import datetime

import pytest

from photo_corpus import corpus
from photoapp.core.query import Query, TermClause, parse_query


@pytest.fixture
def docs(backend):
    docs = corpus()
    backend.upsert(docs.values())
    backend.flush()
    return docs


def ids(backend, text, **kw):
    return [h.id for h in backend.search(parse_query(text), **kw)]


def test_tag_confidence_orders_results(backend, docs):
    hits = backend.search(parse_query("dog"))
    order = [h.id for h in hits]
    assert order.index(docs["dog_high"].id) < order.index(docs["dog_low"].id)
    assert hits[0].id == docs["dog_high"].id
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_free_text_reaches_tags_objects_names_folders_and_camera(backend, docs):
    assert docs["dog_high"].id in ids(backend, "retriever")       # word of a tag label
    assert ids(backend, "couch") == [docs["cat"].id]               # detected object
    assert ids(backend, "sofa") == [docs["cat"].id]                # file name
    assert ids(backend, "holidays") == [docs["dog_high"].id]       # folder name
    assert ids(backend, "nikon") == [docs["dog_low"].id]           # camera
    assert ids(backend, "nosuchword") == []


def test_file_name_match_ranks_below_a_confident_tag(backend, docs):
    order = ids(backend, "dog")
    assert docs["drawing"].id in order  # dog_drawing.png, no dog tag
    assert order.index(docs["dog_high"].id) < order.index(docs["drawing"].id)


def test_tag_filter_ignores_file_names(backend, docs):
    assert set(ids(backend, "tag:dog")) == {docs["dog_high"].id, docs["dog_low"].id}
    assert ids(backend, 'tag:"golden retriever"') == [docs["dog_high"].id]


def test_min_confidence_filters(backend, docs):
    assert ids(backend, "dog>=0.9") == [docs["dog_high"].id]
    assert ids(backend, "dog>=0.95") == [docs["dog_high"].id]
    assert ids(backend, "dog>0.95") == []
    assert ids(backend, "dog>=0.3") == [docs["dog_high"].id, docs["dog_low"].id]
    assert ids(backend, "score>=0.9 dog") == [docs["dog_high"].id]
    assert ids(backend, "cat>=90%") == [docs["cat"].id]


def test_object_confidence_counts_for_tag_filters(backend, docs):
    assert ids(backend, "couch>=0.6") == [docs["cat"].id]
    assert ids(backend, "couch>=0.8") == []


def test_several_terms_must_all_match(backend, docs):
    assert ids(backend, "dog cat") == [docs["dog_low"].id]
    assert ids(backend, "dog pizza") == []


def test_camera_filter_is_case_insensitive_substring(backend, docs):
    assert set(ids(backend, "camera:canon")) == {docs["dog_high"].id, docs["sign"].id}
    assert ids(backend, 'camera:"eos r"') == [docs["sign"].id]
    assert ids(backend, "camera:IPHONE") == [docs["cat"].id]


def test_date_filters(backend, docs):
    assert set(ids(backend, "after:2020-01-01")) == {docs["cat"].id, docs["dog_low"].id,
                                                       docs["drawing"].id, docs["rooster"].id}
    assert ids(backend, "after:2021 before:2022") == [docs["dog_low"].id]
    assert ids(backend, "before:2019-07") == [docs["sign"].id]
    assert ids(backend, "before:2019-07-15") == [docs["dog_high"].id, docs["sign"].id]
    assert ids(backend, "after:2020-01-15") == [docs["rooster"].id, docs["drawing"].id,
                                                 docs["dog_low"].id, docs["cat"].id]
    # Undated photos never pass a date filter.
    assert docs["pizza"].id not in ids(backend, "before:2100")


def test_folder_filter(backend, docs):
    assert ids(backend, "folder:holidays") == [docs["dog_high"].id]
    assert set(ids(backend, "folder:home")) == {docs["dog_low"].id, docs["cat"].id}
    assert ids(backend, "folder:backup") == [docs["drawing"].id]  # any of its paths


def test_exclusion(backend, docs):
    assert ids(backend, "dog -cat") == [docs["dog_high"].id, docs["drawing"].id]
    assert ids(backend, "tag:dog -tag:cat") == [docs["dog_high"].id]
    assert docs["cat"].id not in ids(backend, "-sofa")  # names exclude too
    # A faint tag does not exclude: seashore is 0.05 on dog_high.
    assert docs["dog_high"].id in ids(backend, "dog -seashore")
    assert docs["dog_high"].id not in ids(backend, "dog -seashore>=0.01")


def test_phrase(backend, docs):
    assert ids(backend, '"stop sign"') == [docs["sign"].id]
    assert ids(backend, '"street sign"') == [docs["sign"].id]
    assert ids(backend, '"sign stop"') == []
    assert ids(backend, '"beach day"') == [docs["dog_high"].id]


def test_empty_and_filter_only_queries_sort_by_date_newest_first(backend, docs):
    dated = sorted((d for d in docs.values() if d.taken_at), key=lambda d: d.taken_at, reverse=True)
    order = ids(backend, "")
    assert order[:len(dated)] == [d.id for d in dated]
    assert order[-1] == docs["pizza"].id  # undated last
    assert ids(backend, "camera:canon") == [docs["dog_high"].id, docs["sign"].id]
    # -dog also drops dog_drawing.png (its name matches); undated pizza comes last.
    assert ids(backend, "-cat -dog", limit=3) == [docs["rooster"].id, docs["sign"].id, docs["pizza"].id]


def test_limit_and_offset_page_through_results(backend, docs):
    everything = ids(backend, "", limit=100)
    pages = ids(backend, "", limit=3) + ids(backend, "", limit=3, offset=3) + ids(backend, "", limit=3, offset=6)
    assert pages == everything
    assert ids(backend, "", limit=0) == []


def test_hits_carry_paths_and_explanations(backend, docs):
    hits = {h.id: h for h in backend.search(parse_query("dog"))}
    high = hits[docs["dog_high"].id]
    assert high.path == docs["dog_high"].paths[0]
    assert ("tag", "dog", pytest.approx(0.95)) in high.explanation
    assert ("object", "dog", pytest.approx(0.88)) in high.explanation
    drawing = hits[docs["drawing"].id]
    assert drawing.path == "/backup/misc/dog_drawing.png"  # primary path = first sorted
    assert sorted(drawing.paths) == sorted(docs["drawing"].paths)
    assert [e for e in drawing.explanation if e[0] == "name"] == [("name", "dog_drawing.png", 1.0)]
    couch = backend.search(parse_query("couch"))[0]
    assert ("object", "couch", pytest.approx(0.70)) in couch.explanation


def test_resolved_labels_reach_canonical_tags(backend, docs):
    # What parse_query(..., vocabulary) produces for "rooster": the vocabulary says it means "cock".
    query = Query(terms=[TermClause("rooster", labels=("cock",))])
    hits = backend.search(query)
    assert [h.id for h in hits] == [docs["rooster"].id]
    assert ("tag", "cock", pytest.approx(0.80)) in hits[0].explanation


def test_synonyms_from_the_vocabulary_are_searchable(opener):
    from photo_corpus import TableVocabulary

    backend = opener.open(vocabulary=TableVocabulary({"cock": ["rooster"], "dog": ["domestic dog"]}))
    docs = corpus()
    backend.upsert(docs.values())
    backend.flush()
    # Parsed without a vocabulary: no labels, so only the indexed synonyms can find it.
    assert ids(backend, "rooster") == [docs["rooster"].id]
    assert ids(backend, '"domestic dog"')[:2] == [docs["dog_high"].id, docs["dog_low"].id]


def test_dates_compare_by_wall_clock(backend, docs):
    hits = backend.search(Query(after=datetime(2019, 7, 14, 10, 30, 5), before=datetime(2019, 7, 14, 10, 30, 6)))
    assert [h.id for h in hits] == [docs["dog_high"].id]
