import os

from photoapp.core.pathtext import from_storable, to_storable


def test_non_utf8_names_round_trip_through_utf8_text():
    raw = b"/photos/f\xe9te-\xff/\xc3\xa9t\xc3\xa9.jpg"  # Latin-1 bytes beside real UTF-8
    path = os.fsdecode(raw)
    stored = to_storable(path)
    stored.encode("utf-8")  # storable: no lone surrogates left
    assert os.fsencode(from_storable(stored)) == raw


def test_utf8_names_are_unchanged():
    for p in ("/photos/été/ß.jpg", "/a/b.png", "/日本/写真.jpg"):
        assert to_storable(p) == p and from_storable(p) == p
