"""The embedded index's three ways to rank a keyword query (threshold algorithm, rarest-term
driven SQL, full SQL) give the same answers: the plan's formula, on a library big enough for
each path to do real work."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from photoapp.core.index.embedded import ranking, sql_search
from photoapp.core.index.embedded.backend import EmbeddedIndex
from photoapp.core.query import parse_query
from photoapp.core.records import PhotoDocument, Tag

LABELS = ["animal", "dog", "cat", "bird", "car", "tree", "beach", "food", "pizza", "cello"]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    rng = random.Random(3)
    index = EmbeddedIndex(tmp_path_factory.mktemp("ranking") / "index")
    docs = []
    for i in range(3000):
        labels = rng.sample(LABELS[:-1], 4) + (["cello"] if i % 97 == 0 else [])
        # Confidences on a coarse grid, so that ties happen and their order is checked too.
        tags = [Tag(label, round(rng.random(), 2)) for label in labels]
        when = datetime(2015, 1, 1) + timedelta(hours=i * 7) if i % 5 else None
        docs.append(PhotoDocument(id=f"{i:040x}", paths=[f"/lib/{'beach' if i % 50 == 0 else 'misc'}/img{i}.jpg"],
                                  taken_at=when, camera_make="Canon" if i % 3 else "Nikon", tags=tags,
                                  rating=i % 6, favorite=i % 7 == 0))
    index.upsert(docs)
    index.flush()
    yield index
    index.close()


QUERIES = ["animal", "dog cat", "animal dog bird", "cello", "cello dog", "dog>=0.5 cat>=0.5", "beach",
           "beach dog", "dog -cat", "dog camera:canon", "animal rating>=4", "dog favorite", "tree car food",
           "pizza -pizza", "dog 2016"]


def _reference(index, text, n):
    conn = index._conn()
    q = parse_query(text)
    terms = [sql_search.resolve_term(conn, t) for t in q.terms]
    excluded = [sql_search.resolve_term(conn, t) for t in q.excluded]
    built = sql_search.build_match(q, terms, excluded)
    rows = conn.execute(built[0] + " LIMIT ?", (*built[1], n)).fetchall() if built else []
    return [(pk, round(score, 9)) for pk, _, _, score in rows], (conn, q, terms, excluded)


STRATEGIES = {  # module settings that force each path of ranking.top_hits
    "driven": {"DRIVER_ROWS": 10**9, "WHOLE_ROWS": -1},
    "whole": {"DRIVER_ROWS": -1, "WHOLE_ROWS": 10**9},
    "surest": {"DRIVER_ROWS": -1, "WHOLE_ROWS": -1, "LOOKUP_BUDGET": 10**9},
}


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_strategies_agree_with_the_full_sql(index, monkeypatch, text, strategy):
    n = 25
    expected, (conn, q, terms, excluded) = _reference(index, text, n)
    for name, value in STRATEGIES[strategy].items():
        monkeypatch.setattr(ranking, name, value)
    got = ranking.top_hits(conn, q, terms, excluded, n)
    got = [(pk, round(score, 9)) for pk, _, score in got]
    assert [s for _, s in got] == [s for _, s in expected]  # same scores in the same order
    # Same photos, except that photos tied on the last score may differ (the in-memory paths
    # pick among those by score alone, and the surest-rows path stops once nothing unseen can
    # beat that score).
    last = expected[-1][1] if expected else None
    assert {p for p, s in got if s != last} == {p for p, s in expected if s != last}
    if strategy == "driven" and len(q.terms) > 1:  # (one term always reads its surest rows)
        assert got == expected  # SQL both: ties ordered exactly alike


@pytest.mark.parametrize("text", ["dog cat", "animal dog bird", "tree car food"])
def test_a_lookup_budget_bounds_work_and_keeps_exact_scores(index, monkeypatch, text):
    everything, (conn, q, terms, excluded) = _reference(index, text, 10_000)
    true_score = dict(everything)
    monkeypatch.setattr(ranking, "DRIVER_ROWS", -1)
    monkeypatch.setattr(ranking, "WHOLE_ROWS", -1)
    monkeypatch.setattr(ranking, "LOOKUP_BUDGET", 300)
    got = ranking.top_hits(conn, q, terms, excluded, 25)
    assert len(got) == 25
    # Every hit truly matches, with its true score, best first; the best of all is found.
    assert all(round(score, 9) == true_score[pk] for pk, _, score in got)
    assert [s for _, _, s in got] == sorted((s for _, _, s in got), reverse=True)
    assert round(got[0][2], 9) == everything[0][1]
