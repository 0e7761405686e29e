"""Best hits of a keyword query without scoring every photo that matches it, and explanations.

``top_hits`` evaluates the plan's ranking (core/query/plan.py). Which way depends on how many
rows each term has (the label dictionary's counts, ``sql_search.estimate_rows``):

* of several terms, one has at most DRIVER_ROWS rows (and that costs less than the next
  way): ``sql_search.driven_sql`` reads that term's photos only, and checks and scores every
  other term through each candidate's own rows (primary-key lookups), so "canine whiptail" on a million photos reads the 5,000 whiptail rows, never the
  300,000 "canine" ones. Exact.
* several terms, at most WHOLE_ROWS rows together: every row of every term is read from the
  covering (label, confidence, photo_pk) indexes and the terms are intersected in memory. Exact.
* otherwise (one broad term, or several broad ones): each term's K surest rows per label are
  read from those indexes (K = FIRST_K, then 4x as many), and the photos found are scored
  exactly through their own rows. Reading stops once ``n`` photos that pass the filters score
  at least what any photo not found yet could reach (the sum of each term's frontier
  confidence; photos matched by name are all scored up front): exact. A broad term alone
  ("animal") or broad terms that go together ("animal dog") stop after a few hundred rows.
  Broad terms that rarely meet ("animal device") could need millions of rows to be certain;
  after LOOKUP_BUDGET lookups (8 times as many while fewer than ``n`` photos match), the answer
  is the best of the photos scored: those surest for some term that match all of them. That is the bound that keeps every keyword query
  under ~100 ms at a million photos (bench/query_scale.py).

Among photos with exactly the same score, the surest-rows path orders newest first within what
it read.
"""
from __future__ import annotations

import os

from ...query import Query
from ...query.explain import ExplainTerm, Stored, explain as explain_stored
from . import sql_search

DRIVER_ROWS = 10_000  # a term with at most this many rows drives the query (driven_sql)
MAX_TEXT_MATCHES = 5_000  # above this many name matches for a term, driven_sql instead
FIRST_K = 256  # surest rows read per label at first; then 4x as many, as long as needed
LOOKUP_BUDGET = 2_000  # lookups before answering from what was scored (8x while fewer than n match)
WHOLE_ROWS = 60_000  # terms with this many rows together are intersected whole, exactly
DRIVEN_US_PER_ROW, WHOLE_US_PER_ROW = 3.5, 0.6  # CPU per row of each exact path (1M photos)


