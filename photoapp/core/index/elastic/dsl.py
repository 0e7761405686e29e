"""Query AST -> Elasticsearch query DSL (pure functions: no client, easy to assert on).

The matching rules are the embedded index's (photoapp/core/index/sql_search.py), so that both
backends pass the same contract suite. A term matches a photo through a tag or an object, or,
unless the term is tag-only, through its file names, folder names or camera:

* the tag/object part is a ``nested`` query over ``tags`` (and ``objects``): label among the
  term's labels, with a ``range`` on the confidence when the query asks for one, scored by the
  confidence through ``function_score`` / ``field_value_factor`` and ``score_mode: max``; so
  "pizza>=0.9" finds photos with a pizza tag of at least 0.9 and ranks the surest first;
* which labels: the vocabulary's (``TermClause.labels``) plus the text; else exactly the text
  when some photo has that label ("dog" is the tag dog, not "hot dog"); else every label whose
  words (label and synonyms) contain the term as a phrase;
* the text part is a phrase match over file names, folder names and camera, weighted below a
  confident tag. A query's score is the sum over its terms; every term must match;
* an excluded term removes photos it matches the same way (tags at the floor the parser set).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ...query import Query, TermClause

# A text match adds a fixed amount per field (at most 0.5 together), never more than a
# confident tag: raw BM25 is unbounded (a name repeated in two paths would outrank a 0.95 tag).
TEXT_WEIGHTS = {"names": 0.25, "camera_text": 0.15, "folder_words": 0.1}
EXPLAIN_PER_KIND = 3


@dataclass(frozen=True)
class Term:
    """A query term with its labels resolved: a list, or None = "match the label words"."""

    clause: TermClause
    labels: list[str] | None

    @staticmethod
    def of(clause: TermClause, exact_label_exists: bool = False) -> "Term":
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


def term_clause(term: Term, scored: bool = True) -> dict:
    """The photo matches ``term`` (as a tag/object, or as text unless the term is tag-only)."""
    if term.clause.tag_only:
        return tag_clause(term, scored)
    return {"bool": {"should": [tag_clause(term, scored), text_clause(term.clause.text)],
                     "minimum_should_match": 1}}


def excluded_clause(term: Term) -> dict:
    """What ``-term`` removes: the tag or object at the term's confidence floor (the parser
    sets one, so faint guesses do not exclude), or a matching name unless tag-only."""
    return term_clause(term, scored=False)


def _contains(value: str) -> str:
    """Escape a user string for a wildcard "contains" pattern."""
    return "*" + re.sub(r"([*?\\])", r"\\\1", value) + "*"


def filter_clauses(query: Query) -> list[dict]:
    """Non-scoring restrictions: camera, folder, dates."""
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


def _words(text: str) -> list[str]:
    return [t for w in re.findall(r"\w+", text.lower()) for t in w.split("_") if t]


def _contains_phrase(haystack: str, text: str) -> bool:
    """Loose client-side phrase check (prefix of each word, like a stemmer would allow)."""
    hay, needle = _words(haystack), _words(text)
    if not needle:
        return False
    for i in range(len(hay) - len(needle) + 1):
        if all(h.startswith(n[:4]) for h, n in zip(hay[i:i + len(needle)], needle)):
            return True
    return False


def explain(terms: list[Term], src: dict) -> list[tuple[str, str, float]]:
    """Why a hit matched, computed from its _source with the same rules as the query."""
    out: list[tuple[str, str, float]] = []
    for term in terms:
        minimum = term.clause.min_confidence or 0.0
        for kind, path, conf in (("tag", "tags", "confidence"), ("object", "objects", "score")):
            best: dict[str, float] = {}
            for item in src.get(path, []):
                hit = (item["label"] in term.labels if term.labels is not None
                       else _contains_phrase(item.get("words", item["label"]), term.clause.text))
                if hit and item[conf] >= minimum:
                    best[item["label"]] = max(best.get(item["label"], 0.0), float(item[conf]))
            ranked = sorted(best.items(), key=lambda kv: -kv[1])[:EXPLAIN_PER_KIND]
            out.extend((kind, label, round(c, 4)) for label, c in ranked)
        if term.clause.tag_only:
            continue
        for path in src.get("paths", []):
            if _contains_phrase(path.rsplit("/", 1)[-1], term.clause.text):
                out.append(("name", path.rsplit("/", 1)[-1], 1.0))
                break
        for folder in src.get("folders", []):
            if _contains_phrase(folder, term.clause.text):
                out.append(("folder", folder, 1.0))
                break
        if src.get("camera_text") and _contains_phrase(src["camera_text"], term.clause.text):
            out.append(("camera", src["camera_text"], 1.0))
    return out
