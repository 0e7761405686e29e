"""Contract: text read in photos is stored and given back by every backend, and ``text:``, phrases
and plain words select and rank the same photos everywhere (accents and case folded; a
confident tag of a word outranks the word written in a photo; the explanation names the line)."""
from __future__ import annotations

import pytest

from photo_corpus import names_found, stored_by_name
from photoapp.core.ocr.words import split_words
from photoapp.core.query import parse_query
from photoapp.core.records import PhotoDocument, Tag, TextLine


def _line(text: str, y: float = 0.1, score: float = 0.95) -> TextLine:
    box = (0.1, y, 0.8, y + 0.08)
    return TextLine(text, score, box, split_words(text, box))


def _doc(n: int, name: str, lines=(), tags=()) -> PhotoDocument:
    return PhotoDocument(id=f"{n:040x}", paths=[f"/photos/street/{name}"], format="JPEG",
                         text=list(lines), tags=list(tags))


def _library() -> list[PhotoDocument]:
    docs = [
        _doc(1, "img_0001.jpg", [_line("NO PARKING"), _line("8am - 6pm", 0.3)]),
        _doc(2, "img_0002.jpg", [_line("Parking garage"), _line("Level 2", 0.3)]),
        _doc(3, "img_0003.jpg", [_line("NO"), _line("PARKING", 0.3)]),  # a sign on two lines
        _doc(4, "img_0004.jpg", [_line("Café Noël"), _line("Crème brûlée 4,50 €", 0.3)]),
        _doc(5, "img_0005.jpg", tags=[Tag("pizza", 0.9)]),  # a confident tag, no text
        _doc(6, "img_0006.jpg", [_line("PIZZA al taglio")]),  # the word, written
        _doc(7, "img_0007.jpg"),  # nothing at all
        _doc(8, "parking_lot.jpg"),  # the word in the file name only
    ]
    return docs


@pytest.fixture
def library(backend):
    return stored_by_name(backend, _library())


def test_text_round_trip(backend, library):
    stored = backend.get(library["img_0004.jpg"].id)
    assert stored.text == library["img_0004.jpg"].text
    assert [w.text for w in stored.text[0].words] == ["Café", "Noël"]
    assert backend.get(library["img_0007.jpg"].id).text == []


def test_text_field_matches_text_only(backend, library):
    assert sorted(names_found(backend, "text:parking")) == ["img_0001.jpg", "img_0002.jpg", "img_0003.jpg"]
    # text: never reads tags or names
    assert names_found(backend, "text:pizza") == ["img_0006.jpg"]
    assert names_found(backend, "text:lot") == []


def test_text_phrase(backend, library):
    assert sorted(names_found(backend, 'text:"no parking"')) == ["img_0001.jpg", "img_0003.jpg"]
    assert names_found(backend, 'text:"parking garage"') == ["img_0002.jpg"]
    assert names_found(backend, 'text:"garage parking"') == []


def test_accents_and_case_are_folded(backend, library):
    assert names_found(backend, "text:cafe") == ["img_0004.jpg"]
    assert names_found(backend, "text:CAFÉ") == ["img_0004.jpg"]
    assert names_found(backend, 'text:"creme brulee"') == ["img_0004.jpg"]
    assert names_found(backend, "noel") == ["img_0004.jpg"]


def test_plain_words_match_text_below_a_confident_tag(backend, library):
    assert names_found(backend, "pizza") == ["img_0005.jpg", "img_0006.jpg"]
    hits = backend.search(parse_query("pizza"), limit=10)
    assert hits[0].score > hits[1].score
    # A plain word finds the photo text and the file name alike.
    assert set(names_found(backend, "parking")) == {"img_0001.jpg", "img_0002.jpg", "img_0003.jpg",
                                               "parking_lot.jpg"}


def test_tag_only_terms_ignore_text(backend, library):
    assert names_found(backend, "tag:pizza") == ["img_0005.jpg"]


def test_excluded_word_excludes_text(backend, library):
    assert sorted(names_found(backend, "text:parking -garage")) == ["img_0001.jpg", "img_0003.jpg"]


def test_explanation_names_the_line(backend, library):
    hit = backend.search(parse_query('text:"no parking"'), limit=10)
    by_name = {h.path.rsplit("/", 1)[1]: h for h in hit}
    assert ("text", "NO PARKING", 0.95) in by_name["img_0001.jpg"].explanation
    # A phrase over two lines names both.
    assert [e[1] for e in by_name["img_0003.jpg"].explanation if e[0] == "text"] == ["NO", "PARKING"]


def test_update_fields_replaces_and_clears_text(backend, library):
    doc = library["img_0007.jpg"]
    backend.update_fields(doc.id, {"text": [_line("EXIT")]})
    backend.flush()
    assert names_found(backend, "text:exit") == ["img_0007.jpg"]
    backend.update_fields(doc.id, {"text": []})
    backend.flush()
    assert names_found(backend, "text:exit") == []
    backend.clear_fields(["text"])
    backend.flush()
    assert names_found(backend, "text:parking") == []
    assert backend.get(library["img_0001.jpg"].id).text == []
