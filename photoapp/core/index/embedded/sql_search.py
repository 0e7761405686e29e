"""Translate a ``Query`` into SQL over the embedded index's tables (see schema.py).

Matching rules (the contract suite checks the same rules against every backend):
- A term matches a photo through a *tag* or *object* whose label is one of the term's labels
  (``TermClause.labels`` from the vocabulary; otherwise the labels whose name or synonyms contain
  the words, or exactly the label when one is spelled like the term), at ``min_confidence`` or
  more; or, unless ``tag_only``, through its file names, folder names or camera (FTS5, bm25 with
  column weights).
- A term's score = best tag/object confidence + TEXT_WEIGHT * squashed bm25 of the text match,
  so a photo whose "dog" tag is 0.95 outranks one at 0.4, and a mere file name counts for less
  than a confident tag. A query's score is the sum over its terms; every term must match (AND).
- Excluded terms remove photos where they match (tags/objects at ``min_confidence`` or more).
- No terms: every photo passing the filters, newest first (undated last).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from ...query import Query, TermClause

TEXT_WEIGHT = 0.5
BM25_WEIGHTS = "1.0, 0.6, 0.8"  # names, folders, camera: a file name says more than a folder
MAX_LABELS_PER_TERM = 500


@dataclass
class ResolvedTerm:
    clause: TermClause
    labels: list[str]  # labels that exist in the index
    fts: str | None  # FTS5 phrase for the text columns, or None when the text has no words


def fts_phrase(text: str) -> str | None:
    """Words of ``text`` as one quoted FTS5 phrase: user text never reaches FTS5 syntax."""
    tokens = [t for word in re.findall(r"\w+", text.lower()) for t in word.split("_") if t]
    return '"' + " ".join(tokens) + '"' if tokens else None


def resolve_term(conn: sqlite3.Connection, clause: TermClause) -> ResolvedTerm:
    phrase = fts_phrase(clause.text)
    if clause.labels:
        wanted = list(dict.fromkeys([*clause.labels, clause.text]))
        marks = ",".join("?" * len(wanted))
        labels = [r[0] for r in conn.execute(f"SELECT label FROM labels WHERE label IN ({marks})", wanted)]
    elif conn.execute("SELECT 1 FROM labels WHERE label = ?", (clause.text,)).fetchone():
        labels = [clause.text]  # "dog" means the tag dog, not "hot dog"
    elif phrase is not None:
        labels = [r[0] for r in conn.execute(
            "SELECT l.label FROM label_fts JOIN labels l ON l.rowid = label_fts.rowid "
            "WHERE label_fts MATCH ? LIMIT ?", (phrase, MAX_LABELS_PER_TERM))]
    else:
        labels = []
    return ResolvedTerm(clause, labels, phrase)


def _concept_parts(term: ResolvedTerm, score_cols: bool, text_cte: str = "") -> tuple[list[str], list]:
    """SELECTs of (pk[, tag score, text score]) rows through which ``term`` matches."""
    parts, params = [], []
    minimum = term.clause.min_confidence
    if term.labels:
        marks = ",".join("?" * len(term.labels))
        for table, col in (("tags", "confidence"), ("objects", "score")):
            cols = f"photo_pk AS pk, {col} AS c, 0.0 AS x" if score_cols else "photo_pk"
            cond = f" AND {col} >= ?" if minimum is not None else ""
            parts.append(f"SELECT {cols} FROM {table} WHERE label IN ({marks}){cond}")
            params += [*term.labels, *([minimum] if minimum is not None else [])]
    if not term.clause.tag_only and term.fts is not None:
        if score_cols:  # reads the term's materialised FTS CTE (see build_match)
            parts.append(f"SELECT pk, 0.0 AS c, {TEXT_WEIGHT} * r / (1.0 + r) AS x FROM {text_cte}")
        else:
            parts.append("SELECT rowid FROM text_fts WHERE text_fts MATCH ?")
            params.append(term.fts)
    return parts, params


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filter_conditions(query: Query, excluded: list[ResolvedTerm]) -> tuple[list[str], list]:
    conds, params = [], []
    for camera in query.camera:
        conds.append("(coalesce(p.camera_make, '') || ' ' || coalesce(p.camera_model, '')) LIKE ? ESCAPE '\\'")
        params.append(_like(camera))
    for folder in query.folders:
        conds.append("EXISTS (SELECT 1 FROM paths f WHERE f.photo_pk = p.pk AND f.folder LIKE ? ESCAPE '\\')")
        params.append(_like(folder))
    if query.after is not None:
        conds.append("p.taken_at >= ?")
        params.append(iso_key(query.after))
    if query.before is not None:
        conds.append("p.taken_at < ?")
        params.append(iso_key(query.before))
    for term in excluded:
        parts, part_params = _concept_parts(term, score_cols=False)
        if parts:
            conds.append(f"p.pk NOT IN ({' UNION '.join(parts)})")
            params += part_params
    return conds, params


def iso_key(when) -> str:
    """Sortable wall-clock key of a datetime (zone dropped: EXIF times are local)."""
    return when.replace(tzinfo=None).isoformat()


def build_match(query: Query, terms: list[ResolvedTerm], excluded: list[ResolvedTerm],
                extra_conditions: tuple[str, ...] = (), extra_params: tuple = (),
                ordered: bool = True) -> tuple[str, list] | None:
    """SQL selecting (pk, id, vec_slot, score) of every matching photo, best first; None when
    some term cannot match anything (AND semantics). ``ordered=False``: just (vec_slot) of the
    matching photos, in no order (for filtering vector search)."""
    ctes, params, names = [], [], []
    for i, term in enumerate(terms):
        if not term.clause.tag_only and term.fts is not None:
            # bm25() only works where SQLite does not flatten the FTS query into the outer
            # UNION/GROUP BY, hence a MATERIALIZED CTE of its own.
            ctes.append(f"x{i}(pk, r) AS MATERIALIZED (SELECT rowid, -bm25(text_fts, {BM25_WEIGHTS}) "
                        "FROM text_fts WHERE text_fts MATCH ?)")
            params.append(term.fts)
        parts, part_params = _concept_parts(term, score_cols=True, text_cte=f"x{i}")
        if not parts:
            return None
        ctes.append(f"t{i}(pk, s) AS (SELECT pk, max(c) + max(x) FROM ({' UNION ALL '.join(parts)}) GROUP BY pk)")
        params += part_params
        names.append(f"t{i}")
    conds, cond_params = filter_conditions(query, excluded)
    conds += list(extra_conditions)
    columns = "p.pk, p.id, p.vec_slot, " if ordered else "p.vec_slot"
    if names:
        sql = "WITH " + ", ".join(ctes) + " SELECT " + columns
        sql += (" + ".join(f"{n}.s" for n in names) + " AS score" if ordered else "") + f" FROM {names[0]}"
        sql += "".join(f" JOIN {n} ON {n}.pk = {names[0]}.pk" for n in names[1:])
        sql += f" JOIN photos p ON p.pk = {names[0]}.pk"
        order = " ORDER BY score DESC, p.taken_at DESC, p.pk DESC"
    else:
        sql = "SELECT " + columns + ("0.0 AS score" if ordered else "") + " FROM photos p"
        order = " ORDER BY p.taken_at DESC, p.pk DESC"  # DESC puts undated (NULL) photos last
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    return sql + (order if ordered else ""), params + cond_params + list(extra_params)
