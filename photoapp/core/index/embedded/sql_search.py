"""Compile the query plan (core/query/plan.py) to SQL over the embedded index's tables (schema.py).

The matching and ranking rules are the plan's; this module only says how SQLite evaluates them:

- a term's tag/object part reads the (label, confidence) indexes; its text part is one FTS5
  phrase over (names, folders, camera), and which columns matched comes from ``bm25`` with one
  column weighted at a time (a column's bm25 is non-zero exactly when the phrase occurs in it),
  so the text score is the plan's fixed TEXT_WEIGHTS, not an engine-specific BM25;
- the SQL of a query has a fixed shape whatever its length: every term's rows go into one
  ``UNION ALL`` tagged with the term's number, grouped per photo, and a photo matches when it
  has rows for all terms. No join per term (SQLite allows 64 tables in a join and 500 compound
  members; MAX_TERMS keeps us far below both);
- filters and exclusions are conditions on ``photos p`` that look up the photo's own rows
  (``EXISTS`` over the (photo_pk, ord) primary keys), so checking a few hundred candidates, or
  walking the date index until a page is full, never reads whole label ranges;
- ``driven_sql`` reads one (the rarest) term's rows and checks the rest per candidate; the
  choice between it and the in-memory paths is ranking.top_hits'; ``listing_sql`` compiles the
  typed listings of core/query/listing.py (no query text involved).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from ...query import TEXT_WEIGHTS, Query, TermClause
from ...query.plan import PHOTO_TEXT_WEIGHT

# Labels one term may stand for. With MAX_TERMS terms, each label bound up to 4 times in one
# statement, this keeps every query under SQLite's 32,766 bound parameters.
MAX_LABELS_PER_TERM = 200
# (FTS5 column, plan field) in text_fts column order.
_TEXT_COLUMNS = (("names", "names"), ("folders", "folders"), ("camera", "camera"), ("places", "places"))


@dataclass
class ResolvedTerm:
    clause: TermClause
    labels: list[str]  # labels that exist in the index
    fts: str | None  # FTS5 phrase for the text columns, or None when the text has no words
    has_objects: bool = True  # some detected object carries one of the labels

    @property
    def tables(self) -> tuple[tuple[str, str], ...]:
        """(table, confidence column) holding the term's rows."""
        return (("tags", "confidence"), ("objects", "score")) if self.has_objects else (("tags", "confidence"),)

    @property
    def matches_names(self) -> bool:
        """The names/folders/camera/places part (text_fts) applies."""
        return not self.clause.tag_only and not self.clause.text_only and self.fts is not None

    @property
    def matches_photo_text(self) -> bool:
        """The text read in the photo (photo_text_fts) applies."""
        return not self.clause.tag_only and self.fts is not None

    @property
    def matches_text(self) -> bool:
        """Some text part applies (its rows and scores: text_rows_sql)."""
        return self.matches_names or self.matches_photo_text

    @property
    def can_match(self) -> bool:
        return bool(self.labels) or self.matches_text


def fts_phrase(text: str) -> str | None:
    """Words of ``text`` as one quoted FTS5 phrase: user text never reaches FTS5 syntax."""
    tokens = [t for word in re.findall(r"\w+", text.lower()) for t in word.split("_") if t]
    return '"' + " ".join(tokens) + '"' if tokens else None


def resolve_term(conn: sqlite3.Connection, clause: TermClause) -> ResolvedTerm:
    """The plan's label rule against this index's label dictionary."""
    phrase = fts_phrase(clause.text)
    if clause.text_only:
        return ResolvedTerm(clause, [], phrase, False)  # text:...: no tags, no objects
    if clause.labels:
        wanted = list(dict.fromkeys([*clause.labels, clause.text]))[:MAX_LABELS_PER_TERM]
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
    has_objects = bool(labels) and conn.execute(
        f"SELECT 1 FROM objects WHERE label IN ({','.join('?' * len(labels))}) LIMIT 1", labels).fetchone() is not None
    return ResolvedTerm(clause, labels, phrase, has_objects)


