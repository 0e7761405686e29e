"""Best hits of a keyword query without scoring every photo that matches it, and explanations.

``top_hits`` evaluates the plan's ranking (core/query/plan.py) with the threshold algorithm:
each term's tag and object rows are read in descending confidence from the (label, confidence)
indexes, a few hundred at a time and term by term; every photo met is scored exactly (its own
rows, looked up by primary key, for every term, plus the filters); reading stops once ``n``
photos that pass score at least what any unread photo could still reach (the sum of each
term's current confidence; photos matched by name are few and scored up front). A broad term
such as "animal", or two of them, on a million photos thus reads a few hundred or thousand
rows instead of millions. Two guards send a query to the plain SQL of sql_search instead: a
term whose words match too many file names, and a query (very selective filters, terms that
rarely meet) that would read more than MAX_SORTED_ROWS rows this way.

Among photos with exactly the same score, the order is newest first within what was read.
"""
from __future__ import annotations

import heapq
import os

from ...query import Query
from ...query.explain import ExplainTerm, Stored, explain as explain_stored
from . import sql_search

MAX_TEXT_MATCHES = 5_000  # above this many name matches for a term, the plain SQL path
MAX_SORTED_ROWS = 60_000  # rows read in confidence order before giving up for the SQL path
STEP = 256  # rows read per term per round


def chunks(items: list, size: int = 500):
    """Slices small enough for SQLite's limit on bound parameters."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def folder_of(path: str) -> str:
    return os.path.dirname(path)


def name_of(path: str) -> str:
    return os.path.basename(path)


class _Cursor:
    """One term's tag and object rows, best confidence first, as (confidence, photo)."""

    def __init__(self, conn, term: sql_search.ResolvedTerm):
        self.statements = [conn.execute(f"SELECT {col}, photo_pk FROM {from_where} ORDER BY {col} DESC", params)
                           for from_where, col, params in sql_search.label_rows(term)]
        self.rows = heapq.merge(*self.statements, key=lambda row: -row[0])
        self.frontier = 1.0  # no unread row has a higher confidence
        self.done = not self.statements

    def read(self, count: int) -> list[int]:
        out = []
        for conf, pk in self.rows:
            self.frontier = conf
            out.append(pk)
            if len(out) >= count:
                return out
        self.done = True
        self.close()
        return out

    def close(self) -> None:
        for statement in self.statements:
            statement.close()  # an unfinished statement would pin the WAL read snapshot


def _text_scores(conn, term: sql_search.ResolvedTerm) -> dict[int, float] | None:
    if not term.matches_text:
        return {}
    rows = conn.execute(f"SELECT rowid, {sql_search.text_score_sql()} FROM text_fts WHERE text_fts MATCH ? "
                        "LIMIT ?", (term.fts, MAX_TEXT_MATCHES + 1)).fetchall()
    if len(rows) > MAX_TEXT_MATCHES:
        return None
    return dict(rows)


def _best_confidence(conn, term: sql_search.ResolvedTerm, pks: list[int]) -> dict[int, float]:
    """Best matching tag/object confidence of each photo of ``pks`` for ``term`` (by primary key)."""
    best: dict[int, float] = {}
    if not term.labels or not pks:
        return best
    lmarks = ",".join("?" * len(term.labels))
    minimum = term.clause.min_confidence
    for table, col in (("tags", "confidence"), ("objects", "score")):
        floor = f" AND {col} >= ?" if minimum is not None else ""
        for chunk in chunks(pks, 400):
            for pk, conf in conn.execute(
                    f"SELECT photo_pk, max({col}) FROM {table} WHERE photo_pk IN ({','.join('?' * len(chunk))}) "
                    f"AND +label IN ({lmarks}){floor} GROUP BY photo_pk",
                    (*chunk, *term.labels, *([minimum] if minimum is not None else []))):
                best[pk] = max(best.get(pk, 0.0), conf)
    return best


