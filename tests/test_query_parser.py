"""parse_query: the query language of photoapp/core/query.py, and its error messages."""
from __future__ import annotations

import math
from datetime import datetime

import pytest

from photoapp.core.errors import QueryError
from photoapp.core.query import EXCLUDE_MIN_CONFIDENCE, MATCH_MIN_CONFIDENCE as M, Query, TermClause, parse_query


class LabelTable:
    """A small real resolver (the Vocabulary protocol's ``resolve``) over a fixed table."""

    def __init__(self, table: dict[str, tuple[str, ...]]):
        self.table = table

    def resolve(self, text: str) -> tuple[str, ...]:
        return self.table.get(text, ())


def test_words_become_free_text_terms():
    q = parse_query("Dog  beach")
    assert q.terms == [TermClause("dog", M), TermClause("beach", M)]
    assert not q.is_empty


def test_words_match_tags_from_a_floor_unless_the_query_sets_one():
    assert parse_query("dog").terms[0].min_confidence == M
    assert parse_query("dog>=0.01").terms[0].min_confidence == 0.01
    assert parse_query("dog score>=0.5").terms[0].min_confidence == 0.5
    assert parse_query("tag:dog").terms[0].min_confidence is None  # the tag, however faint


def test_empty_query():
    assert parse_query("").is_empty
    assert parse_query("   ").is_empty


def test_phrase_is_one_term():
    assert parse_query('"stop  sign" car').terms == [TermClause("stop sign", M), TermClause("car", M)]


def test_tag_filter_is_tag_only_and_accepts_underscores_and_quotes():
    q = parse_query('tag:golden_retriever tag:"hot dog"')
    assert q.terms == [TermClause("golden retriever", tag_only=True), TermClause("hot dog", tag_only=True)]


def test_confidence_thresholds():
    q = parse_query("dog>=0.9 pizza>=90% cat>0.5")
    assert q.terms[0] == TermClause("dog", 0.9, True)
    assert q.terms[1] == TermClause("pizza", 0.9, True)
    # ">" is strict: the smallest float above 0.5.
    assert q.terms[2].min_confidence == math.nextafter(0.5, 1.0) and q.terms[2].tag_only


def test_score_applies_to_every_term_and_keeps_stricter_ones():
    q = parse_query("dog score>=0.8 cat>=0.95")
    assert q.terms == [TermClause("dog", 0.8, True), TermClause("cat", 0.95, True)]


def test_camera_folder_and_dates():
    q = parse_query('camera:Canon folder:"My Holidays" after:2020-01-31 before:2021-06')
    assert q.camera == ["canon"] and q.folders == ["my holidays"]
    assert q.after == datetime(2020, 1, 31) and q.before == datetime(2021, 6, 1)
    assert not q.terms and not q.is_empty
    assert parse_query("after:2020").after == datetime(2020, 1, 1)
    assert parse_query("before:2021").before == datetime(2021, 1, 1)


def test_repeated_dates_keep_the_narrowest_range():
    q = parse_query("after:2019 after:2020-03 before:2022 before:2021")
    assert (q.after, q.before) == (datetime(2020, 3, 1), datetime(2021, 1, 1))


def test_exclusions_get_the_default_floor_unless_given():
    q = parse_query('dog -cat -tag:bird -"hot dog" -pizza>=0.8')
    assert q.terms == [TermClause("dog", M)]
    assert q.excluded == [TermClause("cat", EXCLUDE_MIN_CONFIDENCE),
                          TermClause("bird", EXCLUDE_MIN_CONFIDENCE, True),
                          TermClause("hot dog", EXCLUDE_MIN_CONFIDENCE),
                          TermClause("pizza", 0.8, True)]


def test_vocabulary_fills_labels_and_joins_multiword_labels():
    vocab = LabelTable({"rooster": ("cock",), "golden retriever": ("golden retriever",), "dog": ("dog",)})
    q = parse_query("rooster golden retriever beach tag:dog -rooster", vocab)
    assert q.terms == [TermClause("rooster", M, labels=("cock",)),
                       TermClause("golden retriever", M, labels=("golden retriever",)),
                       TermClause("beach", M),
                       TermClause("dog", tag_only=True, labels=("dog",))]
    assert q.excluded == [TermClause("rooster", EXCLUDE_MIN_CONFIDENCE, labels=("cock",))]


def test_without_vocabulary_labels_stay_empty():
    assert parse_query("rooster").terms == [TermClause("rooster", M)]


def test_non_ascii_words():
    assert parse_query("café -été").terms == [TermClause("café", M)]


@pytest.mark.parametrize("text, message", [
    ("after:notadate", "after:notadate is not a date"),
    ("before:2021-13", "before:2021-13 is not a date"),
    ("after:20", "is not a date"),
    ("dog>=1.5", "confidence must be between 0 and 1"),
    ("dog>=-0.1", "confidence must be between 0 and 1"),
    ("dog>=150%", "confidence must be between 0 and 1"),
    ("dog>=abc", "'abc' is not a number"),
    ("dog>=", "a number between 0 and 1 must follow"),
    ("dog<0.5", "only >= and > are supported"),
    ("dog=0.5", "only >= and > are supported"),
    (">=0.5", "needs a value"),
    ("tag:", "'tag:' needs a value"),
    ("camera:", "'camera:' needs a value"),
    ('"stop sign', "unbalanced quote"),
    ("flavour:red", "unknown filter 'flavour:'"),
    ("-camera:canon", "'-camera:' is not supported"),
    ("after:2021 before:2020", "is not earlier than before:2020-01-01"),
    ("score>=0.9", "score>= needs a word or tag"),
    ("score:0.9", "write score>=0.9"),
    ("camera:canon>=0.5", "camera: does not take a comparison"),
])
def test_bad_input_raises_a_specific_query_error(text, message):
    with pytest.raises(QueryError, match=None) as info:
        parse_query(text)
    assert message in str(info.value)


def test_query_error_is_a_photoapp_error():
    from photoapp.core.errors import PhotoAppError

    assert issubclass(QueryError, PhotoAppError)
    assert parse_query(None) == Query()