def text_score_sql() -> str:
    """The plan's text score of an FTS5 row of text_fts (use where text_fts MATCH applies)."""
    weights = []
    for i, (_, field) in enumerate(_TEXT_COLUMNS):
        cols = ", ".join("1.0" if j == i else "0.0" for j in range(len(_TEXT_COLUMNS)))
        weights.append(f"{TEXT_WEIGHTS[field]!r} * (bm25(text_fts, {cols}) < 0)")
    return "(" + " + ".join(weights) + ")"


def text_rows_sql(term: ResolvedTerm) -> tuple[str, list]:
    """SELECT (pk, x): the plan's text score of every photo whose text matches ``term``: the
    TEXT_WEIGHTS of the text_fts columns it appears in plus PHOTO_TEXT_WEIGHT when the text
    read in the photo holds it. Use as the body of a MATERIALIZED CTE (bm25 needs it)."""
    parts, params = [], []
    if term.matches_names:
        parts.append(f"SELECT rowid AS pk, {text_score_sql()} AS x FROM text_fts WHERE text_fts MATCH ?")
        params.append(term.fts)
    if term.matches_photo_text:
        parts.append(f"SELECT rowid AS pk, {PHOTO_TEXT_WEIGHT!r} AS x FROM photo_text_fts "
                     "WHERE photo_text_fts MATCH ?")
        params.append(term.fts)
    if len(parts) == 1:
        return parts[0], params
    return f"SELECT pk, sum(x) FROM ({' UNION ALL '.join(parts)}) GROUP BY pk", params


def label_rows(term: ResolvedTerm) -> list[tuple[str, str, list]]:
    """``[(from_where_sql, confidence column, params)]`` selecting the tag and object rows
    through which ``term`` matches."""
    if not term.labels:
        return []
    marks = ",".join("?" * len(term.labels))
    out = []
    minimum = term.clause.min_confidence
    for table, col in term.tables:
        cond = f" AND {col} >= ?" if minimum is not None else ""
        out.append((f"{table} WHERE label IN ({marks}){cond}", col,
                    [*term.labels, *([minimum] if minimum is not None else [])]))
    return out


def _own_label_rows(term: ResolvedTerm) -> list[tuple[str, str, list]]:
    """(confidence column, "<table> r WHERE ...", params) per tag/object table: the photo
    ``p``'s own rows whose label the term means, at its minimum confidence.

    "+r.label": rows are looked up by photo (primary key), not through the label index, whose
    range can hold most of the library for "animal"."""
    if not term.labels:
        return []
    marks = ",".join("?" * len(term.labels))
    minimum = term.clause.min_confidence
    out = []
    for table, col in term.tables:
        cond = f" AND r.{col} >= ?" if minimum is not None else ""
        out.append((col, f"{table} r WHERE r.photo_pk = p.pk AND +r.label IN ({marks}){cond}",
                    [*term.labels, *([minimum] if minimum is not None else [])]))
    return out


def term_condition(term: ResolvedTerm) -> tuple[str, list]:
    """``p`` (a photos row) matches ``term``: looked up through the photo's own rows."""
    parts, params = [], []
    for _, rows, rows_params in _own_label_rows(term):
        parts.append(f"EXISTS (SELECT 1 FROM {rows})")
        params += rows_params
    if term.matches_names:
        parts.append("p.pk IN (SELECT rowid FROM text_fts WHERE text_fts MATCH ?)")
        params.append(term.fts)
    if term.matches_photo_text:
        parts.append("p.pk IN (SELECT rowid FROM photo_text_fts WHERE photo_text_fts MATCH ?)")
        params.append(term.fts)
    if not parts:
        return "0", []
    return "(" + " OR ".join(parts) + ")", params


