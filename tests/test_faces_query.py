"""The face-count filter of the query language: faces>=3, faces:0 and their errors."""
from __future__ import annotations

import pytest

from photoapp.core.errors import QueryError
from photoapp.core.query import parse_query


@pytest.mark.parametrize("text, low, high", [
    ("faces>=3", 3, None), ("faces>2", 3, None), ("faces:0", 0, 0), ("faces=2", 2, 2),
    ("faces<=1", None, 1), ("faces<2", None, 1), ("faces>=1 faces<=4", 1, 4), ("Faces:1", 1, 1),
])
def test_face_count_bounds(text, low, high):
    query = parse_query(text)
    assert (query.min_faces, query.max_faces) == (low, high)
    assert not query.is_empty and query.terms == []


def test_plain_word_faces_stays_a_word():
    query = parse_query("faces")
    assert [t.text for t in query.terms] == ["faces"] and query.min_faces is None


@pytest.mark.parametrize("text, message", [
    ("faces:many", "whole number"), ("faces>=", "whole number"), ("faces>=-1", "whole number"),
    ("-faces:0", "cannot be negated"), ("faces<0", "fewer than 0"), ("faces>=3 faces<=1", "at least 3"),
])
def test_face_count_errors_are_one_line(text, message):
    with pytest.raises(QueryError, match=message) as err:
        parse_query(text)
    assert "\n" not in str(err.value)
