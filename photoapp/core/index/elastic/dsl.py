"""Compile the query plan (core/query/plan.py) to Elasticsearch query DSL (pure functions: no
client, easy to assert on). The rules are the plan's; here is only how the DSL expresses them:

* a term's tag/object part is a ``nested`` query over ``tags`` (and ``objects``): label among the
  term's labels, with a ``range`` on the confidence when the query asks for one, scored by the
  confidence through ``function_score`` / ``field_value_factor`` and ``score_mode: max``;
* its text part is a phrase match over file names, folder names and camera, each field adding
  the plan's fixed TEXT_WEIGHTS through ``constant_score``, and over ``photo_text`` (the text
  read in the photo) adding PHOTO_TEXT_WEIGHT; terms are ``must`` clauses, so the scores add
  up as the plan's formula says;
* filters are non-scoring ``filter`` clauses; colours read the ``color_names`` keyword copy;
* the number of clauses is bounded by the parser's MAX_TERMS (ES refuses more than 1024).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ...query import TEXT_WEIGHTS as PLAN_TEXT_WEIGHTS
from ...pathtext import from_storable
from ...query import Query, TermClause
from ...query.explain import ExplainTerm, Stored, explain as explain_stored
from ...query.plan import PHOTO_TEXT_WEIGHT

# The plan's text fields -> the fields of the mapping that hold them as words.
TEXT_FIELDS = {"names": "names", "camera": "camera_text", "folders": "folder_words", "places": "place_text"}
TEXT_WEIGHTS = {TEXT_FIELDS[f]: w for f, w in PLAN_TEXT_WEIGHTS.items()}


@dataclass(frozen=True)
class Term:
    """A query term with its labels resolved: a list, or None = "match the label words"."""

    clause: TermClause
    labels: list[str] | None

    @staticmethod
    def of(clause: TermClause, exact_label_exists: bool = False) -> "Term":
        if clause.text_only:
            return Term(clause, [])  # text:...: the photo's text alone
        if clause.labels:
            return Term(clause, list(dict.fromkeys([*clause.labels, clause.text])))
        return Term(clause, [clause.text] if exact_label_exists else None)


def _label_condition(term: Term, path: str) -> dict:
    if term.labels is not None:
        return {"terms": {f"{path}.label": term.labels}}
    return {"match_phrase": {f"{path}.words": term.clause.text}}


def confidence_range(minimum: float) -> dict:
    """``gte`` the minimum; but "dog>0.95" reaches us as ">= the double after 0.95", which we send
    back as ``gt: 0.95``: the same set of doubles, and the form every server compares exactly."""
    below = math.nextafter(minimum, -math.inf)
    if len(repr(below)) < len(repr(minimum)):  # minimum is "just above" a number the user typed
        return {"gt": below}
    return {"gte": minimum}


def _nested(term: Term, path: str, conf_field: str, scored: bool) -> dict:
    conditions: list[dict] = [_label_condition(term, path)]
    if term.clause.min_confidence is not None:
        conditions.append({"range": {f"{path}.{conf_field}": confidence_range(term.clause.min_confidence)}})
    inner: dict = {"bool": {"filter": conditions}}
    if scored:
        inner = {"function_score": {
            "query": inner,
            "field_value_factor": {"field": f"{path}.{conf_field}", "missing": 0},
            "boost_mode": "replace",
        }}
    return {"nested": {"path": path, "score_mode": "max", "query": inner}}


def tag_clause(term: Term, scored: bool = True) -> dict:
    """Tag or object at the term's confidence; scored by the best confidence (dis_max = max)."""
    return {"dis_max": {"queries": [_nested(term, "tags", "confidence", scored),
                                    _nested(term, "objects", "score", scored)]}}


def text_clause(text: str) -> dict:
    """File names, camera, folder names: a phrase in any of them; constant score per field."""
    return {"bool": {"should": [
        {"constant_score": {"filter": {"match_phrase": {field: text}}, "boost": weight}}
        for field, weight in TEXT_WEIGHTS.items()], "minimum_should_match": 1}}


def photo_text_clause(text: str) -> dict:
    """The text read in the photo holds the words as a phrase: the plan's PHOTO_TEXT_WEIGHT."""
    return {"constant_score": {"filter": {"match_phrase": {"photo_text": text}}, "boost": PHOTO_TEXT_WEIGHT}}