def filter_conditions(query: Query, excluded: list[ResolvedTerm]) -> tuple[list[str], list]:
    """Conditions on ``photos p`` for the plan's filters and exclusions."""
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
    if query.months:  # taken_at is 'YYYY-MM-DDTHH:MM:SS'; checked while walking the date index
        conds.append(f"substr(p.taken_at, 6, 2) IN ({','.join('?' * len(query.months))})")
        params += [f"{int(m):02d}" for m in query.months]
    for color in query.colors:
        conds.append("EXISTS (SELECT 1 FROM colors c WHERE c.photo_pk = p.pk AND c.name = ?)")
        params.append(color)
    if query.min_rating is not None:
        conds.append("p.rating >= ?")
        params.append(int(query.min_rating))
    if query.max_rating is not None:
        conds.append("p.rating <= ?")
        params.append(int(query.max_rating))
    if query.favorite is not None:
        conds.append("p.favorite = ?")
        params.append(1 if query.favorite else 0)
    if query.min_faces is not None or query.max_faces is not None:
        # Counted on the faces primary key (photo_pk, ord): a few rows per photo at most.
        low, high = query.min_faces or 0, query.max_faces
        conds.append("(SELECT count(*) FROM faces fc WHERE fc.photo_pk = p.pk) BETWEEN ? AND ?")
        params += [int(low), int(high) if high is not None else 2**31]
    for name in query.people:
        conds.append("EXISTS (SELECT 1 FROM people pe WHERE pe.photo_pk = p.pk AND pe.name_key = ?)")
        params.append(name)
    place_conds, place_params = place_conditions(query)
    conds += place_conds
    params += place_params
    for term in excluded:
        if term.can_match:
            cond, cond_params = term_condition(term)
            conds.append(f"NOT {cond}")
            params += cond_params
    return conds, params


def place_conditions(query: Query) -> tuple[list[str], list]:
    """place:, country:, near: and within: (the plan's place filters) on ``photos p``."""
    conds, params = [], []
    for place in query.places:
        phrase = fts_phrase(place)
        conds.append("p.pk IN (SELECT rowid FROM text_fts WHERE text_fts MATCH ?)" if phrase else "0")
        params += [f"places : {phrase}"] if phrase else []
    for country in query.countries:
        conds.append("EXISTS (SELECT 1 FROM places pl WHERE pl.photo_pk = p.pk "
                     "AND (pl.country = ? COLLATE NOCASE OR pl.country_code = ? COLLATE NOCASE))")
        params += [country, country]
    for box in (query.within, query.near.box() if query.near is not None else None):
        if box is None:
            continue
        # A range of the (gps_lat, gps_lon) index; photos without GPS have NULLs and never pass.
        conds.append("p.gps_lat BETWEEN ? AND ?")
        params += [box.south, box.north]
        conds.append("(p.gps_lon >= ? OR p.gps_lon <= ?)" if box.crosses_antimeridian else "p.gps_lon BETWEEN ? AND ?")
        params += [box.west, box.east]
    if query.near is not None:
        import math

        from ...places.geo import EARTH_KM
        near = query.near
        # Haversine, as core/places/geo.distance_km (SQLite's math functions).
        conds.append(f"2 * {EARTH_KM!r} * asin(min(1.0, sqrt(pow(sin((radians(p.gps_lat) - ?) / 2), 2) "
                     "+ cos(radians(p.gps_lat)) * ? * pow(sin((radians(p.gps_lon) - ?) / 2), 2)))) <= ?")
        params += [math.radians(near.lat), math.cos(math.radians(near.lat)), math.radians(near.lon), near.km]
    return conds, params


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def iso_key(when) -> str:
    """Sortable wall-clock key of a datetime (zone dropped: EXIF times are local)."""
    return when.replace(tzinfo=None).isoformat()


NEWEST_FIRST = "p.taken_at DESC, p.pk DESC"  # DESC puts undated (NULL) photos last


