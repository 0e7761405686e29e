"""The default index backend: SQLite (WAL, FTS5) plus an on-disk vector store, in one folder.

    folder/index.sqlite3   documents, paths, tags, objects, label dictionary, FTS, clusters
    folder/vectors/        embeddings (see vectors.py)

Threads: each thread gets its own SQLite connection (WAL lets readers run while one writer
writes); writes are serialised by a lock, so any thread may write. Each write call commits, so
its effect is visible to every thread when it returns; ``flush`` additionally makes the vector
file durable and updates the approximate vector index.

Processes: several may write one index (a GUI watching while ``photoapp index`` runs). Every
write is one ``BEGIN IMMEDIATE`` transaction, which SQLite serialises across processes, and the
vector slots a transaction writes are allocated *inside* it from the ``vec_next_slot`` counter in
``meta`` (see vectors.py), so no two photos can share a slot. Each transaction that changes which
slots are live bumps ``vec_generation``; a process that finds the generation moved by someone
else (at its next write, or before a vector search) reloads the live set from the database.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from ...errors import BackendError
from ...pathtext import from_storable, to_storable
from ...query import Query
from ...records import IndexStats, PhotoDocument, SearchHit
from ...sqlite_files import connect_wal
from . import ranking, sql_search
from .fields import COLUMN_FIELDS, EMBEDDING, ROWS_FIELDS, UPDATABLE, RowsField, place_words
from .ranking import chunks as _chunks
from .ranking import folder_of as _folder
from .ranking import name_of as _name
from ..base import IndexBackend
from .schema import migrate
from .vectors import VectorStore

_DB = "index.sqlite3"
_PHOTO_COLS = ("pk, id, width, height, size_bytes, format, taken_at, taken_utcoffset, camera_make, "
               "camera_model, lens, gps_lat, gps_lon, orientation, phash, cluster_id, indexed_at, "
               "model_version, vec_slot, " + ", ".join(c.column for c in COLUMN_FIELDS.values()))


class EmbeddedIndex(IndexBackend):
    name = "embedded"

    def __init__(self, folder: str | os.PathLike, vocabulary=None, *, ann_threshold: int = 20_000,
                 reduced_dim: int = 128):
        """``vocabulary`` (optional, a models.api.Vocabulary) adds synonyms to the label dictionary
        so that free text such as "rooster" finds the tag "cock" even when the query was parsed
        without one."""
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendError(f"cannot create index folder {self.folder}: {exc}") from exc
        self.vocabulary = vocabulary
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        self._vec_gen = -1  # vec_generation our live set reflects (-1: not loaded yet)
        self._vec_dirty = False  # the open write transaction changed live slots
        conn = self._conn()
        migrate(conn)
        self.vectors = VectorStore(self.folder / "vectors", ann_threshold=ann_threshold, reduced_dim=reduced_dim)
        self.vectors.before_search = self._sync_vectors
        self._reload_live()
        if vocabulary is not None:
            self._fill_missing_synonyms()

    # --- connections -----------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise BackendError("the index is closed")
        try:
            # WAL, or read-only when the disk is full (core/sqlite_files.py): reads still work.
            conn = connect_wal(self.folder / _DB, isolation_level=None, check_same_thread=False,
                               timeout=30.0)
            conn.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-16000")  # 16 MB per connection
        except sqlite3.Error as exc:
            raise BackendError(f"cannot open index database in {self.folder}: {exc}") from exc
        self._local.conn = conn
        with self._conn_lock:
            self._connections.append(conn)
        return conn

    def _reload_live(self) -> None:
        """Take the live slots (and their generation) from the database: one read transaction,
        so both are of the same moment."""
        conn = self._conn()
        in_transaction = conn.in_transaction
        if not in_transaction:
            conn.execute("BEGIN")
        try:
            gen = _vec_generation(conn)
            slots = np.fromiter((r[0] for r in conn.execute(
                "SELECT vec_slot FROM photos WHERE vec_slot IS NOT NULL")), dtype=np.int64)
        finally:
            if not in_transaction:
                conn.execute("COMMIT")
        self.vectors.set_live(slots)
        self._vec_gen = gen

    def _sync_vectors(self) -> None:
        """Before a vector search: if another process changed the live slots, reload them. Skipped
        while this process is writing (its transaction syncs first, see _WriteTransaction)."""
        if self._closed or _vec_generation(self._conn()) == self._vec_gen:
            return
        if self._write_lock.acquire(blocking=False):
            try:
                self._reload_live()
            finally:
                self._write_lock.release()

    def _alloc_slots(self, conn: sqlite3.Connection, n: int) -> int:
        """First of ``n`` fresh vector slots; inside the write transaction, so no other writer
        (thread or process) can be given them."""
        row = conn.execute("SELECT value FROM meta WHERE key = 'vec_next_slot'").fetchone()
        if row is None:  # an index from before the counter: start past every row and every slot
            top = conn.execute("SELECT max(vec_slot) FROM photos").fetchone()[0]
            self.vectors.refresh()
            start = max(self.vectors.slot_count, top + 1 if top is not None else 0)
        else:
            start = int(row[0])
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('vec_next_slot', ?)", (str(start + n),))
        self._vec_dirty = True
        return start

    def _write_vectors(self, conn: sqlite3.Connection, matrix: np.ndarray) -> np.ndarray:
        """Store rows of ``matrix`` in fresh slots; returns the slots."""
        if self.vectors.dim is not None and matrix.shape[1] != self.vectors.dim:
            self.vectors.write_at(0, matrix)  # raises the dimension error, writes nothing
        return self.vectors.write_at(self._alloc_slots(conn, len(matrix)), matrix)

    def _release_slots(self, slots: list[int]) -> None:
        self.vectors.release(slots)
        self._vec_dirty = True

    def _write(self):
        return _WriteTransaction(self)

    # --- writes ---------------------------------------------------------------------------
    def upsert(self, docs: Iterable[PhotoDocument]) -> None:
        docs = list(docs)
        if not docs:
            return
        for doc in docs:
            if not doc.id:
                raise BackendError("a document needs an id (its content hash)")
        docs = [d if all(p == to_storable(p) for p in d.paths)
                else replace(d, paths=[to_storable(p) for p in d.paths]) for d in docs]
        with self._write() as conn:
            fresh, others = self._split_fresh(conn, docs)
            self._insert_fresh(conn, fresh)
            for doc in others:
                self._upsert_one(conn, doc)

    def _split_fresh(self, conn, docs: list[PhotoDocument]) -> tuple[list[PhotoDocument], list[PhotoDocument]]:
        """Documents that can be inserted in bulk: new ids whose paths belong to nobody yet.
        Everything else (replacements, moved paths, repeats within the batch) goes one by one."""
        ids = [d.id for d in docs]
        paths = [p for d in docs for p in d.paths]
        known_ids, taken_paths = set(), set()
        for chunk in _chunks(ids):
            known_ids.update(r[0] for r in conn.execute(
                f"SELECT id FROM photos WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        for chunk in _chunks(paths):
            taken_paths.update(r[0] for r in conn.execute(
                f"SELECT path FROM paths WHERE path IN ({','.join('?' * len(chunk))})", chunk))
        seen_ids: set[str] = set()
        seen_paths: set[str] = set()
        fresh, others = [], []
        for doc in docs:
            clash = (doc.id in known_ids or doc.id in seen_ids or len(set(doc.paths)) != len(doc.paths)
                     or any(p in taken_paths or p in seen_paths for p in doc.paths))
            (others if clash else fresh).append(doc)
            seen_ids.add(doc.id)
            seen_paths.update(doc.paths)
        return fresh, others

    def _insert_fresh(self, conn, docs: list[PhotoDocument]) -> None:
        if not docs:
            return
        with_vec = [d for d in docs if d.embedding is not None]
        slots: dict[str, int] = {}
        if with_vec:
            sizes = {np.asarray(d.embedding).size for d in with_vec}
            if len(sizes) != 1:
                raise BackendError(f"embeddings of one batch differ in size: {sorted(sizes)}")
            matrix = np.stack([np.asarray(d.embedding, dtype=np.float32).reshape(-1) for d in with_vec])
            slots = dict(zip((d.id for d in with_vec), (int(s) for s in self._write_vectors(conn, matrix))))
        first = (conn.execute("SELECT max(pk) FROM photos").fetchone()[0] or 0) + 1
        pks = range(first, first + len(docs))  # we hold the write lock: nobody else assigns pks
        conn.executemany(f"INSERT INTO photos({_PHOTO_COLS}) VALUES ({','.join('?' * (len(_PHOTO_COLS.split(','))))})",
                         [(pk, *_photo_row(d, slots.get(d.id))) for pk, d in zip(pks, docs)])
        for field in ROWS_FIELDS.values():
            self._insert_rows(conn, field, [(pk, getattr(d, field.name)) for pk, d in zip(pks, docs)])
        conn.executemany("INSERT INTO paths(path, photo_pk, folder) VALUES (?,?,?)",
                         [(p, pk, _folder(p)) for pk, d in zip(pks, docs) for p in d.paths])
        conn.executemany("INSERT INTO text_fts(rowid, names, folders, camera, places) VALUES (?,?,?,?,?)",
                         [(pk, *_text_columns(d.paths, _camera_text(d)), place_words(d.place))
                          for pk, d in zip(pks, docs)])

    def _upsert_one(self, conn: sqlite3.Connection, doc: PhotoDocument) -> None:
        if not doc.id:
            raise BackendError("a document needs an id (its content hash)")
        old = conn.execute("SELECT pk, vec_slot FROM photos WHERE id = ?", (doc.id,)).fetchone()
        slot = self._vector_slot(conn, doc.embedding, old[1] if old else None)
        if old is not None and old[1] is not None and old[1] != slot:
            self._release_slots([old[1]])
        row = _photo_row(doc, slot)
        if old is None:
            pk = conn.execute(f"INSERT INTO photos({_PHOTO_COLS[4:]}) VALUES ({','.join('?' * len(row))})",
                              row).lastrowid
        else:
            pk = old[0]
            self._drop_children(conn, pk)
            sets = ", ".join(f"{c.strip()} = ?" for c in _PHOTO_COLS.split(",")[1:])
            conn.execute(f"UPDATE photos SET {sets} WHERE pk = ?", (*row, pk))
        self._write_children(conn, pk, doc)

    def _vector_slot(self, conn: sqlite3.Connection, embedding, old_slot: int | None) -> int | None:
        if embedding is None:
            return None
        vec = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if old_slot is not None and self.vectors.dim == len(vec):
            # Re-upserting the same document must not grow the vector file.
            if np.array_equal(self.vectors.vectors([old_slot])[0], vec.astype(np.float16).astype(np.float32)):
                return old_slot
        return int(self._write_vectors(conn, vec[None, :])[0])

    def _drop_children(self, conn: sqlite3.Connection, pk: int) -> None:
        for field in ROWS_FIELDS.values():
            self._drop_rows(conn, field, pk)
        conn.execute("DELETE FROM paths WHERE photo_pk = ?", (pk,))
        conn.execute("DELETE FROM text_fts WHERE rowid = ?", (pk,))

    def _write_children(self, conn: sqlite3.Connection, pk: int, doc: PhotoDocument) -> None:
        for field in ROWS_FIELDS.values():
            self._insert_rows(conn, field, [(pk, getattr(doc, field.name))])
        self._write_paths(conn, pk, doc.paths)
        conn.execute("UPDATE text_fts SET camera = ? WHERE rowid = ?", (_camera_text(doc), pk))

    def _write_paths(self, conn: sqlite3.Connection, pk: int, paths: list[str]) -> None:
        paths = list(dict.fromkeys(paths))
        # A path row shows one picture. The catalog sends the new owner of a path before it tells
        # the old one (set_paths / delete), so the row moves now and the old document's name
        # text follows; whether the old document still exists is the catalog's call, not ours.
        losers = {r[0] for r in conn.execute(
            f"SELECT photo_pk FROM paths WHERE path IN ({','.join('?' * len(paths))}) AND photo_pk != ?",
            (*paths, pk))} if paths else set()
        conn.execute("DELETE FROM paths WHERE photo_pk = ?", (pk,))
        conn.executemany("INSERT OR REPLACE INTO paths(path, photo_pk, folder) VALUES (?,?,?)",
                         [(p, pk, _folder(p)) for p in paths])
        for other in losers:
            self._refresh_text(conn, other)
        self._refresh_text(conn, pk)

    def _insert_rows(self, conn: sqlite3.Connection, field: RowsField, values: list[tuple[int, list]]) -> None:
        """Write ``field`` for documents that have none stored: ``values`` = [(pk, items)]."""
        conn.executemany(field.insert_sql, [row for pk, items in values for row in field.rows(pk, items)])
        if field.label_of is None:
            return
        per_doc = [list(dict.fromkeys(field.label_of(item) for item in items or [])) for _, items in values]
        for chunk in _chunks(list(dict.fromkeys(label for labels in per_doc for label in labels))):
            self._ensure_labels(conn, chunk)
        if field.counts_photos:
            counts: dict[str, int] = {}
            for labels in per_doc:
                for label in labels:
                    counts[label] = counts.get(label, 0) + 1
            conn.executemany("UPDATE labels SET photos = photos + ? WHERE label = ?",
                             [(n, label) for label, n in counts.items()])

    def _drop_rows(self, conn: sqlite3.Connection, field: RowsField, pk: int) -> None:
        if field.counts_photos:
            labels = [r[0] for r in conn.execute(
                f"SELECT DISTINCT label FROM {field.table} WHERE photo_pk = ?", (pk,))]
            conn.executemany("UPDATE labels SET photos = photos - 1 WHERE label = ?", [(l,) for l in labels])
        conn.execute(f"DELETE FROM {field.table} WHERE photo_pk = ?", (pk,))

    def _refresh_text(self, conn: sqlite3.Connection, pk: int) -> None:
        paths = [r[0] for r in conn.execute("SELECT path FROM paths WHERE photo_pk = ?", (pk,))]
        camera = conn.execute("SELECT camera FROM text_fts WHERE rowid = ?", (pk,)).fetchone()
        place = conn.execute("SELECT city, region, country FROM places WHERE photo_pk = ?", (pk,)).fetchone()
        conn.execute("DELETE FROM text_fts WHERE rowid = ?", (pk,))
        conn.execute("INSERT INTO text_fts(rowid, names, folders, camera, places) VALUES (?,?,?,?,?)",
                     (pk, *_text_columns(paths, camera[0] if camera else ""), " ".join(place or ())))

    def _ensure_labels(self, conn: sqlite3.Connection, labels: list[str]) -> None:
        if not labels:
            return
        known = {r[0] for r in conn.execute(
            f"SELECT label FROM labels WHERE label IN ({','.join('?' * len(labels))})", labels)}
        new = [l for l in labels if l not in known]
        conn.executemany("INSERT INTO labels(label, synonyms) VALUES (?, ?)",
                         [(l, self._synonyms(l)) for l in new])

    def _synonyms(self, label: str) -> str:
        if self.vocabulary is None:
            return ""
        try:
            return " ".join(s for s in self.vocabulary.synonyms(label) if s != label)
        except (KeyError, ValueError):
            return ""

    def _fill_missing_synonyms(self) -> None:
        with self._write() as conn:
            rows = conn.execute("SELECT rowid, label FROM labels WHERE synonyms = ''").fetchall()
            updates = [(s, rowid) for rowid, label in rows if (s := self._synonyms(label))]
            conn.executemany("UPDATE labels SET synonyms = ? WHERE rowid = ?", updates)

    def _delete_pk(self, conn: sqlite3.Connection, pk: int) -> None:
        slot = conn.execute("SELECT vec_slot FROM photos WHERE pk = ?", (pk,)).fetchone()
        self._drop_children(conn, pk)
        conn.execute("DELETE FROM photos WHERE pk = ?", (pk,))
        if slot and slot[0] is not None:
            self._release_slots([slot[0]])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._write() as conn:
            for doc_id in ids:
                row = conn.execute("SELECT pk FROM photos WHERE id = ?", (doc_id,)).fetchone()
                if row:
                    self._delete_pk(conn, row[0])

    def set_paths(self, doc_id: str, paths: list[str]) -> None:
        """Replace the paths of one document; an empty list deletes it; an unknown id is ignored."""
        with self._write() as conn:
            row = conn.execute("SELECT pk FROM photos WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                return
            if not paths:
                self._delete_pk(conn, row[0])
            else:
                self._write_paths(conn, row[0], [to_storable(p) for p in paths])

    def update_fields(self, doc_id: str, fields: dict) -> None:
        """Replace some fields of one document in one transaction (see base.py); unknown id: ignored."""
        _check_field_names(fields)
        with self._write() as conn:
            row = conn.execute("SELECT pk, vec_slot FROM photos WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                return
            pk, old_slot = row
            for name, value in fields.items():
                if name in ROWS_FIELDS:
                    self._drop_rows(conn, ROWS_FIELDS[name], pk)
                    self._insert_rows(conn, ROWS_FIELDS[name], [(pk, value)])
                elif name in COLUMN_FIELDS:
                    column = COLUMN_FIELDS[name]
                    conn.execute(f"UPDATE photos SET {column.column} = ? WHERE pk = ?", (column.to_db(value), pk))
                else:  # the embedding
                    slot = self._vector_slot(conn, value, old_slot)
                    if old_slot is not None and old_slot != slot:
                        self._release_slots([old_slot])
                    conn.execute("UPDATE photos SET vec_slot = ? WHERE pk = ?", (slot, pk))
                    old_slot = slot

    def clear_fields(self, names: list[str]) -> None:
        """Empty the named fields on every document, in one transaction."""
        _check_field_names(names)
        with self._write() as conn:
            for name in dict.fromkeys(names):
                if name in ROWS_FIELDS:
                    field = ROWS_FIELDS[name]
                    conn.execute(f"DELETE FROM {field.table}")
                    if field.counts_photos:
                        conn.execute("UPDATE labels SET photos = 0 WHERE photos != 0")
                elif name in COLUMN_FIELDS:
                    column = COLUMN_FIELDS[name]
                    default = column.to_db(column.default)
                    conn.execute(f"UPDATE photos SET {column.column} = ? WHERE {column.column} IS NOT ?",
                                 (default, default))
                else:
                    conn.execute("UPDATE photos SET vec_slot = NULL WHERE vec_slot IS NOT NULL")
                    self.vectors.set_live(np.zeros(0, np.int64))
                    self._vec_dirty = True

    def set_clusters(self, assignment: dict[str, int], names: dict[int, str]) -> None:
        """Replace every cluster assignment and name (documents not in ``assignment`` get none)."""
        with self._write() as conn:
            conn.execute("UPDATE photos SET cluster_id = NULL WHERE cluster_id IS NOT NULL")
            conn.execute("DELETE FROM clusters")
            conn.executemany("UPDATE photos SET cluster_id = ? WHERE id = ?",
                             [(int(c), doc_id) for doc_id, c in assignment.items()])
            ids = set(int(c) for c in assignment.values()) | set(int(c) for c in names)
            conn.executemany("INSERT INTO clusters(id, name) VALUES (?, ?)",
                             [(c, names.get(c, "")) for c in sorted(ids)])

    def flush(self) -> None:
        with self._write_lock:
            self._conn().execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._sync_vectors()
            committed = self._conn().execute("SELECT value FROM meta WHERE key = 'vec_next_slot'").fetchone()
            self.vectors.flush(committed=int(committed[0]) if committed else None)

    def close(self) -> None:
        if self._closed:
            return
        with self._write_lock:
            self.vectors.close()
            self._closed = True
            with self._conn_lock:
                for conn in self._connections:
                    try:
                        conn.close()
                    except sqlite3.Error:
                        pass
                self._connections.clear()
            self._local = threading.local()

    # --- reads ----------------------------------------------------------------------------
    def get(self, doc_id: str) -> PhotoDocument | None:
        row = self._conn().execute(f"SELECT {_PHOTO_COLS} FROM photos WHERE id = ?", (doc_id,)).fetchone()
        return self._document(row) if row else None

    def get_by_path(self, path: str) -> PhotoDocument | None:
        row = self._conn().execute(
            f"SELECT {', '.join('p.' + c.strip() for c in _PHOTO_COLS.split(','))} "
            "FROM paths JOIN photos p ON p.pk = paths.photo_pk WHERE paths.path = ?", (to_storable(path),)).fetchone()
        return self._document(row) if row else None

    def _document(self, row) -> PhotoDocument:
        conn = self._conn()
        pk = row[0]
        (_, doc_id, width, height, size_bytes, fmt, taken, offset, make, model, lens, lat, lon,
         orientation, phash, cluster_id, indexed_at, model_version, slot, *columns) = row
        return PhotoDocument(
            id=doc_id,
            paths=[from_storable(r[0]) for r in conn.execute("SELECT path FROM paths WHERE photo_pk = ? ORDER BY path", (pk,))],
            width=width, height=height, size_bytes=size_bytes, format=fmt,
            taken_at=_from_iso(taken, offset), camera_make=make, camera_model=model, lens=lens,
            gps=(lat, lon) if lat is not None and lon is not None else None, orientation=orientation,
            **{name: field.value([field.from_row(r) for r in conn.execute(field.select_sql, (pk,))])
               for name, field in ROWS_FIELDS.items()},
            **{name: field.from_db(value) for (name, field), value in zip(COLUMN_FIELDS.items(), columns)},
            embedding=self.vectors.vectors([slot])[0] if slot is not None else None,
            phash=phash, cluster_id=cluster_id,
            indexed_at=datetime.fromisoformat(indexed_at) if indexed_at else None,
            model_version=model_version,
        )

    def search(self, query: Query, limit: int = 50, offset: int = 0) -> list[SearchHit]:
        conn = self._conn()
        terms = [sql_search.resolve_term(conn, t) for t in query.terms]
        excluded = [sql_search.resolve_term(conn, t) for t in query.excluded]
        if limit <= 0:
            return []
        if terms:  # the plan's ranking without scoring every match (ranking.py), when it pays
            top = ranking.top_hits(conn, query, terms, excluded, limit + max(int(offset), 0))
            if top is not None:
                return self._hits(top[max(int(offset), 0):], terms, query)
        built = sql_search.build_match(query, terms, excluded)
        if built is None:
            return []
        sql, params = built
        rows = conn.execute(sql + " LIMIT ? OFFSET ?", (*params, int(limit), max(int(offset), 0))).fetchall()
        return self._hits([(pk, doc_id, score) for pk, doc_id, _, score in rows], terms, query)

    def _hits(self, rows: list[tuple[int, str, float]], terms, query: Query | None = None) -> list[SearchHit]:
        if not rows:
            return []
        conn = self._conn()
        pks = [r[0] for r in rows]
        marks = ",".join("?" * len(pks))
        paths: dict[int, list[str]] = {}
        for pk, path in conn.execute(f"SELECT photo_pk, path FROM paths WHERE photo_pk IN ({marks}) ORDER BY path", pks):
            paths.setdefault(pk, []).append(from_storable(path))
        explanations = ranking.explain(conn, pks, paths, query, terms) if query is not None else {}
        return [SearchHit(id=doc_id, path=(paths.get(pk) or [""])[0], score=float(score),
                          paths=paths.get(pk, []), explanation=explanations.get(pk, []))
                for pk, doc_id, score in rows]

    def similar(self, vector: np.ndarray, limit: int = 50, query: Query | None = None,
                exclude_ids: Iterable[str] = ()) -> list[SearchHit]:
        if limit <= 0 or self.vectors.dim is None:
            return []
        conn = self._conn()
        exclude_ids = list(exclude_ids)
        exclude_slots = np.array([r[0] for r in conn.execute(
            f"SELECT vec_slot FROM photos WHERE id IN ({','.join('?' * len(exclude_ids))}) AND vec_slot IS NOT NULL",
            exclude_ids)], dtype=np.int64) if exclude_ids else None
        if query is None or query.is_empty:
            slots, scores = self.vectors.search(vector, limit, exclude=exclude_slots)
        else:
            slots, scores = self._filtered_similar(conn, vector, limit, query, exclude_slots)
        return self._slot_hits(conn, slots, scores)

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """See base.py: one SQL read and one gather from the float16 rows."""
        ids = list(ids)
        if not ids or self.vectors.dim is None:
            return {}
        rows = self._conn().execute(f"SELECT id, vec_slot FROM photos WHERE id IN ({','.join('?' * len(ids))}) "
                                    "AND vec_slot IS NOT NULL", ids).fetchall()
        if not rows:
            return {}
        found = self.vectors.vectors(np.array([slot for _, slot in rows], dtype=np.int64))
        return {doc_id: np.asarray(found[i], dtype=np.float32) for i, (doc_id, _) in enumerate(rows)}

    def _filtered_similar(self, conn, vector, limit, query, exclude_slots):
        """Filtered kNN: over-fetch nearest rows and keep those that pass the filter (checking a
        few hundred rows against SQL is cheap), deeper and deeper; a filter that still rejects
        them all is selective, so search exactly within the rows it allows."""
        terms = [sql_search.resolve_term(conn, t) for t in query.terms]
        excluded = [sql_search.resolve_term(conn, t) for t in query.excluded]
        # Photos near this one are often from the same shoot (same camera, same day), so a filter
        # can reject a whole neighbourhood before it passes its usual share further out.
        depths = (max(limit * 4, 100), 1_000, 8_000) if self.vectors.has_ann else (max(limit * 4, 100),)
        for depth in depths:
            slots, scores = self.vectors.search(vector, depth, exclude=exclude_slots,
                                                candidates=depth if depth > depths[0] else None)
            passing = self._passing_slots(conn, query, terms, excluded, slots)
            if passing is None:
                return np.zeros(0, np.int64), np.zeros(0, np.float32)
            keep = np.isin(slots, passing)
            if keep.sum() >= limit or len(slots) < depth:
                return slots[keep][:limit], scores[keep][:limit]
        built = sql_search.build_match(query, terms, excluded, ("p.vec_slot IS NOT NULL",), ordered=False)
        if built is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        allowed = np.fromiter((r[0] for r in conn.execute(*built)), dtype=np.int64)
        return self.vectors.search(vector, limit, within=allowed, exclude=exclude_slots)

    def _passing_slots(self, conn, query, terms, excluded, slots: np.ndarray) -> np.ndarray | None:
        if not len(slots):
            return np.zeros(0, np.int64)
        marks = ",".join("?" * len(slots))
        built = sql_search.passing_sql(query, terms, excluded, "vec_slot", f"p.vec_slot IN ({marks})",
                                       tuple(int(s) for s in slots))
        if built is None:
            return None
        return np.fromiter((r[0] for r in conn.execute(*built)), dtype=np.int64)

    def _slot_hits(self, conn, slots: np.ndarray, scores: np.ndarray) -> list[SearchHit]:
        if not len(slots):
            return []
        marks = ",".join("?" * len(slots))
        by_slot = {slot: (pk, doc_id) for pk, doc_id, slot in conn.execute(
            f"SELECT pk, id, vec_slot FROM photos WHERE vec_slot IN ({marks})", [int(s) for s in slots])}
        rows = [(*by_slot[int(s)], float(min(1.0, max(-1.0, sc)))) for s, sc in zip(slots, scores)
                if int(s) in by_slot]  # a row deleted since the vector search started is skipped
        return self._hits(rows, [])

    def iter_documents(self) -> Iterator[PhotoDocument]:
        last = 0
        while True:
            rows = self._conn().execute(f"SELECT {_PHOTO_COLS} FROM photos WHERE pk > ? ORDER BY pk LIMIT 500",
                                        (last,)).fetchall()
            if not rows:
                return
            for row in rows:
                yield self._document(row)
            last = rows[-1][0]

    def tag_counts(self, limit: int = 100, prefix: str = "", min_confidence: float | None = None
                   ) -> list[tuple[str, int]]:
        """Labels by number of photos tagged with them, most common first; with
        ``min_confidence``, a photo counts only where its tag is at least that sure."""
        prefix = prefix.lower()
        if min_confidence:
            return ranking.confident_tag_counts(self._conn(), int(limit), prefix, min_confidence)
        sql = "SELECT label, photos FROM labels WHERE photos > 0"
        params: list = []
        if prefix:
            # label >= prefix AND label < prefix + U+10FFFF: a range scan on the unique index
            sql += " AND label >= ? AND label < ?"
            params += [prefix, prefix + "\U0010ffff"]
        sql += " ORDER BY photos DESC, label LIMIT ?"
        return [(l, n) for l, n in self._conn().execute(sql, (*params, int(limit)))]

    def list_photos(self, listing, sort: str = "date", limit: int = 100, offset: int = 0) -> list[SearchHit]:
        """A typed listing (core/query/listing.py); see base.py."""
        sql, params = sql_search.listing_sql(listing, sort)
        if limit <= 0:
            return []
        rows = self._conn().execute(sql + " LIMIT ? OFFSET ?", (*params, int(limit), max(int(offset), 0))).fetchall()
        return self._hits(rows, [])

    def cluster_counts(self) -> list[tuple[int, str, int]]:
        return [(cid, name or "", n) for cid, name, n in self._conn().execute(
            "SELECT p.cluster_id, c.name, count(*) FROM photos p LEFT JOIN clusters c ON c.id = p.cluster_id "
            "WHERE p.cluster_id IS NOT NULL GROUP BY p.cluster_id ORDER BY count(*) DESC, p.cluster_id")]

    def date_counts(self) -> list[tuple[int, int, int]]:
        # photo_months (schema migration 8) is kept by triggers on photos: a few hundred rows.
        return [(int(ym[:4]), int(ym[5:7]), n) for ym, n in self._conn().execute(
            "SELECT month, photos FROM photo_months WHERE photos > 0 ORDER BY month")]

    def stats(self) -> IndexStats:
        """``tags`` counts distinct labels in use; ``size_bytes`` is the index folder on disk."""
        conn = self._conn()
        docs, with_vec = conn.execute("SELECT count(*), count(vec_slot) FROM photos").fetchone()
        files = conn.execute("SELECT count(*) FROM paths").fetchone()[0]
        tags = conn.execute("SELECT count(*) FROM labels WHERE photos > 0").fetchone()[0]
        size = sum(f.stat().st_size for f in self.folder.glob(_DB + "*")) + self.vectors.disk_bytes()
        return IndexStats(documents=docs, files=files, tags=tags, with_embedding=with_vec, size_bytes=size)


class _WriteTransaction:
    """``with index._write() as conn``: the write lock plus one IMMEDIATE transaction."""

    def __init__(self, index: EmbeddedIndex):
        self.index = index

    def __enter__(self) -> sqlite3.Connection:
        self.index._write_lock.acquire()
        try:
            self.conn = self.index._conn()
            self.conn.execute("BEGIN IMMEDIATE")
            # Another process wrote since we last looked: our live set must be its, before we
            # release or add slots on top of it.
            if _vec_generation(self.conn) != self.index._vec_gen:
                self.index._reload_live()
            self.index._vec_dirty = False
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.index._write_lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        index = self.index
        try:
            if exc_type is None:
                if index._vec_dirty:
                    gen = _vec_generation(self.conn) + 1
                    self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('vec_generation', ?)",
                                      (str(gen),))
                self.conn.execute("COMMIT")
                if index._vec_dirty:
                    index._vec_gen = gen
            else:
                self.conn.execute("ROLLBACK")
                # Vector slots written or released inside the failed transaction: the catalog is
                # the truth, so take liveness from it again.
                index._reload_live()
        finally:
            index._vec_dirty = False
            index._write_lock.release()
        if isinstance(exc, sqlite3.Error):
            raise BackendError(f"index write failed: {exc}") from exc


def _photo_row(doc: PhotoDocument, slot: int | None) -> tuple:
    taken, offset = None, None
    if doc.taken_at is not None:
        taken = sql_search.iso_key(doc.taken_at)
        utcoffset = doc.taken_at.utcoffset()
        offset = utcoffset.total_seconds() if utcoffset is not None else None
    lat, lon = doc.gps if doc.gps else (None, None)
    return (doc.id, int(doc.width), int(doc.height), int(doc.size_bytes), doc.format or "", taken, offset,
            doc.camera_make, doc.camera_model, doc.lens, lat, lon, doc.orientation, doc.phash, doc.cluster_id,
            doc.indexed_at.isoformat() if doc.indexed_at else None, doc.model_version or "", slot,
            *(column.to_db(getattr(doc, name)) for name, column in COLUMN_FIELDS.items()))


def _vec_generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'vec_generation'").fetchone()
    return int(row[0]) if row else 0


def _check_field_names(names) -> None:
    unknown = sorted(set(names) - UPDATABLE)
    if unknown:
        raise BackendError(f"cannot update {', '.join(unknown)}: the index stores "
                           f"{', '.join(sorted(UPDATABLE))}")


def _from_iso(text: str | None, offset: float | None) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=timezone(timedelta(seconds=offset))) if offset is not None else when


def _camera_text(doc: PhotoDocument) -> str:
    return " ".join(x for x in (doc.camera_make, doc.camera_model, doc.lens) if x)


def _text_columns(paths: list[str], camera: str) -> tuple[str, str, str]:
    """(names, folders, camera) of the per-photo FTS row."""
    return (" ".join(_name(p) for p in paths), " ".join(dict.fromkeys(_folder(p) for p in paths)), camera)
