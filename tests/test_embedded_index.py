"""EmbeddedIndex specifics beyond the shared contract: schema, threads, paths, open_backend."""
from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from photoapp.core.errors import BackendError, ConfigError
from photoapp.core.index import open_backend
from photoapp.core.index.embedded.backend import EmbeddedIndex
from photoapp.core.index.embedded.schema import SCHEMA_VERSION
from photoapp.core.query import parse_query
from photoapp.core.records import PhotoDocument, Tag
from photoapp.core.settings import Settings


def doc(i: int, dim: int = 16, **kw) -> PhotoDocument:
    rng = np.random.default_rng(i)
    v = rng.standard_normal(dim).astype(np.float32)
    kw.setdefault("paths", [f"/lib/folder{i % 3}/photo_{i}.jpg"])
    kw.setdefault("tags", [Tag("dog" if i % 2 else "cat", 0.5 + (i % 5) / 10)])
    return PhotoDocument(id=f"{i:040x}", embedding=v / np.linalg.norm(v), **kw)


def test_database_is_wal_with_a_schema_version(tmp_path):
    index = EmbeddedIndex(tmp_path)
    index.close()
    conn = sqlite3.connect(tmp_path / "index.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    conn.close()
    EmbeddedIndex(tmp_path).close()  # reopening runs no migration twice


def test_a_newer_schema_is_refused(tmp_path):
    EmbeddedIndex(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "index.sqlite3")
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(BackendError, match="newer"):
        EmbeddedIndex(tmp_path)


def test_a_path_given_to_a_new_document_moves_but_the_catalog_decides_the_rest(tmp_path):
    index = EmbeddedIndex(tmp_path)
    old = doc(1, paths=["/lib/a.jpg"])
    shared = doc(2, paths=["/lib/b.jpg", "/lib/c.jpg"])
    index.upsert([old, shared])
    # /lib/a.jpg and /lib/b.jpg were edited: their bytes now hash to a new document.
    index.upsert([doc(3, paths=["/lib/a.jpg", "/lib/b.jpg"])])
    assert index.get_by_path("/lib/b.jpg").id == doc(3).id
    assert index.get(shared.id).paths == ["/lib/c.jpg"]
    assert {h.id for h in index.search(parse_query("photo_1"))} == set()  # its name went with the path
    # The old document is not deleted behind the catalog's back: the catalog says so.
    assert index.get(old.id).paths == []
    index.delete([old.id])
    assert index.get(old.id) is None
    index.close()


def test_a_new_embedding_size_is_refused(tmp_path):
    index = EmbeddedIndex(tmp_path)
    index.upsert([doc(1, dim=16)])
    with pytest.raises(BackendError, match="dimensions"):
        index.upsert([doc(2, dim=32)])
    assert index.get(doc(2).id) is None  # the failed batch left nothing behind
    assert [h.id for h in index.similar(doc(1).embedding, 5)] == [doc(1).id]
    index.close()


def test_readers_see_a_consistent_index_while_a_writer_thread_writes(tmp_path):
    index = EmbeddedIndex(tmp_path, ann_threshold=200)
    index.upsert([doc(i) for i in range(50)])
    errors: list[BaseException] = []
    done = threading.Event()

    def writer():
        try:
            for start in range(50, 600, 25):
                index.upsert([doc(i) for i in range(start, start + 25)])
                index.delete([doc(start - 50).id])
                index.flush()  # crosses the ANN threshold mid-way
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reads = 0
    while not done.is_set() or reads < 5:
        hits = index.search(parse_query("dog"), limit=20)
        assert all(h.paths for h in hits)
        sims = index.similar(doc(3).embedding, limit=5, query=parse_query("tag:cat"))
        assert all(s.score <= 1.0 for s in sims)
        index.stats()
        reads += 1
    thread.join(timeout=60)
    assert not errors, errors
    batches = len(range(50, 600, 25))
    assert index.stats().documents == index.stats().with_embedding == 600 - batches
    assert index.vectors.has_ann
    assert index.similar(doc(599).embedding, limit=1)[0].id == doc(599).id
    index.close()


def test_vectors_are_reused_when_an_upsert_repeats(tmp_path):
    index = EmbeddedIndex(tmp_path)
    index.upsert([doc(1)])
    index.upsert([doc(1)])
    index.upsert([doc(1, tags=[])])
    assert index.vectors.slot_count == 1
    index.close()


def test_labels_indexed_before_a_vocabulary_get_its_synonyms_later(tmp_path):
    class Table:
        def synonyms(self, label):
            return {"cock": ["rooster"]}.get(label, [])

        def resolve(self, text):
            return ()

    index = EmbeddedIndex(tmp_path)
    index.upsert([doc(1, tags=[Tag("cock", 0.9)])])
    assert index.search(parse_query("rooster")) == []
    index.close()
    index = EmbeddedIndex(tmp_path, vocabulary=Table())
    assert [h.id for h in index.search(parse_query("rooster"))] == [doc(1).id]
    index.close()


def test_open_backend(tmp_path):
    backend = open_backend(Settings(data_dir=tmp_path))
    assert isinstance(backend, EmbeddedIndex) and backend.folder == tmp_path / "index"
    backend.close()
    with pytest.raises(ConfigError, match="unknown index backend"):
        open_backend(Settings(data_dir=tmp_path, backend="mysql://x"))


def test_closed_index_refuses_work(tmp_path):
    index = EmbeddedIndex(tmp_path)
    index.close()
    with pytest.raises(BackendError):
        index.search(parse_query("dog"))


def test_one_term_shortcut_ranks_exactly_like_the_full_sql(tmp_path):
    """search() reads one-term queries in confidence order and stops early; the answer must be
    the one the plain SQL (which scores every matching photo) gives."""
    from photoapp.core.index.embedded import sql_search

    rng = np.random.default_rng(5)
    labels = ["dog", "cat", "bird", "car", "tree"]
    docs = []
    for i in range(1500):
        chosen = rng.choice(labels, size=rng.integers(1, 4), replace=False)
        name = "dog_walk" if i % 97 == 0 else f"img_{i}"
        docs.append(doc(i, paths=[f"/lib/{['home', 'trip'][i % 2]}/{name}_{i}.jpg"],
                        tags=[Tag(str(l), float(rng.random())) for l in chosen],
                        camera_make=["Canon", "Apple"][i % 2],
                        taken_at=__import__("datetime").datetime(2010 + i % 10, 1 + i % 12, 1)))
    index = EmbeddedIndex(tmp_path)
    index.upsert(docs)
    conn = index._conn()
    for text in ["dog", "tag:dog", "dog>=0.7", "cat camera:canon", "bird -dog", "car folder:trip after:2015",
                 "dog -cat>=0.5", "tree before:2012"]:
        query = parse_query(text)
        for limit, offset in ((10, 0), (50, 0), (20, 40)):
            got = [(h.id, round(h.score, 9)) for h in index.search(query, limit=limit, offset=offset)]
            terms = [sql_search.resolve_term(conn, t) for t in query.terms]
            excluded = [sql_search.resolve_term(conn, t) for t in query.excluded]
            sql, params = sql_search.build_match(query, terms, excluded)
            want = [(r[1], round(r[3], 9)) for r in conn.execute(sql + " LIMIT ? OFFSET ?", (*params, limit, offset))]
            assert got == want, text
    index.close()


def test_an_index_from_schema_v1_gains_colors_rating_and_favorite(tmp_path):
    from photoapp.core.index.embedded.schema import MIGRATIONS

    conn = sqlite3.connect(tmp_path / "index.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for statement in MIGRATIONS[0][1]:
        conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO photos(pk, id) VALUES (1, 'x')")
    conn.execute("INSERT INTO paths(path, photo_pk, folder) VALUES ('/lib/x.jpg', 1, '/lib')")
    conn.close()
    index = EmbeddedIndex(tmp_path)
    old = index.get("x")
    assert (old.paths, old.colors, old.rating, old.favorite) == (["/lib/x.jpg"], [], 0, False)
    index.update_fields("x", {"colors": [("red", 0.5)], "rating": 4, "favorite": True})
    new = index.get("x")
    assert (new.colors, new.rating, new.favorite) == ([("red", 0.5)], 4, True)
    index.close()
