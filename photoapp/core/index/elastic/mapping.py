"""The Elasticsearch index layout: an index template, a versioned index behind an alias, and
the PhotoDocument <-> _source translation.

Why a versioned index behind an alias: a mapping cannot be changed in place, so a schema change
creates ``photoapp-photos-v{N+1}``, reindexes into it and swaps the alias atomically; nothing
is lost and readers never see a half-built index.

Fields a query compiler uses (besides the text fields described in ``mappings``):
    tags / objects     nested {label, confidence|score, words}; flat copies tag_labels / object_labels
    colors             nested {name: keyword, share: double (fraction of the picture, 0..1)};
                       flat copy color_names (keyword) for aggregations and cheap "has colour"
                       (``color:red`` = nested query name = red AND share >= threshold)
    rating             integer, 0 = unrated, 1..5 (``rating>=4`` = range query)
    favorite           boolean (``favorite`` = term favorite: true)
    faces              nested {box, landmarks (float, not indexed), score, quality: double,
                       embedding: dense_vector (cosine; absent when not computed)}; flat
                       face_count (integer) for ``faces>=3`` / ``faces:0``
    people             nested {id, name}; flat person_ids (integer, a person's page) and
                       person_names (keyword, casefolded: ``person:anna`` = term person_names)
    paths / folders    storable text (core/pathtext.py): a non-UTF-8 byte is a private-use code point

    taken_month        byte 1..12, the month of taken_at (``month:march`` = term taken_month: 3)
    taken_at_source    keyword: exif, exif+offset, filename, filetime (core/capture_date.py)

Schema history: v1 first layout; v2 adds colors, color_names, rating, favorite; v3 adds faces,
face_count; v4 adds taken_month, taken_at_source; v5 adds people, person_ids, person_names;
v6 adds place, place_text, place_country, place_label; v7 adds photo_text (text read in the photo,
folded, not stemmed) and text_lines (its lines with boxes, stored only).
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import numpy as np

from ...pathtext import from_storable, to_storable
from ...records import DetectedObject, Face, PersonRef, PhotoDocument, Place, Tag, TextLine, TextWord
from .connection import ServerInfo

SCHEMA_VERSION = 7


def alias_name(prefix: str) -> str:
    return f"{prefix}-photos"


def index_name(prefix: str, version: int | None = None) -> str:
    return f"{prefix}-photos-v{SCHEMA_VERSION if version is None else version}"


def template_name(prefix: str) -> str:
    return f"{prefix}-photos"


ANALYSIS = {
    "analyzer": {
        # Free text: tags, their synonyms, and name words. Stemming lets "dogs" find "dog".
        "photo_text": {"type": "custom", "tokenizer": "standard",
                       "filter": ["lowercase", "asciifolding", "porter_stem"]},
        # File and folder names: split on anything that is not a letter or digit, so
        # "IMG_2020-beach.jpg" gives img / 2020 / beach / jpg.
        "file_name": {"type": "custom", "tokenizer": "name_words", "filter": ["lowercase", "asciifolding"]},
        # Text read in photos: words as written (no stemming: "parking" is not "park"), case
        # and accents folded, like the embedded index's unicode61 remove_diacritics.
        "ocr_text": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        # "/a/b/c" -> "/a", "/a/b", "/a/b/c": a term query for a folder finds its whole subtree.
        "folder_path": {"type": "custom", "tokenizer": "folder_hierarchy", "filter": ["lowercase"]},
    },
    "tokenizer": {
        "name_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"},
        "folder_hierarchy": {"type": "path_hierarchy", "delimiter": "/"},
    },
    "normalizer": {
        "lowercase_keyword": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
    },
}


def vector_mapping(server: ServerInfo, dims: int | None) -> dict:
    mapping: dict = {"type": "dense_vector", "index": True, "similarity": "cosine"}
    if dims:
        mapping["dims"] = int(dims)
    # int8_hnsw (scalar-quantised HNSW, 4x less memory) exists from 8.12; plain hnsw before.
    mapping["index_options"] = {"type": "int8_hnsw" if server.at_least(8, 12) else "hnsw"}
    return mapping


def mappings(server: ServerInfo, dims: int | None) -> dict:
    kw_lc = {"type": "keyword", "normalizer": "lowercase_keyword"}
    return {
        "dynamic": "strict",
        "_meta": {"app": "photoapp", "schema_version": SCHEMA_VERSION},
        "properties": {
            "doc_id": {"type": "keyword"},  # == _id; sortable for search_after paging
            "paths": {"type": "keyword"},
            "folders": {"type": "text", "analyzer": "folder_path", "search_analyzer": "keyword"},
            "folders_lc": kw_lc,  # folder:holidays = "a folder on the path contains"
            "names": {"type": "text", "analyzer": "file_name"},  # file names, as words
            "folder_words": {"type": "text", "analyzer": "file_name"},  # folder names, as words
            # Tags and objects as nested objects, so label and confidence match *together*;
            # ``words`` is the label plus its synonyms as free text ("rooster" finds "cock").
            "tags": {"type": "nested", "properties": {
                "label": {"type": "keyword"},
                # double, not float: "dog>0.95" must not match a stored 0.95 rounded to float32
                "confidence": {"type": "double"},
                "source": {"type": "keyword"},
                "words": {"type": "text", "analyzer": "photo_text"},
            }},
            "objects": {"type": "nested", "properties": {
                "label": {"type": "keyword"},
                "score": {"type": "double"},
                "box": {"type": "float", "index": False},
                "words": {"type": "text", "analyzer": "photo_text"},
            }},
            "tag_labels": {"type": "keyword"},  # flat copies: terms aggregations, cheap lookups
            "object_labels": {"type": "keyword"},
            # Dominant colours: name and share match together (nested), like tags.
            "colors": {"type": "nested", "properties": {
                "name": {"type": "keyword"},
                "share": {"type": "double"},
            }},
            "color_names": {"type": "keyword"},
            # Faces: one nested document each, with its descriptor (people match on it).
            "faces": {"type": "nested", "properties": {
                "box": {"type": "float", "index": False},
                "landmarks": {"type": "float", "index": False},
                "score": {"type": "double"},
                "quality": {"type": "double"},
                "embedding": {"type": "dense_vector", "index": True, "similarity": "cosine"},
            }},
            "face_count": {"type": "integer"},
            # People in the photo (mirrored from the people store): nested {id, name} as shown,
            # flat copies for filters: person_ids, person_names (casefolded, as queries send them).
            "people": {"type": "nested", "properties": {
                "id": {"type": "integer"},
                "name": {"type": "keyword"},
            }},
            "person_ids": {"type": "integer"},
            "person_names": {"type": "keyword"},
            "rating": {"type": "integer"},  # 0 = unrated, 1..5 stars
            "favorite": {"type": "boolean"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "size_bytes": {"type": "long"},
            "format": {"type": "keyword"},
            # Wall-clock time the photo was taken (what after:/before: and sorting compare), and
            # the camera's UTC offset when it recorded one, to give back the exact datetime.
            "taken_at": {"type": "date"},
            "taken_utcoffset": {"type": "integer", "index": False},
            "taken_month": {"type": "byte"},  # month:march, without a script query
            "taken_at_source": {"type": "keyword"},
            "camera": kw_lc,  # "make model", for camera:canon
            "camera_text": {"type": "text", "analyzer": "file_name"},  # make model lens, as words
            "camera_make": {"type": "keyword"},
            "camera_model": {"type": "keyword"},
            "lens": {"type": "keyword"},
            "gps": {"type": "geo_point"},  # near: = geo_distance; the map = geo_bounding_box
            # Place name of gps (places analyzer): shown as is; place_text holds its words for
            # plain words and place:paris, place_country the country and its code (country:fr),
            # place_label "City, Region, Country" for counting places.
            "place": {"properties": {"city": {"type": "keyword"}, "region": {"type": "keyword"},
                                     "country": {"type": "keyword"}, "country_code": {"type": "keyword"}}},
            "place_text": {"type": "text", "analyzer": "photo_text"},
            # Text read in the photo (text analyzer): the lines joined by newlines, as words
            # (a phrase may run on to the next line, as in the embedded index); text_lines keeps
            # each line with its box, confidence and word boxes for display, not indexed.
            "photo_text": {"type": "text", "analyzer": "ocr_text"},
            "text_lines": {"type": "object", "enabled": False},
            "place_country": kw_lc,
            "place_label": {"type": "keyword"},
            "orientation": {"type": "byte"},
            "embedding": vector_mapping(server, dims),
            "phash": {"type": "keyword"},
            "cluster_id": {"type": "integer"},
            "cluster_name": {"type": "keyword"},
            "indexed_at": {"type": "date"},
            "model_version": {"type": "keyword"},
        },
    }


def index_settings(server: ServerInfo) -> dict:
    settings: dict = {"number_of_shards": 1, "analysis": ANALYSIS}
    if server.at_least(9, 2):
        # 9.2 stops returning dense vectors in _source by default; we read them back
        # (iter_documents, export, exact cosine), so keep them.
        settings["index.mapping.exclude_source_vectors"] = False
    return settings


def index_template(prefix: str, server: ServerInfo, dims: int | None) -> dict:
    """Body for ``PUT _index_template/<prefix>-photos``: every ``<prefix>-photos-v*`` index gets
    this layout, including ones created by a reindex."""
    return {
        "index_patterns": [f"{prefix}-photos-v*"],
        "priority": 200,
        "template": {"settings": index_settings(server), "mappings": mappings(server, dims)},
        "_meta": {"app": "photoapp", "schema_version": SCHEMA_VERSION},
    }


# --- documents ---------------------------------------------------------------------------
def _folder(path: str) -> str:
    return os.path.dirname(path.replace("\\", "/")) or "/"


def path_fields(paths: list[str]) -> dict:
    """The fields derived from the path list (also sent alone by set_paths). Paths are stored
    as storable text (a non-UTF-8 file name cannot be sent as JSON otherwise)."""
    paths = sorted(dict.fromkeys(to_storable(p) for p in paths))
    folders = list(dict.fromkeys(_folder(p) for p in paths))
    return {"paths": paths, "folders": folders, "folders_lc": folders,
            "names": " ".join(os.path.basename(p.replace("\\", "/")) for p in paths),
            "folder_words": " ".join(folders)}


def _offset_seconds(dt: datetime | None) -> int | None:
    off = dt.utcoffset() if dt is not None else None
    return int(off.total_seconds()) if off is not None else None


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _words(label: str, synonyms) -> str:
    extra = [w for w in (synonyms(label) if synonyms is not None else []) if w != label]
    return " ".join([label, *extra])


def _face_source(face: Face) -> dict:
    src = {"box": [float(v) for v in face.box],
           "landmarks": [float(v) for point in face.landmarks for v in point],
           "score": float(face.score), "quality": float(face.quality)}
    if face.embedding is not None:
        # 9 significant digits: float32's precision exactly, at half the JSON of a double repr.
        src["embedding"] = [float(f"{v:.9g}") for v in np.asarray(face.embedding, dtype=np.float32).ravel()]
    return src


def _face_of(src: dict) -> Face:
    marks = [float(v) for v in src.get("landmarks", [])]
    emb = src.get("embedding")
    return Face(tuple(float(v) for v in src["box"]), tuple(zip(marks[0::2], marks[1::2])),
                float(src["score"]), float(src["quality"]),
                np.asarray(emb, dtype=np.float32) if emb is not None else None)


# The _source fields of each field ``update_fields`` / ``clear_fields`` accept: value -> fields,
# (a cleared field is its empty value), and a query matching documents where it is not empty.
# Adding a field (faces, text, place) = one entry here plus its mapping above.
FIELD_SOURCES = {
    "tags": lambda tags, syn: {
        "tags": [{"label": t.label, "confidence": float(t.confidence), "source": t.source,
                  "words": _words(t.label, syn)} for t in tags or []],
        "tag_labels": list(dict.fromkeys(t.label for t in tags or []))},
    "objects": lambda objects, syn: {
        "objects": [{"label": o.label, "score": float(o.score), "box": [float(v) for v in o.box],
                     "words": _words(o.label, syn)} for o in objects or []],
        "object_labels": list(dict.fromkeys(o.label for o in objects or []))},
    "colors": lambda colors, syn: {
        "colors": [{"name": str(name), "share": float(share)} for name, share in colors or []],
        "color_names": list(dict.fromkeys(str(name) for name, _ in colors or []))},
    "faces": lambda faces, syn: {
        "faces": [_face_source(f) for f in faces or []], "face_count": len(faces or [])},
    "people": lambda people, syn: {
        "people": [{"id": int(p.id), **({"name": p.name} if p.name else {})} for p in people or []],
        "person_ids": [int(p.id) for p in people or []],
        "person_names": list(dict.fromkeys(p.name.casefold() for p in people or [] if p.name))},
    "rating": lambda rating, syn: {"rating": int(rating or 0)},
    "favorite": lambda favorite, syn: {"favorite": bool(favorite)},
    "taken_at_source": lambda source, syn: {"taken_at_source": source or None},
    "embedding": lambda emb, syn: {
        "embedding": [float(v) for v in np.asarray(emb, dtype=np.float32).ravel()] if emb is not None else None},
}
def _place_source(place: Place | None) -> dict:
    if place is None:
        return {"place": None, "place_text": None, "place_country": None, "place_label": None}
    return {"place": {"city": place.city, "region": place.region, "country": place.country,
                      "country_code": place.country_code},
            "place_text": f"{place.city} {place.region} {place.country}",
            "place_country": [n for n in (place.country, place.country_code) if n], "place_label": place.label}


FIELD_SOURCES["place"] = lambda place, syn: _place_source(place)


def _text_source(lines) -> dict:
    lines = list(lines or [])
    return {"photo_text": "\n".join(line.text for line in lines) or None,
            "text_lines": [{"text": line.text, "score": float(line.score), "box": [float(v) for v in line.box],
                            "words": [[w.text, float(w.box[0]), float(w.box[2]), float(w.score)] for w in line.words]}
                           for line in lines]}


def _text_lines_of(items) -> list[TextLine]:
    out = []
    for item in items or []:
        box = tuple(float(v) for v in item["box"])
        words = tuple(TextWord(w[0], (float(w[1]), box[1], float(w[2]), box[3]), *map(float, w[3:4]))
                      for w in item.get("words", []))
        out.append(TextLine(item["text"], float(item["score"]), box, words))
    return out


FIELD_SOURCES["text"] = lambda lines, syn: _text_source(lines)
FIELD_PRESENT = {
    "tags": {"exists": {"field": "tag_labels"}},
    "objects": {"exists": {"field": "object_labels"}},
    "colors": {"exists": {"field": "color_names"}},
    "faces": {"range": {"face_count": {"gt": 0}}},
    "people": {"exists": {"field": "person_ids"}},
    "rating": {"range": {"rating": {"gt": 0}}},
    "favorite": {"term": {"favorite": True}},
    "taken_at_source": {"exists": {"field": "taken_at_source"}},
    "embedding": {"exists": {"field": "embedding"}},
    "place": {"exists": {"field": "place_label"}},
    "text": {"exists": {"field": "photo_text"}},
}
FIELD_EMPTY = {"place": None, "tags": [], "objects": [], "colors": [], "faces": [], "people": [], "rating": 0, "favorite": False, "embedding": None,
               "taken_at_source": None, "text": []}


def field_source(name: str, value, synonyms=None) -> dict:
    """The partial _source that sets field ``name`` (a PhotoDocument attribute) to ``value``."""
    return FIELD_SOURCES[name](value, synonyms)


def to_source(doc: PhotoDocument, synonyms=None, with_embedding: bool = True) -> dict:
    """PhotoDocument -> _source. ``synonyms(label) -> list[str]`` feeds the free-text words."""
    camera = " ".join(x for x in (doc.camera_make, doc.camera_model) if x) or None
    camera_text = " ".join(x for x in (doc.camera_make, doc.camera_model, doc.lens) if x) or None
    src = {
        "doc_id": doc.id,
        **path_fields(doc.paths),
        **field_source("tags", doc.tags, synonyms),
        **field_source("objects", doc.objects, synonyms),
        **field_source("colors", doc.colors, synonyms),
        **field_source("faces", doc.faces, synonyms),
        **field_source("people", doc.people, synonyms),
        **field_source("rating", doc.rating, synonyms),
        **field_source("favorite", doc.favorite, synonyms),
        **field_source("place", doc.place, synonyms),
        **field_source("text", doc.text, synonyms),
        "width": doc.width, "height": doc.height, "size_bytes": doc.size_bytes, "format": doc.format,
        "taken_at": _iso(doc.taken_at.replace(tzinfo=None)) if doc.taken_at else None,
        "taken_utcoffset": _offset_seconds(doc.taken_at),
        "taken_month": doc.taken_at.month if doc.taken_at else None,
        "taken_at_source": doc.taken_at_source or None,
        "camera": camera, "camera_text": camera_text, "camera_make": doc.camera_make, "camera_model": doc.camera_model,
        "lens": doc.lens,
        "gps": {"lat": float(doc.gps[0]), "lon": float(doc.gps[1])} if doc.gps else None,
        "orientation": doc.orientation,
        "phash": doc.phash,
        "cluster_id": doc.cluster_id,
        "indexed_at": _iso(doc.indexed_at),
        "model_version": doc.model_version,
    }
    if with_embedding and doc.embedding is not None:
        src["embedding"] = [float(v) for v in np.asarray(doc.embedding, dtype=np.float32)]
    return {k: v for k, v in src.items() if v is not None}


def vector_json(vec) -> str:
    """A float32 vector as a JSON array, 9 significant digits: exactly float32's precision
    (lossless round trip) at about half the bytes of Python's float repr, and no per-float
    json encoding (the vector is most of a document's bytes)."""
    return "[" + ",".join(map("{:.9g}".format, np.asarray(vec, dtype=np.float32).tolist())) + "]"


def to_json(doc: PhotoDocument, synonyms=None) -> str:
    """``to_source`` serialised for the bulk request body (what the outbox stores)."""
    src = to_source(doc, synonyms, with_embedding=False)
    text = json.dumps(src, separators=(",", ":"), ensure_ascii=False)
    if doc.embedding is None:
        return text
    return text[:-1] + ',"embedding":' + vector_json(doc.embedding) + "}"


def _date(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, (int, float)):  # epoch millis, if a server normalised it
        return datetime.fromtimestamp(value / 1000, timezone.utc).replace(tzinfo=None)
    text = str(value).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def _taken_at(src: dict) -> datetime | None:
    dt = _date(src.get("taken_at"))
    offset = src.get("taken_utcoffset")
    if dt is not None and offset is not None:
        dt = dt.replace(tzinfo=timezone(timedelta(seconds=int(offset))))
    return dt


def from_source(doc_id: str, src: dict) -> PhotoDocument:
    gps = src.get("gps")
    if isinstance(gps, dict):
        gps = (float(gps["lat"]), float(gps["lon"]))
    elif isinstance(gps, (list, tuple)) and len(gps) == 2:  # GeoJSON order is [lon, lat]
        gps = (float(gps[1]), float(gps[0]))
    emb = src.get("embedding")
    return PhotoDocument(
        id=doc_id,
        paths=[from_storable(p) for p in src.get("paths", [])],
        width=int(src.get("width", 0) or 0),
        height=int(src.get("height", 0) or 0),
        size_bytes=int(src.get("size_bytes", 0) or 0),
        format=src.get("format", "") or "",
        taken_at=_taken_at(src),
        taken_at_source=src.get("taken_at_source"),
        camera_make=src.get("camera_make"),
        camera_model=src.get("camera_model"),
        lens=src.get("lens"),
        gps=gps,
        orientation=src.get("orientation"),
        tags=[Tag(t["label"], float(t["confidence"]), t.get("source", "classifier"))
              for t in src.get("tags", [])],
        objects=[DetectedObject(o["label"], float(o["score"]), tuple(float(v) for v in o["box"]))
                 for o in src.get("objects", [])],
        embedding=np.asarray(emb, dtype=np.float32) if emb is not None else None,
        phash=src.get("phash"),
        cluster_id=src.get("cluster_id"),
        indexed_at=_date(src.get("indexed_at")),
        model_version=src.get("model_version", "") or "",
        colors=[(c["name"], float(c["share"])) for c in src.get("colors", [])],
        faces=[_face_of(f) for f in src.get("faces", [])],
        people=[PersonRef(int(p["id"]), p.get("name")) for p in src.get("people", [])],
        rating=int(src.get("rating", 0) or 0),
        favorite=bool(src.get("favorite", False)),
        place=Place(**src["place"]) if src.get("place") else None,
        text=_text_lines_of(src.get("text_lines")),
    )


# --- compatibility of an existing index -----------------------------------------------------
def _flatten(props: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for name, spec in props.items():
        key = prefix + name
        out[key] = spec.get("type", "object")
        if "properties" in spec:
            out.update(_flatten(spec["properties"], key + "."))
    return out


def mapping_conflicts(existing: dict, wanted: dict, missing_ok: bool = False) -> list[str]:
    """Field type differences between an existing index's mapping and ours (empty = fine).

    A field we need that is missing from the existing mapping also counts (with
    ``dynamic: strict`` every write carrying it would fail), unless ``missing_ok``: an older
    photoapp layout, which the reindex to the current one completes.
    """
    have = _flatten(existing.get("properties", {}))
    need = _flatten(wanted.get("properties", {}))
    wrong = [f"{f}: is {have[f]}, we need {t}" for f, t in need.items() if f in have and have[f] != t]
    missing = [] if missing_ok else [f"{f}: missing (we need {t})" for f, t in need.items() if f not in have]
    return wrong + missing  # wrong types first: they are the real conflicts
