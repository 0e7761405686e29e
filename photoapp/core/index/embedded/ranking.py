"""Ranking helpers of the embedded index: the one-term shortcut and hit explanations."""
from __future__ import annotations

import heapq
import os

from ...query import Query
from . import sql_search

MAX_TEXT_MATCHES = 5_000  # above this many name matches a one-term query takes the plain SQL path
MAX_EXPLANATIONS_PER_TERM = 3


def chunks(items: list, size: int = 500):
    """Slices small enough for SQLite's limit on bound parameters."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def folder_of(path: str) -> str:
    return os.path.dirname(path)


def name_of(path: str) -> str:
    return os.path.basename(path)


def top_for_one_term(conn, query: Query, term, excluded, n: int) -> list[tuple[int, str, float]] | None:
    """Best ``n`` hits of a one-term query without scoring every photo that matches it.

    Same ranking as the SQL of sql_search (score = best tag/object confidence + text score),
    but tag and object rows are read in descending confidence from the (label, confidence)
    indexes, and reading stops once ``n`` photos that pass the filters score above anything
    still unread. Photos matched by name are few and scored separately. A broad term such
    as "animal" on 100k photos thus reads a few hundred rows instead of tens of thousands.
    Returns None when the text part matches too many photos for this to pay.
    """
    text: dict[int, float] = {}
    if not term.clause.tag_only and term.fts is not None:
        rows = conn.execute(f"SELECT rowid, -bm25(text_fts, {sql_search.BM25_WEIGHTS}) FROM text_fts "
                            "WHERE text_fts MATCH ? LIMIT ?", (term.fts, MAX_TEXT_MATCHES + 1)).fetchall()
        if len(rows) > MAX_TEXT_MATCHES:
            return None
        text = {pk: sql_search.TEXT_WEIGHT * r / (1.0 + r) for pk, r in rows}
    conds, cond_params = sql_search.filter_conditions(query, excluded)
    where = "".join(f" AND {c}" for c in conds)
    minimum = term.clause.min_confidence
    floor = f" AND {{col}} >= {float(minimum)!r}" if minimum is not None else ""
    cursors = [conn.execute(f"SELECT {col}, photo_pk FROM {table} WHERE label = ?{floor.format(col=col)} "
                            f"ORDER BY {col} DESC", (label,))
               for table, col in (("tags", "confidence"), ("objects", "score")) for label in term.labels]
    best: dict[int, float] = {}  # photo -> best confidence (the first row seen: rows descend)
    passing: dict[int, tuple[float, str, int, str]] = {}  # photo -> (score, taken, pk, id)

    def admit(pks: list[int]) -> None:
        for chunk in chunks(pks):
            for pk, doc_id, taken in conn.execute(
                    f"SELECT p.pk, p.id, p.taken_at FROM photos p WHERE p.pk IN ({','.join('?' * len(chunk))})"
                    f"{where}", (*chunk, *cond_params)):
                passing[pk] = (best.get(pk, 0.0) + text.get(pk, 0.0), taken or "", pk, doc_id)

    try:
        pending: list[int] = []
        for conf, pk in heapq.merge(*cursors, key=lambda row: -row[0]):
            if pk in best:
                continue
            best[pk] = conf
            pending.append(pk)
            if len(pending) >= 256:
                admit(pending)
                pending = []
                if len(passing) >= n and conf < heapq.nlargest(n, (v[0] for v in passing.values()))[-1]:
                    break  # every unread photo scores at most conf (+ text, handled below)
        admit(pending)
    finally:
        for cursor in cursors:
            cursor.close()  # an unfinished statement would pin the WAL read snapshot
    unseen = [pk for pk in text if pk not in best]
    if unseen:  # matched by name: look up their best confidence directly
        lmarks = ",".join("?" * len(term.labels))
        for chunk in chunks(unseen):
            marks = ",".join("?" * len(chunk))
            for table, col in (("tags", "confidence"), ("objects", "score")):
                for pk, conf in conn.execute(
                        f"SELECT photo_pk, max({col}) FROM {table} WHERE photo_pk IN ({marks}) AND +label IN "
                        f"({lmarks}){floor.format(col=col)} GROUP BY photo_pk", (*chunk, *term.labels)):
                    best[pk] = max(best.get(pk, 0.0), conf)
        admit(unseen)
    ranked = sorted(passing.values(), reverse=True)[:n]  # score, then newest, then pk: as the SQL
    return [(pk, doc_id, score) for score, _, pk, doc_id in ranked]


def explain(conn, pks: list[int], terms) -> dict[int, list[tuple[str, str, float]]]:
    """Which tags, objects and names made each hit match (shown on hover in the GUI)."""
    out: dict[int, list[tuple[str, str, float]]] = {pk: [] for pk in pks}
    marks = ",".join("?" * len(pks))
    for term in terms:
        minimum = term.clause.min_confidence or 0.0
        if term.labels:
            lmarks = ",".join("?" * len(term.labels))
            for kind, table, col in (("tag", "tags", "confidence"), ("object", "objects", "score")):
                seen: dict[int, int] = {}
                for pk, label, conf in conn.execute(
                        # "+label": look rows up by photo (primary key), not by label,
                        # whose index range can hold most of the library for "animal".
                        f"SELECT photo_pk, label, max({col}) FROM {table} WHERE photo_pk IN ({marks}) "
                        f"AND +label IN ({lmarks}) AND {col} >= ? GROUP BY photo_pk, label "
                        f"ORDER BY max({col}) DESC", (*pks, *term.labels, minimum)):
                    if seen.get(pk, 0) < MAX_EXPLANATIONS_PER_TERM:
                        out[pk].append((kind, label, round(float(conf), 4)))
                        seen[pk] = seen.get(pk, 0) + 1
        if term.clause.tag_only or term.fts is None:
            continue
        for column, kind in (("names", "name"), ("folders", "folder"), ("camera", "camera")):
            for pk, text in conn.execute(
                    f"SELECT rowid, {column} FROM text_fts WHERE rowid IN ({marks}) AND text_fts MATCH ?",
                    (*pks, f"{column} : {term.fts}")):
                out[pk].append((kind, _matching_part(text, kind, conn, pk, term.clause.text), 1.0))
    # Two terms can name the same tag ("tag:dog dog>=0.9"): say it once.
    return {pk: list(dict.fromkeys(entries)) for pk, entries in out.items()}


def _matching_part(text: str, kind: str, conn, pk: int, term_text: str) -> str:
    """The single file name / folder that matched, for the explanation (FTS tells us the column)."""
    if kind == "camera":
        return text
    rows = [r[0] for r in conn.execute("SELECT path FROM paths WHERE photo_pk = ? ORDER BY path", (pk,))]
    parts = [name_of(p) if kind == "name" else folder_of(p) for p in rows]
    words = [w for w in term_text.lower().split() if w]
    for part in parts:
        if all(w[:4] in part.lower() for w in words):  # stemmed match: compare word stems loosely
            return part
    return parts[0] if parts else text
