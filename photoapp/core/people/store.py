"""Where people live: the faces photoapp grouped, the people they form, and every decision the
user made about them (names, merges, faces taken out of a person, "not a face").

The tables sit in the user-data file (``userdata.sqlite3``, beside ratings; core/userdata.py):
that file outlives deleting or rebuilding the catalog and the index, so names and corrections
do too. A face is keyed by its photo's content hash and its box, not by the index's row order:
a model upgrade that finds the same faces (boxes overlapping by IOU_SAME_FACE) keeps their
people, and a moved or renamed photo keeps its hash. Person ids are never reused.

This store is the one owner of "which person is this face" and of person names. The index holds
a mirror (``PhotoDocument.people``: person ids and names per photo) only so that ``person:anna``
is a query like any other; service.People writes it after every change here. Face descriptors are
kept here as a cache of the index's (the grouping compares them without reading the index).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import PhotoAppError
from ..sqlite_files import connect_wal
from ..userdata import USERDATA_FILENAME

log = logging.getLogger(__name__)

IOU_SAME_FACE = 0.5  # a re-detected box overlapping a stored one this much is the same face
MAX_NAME_LENGTH = 100


class PeopleError(PhotoAppError, ValueError):
    """An unknown person or face, or a name that cannot be one."""


@dataclass(frozen=True)
class StoredFace:
    id: int
    doc_id: str
    box: tuple[float, float, float, float]
    person_id: int | None  # None: the unknown pool (too small/blurred, or not grouped yet)
    not_face: bool
    usable: bool  # good enough to form people (quality)
    rejected: frozenset[int]  # people the user took this face out of


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str | None
    faces: int
    doc_ids: tuple[str, ...]  # photos showing the person, most faces first then by id


_SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: an id never names someone else later
    name TEXT,                              -- NULL until the user names the person
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS people_faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,                   -- content hash of the photo
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    person_id INTEGER REFERENCES people(id),
    not_face INTEGER NOT NULL DEFAULT 0,    -- the user said it is not a face
    rejected TEXT NOT NULL DEFAULT '',      -- person ids the user removed it from, space separated
    usable INTEGER NOT NULL DEFAULT 1,      -- quality good enough to form people
    present INTEGER NOT NULL DEFAULT 1,     -- the photo's current analysis still finds it
    embedding BLOB                          -- float32 descriptor (a cache of the index's)
);
CREATE INDEX IF NOT EXISTS people_faces_by_doc ON people_faces(doc_id);
CREATE INDEX IF NOT EXISTS people_faces_by_person ON people_faces(person_id);
CREATE TABLE IF NOT EXISTS people_docs (
    doc_id TEXT PRIMARY KEY,
    analysed_at REAL NOT NULL               -- the faces analysis this photo's rows come from
);
"""


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def check_name(name) -> str | None:
    """A person's name as the user typed it, trimmed; "" or None clears it."""
    if name is None:
        return None
    text = " ".join(str(name).split())
    if not text:
        return None
    if len(text) > MAX_NAME_LENGTH:
        raise PeopleError(f"a name has at most {MAX_NAME_LENGTH} characters")
    if text.isdigit():
        raise PeopleError(f"{text!r} looks like a person id, not a name")
    return text