def term_clause(term: Term, scored: bool = True) -> dict:
    """The photo matches ``term`` (as a tag/object, or as text unless the term is tag-only)."""
    if term.clause.tag_only:
        return tag_clause(term, scored)
    if term.clause.text_only:
        return {"bool": {"should": [photo_text_clause(term.clause.text)], "minimum_should_match": 1}}
    # should clauses add up: tag confidence + name fields + photo text, as the plan's formula.
    return {"bool": {"should": [tag_clause(term, scored), text_clause(term.clause.text),
                                photo_text_clause(term.clause.text)],
                     "minimum_should_match": 1}}


def excluded_clause(term: Term) -> dict:
    """What ``-term`` removes: the tag or object at the term's confidence floor (the parser
    sets one, so faint guesses do not exclude), or a matching name unless tag-only."""
    return term_clause(term, scored=False)


def _contains(value: str) -> str:
    """Escape a user string for a wildcard "contains" pattern."""
    return "*" + re.sub(r"([*?\\])", r"\\\1", value) + "*"


def filter_clauses(query: Query) -> list[dict]:
    """Non-scoring restrictions: camera, folder, dates, colours, rating, favourite."""
    out: list[dict] = []
    for cam in query.camera:
        out.append({"wildcard": {"camera": {"value": _contains(cam.lower()), "case_insensitive": True}}})
    for folder in query.folders:
        out.append({"wildcard": {"folders_lc": {"value": _contains(folder.lower()), "case_insensitive": True}}})
    if query.after or query.before:
        rng: dict = {}
        if query.after:
            rng["gte"] = query.after.isoformat()
        if query.before:
            rng["lt"] = query.before.isoformat()
        out.append({"range": {"taken_at": rng}})
    if query.months:  # month:march: taken_month is stored beside taken_at (no script queries)
        out.append({"terms": {"taken_month": [int(m) for m in query.months]}})
    for color in query.colors:
        out.append({"term": {"color_names": color}})
    if query.min_rating is not None or query.max_rating is not None:
        stars: dict = {}
        if query.min_rating is not None:
            stars["gte"] = int(query.min_rating)
        if query.max_rating is not None:
            stars["lte"] = int(query.max_rating)
        out.append({"range": {"rating": stars}})
    if query.favorite is not None:
        out.append({"term": {"favorite": bool(query.favorite)}})
    if query.min_faces is not None or query.max_faces is not None:
        low, high = query.min_faces or 0, query.max_faces
        count: dict = {"gte": int(low)}
        if high is not None:
            count["lte"] = int(high)
        clause: dict = {"range": {"face_count": count}}
        if low == 0:  # a document written before face_count existed has no faces stored
            clause = {"bool": {"should": [clause, {"bool": {"must_not": {"exists": {"field": "face_count"}}}}],
                               "minimum_should_match": 1}}
        out.append(clause)
    for name in query.people:
        out.append({"term": {"person_names": name}})
    out += place_clauses(query)
    return out


def place_clauses(query: Query) -> list[dict]:
    """place:, country:, near: and within: (the plan's place filters)."""
    out: list[dict] = [{"match_phrase": {"place_text": place}} for place in query.places]
    out += [{"term": {"place_country": country}} for country in query.countries]
    if query.within is not None:
        box = query.within
        out.append({"geo_bounding_box": {"gps": {"top_left": {"lat": box.north, "lon": box.west},
                                                 "bottom_right": {"lat": box.south, "lon": box.east}}}})
    if query.near is not None:
        near = query.near
        out.append({"geo_distance": {"distance": f"{near.km!r}km", "distance_type": "arc",
                                     "gps": {"lat": near.lat, "lon": near.lon}}})
    return out


def search_query(query: Query, terms: list[Term], excluded: list[Term]) -> dict:
    """The ``query`` part of a keyword search (``terms``/``excluded`` resolved from ``query``)."""
    must = [term_clause(t) for t in terms]
    must_not = [excluded_clause(t) for t in excluded]
    filters = filter_clauses(query)
    if not (must or must_not or filters):
        return {"match_all": {}}
    body: dict = {}
    if must:
        body["must"] = must
    if filters:
        body["filter"] = filters
    if must_not:
        body["must_not"] = must_not
    return {"bool": body}