def chunks(items: list, size: int = 500):
    """Slices small enough for SQLite's limit on bound parameters."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def folder_of(path: str) -> str:
    return os.path.dirname(path)


def name_of(path: str) -> str:
    return os.path.basename(path)


class _SurestRows:
    """One term's ``k`` surest tag/object rows per label, read from the (label, confidence)
    indexes alone (covering: no table row is touched): photo -> best confidence."""

    def __init__(self, conn, term: sql_search.ResolvedTerm):
        self.conn, self.term = conn, term
        self.best: dict[int, float] = {}
        self.frontier = 0.0  # no unread row of the term is surer than this
        self.top = 0.0  # the surest row of the term
        self.exhausted = not term.labels
        self.rows = 0

    def read(self, k: int) -> None:
        if self.exhausted and self.rows:
            return
        minimum = self.term.clause.min_confidence
        floor = f" AND {{col}} >= {float(minimum)!r}" if minimum is not None else ""
        best: dict[int, float] = {}
        frontier, exhausted, rows = 0.0, True, 0
        for label in self.term.labels:
            for table, col in self.term.tables:
                got = self.conn.execute(f"SELECT photo_pk, {col} FROM {table} WHERE label = ?{floor.format(col=col)} "
                                        f"ORDER BY {col} DESC LIMIT ?", (label, k)).fetchall()
                rows += len(got)
                if got:
                    self.top = max(self.top, got[0][1])
                if k >= 0 and len(got) == k:
                    exhausted = False
                    frontier = max(frontier, got[-1][1])
                if not best:
                    best = dict(reversed(got))  # rows descend: the surest row of a photo wins
                else:
                    for pk, conf in got:
                        if conf > best.get(pk, -1.0):
                            best[pk] = conf
        self.best, self.frontier, self.exhausted, self.rows = best, frontier, exhausted, rows


def _text_scores(conn, term: sql_search.ResolvedTerm) -> dict[int, float] | None:
    if not term.matches_text:
        return {}
    text_sql, params = sql_search.text_rows_sql(term)
    rows = conn.execute(f"SELECT * FROM ({text_sql}) LIMIT ?", (*params, MAX_TEXT_MATCHES + 1)).fetchall()
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
    for table, col in term.tables:
        floor = f" AND {col} >= ?" if minimum is not None else ""
        for chunk in chunks(pks, 400):
            for pk, conf in conn.execute(
                    f"SELECT photo_pk, max({col}) FROM {table} WHERE photo_pk IN ({','.join('?' * len(chunk))}) "
                    f"AND +label IN ({lmarks}){floor} GROUP BY photo_pk",
                    (*chunk, *term.labels, *([minimum] if minimum is not None else []))):
                best[pk] = max(best.get(pk, 0.0), conf)
    return best


def top_hits(conn, query: Query, terms: list[sql_search.ResolvedTerm], excluded: list[sql_search.ResolvedTerm],
             n: int) -> list[tuple[int, str, float]]:
    """Best ``n`` (pk, id, score) of a query with terms, ranked as the plan says."""
    if any(not t.can_match for t in terms):
        return []
    driven = whole = False
    driver = 0
    if len(terms) > 1:  # (one term: its surest rows first, the best n are usually the first read)
        estimates = [sql_search.estimate_rows(conn, t, max(DRIVER_ROWS, WHOLE_ROWS) + 1) for t in terms]
        driver = min(range(len(terms)), key=estimates.__getitem__)
        whole = sum(estimates) <= WHOLE_ROWS
        driven = estimates[driver] <= DRIVER_ROWS
        if whole and driven:  # both exact: the cheaper (measured per row at 1M photos)
            whole = WHOLE_US_PER_ROW * sum(estimates) <= DRIVEN_US_PER_ROW * estimates[driver]
            driven = not whole
    if not driven:
        top = _surest_top(conn, query, terms, excluded, n, whole)
        if top is not None:
            return top
    sql, params = sql_search.driven_sql(query, terms, excluded, driver)
    return [(pk, doc_id, score) for pk, doc_id, score in conn.execute(sql + " LIMIT ?", (*params, int(n)))]


def _surest_top(conn, query: Query, terms: list[sql_search.ResolvedTerm],
                excluded: list[sql_search.ResolvedTerm], n: int, whole: bool = False
                ) -> list[tuple[int, str, float]] | None:
    """Top ``n`` among the photos in some term's K surest rows (K growing), each scored exactly
    (module docstring); None when a term's words match too many file names."""
    texts = [_text_scores(conn, t) for t in terms]
    if any(t is None for t in texts):
        return None
    conds, cond_params = sql_search.filter_conditions(query, excluded)
    where = "".join(f" AND {c}" for c in conds)
    admitted: dict[int, tuple[str, str] | None] = {}  # pk -> (id, taken) when it passes the filters

    def admit(pks: list[int]) -> None:
        fresh = [pk for pk in pks if pk not in admitted]
        for chunk in chunks(fresh, 400):
            admitted.update(dict.fromkeys(chunk))
            for pk, doc_id, taken in conn.execute(
                    f"SELECT p.pk, p.id, p.taken_at FROM photos p WHERE p.pk IN ({','.join('?' * len(chunk))})"
                    f"{where}", (*chunk, *cond_params)):
                admitted[pk] = (doc_id, taken or "")

    scores: dict[int, float] = {}  # exact score of every candidate that matches every term
    looked: set[int] = set()
    lookups = 0
    lists = [_SurestRows(conn, t) for t in terms]

    def score(pks: list[int]) -> None:
        """Exact scores: a term with one label in one table gives a photo's confidence in its
        surest rows; otherwise, or for a photo not among them, the photo's own rows tell."""
        nonlocal lookups
        fresh = [pk for pk in dict.fromkeys(pks) if pk not in looked]
        looked.update(fresh)
        totals = dict.fromkeys(fresh, 0.0)
        for term, text, rows in zip(terms, texts, lists):
            known = rows.best if len(term.labels) * len(term.tables) == 1 else {}
            unknown = [pk for pk in totals if pk not in known]
            lookups += len(unknown)
            best = _best_confidence(conn, term, unknown)
            best.update((pk, known[pk]) for pk in totals if pk in known)
            for pk in list(totals):
                if pk in best or pk in text:
                    totals[pk] += best.get(pk, 0.0) + text.get(pk, 0.0)
                else:
                    del totals[pk]  # every term must match
        scores.update(totals)

    score([pk for text in texts for pk in text])  # photos matched by name: few, all of them
    if whole:
        # Every row of every term, from the covering indexes: each photo's best confidence per
        # term is then known without a lookup, and the intersection is exact.
        for rows in lists:
            rows.read(-1)
        smallest = min(lists, key=lambda r: len(r.best))
        for pk in smallest.best:
            if pk in looked:
                continue
            total = 0.0
            for rows, text in zip(lists, texts):
                conf = rows.best.get(pk)
                if conf is None:
                    break
                total += conf + text.get(pk, 0.0)
            else:
                scores[pk] = total
        passing = _best_passing(scores, admit, admitted, n)
        top = sorted(((scores[pk], admitted[pk][1], pk, admitted[pk][0]) for pk in passing), reverse=True)[:n]
        return [(pk, doc_id, total) for total, _, pk, doc_id in top]
    k = max(FIRST_K, 4 * n)
    while True:
        for rows in lists:
            rows.read(k)
        score([pk for rows in lists for pk in rows.best])
        passing = _best_passing(scores, admit, admitted, n)
        # A matching photo not looked up is in no term's surest rows and matched by no name: it
        # scores at most the sum of the frontiers, and nothing if some term's rows are all read.
        unseen = -1.0 if any(r.exhausted for r in lists) else sum(r.frontier for r in lists)
        settled = len(passing) >= n and scores[passing[n - 1]] >= unseen
        enough = lookups >= (LOOKUP_BUDGET if len(passing) >= n else 8 * LOOKUP_BUDGET)
        if settled or unseen < 0 or enough or all(r.exhausted for r in lists):
            break
        k *= 4
    top = sorted(((scores[pk], admitted[pk][1], pk, admitted[pk][0]) for pk in passing), reverse=True)[:n]
    return [(pk, doc_id, total) for total, _, pk, doc_id in top]