def build_match(query: Query, terms: list[ResolvedTerm], excluded: list[ResolvedTerm],
                extra_conditions: tuple[str, ...] = (), extra_params: tuple = (),
                ordered: bool = True) -> tuple[str, list] | None:
    """SQL selecting (pk, id, vec_slot, score) of every matching photo, best first (the plan's
    ranking); None when some term cannot match anything (AND semantics). ``ordered=False``:
    just (vec_slot) of the matching photos, in no order (for filtering vector search).

    This scores every photo any term matches: keyword search ranks through ranking.top_hits,
    which finds the best few without that; this serves queries without terms (walking the date
    index) and the set of photos a filtered similar-photo search may return."""
    if any(not t.can_match for t in terms):
        return None
    conds, params = filter_conditions(query, excluded)
    conds += list(extra_conditions)
    columns = "p.pk, p.id, p.vec_slot, " if ordered else "p.vec_slot"
    if not terms:
        sql = "SELECT " + columns + ("0.0 AS score" if ordered else "") + " FROM photos p"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        return sql + (f" ORDER BY {NEWEST_FIRST}" if ordered else ""), params + list(extra_params)
    ctes, cte_params, members, member_params = [], [], [], []
    for i, term in enumerate(terms):
        if term.matches_text:
            # bm25() only works where SQLite does not flatten the FTS query into the outer
            # UNION/GROUP BY, hence a MATERIALIZED CTE of its own.
            text_sql, text_params = text_rows_sql(term)
            ctes.append(f"x{i}(pk, x) AS MATERIALIZED ({text_sql})")
            cte_params += text_params
            members.append(f"SELECT pk, {i} AS term, 0.0 AS c, x FROM x{i}")
        for from_where, col, piece_params in label_rows(term):
            members.append(f"SELECT photo_pk, {i}, {col}, 0.0 FROM {from_where}")
            member_params += piece_params
    ctes.append(f"m(pk, term, c, x) AS ({' UNION ALL '.join(members)})")
    ctes.append("s(pk, term, score) AS (SELECT pk, term, max(c) + max(x) FROM m GROUP BY pk, term)")
    ctes.append(f"hits(pk, score) AS (SELECT pk, sum(score) FROM s GROUP BY pk HAVING count(*) = {len(terms)})")
    sql = ("WITH " + ", ".join(ctes) + " SELECT " + columns + ("hits.score" if ordered else "")
           + " FROM hits JOIN photos p ON p.pk = hits.pk")
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    if ordered:
        sql += f" ORDER BY hits.score DESC, {NEWEST_FIRST}"
    return sql, cte_params + member_params + params + list(extra_params)


def passing_sql(query: Query, terms: list[ResolvedTerm], excluded: list[ResolvedTerm], column: str,
                within: str, within_params: tuple) -> tuple[str, list] | None:
    """SQL selecting ``p.<column>`` of the photos among ``within`` (a condition on ``p`` that
    names few photos, e.g. ``p.vec_slot IN (...)``) that match the whole query. Every check
    looks up the photo's own rows, so its cost follows the candidates, not the library."""
    if any(not t.can_match for t in terms):
        return None
    conds, params = [within], list(within_params)
    for term in terms:
        cond, cond_params = term_condition(term)
        conds.append(cond)
        params += cond_params
    filter_conds, filter_params = filter_conditions(query, excluded)
    return (f"SELECT p.{column} FROM photos p WHERE " + " AND ".join(conds + filter_conds),
            params + filter_params)


def listing_sql(listing, sort: str) -> tuple[str, list]:
    """SQL selecting (pk, id, score) of a typed listing (core/query/listing.py), in ``sort``
    order; score is the tag's confidence or the colour's share, else 0."""
    from ...pathtext import to_storable
    from ...query import listing as L

    L.check(listing, sort)
    params: list = []
    source, score = "photos p", "0.0"
    if isinstance(listing, L.Folder):
        prefix = to_storable(listing.prefix)
        # Paths inside the folder sort between "<folder>/" and "<folder>0" ("0" follows "/"):
        # a range of the paths primary key, exact on whole components, with no LIKE escaping.
        source = ("photos p WHERE p.pk IN (SELECT photo_pk FROM paths WHERE path >= ? AND path < ?)")
        params += [prefix, prefix[:-1] + chr(ord("/") + 1)]
    elif isinstance(listing, L.Tag):
        source = ("(SELECT photo_pk, max(confidence) AS c FROM tags WHERE label = ? AND confidence >= ? "
                  "GROUP BY photo_pk) m JOIN photos p ON p.pk = m.photo_pk")
        params += [listing.label, float(listing.min_confidence)]
        score = "m.c"
    elif isinstance(listing, L.Color):
        source = ("(SELECT photo_pk, max(share) AS c FROM colors WHERE name = ? GROUP BY photo_pk) m "
                  "JOIN photos p ON p.pk = m.photo_pk")
        params.append(listing.name)
        score = "m.c"
    elif isinstance(listing, L.Cluster):
        source = "photos p WHERE p.cluster_id = ?"
        params.append(int(listing.id))
    elif isinstance(listing, L.Person):
        source = "photos p WHERE p.pk IN (SELECT photo_pk FROM people WHERE person_id = ?)"
        params.append(int(listing.id))
    order = {"date": NEWEST_FIRST,
             "name": "(SELECT min(path) FROM paths WHERE photo_pk = p.pk), p.pk",
             "relevance": f"{score} DESC, {NEWEST_FIRST}"}[sort]
    return f"SELECT p.pk, p.id, {score} FROM {source} ORDER BY {order}", params


