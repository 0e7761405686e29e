"""Paths as storable text.

A POSIX file name is bytes; Python decodes the bytes that are not UTF-8 into lone surrogates
(U+DC80..U+DCFF, "surrogateescape"), which SQLite and JSON cannot store. Index backends keep
paths as text, so they map each such surrogate to a private-use code point (U+F780..U+F7FF, the
same trick as "UTF-8b") and back. The mapping is reversible for every real file name except ones
that already contain those private-use code points, which no camera or OS writes.
"""
from __future__ import annotations

_SURROGATE_TO_PRIVATE = {c: c - 0xDC80 + 0xF780 for c in range(0xDC80, 0xDD00)}
_PRIVATE_TO_SURROGATE = {v: k for k, v in _SURROGATE_TO_PRIVATE.items()}


def to_storable(path: str) -> str:
    """A path that encodes as UTF-8 (unchanged when it already does)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.translate(_SURROGATE_TO_PRIVATE)


def from_storable(text: str) -> str:
    """The original path of ``to_storable``'s output."""
    if not any(0xF780 <= ord(ch) <= 0xF7FF for ch in text):
        return text
    return text.translate(_PRIVATE_TO_SURROGATE)
