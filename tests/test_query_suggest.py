""""Did you mean", tag presentation and the filters of the query language."""
from __future__ import annotations

from pathlib import Path

import pytest

from photoapp.core.errors import QueryError
from photoapp.core.models.vocabulary import WordNetVocabulary
from photoapp.core.query import parse_query, suggest, suggest_query
from photoapp.core.query.suggest import edit_distance
from photoapp.core.query.tags import display_name, is_everyday

VOCAB_FILE = Path(__file__).resolve().parents[1] / "models" / "vocabulary" / "vocabulary.json"


@pytest.fixture(scope="module")
def vocab():
    return WordNetVocabulary.from_file(VOCAB_FILE)


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("dgo", "dog", 3) == 1
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("a", "abcdef", 2) == 3  # beyond the limit: limit + 1


def test_suggest_closest_vocabulary_words(vocab):
    assert suggest("dgo", vocab)[0] == "dog"
    assert suggest("elephnt", vocab)[0] == "elephant"
    assert suggest("golden retreiver", vocab)[0] == "golden retriever"
    assert suggest("dog", vocab) == []  # known: nothing to suggest
    assert suggest("qqqqzzzz", vocab) == []  # nothing close
    assert suggest("pizza", ["pizza", "piazza"]) == []


def test_suggest_query_rewrites_only_unknown_words(vocab):
    assert suggest_query("dgo on the beach", vocab, {"on", "the"}.__contains__) == "dog on the beach"
    assert suggest_query("tag:dgo last summer", vocab) is None  # fields and dates are left alone
    assert suggest_query("elephnt rating>=4", vocab) == "elephant rating>=4"
    assert suggest_query("dog", vocab) is None
    assert suggest_query("golden retreiver", vocab) == "golden retriever"  # "golden" is a known word


def test_everyday_tags(vocab):
    assert is_everyday("golden retriever", vocab)  # a class
    assert is_everyday("dog", vocab) and is_everyday("animal", vocab)
    assert not is_everyday("conveyance", vocab)
    assert not is_everyday("self propelled vehicle", vocab)
    assert is_everyday("unknown label", vocab)
    assert display_name("plate (entree)", vocab) == "plate"
    assert display_name("golden retriever", vocab) == "golden retriever"
    assert display_name("crane (wading bird)", vocab) == "crane (wading bird)"  # "crane": the machine
    assert display_name("kite (hawk)", vocab) == "kite (hawk)"  # "kite": the toy


def test_rating_favorite_and_colour_filters():
    q = parse_query("rating>=4 favorite color:red colour:Grey")
    assert (q.min_rating, q.max_rating, q.favorite, q.colors) == (4, None, True, ["red", "gray"])
    assert (parse_query("rating:3").min_rating, parse_query("rating:3").max_rating) == (3, 3)
    assert parse_query("rating<2").max_rating == 1
    assert parse_query("rating>2").min_rating == 3
    assert parse_query("-favourite").favorite is False
    assert parse_query("favourite dog").terms[0].text == "dog"


@pytest.mark.parametrize("text, message", [
    ("rating>=6", "a rating is a whole number of stars from 0 to 5"),
    ("rating>=4.5", "whole number"),
    ("rating>=", "whole number"),
    ("-rating>=3", "cannot be negated"),
    ("rating>=4 rating<=2", "no rating is at least 4 and at most 2"),
    ("rating>5", "ratings go from 0 to 5"),
    ("color:ultraviolet", "unknown colour 'ultraviolet'; colours: red, orange"),
    ("-color:red", "'-color:' is not supported"),
    (" ".join(["dog"] * 200), "too many search terms"),
])
def test_filter_errors(text, message):
    with pytest.raises(QueryError) as info:
        parse_query(text)
    assert message in str(info.value)