def knn_filter(query: Query | None, terms: list[Term], excluded: list[Term], exclude_ids) -> dict | None:
    """Everything a similar-photo search must honour, as one filter inside the ``knn`` clause
    (so the k nearest are found among matching photos, not filtered after the fact)."""
    filters: list[dict] = [term_clause(t, scored=False) for t in terms]
    if query is not None:
        filters.extend(filter_clauses(query))
    must_not: list[dict] = [excluded_clause(t) for t in excluded]
    ids = list(dict.fromkeys(exclude_ids))
    if ids:
        must_not.append({"ids": {"values": ids}})
    if not (filters or must_not):
        return None
    body: dict = {}
    if filters:
        body["filter"] = filters
    if must_not:
        body["must_not"] = must_not
    return {"bool": body}


def knn_clause(vector: list[float], k: int, query: Query | None = None, terms: list[Term] = (),
               excluded: list[Term] = (), exclude_ids=()) -> dict:
    clause: dict = {"field": "embedding", "query_vector": vector, "k": k,
                    "num_candidates": min(10_000, max(100, 10 * k))}
    flt = knn_filter(query, list(terms), list(excluded), exclude_ids)
    if flt is not None:
        clause["filter"] = flt
    return clause


def explain(terms: list[Term], src: dict, query: Query | None = None) -> list[tuple[str, str, float]]:
    """Why a hit matched: the shared explainer (core/query/explain.py) over its _source."""
    words = {item["label"]: item.get("words", item["label"])
             for path in ("tags", "objects") for item in src.get(path, [])}
    stored = Stored(tags=[(t["label"], float(t["confidence"])) for t in src.get("tags", [])],
                    objects=[(o["label"], float(o["score"])) for o in src.get("objects", [])],
                    paths=[from_storable(p) for p in src.get("paths", [])], camera=src.get("camera_text", ""),
                    colors=[(c["name"], float(c["share"])) for c in src.get("colors", [])],
                    place=src.get("place_label", ""),
                    text_lines=[(line["text"], float(line["score"])) for line in src.get("text_lines", [])])
    plan_terms = [ExplainTerm(t.clause.text, t.clause.min_confidence, t.clause.tag_only,
                              frozenset(t.labels) if t.labels is not None else None, t.clause.text_only)
                  for t in terms]
    return explain_stored(plan_terms, stored, query.colors if query is not None else (), words.get)


def listing_body(listing, sort: str) -> dict:
    """``query`` and ``sort`` of a typed listing (core/query/listing.py)."""
    from ...pathtext import to_storable
    from ...query import listing as L

    L.check(listing, sort)
    scored = False
    if isinstance(listing, L.Folder):
        # Every path inside the folder starts with "<folder>/": exact on whole components,
        # case-sensitive, and no query syntax is involved whatever the folder is named.
        query: dict = {"prefix": {"paths": to_storable(listing.prefix)}}
    elif isinstance(listing, L.Tag):
        query = _scored_nested("tags", {"term": {"tags.label": listing.label}}, "confidence",
                               {"gte": float(listing.min_confidence)})
        scored = True
    elif isinstance(listing, L.Color):
        query = _scored_nested("colors", {"term": {"colors.name": listing.name}}, "share", None)
        scored = True
    elif isinstance(listing, L.Cluster):
        query = {"term": {"cluster_id": int(listing.id)}}
    elif isinstance(listing, L.Person):
        query = {"term": {"person_ids": int(listing.id)}}
    else:
        query = {"match_all": {}}
    newest_first = [{"taken_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "desc"}]
    order = {"date": newest_first,
             "name": [{"paths": {"order": "asc", "mode": "min"}}, {"doc_id": "asc"}],
             "relevance": (["_score"] if scored else []) + newest_first}[sort]
    return {"query": query, "sort": order}


def _scored_nested(path: str, condition: dict, value: str, rng: dict | None) -> dict:
    conditions = [condition] + ([{"range": {f"{path}.{value}": rng}}] if rng else [])
    return {"nested": {"path": path, "score_mode": "max", "query": {"function_score": {
        "query": {"bool": {"filter": conditions}},
        "field_value_factor": {"field": f"{path}.{value}", "missing": 0}, "boost_mode": "replace"}}}}


def confident_tag_counts_aggs(limit: int, prefix: str, min_confidence: float) -> dict:
    """Aggregation counting, per label, the photos whose tag has at least ``min_confidence``
    (a photo carries a label once, so nested tag rows count photos)."""
    terms: dict = {"field": "tags.label", "size": int(limit)}
    if prefix:
        terms["include"] = re.escape(prefix) + ".*"
    return {"tags": {"nested": {"path": "tags"}, "aggs": {"sure": {
        "filter": {"range": {"tags.confidence": {"gte": float(min_confidence)}}},
        "aggs": {"labels": {"terms": terms}}}}}}
