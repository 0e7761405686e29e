"""How each analyzer-filled or user field of a ``PhotoDocument`` is stored in the embedded index.

``upsert``, ``update_fields``, ``clear_fields`` and ``get`` all go through this table, so adding
a field (faces, text, place) is one entry here plus its migration in schema.py. Two shapes:

* ``RowsField``: a list stored as ordered rows of a child table ``(photo_pk, ord, columns...)``;
* ``ColumnField``: a scalar stored as a column of ``photos``.

The embedding is not here: it lives in the vector store and the backend handles it itself.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...records import DetectedObject, Face, PersonRef, Place, Tag, TextLine, TextWord


@dataclass(frozen=True)
class RowsField:
    name: str  # PhotoDocument attribute
    table: str
    columns: tuple[str, ...]  # stored after (photo_pk, ord)
    to_row: Callable[[Any], tuple]
    from_row: Callable[[tuple], Any]
    # Items whose label goes into the label dictionary (so free text resolves to it).
    label_of: Callable[[Any], str] | None = None
    # labels.photos counts the photos carrying the label (tag_counts, label resolution order).
    counts_photos: bool = False
    # One optional value (not a list) stored as at most one row: the place.
    single: bool = False

    @property
    def insert_sql(self) -> str:
        cols = ("photo_pk", "ord", *self.columns)
        return f"INSERT INTO {self.table}({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})"

    @property
    def select_sql(self) -> str:
        return f"SELECT {', '.join(self.columns)} FROM {self.table} WHERE photo_pk = ? ORDER BY ord"

    def rows(self, pk: int, value) -> list[tuple]:
        items = ([] if value is None else [value]) if self.single else (value or [])
        return [(pk, i, *self.to_row(item)) for i, item in enumerate(items)]

    def value(self, items: list):
        """The document's value from its stored items (``from_row`` of each row, in order)."""
        return (items[0] if items else None) if self.single else items


@dataclass(frozen=True)
class ColumnField:
    name: str  # PhotoDocument attribute
    column: str  # in photos
    default: Any  # the value when cleared (and for documents written before the field existed)
    to_db: Callable[[Any], Any]
    from_db: Callable[[Any], Any]


TAGS = RowsField("tags", "tags", ("label", "confidence", "source"),
                 lambda t: (t.label, float(t.confidence), t.source), lambda r: Tag(r[0], r[1], r[2]),
                 label_of=lambda t: t.label, counts_photos=True)
OBJECTS = RowsField("objects", "objects", ("label", "score", "x0", "y0", "x1", "y1"),
                    lambda o: (o.label, float(o.score), *map(float, o.box)),
                    lambda r: DetectedObject(r[0], r[1], (r[2], r[3], r[4], r[5])),
                    label_of=lambda o: o.label)
COLORS = RowsField("colors", "colors", ("name", "share"),
                   lambda c: (str(c[0]), float(c[1])), lambda r: (r[0], r[1]))


def _face_row(f: Face) -> tuple:
    # Landmarks as float64 (exact round trip, 80 bytes); the embedding as float32 like every vector.
    marks = np.asarray(f.landmarks, dtype=np.float64).reshape(-1).tobytes()
    emb = None if f.embedding is None else np.asarray(f.embedding, dtype=np.float32).reshape(-1).tobytes()
    return (*map(float, f.box), marks, float(f.score), float(f.quality), emb)


def _face_of(r: tuple) -> Face:
    marks = np.frombuffer(r[4], dtype=np.float64).reshape(-1, 2)
    emb = None if r[7] is None else np.frombuffer(r[7], dtype=np.float32).copy()
    return Face((r[0], r[1], r[2], r[3]), tuple((float(x), float(y)) for x, y in marks), r[5], r[6], emb)


FACES = RowsField("faces", "faces", ("x0", "y0", "x1", "y1", "landmarks", "score", "quality", "embedding"),
                  _face_row, _face_of)
# The place name of the photo's GPS position (places analyzer); text_fts.places follows it.
PLACE = RowsField("place", "places", ("city", "region", "country", "country_code"),
                  lambda p: (p.city, p.region, p.country, p.country_code), lambda r: Place(*r), single=True)


def place_words(place: Place | None) -> str:
    """What text_fts.places holds for a place (the schema's trigger writes the same)."""
    return f"{place.city} {place.region} {place.country}" if place is not None else ""


RATING = ColumnField("rating", "rating", 0, lambda v: int(v or 0), lambda v: int(v or 0))
FAVORITE = ColumnField("favorite", "favorite", False, lambda v: 1 if v else 0, bool)
TAKEN_AT_SOURCE = ColumnField("taken_at_source", "taken_at_source", None, lambda v: v or None, lambda v: v or None)

# The people in a photo, mirrored from the people store (core/people): ``name_key`` is the
# casefolded name ``person:anna`` compares with (the same key on every backend).
PEOPLE = RowsField("people", "people", ("person_id", "name", "name_key"),
                   lambda p: (int(p.id), p.name, p.name.casefold() if p.name else None),
                   lambda r: PersonRef(int(r[0]), r[1]))


def _text_line_row(line: TextLine) -> tuple:
    words = [[w.text, float(w.box[0]), float(w.box[2]), float(w.score)] for w in line.words]
    return (line.text, float(line.score), *map(float, line.box), json.dumps(words, ensure_ascii=False))


def _text_line_of(r: tuple) -> TextLine:
    box = (r[2], r[3], r[4], r[5])
    words = tuple(TextWord(w[0], (w[1], box[1], w[2], box[3]), *w[3:4]) for w in json.loads(r[6] or "[]"))
    return TextLine(r[0], r[1], box, words)


TEXT = RowsField("text", "text_lines", ("text", "score", "x0", "y0", "x1", "y1", "words"),
                 _text_line_row, _text_line_of)
ROWS_FIELDS: dict[str, RowsField] = {f.name: f for f in (TAGS, OBJECTS, COLORS, FACES, PEOPLE, PLACE, TEXT)}
COLUMN_FIELDS: dict[str, ColumnField] = {f.name: f for f in (RATING, FAVORITE, TAKEN_AT_SOURCE)}
EMBEDDING = "embedding"
# Every field update_fields / clear_fields accept.
UPDATABLE = frozenset(ROWS_FIELDS) | frozenset(COLUMN_FIELDS) | {EMBEDDING}