def top_hits(conn, query: Query, terms: list[sql_search.ResolvedTerm], excluded: list[sql_search.ResolvedTerm],
             n: int) -> list[tuple[int, str, float]] | None:
    """Best ``n`` (pk, id, score) of a query with terms, ranked as the plan says; None when this
    query is better answered by the plain SQL (see the module docstring)."""
    if any(not t.can_match for t in terms):
        return []
    texts = [_text_scores(conn, t) for t in terms]
    if any(t is None for t in texts):
        return None
    conds, cond_params = sql_search.filter_conditions(query, excluded)
    where = "".join(f" AND {c}" for c in conds)
    seen: set[int] = set()
    passing: dict[int, tuple[float, str, int, str]] = {}  # pk -> (score, taken, pk, id)

    def score(pks: list[int]) -> None:
        admitted: dict[int, tuple[str, str]] = {}
        for chunk in chunks(pks, 400):
            for pk, doc_id, taken in conn.execute(
                    f"SELECT p.pk, p.id, p.taken_at FROM photos p WHERE p.pk IN ({','.join('?' * len(chunk))})"
                    f"{where}", (*chunk, *cond_params)):
                admitted[pk] = (doc_id, taken or "")
        totals = dict.fromkeys(admitted, 0.0)
        for term, text in zip(terms, texts):
            best = _best_confidence(conn, term, list(totals))
            for pk in list(totals):
                if pk in best or pk in text:
                    totals[pk] += best.get(pk, 0.0) + text.get(pk, 0.0)
                else:
                    del totals[pk]  # every term must match
        for pk, total in totals.items():
            doc_id, taken = admitted[pk]
            passing[pk] = (total, taken, pk, doc_id)

    named = [pk for text in texts for pk in text]
    fresh = list(dict.fromkeys(named))
    seen.update(fresh)
    score(fresh)
    cursors = [_Cursor(conn, t) for t in terms]
    read = 0
    try:
        while True:
            # Unread photos match no term by name (those are all scored), so an exhausted term
            # means no unread photo can match the query at all.
            if any(c.done for c in cursors):
                break
            threshold = sum(c.frontier for c in cursors)
            if len(passing) >= n and heapq.nlargest(n, (v[0] for v in passing.values()))[-1] >= threshold:
                break
            if read > MAX_SORTED_ROWS:
                return None
            fresh = []
            for cursor in cursors:
                rows = cursor.read(STEP)
                read += len(rows)
                fresh += [pk for pk in rows if pk not in seen]
                seen.update(rows)
            score(list(dict.fromkeys(fresh)))
    finally:
        for cursor in cursors:
            cursor.close()
    ranked = sorted(passing.values(), reverse=True)[:n]  # score, then newest, then pk: as the SQL
    return [(pk, doc_id, total) for total, _, pk, doc_id in ranked]


def explain(conn, pks: list[int], paths: dict[int, list[str]], query: Query,
            terms: list[sql_search.ResolvedTerm]) -> dict[int, list[tuple[str, str, float]]]:
    """Why each hit matched (shown on hover in the GUI): the shared explainer over the stored
    tags, objects, paths, camera and colours of the hits."""
    if not pks or not (terms or query.colors):
        return {}
    marks = ",".join("?" * len(pks))
    stored = {pk: Stored(tags=[], objects=[], paths=paths.get(pk, []), colors=[]) for pk in pks}
    for pk, label, conf in conn.execute(
            f"SELECT photo_pk, label, confidence FROM tags WHERE photo_pk IN ({marks})", pks):
        stored[pk].tags.append((label, conf))
    for pk, label, conf in conn.execute(
            f"SELECT photo_pk, label, score FROM objects WHERE photo_pk IN ({marks})", pks):
        stored[pk].objects.append((label, conf))
    for pk, name, share in conn.execute(
            f"SELECT photo_pk, name, share FROM colors WHERE photo_pk IN ({marks}) ORDER BY photo_pk, ord", pks):
        stored[pk].colors.append((name, share))
    for pk, make, model, lens in conn.execute(
            f"SELECT pk, camera_make, camera_model, lens FROM photos WHERE pk IN ({marks})", pks):
        stored[pk].camera = " ".join(x for x in (make, model, lens) if x)
    plan_terms = [ExplainTerm(t.clause.text, t.clause.min_confidence, t.clause.tag_only, frozenset(t.labels))
                  for t in terms]
    return {pk: explain_stored(plan_terms, s, query.colors) for pk, s in stored.items()}


def confident_tag_counts(conn, limit: int, prefix: str, min_confidence: float) -> list[tuple[str, int]]:
    """Labels by the number of photos carrying them at ``min_confidence`` or more, most first.

    ``labels.photos`` (every photo with the label, at any confidence) bounds each count from
    above, so labels are counted exactly (a range of the (label, confidence) index) in that
    order, and counting stops once ``limit`` labels have counts no unread label can beat."""
    sql = "SELECT label, photos FROM labels WHERE photos > 0"
    params: list = []
    if prefix:
        sql += " AND label >= ? AND label < ?"  # a range scan on the unique index
        params += [prefix, prefix + "\U0010ffff"]
    best: list[tuple[int, str]] = []
    for label, bound in conn.execute(sql + " ORDER BY photos DESC, label", params).fetchall():
        if len(best) >= limit and sorted(best, key=lambda r: -r[0])[limit - 1][0] >= bound:
            break
        count = conn.execute("SELECT count(DISTINCT photo_pk) FROM tags WHERE label = ? AND confidence >= ?",
                             (label, float(min_confidence))).fetchone()[0]
        if count:
            best.append((count, label))
    best.sort(key=lambda r: (-r[0], r[1]))
    return [(label, count) for count, label in best[:limit]]