class PeopleStore:
    """Thread-safe: one connection behind a lock (writes are small)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = connect_wal(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=5000")  # shared with the CLI and UserData
        try:
            self._db.executescript(_SCHEMA)
        except sqlite3.OperationalError as e:
            # A file from before people existed, opened read-only (full disk): no people until it
            # can be written; an empty store in memory keeps every read working meanwhile.
            log.warning("people are not available: %s cannot take their tables (%s)", self.path, e)
            self._db.close()
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA)

    @classmethod
    def in_folder(cls, data_dir: str | Path) -> "PeopleStore":
        return cls(Path(data_dir) / USERDATA_FILENAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self):
        return _Transaction(self)

    # --- which photos' faces are here ---------------------------------------------------------
    def synced(self) -> dict[str, float]:
        """doc id -> ``analysed_at`` of the faces analysis its rows come from."""
        with self._lock:
            return dict(self._db.execute("SELECT doc_id, analysed_at FROM people_docs"))

    def sync_document(self, doc_id: str, faces: list, usable: list[bool], analysed_at: float) -> set[int]:
        """Take a photo's current faces (``records.Face``) into the store, keeping what was decided
        about each face found again (same box: IOU >= IOU_SAME_FACE). Faces no longer found are
        dropped unless the user decided something about them (kept, hidden, for a later model that
        finds them again). Returns the people whose faces changed."""
        return self.sync_documents([(doc_id, faces, usable, analysed_at)])

    def sync_documents(self, items) -> set[int]:
        """``sync_document`` for many photos ``(doc_id, faces, usable, analysed_at)`` in one
        transaction (a commit per photo would cost more than the grouping)."""
        touched: set[int] = set()
        with self._write() as db:
            for doc_id, faces, usable, analysed_at in items:
                touched |= self._sync(db, doc_id, faces, usable, analysed_at)
        return touched

    @staticmethod
    def _sync(db, doc_id: str, faces: list, usable: list[bool], analysed_at: float) -> set[int]:
        old = db.execute("SELECT id, x0, y0, x1, y1, person_id, not_face, rejected FROM people_faces "
                         "WHERE doc_id = ?", (doc_id,)).fetchall()
        pairs = sorted(((iou(f.box, o[1:5]), i, k) for i, f in enumerate(faces) for k, o in enumerate(old)),
                       reverse=True)
        match: dict[int, int] = {}
        used: set[int] = set()
        for overlap, i, k in pairs:
            if overlap < IOU_SAME_FACE:
                break
            if i not in match and k not in used:
                match[i] = k
                used.add(k)
        touched: set[int] = set()
        for i, face in enumerate(faces):
            emb = _blob(face.embedding)
            if i in match:
                row = old[match[i]]
                db.execute("UPDATE people_faces SET x0=?, y0=?, x1=?, y1=?, usable=?, present=1, embedding=? "
                           "WHERE id = ?", (*map(float, face.box), int(usable[i]), emb, row[0]))
                if row[5] is not None:
                    touched.add(row[5])
            else:
                db.execute("INSERT INTO people_faces(doc_id, x0, y0, x1, y1, usable, embedding) "
                           "VALUES (?,?,?,?,?,?,?)", (doc_id, *map(float, face.box), int(usable[i]), emb))
        for k, row in enumerate(old):
            if k in used:
                continue
            if row[5] is not None:
                touched.add(row[5])
            named = db.execute("SELECT name IS NOT NULL FROM people WHERE id = ?", (row[5],)).fetchone() \
                if row[5] is not None else None
            person_named = bool(named and named[0])
            if row[6] or row[7] or person_named:  # the user's decision: keep it, hidden
                db.execute("UPDATE people_faces SET present = 0, embedding = NULL WHERE id = ?", (row[0],))
            else:
                db.execute("DELETE FROM people_faces WHERE id = ?", (row[0],))
        db.execute("INSERT OR REPLACE INTO people_docs(doc_id, analysed_at) VALUES (?, ?)",
                   (doc_id, float(analysed_at)))
        return touched

    def inherit(self, previous: dict[str, list[str]]) -> int:
        """A photo edited in place has new bytes, so a new id: give it the faces (with their people
        and the user's decisions) of the first of its previous ids that has some, hidden until its
        own analysis finds them again at the same place (then they are its own, see _sync).
        Photos that already have faces here are left alone. Returns the photos given faces."""
        given = 0
        with self._write() as db:
            for new, olds in previous.items():
                if not olds or db.execute("SELECT 1 FROM people_faces WHERE doc_id = ? LIMIT 1", (new,)).fetchone():
                    continue
                for old in olds:
                    copied = db.execute(
                        "INSERT INTO people_faces(doc_id, x0, y0, x1, y1, person_id, not_face, rejected, usable, "
                        "present, embedding) SELECT ?, x0, y0, x1, y1, person_id, not_face, rejected, usable, 0, "
                        "NULL FROM people_faces WHERE doc_id = ?", (new, old)).rowcount
                    if copied:
                        given += 1
                        break
        return given

    def forget_synced(self, doc_ids: Iterable[str]) -> None:
        """Have the next refresh read these photos again (their index mirror could not be written)."""
        with self._write() as db:
            db.executemany("DELETE FROM people_docs WHERE doc_id = ?", [(d,) for d in doc_ids])

    # --- grouping inputs and outputs ----------------------------------------------------------
    def ungrouped(self) -> list[tuple[int, np.ndarray, frozenset[int]]]:
        """(face id, descriptor, rejected people) of usable faces that belong to nobody yet."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, embedding, rejected FROM people_faces WHERE person_id IS NULL AND usable = 1 "
                "AND not_face = 0 AND present = 1 AND embedding IS NOT NULL ORDER BY id").fetchall()
        return [(i, np.frombuffer(e, dtype=np.float32), _ids(r)) for i, e, r in rows]

    def centroids(self) -> tuple[list[int], np.ndarray, set[int]]:
        """(person ids, their centroids (normalised mean of their usable faces), named ids)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT f.person_id, f.embedding, p.name IS NOT NULL FROM people_faces f "
                "JOIN people p ON p.id = f.person_id WHERE f.usable = 1 AND f.not_face = 0 "
                "AND f.present = 1 AND f.embedding IS NOT NULL ORDER BY f.person_id").fetchall()
        sums: dict[int, np.ndarray] = {}
        named: set[int] = set()
        for pid, emb, is_named in rows:
            vec = np.frombuffer(emb, dtype=np.float32)
            sums[pid] = sums[pid] + vec if pid in sums else vec.copy()
            if is_named:
                named.add(pid)
        ids = list(sums)
        if not ids:
            return [], np.zeros((0, 0), np.float32), named
        matrix = np.stack([sums[p] for p in ids])
        return ids, matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12), named

    def rejections(self) -> set[frozenset[int]]:
        """Pairs of people that must stay apart: a face taken out of one now belongs to the other."""
        with self._lock:
            rows = self._db.execute("SELECT person_id, rejected FROM people_faces "
                                    "WHERE person_id IS NOT NULL AND rejected != ''").fetchall()
        return {frozenset((pid, other)) for pid, text in rows for other in _ids(text) if other != pid}

    def assign(self, face_ids: Iterable[int], person_id: int) -> None:
        self.assign_many({person_id: list(face_ids)})

    def assign_many(self, faces_by_person: dict[int, list[int]]) -> None:
        """Faces join people (person id -> face ids), in one transaction."""
        with self._write() as db:
            db.executemany("UPDATE people_faces SET person_id = ? WHERE id = ?",
                           [(pid, f) for pid, fids in faces_by_person.items() for f in fids])

    def new_person(self, face_ids: Iterable[int], name: str | None = None) -> int:
        with self._write() as db:
            pid = db.execute("INSERT INTO people(name, created_at) VALUES (?, ?)",
                             (check_name(name), time.time())).lastrowid
            db.executemany("UPDATE people_faces SET person_id = ? WHERE id = ?", [(pid, f) for f in face_ids])
        return int(pid)

    def new_people(self, groups: list[list[int]]) -> list[int]:
        """One new (unnamed) person per group of face ids, in one transaction."""
        ids = []
        with self._write() as db:
            now = time.time()
            for face_ids in groups:
                pid = int(db.execute("INSERT INTO people(name, created_at) VALUES (NULL, ?)", (now,)).lastrowid)
                db.executemany("UPDATE people_faces SET person_id = ? WHERE id = ?", [(pid, f) for f in face_ids])
                ids.append(pid)
        return ids

    # --- the user's decisions -----------------------------------------------------------------
    def set_name(self, person_id: int, name: str | None) -> str | None:
        name = check_name(name)
        with self._write() as db:
            self._need_person(db, person_id)
            db.execute("UPDATE people SET name = ? WHERE id = ?", (name, person_id))
        return name

    def merge(self, keep: int, gone: int) -> None:
        """Every face of ``gone`` becomes ``keep``'s; ``keep`` keeps its name, or takes ``gone``'s
        when it has none. Faces once taken out of ``gone`` now stay out of ``keep``."""
        if keep == gone:
            raise PeopleError(f"cannot merge person {keep} with itself")
        with self._write() as db:
            keep_name = self._need_person(db, keep)
            gone_name = self._need_person(db, gone)
            db.execute("UPDATE people_faces SET person_id = ? WHERE person_id = ?", (keep, gone))
            for fid, text in db.execute("SELECT id, rejected FROM people_faces WHERE rejected != ''").fetchall():
                ids = _ids(text)
                if gone in ids:
                    db.execute("UPDATE people_faces SET rejected = ? WHERE id = ?",
                               (_text((ids - {gone}) | {keep}), fid))
            if keep_name is None and gone_name is not None:
                db.execute("UPDATE people SET name = ? WHERE id = ?", (gone_name, keep))
            db.execute("DELETE FROM people WHERE id = ?", (gone,))

    def remove_face(self, face_id: int) -> int | None:
        """Take a face out of its person (it never joins that person again by itself; it is
        grouped again next refresh). Returns the person it left."""
        with self._write() as db:
            row = self._need_face(db, face_id)
            pid, text = row[0], row[1]
            if pid is None:
                return None
            db.execute("UPDATE people_faces SET person_id = NULL, rejected = ? WHERE id = ?",
                       (_text(_ids(text) | {pid}), face_id))
        return pid

    def set_not_face(self, face_id: int, not_face: bool = True) -> int | None:
        """Mark a detection as not a face (it leaves its person and is never grouped), or undo
        that. Returns the person it left."""
        with self._write() as db:
            pid = self._need_face(db, face_id)[0]
            db.execute("UPDATE people_faces SET not_face = ?, person_id = NULL WHERE id = ?",
                       (int(bool(not_face)), face_id))
        return pid

    def drop_empty_people(self) -> list[int]:
        """Unnamed people left without faces (after merges and removals) go."""
        with self._write() as db:
            gone = [r[0] for r in db.execute(
                "SELECT id FROM people p WHERE name IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM people_faces f WHERE f.person_id = p.id)")]
            db.executemany("DELETE FROM people WHERE id = ?", [(g,) for g in gone])
        return gone

    def purge(self) -> None:
        """Forget every face, person and name (face analysis was turned off)."""
        with self._write() as db:
            db.execute("DELETE FROM people_faces")
            db.execute("DELETE FROM people_docs")
            db.execute("DELETE FROM people")

    # --- reads --------------------------------------------------------------------------------
    def person(self, person_id: int) -> tuple[int, str | None] | None:
        with self._lock:
            row = self._db.execute("SELECT id, name FROM people WHERE id = ?", (person_id,)).fetchone()
        return (int(row[0]), row[1]) if row else None

    def people(self) -> list[PersonRow]:
        """Every person with at least one face found in a photo, any order."""
        with self._lock:
            names = dict(self._db.execute("SELECT id, name FROM people"))
            rows = self._db.execute(
                "SELECT person_id, doc_id, count(*) FROM people_faces WHERE person_id IS NOT NULL "
                "AND present = 1 AND not_face = 0 GROUP BY person_id, doc_id").fetchall()
        docs: dict[int, list[tuple[int, str]]] = {}
        for pid, doc_id, n in rows:
            docs.setdefault(pid, []).append((n, doc_id))
        out = []
        for pid, items in docs.items():
            items.sort(key=lambda x: (-x[0], x[1]))
            out.append(PersonRow(pid, names.get(pid), sum(n for n, _ in items), tuple(d for _, d in items)))
        return out

    def ids_named(self, name: str) -> list[int]:
        """People whose name is ``name`` (case and spacing ignored)."""
        wanted = " ".join(name.split()).casefold()
        with self._lock:
            rows = self._db.execute("SELECT id, name FROM people WHERE name IS NOT NULL").fetchall()
        return [pid for pid, n in rows if n.casefold() == wanted]

    def names(self) -> list[str]:
        """Names of the people seen in some photo now (a name whose every face was taken away
        names nobody: "anna" is then a plain word again, which finds anna.jpg)."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT DISTINCT p.name FROM people p WHERE p.name IS NOT NULL AND EXISTS (SELECT 1 FROM "
                "people_faces f WHERE f.person_id = p.id AND f.present = 1 AND f.not_face = 0)")]

    def faces_of_docs(self, doc_ids: Iterable[str]) -> dict[str, list[StoredFace]]:
        ids = list(dict.fromkeys(doc_ids))
        out: dict[str, list[StoredFace]] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for row in self._db.execute(
                        "SELECT id, doc_id, x0, y0, x1, y1, person_id, not_face, usable, rejected FROM people_faces "
                        f"WHERE present = 1 AND doc_id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk):
                    out.setdefault(row[1], []).append(_face(row))
        return out

    def faces_of_person(self, person_id: int) -> list[StoredFace]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, doc_id, x0, y0, x1, y1, person_id, not_face, usable, rejected FROM people_faces "
                "WHERE person_id = ? AND present = 1 AND not_face = 0 ORDER BY id", (person_id,)).fetchall()
        return [_face(r) for r in rows]

    def face(self, face_id: int) -> StoredFace | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, doc_id, x0, y0, x1, y1, person_id, not_face, usable, rejected FROM people_faces "
                "WHERE id = ?", (face_id,)).fetchone()
        return _face(row) if row else None

    def grouped_embeddings(self) -> tuple[list[StoredFace], np.ndarray]:
        """Every usable face found in a photo (any person or none) with its descriptor."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, doc_id, x0, y0, x1, y1, person_id, not_face, usable, rejected, embedding "
                "FROM people_faces WHERE present = 1 AND not_face = 0 AND usable = 1 "
                "AND embedding IS NOT NULL ORDER BY id").fetchall()
        if not rows:
            return [], np.zeros((0, 0), np.float32)
        return [_face(r[:10]) for r in rows], np.stack([np.frombuffer(r[10], dtype=np.float32) for r in rows])

    def confirm(self, face_ids: Iterable[int], person_id: int) -> set[int]:
        """The user says these faces are ``person_id``: they join (even one taken out of it
        before). Returns the people they left."""
        left: set[int] = set()
        with self._write() as db:
            self._need_person(db, person_id)
            for fid in face_ids:
                pid, text = self._need_face(db, fid)
                if pid is not None and pid != person_id:
                    left.add(pid)
                db.execute("UPDATE people_faces SET person_id = ?, not_face = 0, rejected = ? WHERE id = ?",
                           (person_id, _text(_ids(text) - {person_id}), fid))
        return left

    def embeddings(self, face_ids: Iterable[int]) -> dict[int, np.ndarray]:
        ids = list(face_ids)
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, embedding FROM people_faces WHERE embedding IS NOT NULL AND id IN "
                f"({','.join('?' * len(ids))})", ids).fetchall() if ids else []
        return {i: np.frombuffer(e, dtype=np.float32) for i, e in rows}

    def refs_of_docs(self, doc_ids: Iterable[str]) -> dict[str, list[tuple[int, str | None]]]:
        """doc id -> [(person id, name)] of the people in it, once each (the index's mirror)."""
        out: dict[str, list[tuple[int, str | None]]] = {d: [] for d in doc_ids}
        ids = list(out)
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for doc_id, pid, name in self._db.execute(
                        "SELECT DISTINCT f.doc_id, p.id, p.name FROM people_faces f JOIN people p ON p.id = f.person_id "
                        f"WHERE f.present = 1 AND f.not_face = 0 AND f.doc_id IN ({','.join('?' * len(chunk))}) "
                        "ORDER BY f.doc_id, p.id", chunk):
                    out[doc_id].append((int(pid), name))
        return out

    def docs_of_people(self, person_ids: Iterable[int]) -> set[str]:
        ids = list(person_ids)
        if not ids:
            return set()
        with self._lock:
            return {r[0] for r in self._db.execute(
                f"SELECT DISTINCT doc_id FROM people_faces WHERE person_id IN ({','.join('?' * len(ids))})", ids)}

    # --- internals ----------------------------------------------------------------------------
    @staticmethod
    def _need_person(db, person_id: int) -> str | None:
        row = db.execute("SELECT name FROM people WHERE id = ?", (int(person_id),)).fetchone()
        if row is None:
            raise PeopleError(f"no person {person_id}")
        return row[0]

    @staticmethod
    def _need_face(db, face_id: int) -> tuple:
        row = db.execute("SELECT person_id, rejected FROM people_faces WHERE id = ?", (int(face_id),)).fetchone()
        if row is None:
            raise PeopleError(f"no face {face_id}")
        return row


class _Transaction:
    def __init__(self, store: PeopleStore):
        self.store = store

    def __enter__(self):
        self.store._lock.acquire()
        try:
            self.store._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._lock.release()
            raise
        return self.store._db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.store._lock.release()


def _blob(embedding) -> bytes | None:
    if embedding is None:
        return None
    return np.asarray(embedding, dtype=np.float32).reshape(-1).tobytes()


def _ids(text: str) -> frozenset[int]:
    return frozenset(int(t) for t in (text or "").split())


def _text(ids) -> str:
    return " ".join(str(i) for i in sorted(ids))


def _face(row) -> StoredFace:
    fid, doc_id, x0, y0, x1, y1, pid, not_face, usable, rejected = row
    return StoredFace(int(fid), doc_id, (x0, y0, x1, y1), pid, bool(not_face), bool(usable), _ids(rejected))