def _best_passing(scores: dict[int, float], admit, admitted: dict, n: int) -> list[int]:
    """The ``n`` best-scored photos that pass the filters (checked best first, a page at a time)."""
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    passing: list[int] = []
    for start in range(0, len(ranked), 4 * n):
        page = ranked[start:start + 4 * n]
        admit(page)
        passing += [pk for pk in page if admitted[pk] is not None]
        if len(passing) >= n:
            break
    return passing[:n]


def explain(conn, pks: list[int], paths: dict[int, list[str]], query: Query,
            terms: list[sql_search.ResolvedTerm]) -> dict[int, list[tuple[str, str, float]]]:
    """Why each hit matched (shown on hover in the GUI): the shared explainer over the stored
    tags, objects, paths, camera and colours of the hits."""
    if not pks or not (terms or query.colors):
        return {}
    marks = ",".join("?" * len(pks))
    stored = {pk: Stored(tags=[], objects=[], paths=paths.get(pk, []), colors=[], text_lines=[]) for pk in pks}
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
    for pk, city, region, country in conn.execute(
            f"SELECT photo_pk, city, region, country FROM places WHERE photo_pk IN ({marks})", pks):
        stored[pk].place = ", ".join(dict.fromkeys(n for n in (city, region, country) if n))
    if any(t.matches_photo_text for t in terms):
        for pk, text, score in conn.execute(
                f"SELECT photo_pk, text, score FROM text_lines WHERE photo_pk IN ({marks}) ORDER BY photo_pk, ord", pks):
            stored[pk].text_lines.append((text, score))
    plan_terms = [ExplainTerm(t.clause.text, t.clause.min_confidence, t.clause.tag_only, frozenset(t.labels),
                              t.clause.text_only) for t in terms]
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
        # count(*), not count(DISTINCT photo_pk): a photo carries each label once (the tagger's
        # tags are one per label), and DISTINCT would sort the whole range.
        count = conn.execute("SELECT count(*) FROM tags WHERE label = ? AND confidence >= ?",
                             (label, float(min_confidence))).fetchone()[0]
        if count:
            best.append((count, label))
    best.sort(key=lambda r: (-r[0], r[1]))
    return [(label, count) for count, label in best[:limit]]