def _score_expr(term: ResolvedTerm, text_cte: str | None) -> tuple[str, list]:
    """The plan's score of ``term`` for the photo ``p``, from the photo's own rows."""
    parts, params = [], []
    for col, rows, rows_params in _own_label_rows(term):
        parts.append(f"coalesce((SELECT max(r.{col}) FROM {rows}), 0.0)")
        params += rows_params
    tag = (f"max({', '.join(parts)})" if len(parts) > 1 else parts[0]) if parts else "0.0"
    text = f"coalesce((SELECT x FROM {text_cte} WHERE {text_cte}.pk = p.pk), 0.0)" if text_cte else "0.0"
    return f"({tag} + {text})", params


def driven_sql(query: Query, terms: list[ResolvedTerm], excluded: list[ResolvedTerm],
               driver: int) -> tuple[str, list]:
    """SQL selecting (pk, id, score) of the matching photos, best first, reading only the photos
    of ``terms[driver]`` (the term with the fewest rows) and checking, then scoring, every other
    term through each candidate's own rows: its cost follows the rarest term, not the library."""
    ctes, cte_params = [], []
    text_ctes: dict[int, str] = {}
    for i, term in enumerate(terms):
        if term.matches_text:
            text_sql, text_params = text_rows_sql(term)
            ctes.append(f"x{i}(pk, x) AS MATERIALIZED ({text_sql})")
            cte_params += text_params
            text_ctes[i] = f"x{i}"
    sources, source_params = [], []
    for from_where, _, piece_params in label_rows(terms[driver]):
        sources.append(f"SELECT photo_pk FROM {from_where}")
        source_params += piece_params
    if driver in text_ctes:
        sources.append(f"SELECT pk FROM {text_ctes[driver]}")
    scores, score_params = [], []
    for i, term in enumerate(terms):
        expr, expr_params = _score_expr(term, text_ctes.get(i))
        scores.append(expr)
        score_params += expr_params
    # Conditions before scores: a candidate that fails a cheap EXISTS is never scored.
    conds, cond_params = [f"p.pk IN ({' UNION '.join(sources)})"], list(source_params)
    for i, term in enumerate(terms):
        if i != driver:
            cond, params = term_condition(term)
            conds.append(cond)
            cond_params += params
    filter_conds, filter_params = filter_conditions(query, excluded)
    sql = ((("WITH " + ", ".join(ctes) + " ") if ctes else "")
           + f"SELECT p.pk, p.id, {' + '.join(scores)} AS score FROM photos p WHERE "
           + " AND ".join(conds + filter_conds) + f" ORDER BY score DESC, {NEWEST_FIRST}")
    return sql, cte_params + score_params + cond_params + filter_params


def estimate_rows(conn: sqlite3.Connection, term: ResolvedTerm, cap: int) -> int:
    """About how many rows ``term`` matches (tags from the label dictionary's counts; objects and
    names counted, up to ``cap``): picks the term that drives driven_sql."""
    rows = 0
    if term.labels:
        marks = ",".join("?" * len(term.labels))
        rows += conn.execute(f"SELECT coalesce(sum(photos), 0) FROM labels WHERE label IN ({marks})",
                             term.labels).fetchone()[0]
        if term.has_objects:
            rows += conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM objects WHERE label IN ({marks}) LIMIT ?)",
                                 (*term.labels, cap)).fetchone()[0]
    if term.matches_names and rows <= cap:
        rows += conn.execute("SELECT count(*) FROM (SELECT 1 FROM text_fts WHERE text_fts MATCH ? LIMIT ?)",
                             (term.fts, cap)).fetchone()[0]
    if term.matches_photo_text and rows <= cap:
        rows += conn.execute("SELECT count(*) FROM (SELECT 1 FROM photo_text_fts WHERE photo_text_fts MATCH ? "
                             "LIMIT ?)", (term.fts, cap)).fetchone()[0]
    return rows
