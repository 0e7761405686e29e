"""The query language's text: filter (parse.py) and which analyzers a query reads."""
from __future__ import annotations

import pytest

from photoapp.core.analyzers import analyzers_for_query
from photoapp.core.errors import QueryError
from photoapp.core.query import parse_query


def test_text_field_word_and_phrase():
    q = parse_query('text:Parking text:"NO  Entry"')
    assert [(t.text, t.text_only, t.tag_only, t.labels) for t in q.terms] == \
        [("parking", True, False, ()), ("no entry", True, False, ())]


def test_text_field_excluded_and_mixed_with_words():
    q = parse_query("dog -text:sale")
    assert [t.text for t in q.terms] == ["dog"] and not q.terms[0].text_only
    assert [(t.text, t.text_only) for t in q.excluded] == [("sale", True)]


def test_text_field_refuses_a_comparison_and_needs_a_value():
    with pytest.raises(QueryError, match="text: does not take a comparison"):
        parse_query("text:exit>=0.5")
    with pytest.raises(QueryError, match="needs a value"):
        parse_query("text:")


def test_score_floor_leaves_text_terms_alone():
    q = parse_query("text:exit dog score>=0.5")
    assert q.terms[0].text_only and q.terms[0].min_confidence is None and not q.terms[0].tag_only
    assert q.terms[1].tag_only and q.terms[1].min_confidence == 0.5


def test_which_analyzers_a_query_reads():
    assert analyzers_for_query(parse_query("text:exit")) == {"text"}
    assert analyzers_for_query(parse_query("exit")) == {"tags", "objects", "text"}
    assert analyzers_for_query(parse_query("tag:dog")) == {"tags", "objects"}

