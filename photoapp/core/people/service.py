"""People over a library: grouping new faces as photos are analysed, the user's corrections,
and the index mirror that makes ``person:anna`` a query.

    people = People(store, backend, catalog, settings)
    people.update()                  # Library's hook after every analysis pass: refresh, or purge
                                     # when face analysis is off (settings.analyzers["faces"])
    people.refresh()                 # new/re-analysed photos' faces -> people
    people.list() -> [Person]        # every person (named first, then by size); get(id)
    people.name(id, "Anna"); people.merge(a, b); people.remove_face(face_id); people.not_a_face(face_id)
    people.confirm(face_ids, id)     # "these are Anna" (from similar_faces(id): "more like this face")
    people.faces_in(doc_id) / faces_of(id) -> [StoredFace]; cover_face(id)
    people.purge()                   # forget every face, person and name

Refresh reads which photos the faces analyzer ran on (and when) from the catalog, takes their
faces from the index into the store (store.sync_document), groups the faces that belong to
nobody (grouping.py), then writes ``people`` (person ids and names) on every photo whose people
changed. Each correction does the same for the photos it touches.
"""
from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from dataclasses import dataclass

import numpy as np

from ..errors import BackendError, StorageError
from ..records import PersonRef
from . import grouping
from .quality import usable_for_people
from .store import PeopleError, PeopleStore, StoredFace

log = logging.getLogger(__name__)

FACES_ANALYZER = "faces"  # the analyzer whose results people are grouped from
PEOPLE_FIELD = "people"  # PhotoDocument attribute the index mirrors
SYNC_CHUNK = 256  # photos taken into the store per transaction
MERGE_ROUNDS = 10  # merge passes per refresh at most (centroids move after each)
# "More like this face" lists faces from here up (different people are ~0.84 alike on average).
SUGGEST_SIMILARITY = grouping.JOIN_SIMILARITY - 0.05


@dataclass(frozen=True)
class Person:
    id: int
    name: str | None
    size: int  # photos showing the person
    faces: int
    doc_ids: tuple[str, ...]  # most faces first
    paths: tuple[str, ...]  # one path per photo, in doc_ids order


@dataclass
class RefreshReport:
    photos: int = 0  # photos whose faces were (re)read
    grouped: int = 0  # faces given a person
    new_people: int = 0
    merged: int = 0


def _serialised(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return run


class People:
    def __init__(self, store: PeopleStore, backend, catalog, settings=None,
                 thresholds: grouping.Thresholds | None = None, mirror: bool = True):
        """``mirror=False``: never write the index (a benchmark grouping one library's faces into
        several scratch stores must not overwrite the library's own mirror)."""
        self.store = store
        self.mirror = mirror
        self.backend = backend
        self.catalog = catalog
        self.settings = settings
        self.thresholds = thresholds or grouping.Thresholds()
        self._purged = False
        # One grouping at a time: the indexer's refresh and a correction from the GUI's worker
        # must not both give the same ungrouped faces a person.
        self._lock = threading.RLock()

    @property
    def enabled(self) -> bool:
        """Face analysis is on (the privacy switch in settings: ``analyzers["faces"]``)."""
        wanted = dict(getattr(self.settings, "analyzers", None) or {})
        return wanted.get(FACES_ANALYZER, True) is not False

    @_serialised
    def update(self) -> RefreshReport | None:
        """The library's hook after analysis and after a settings change: refresh while face
        analysis is on; once it is off, purge everything (faces, people, names). Never raises
        for the index: people are a view, indexing must go on."""
        try:
            if self.enabled:
                self._purged = False
                return self.refresh()
            if not self._purged:
                self.purge()
                self._purged = True
        except (BackendError, StorageError, sqlite3.Error) as e:
            log.warning("people not updated: %s", e)
        return None

    # --- grouping -----------------------------------------------------------------------------
    @_serialised
    def refresh(self) -> RefreshReport:
        """Bring the people up to date with the faces analysis (cheap when nothing changed)."""
        report = RefreshReport()
        analysed = self.catalog.analysis_times(FACES_ANALYZER)
        synced = self.store.synced()
        todo = [h for h, at in analysed.items() if synced.get(h) != at]
        changed_docs: set[str] = set()
        touched: set[int] = set()
        for start in range(0, len(todo), SYNC_CHUNK):
            items = []
            for h in todo[start:start + SYNC_CHUNK]:
                doc = self.backend.get(h)
                if doc is not None:
                    faces = list(doc.faces)
                    items.append((h, faces, [usable_for_people(f) for f in faces], analysed[h]))
            touched |= self.store.sync_documents(items)
            changed_docs.update(h for h, *_ in items)
            report.photos += len(items)
        touched |= self._group(report, touched)
        if not (changed_docs or touched):
            return report  # nothing new: no write (reads must work on a full disk)
        changed_docs |= self.store.docs_of_people(touched)
        self.store.drop_empty_people()
        self._mirror(changed_docs)
        return report

    def _group(self, report: RefreshReport, changed=()) -> set[int]:
        """Give every ungrouped usable face a person, then merge people that came close (among
        those this pass or ``changed`` touched: re-analysed faces move a person's centroid);
        returns the people changed."""
        touched: set[int] = set(changed)
        pending = self.store.ungrouped()
        # In slices: each slice's faces first try the people the slices before it formed.
        for start in range(0, len(pending), grouping.BATCH_LIMIT):
            self._place(pending[start:start + grouping.BATCH_LIMIT], report, touched)
        for _ in range(MERGE_ROUNDS):  # a person takes part in one merge per round
            if not touched:
                break
            ids, centroids, named = self.store.centroids()
            pairs = grouping.merges(ids, centroids, named, touched, self.store.rejections(),
                                    self.thresholds.merge)
            if not pairs:
                break
            for keep, gone in pairs:
                self.store.merge(keep, gone)
                touched.discard(gone)
                touched.add(keep)
                report.merged += 1
        return touched

    def _place(self, pending, report: RefreshReport, touched: set[int]) -> None:
        ids, centroids, _ = self.store.centroids()
        result = grouping.group_batch(np.stack([e for _, e, _ in pending]), ids, centroids,
                                      [r for _, _, r in pending], self.thresholds)
        by_person: dict[int, list[int]] = {}
        for (fid, _, _), pid in zip(pending, result.joined):
            if pid is not None:
                by_person.setdefault(pid, []).append(fid)
        self.store.assign_many(by_person)
        touched.update(by_person)
        touched.update(self.store.new_people([[pending[k][0] for k in members] for members in result.new_groups]))
        report.new_people += len(result.new_groups)
        report.grouped += sum(len(v) for v in by_person.values()) + sum(len(g) for g in result.new_groups)

    # --- reads --------------------------------------------------------------------------------
    def list(self) -> list[Person]:
        """Every person with a face in a photo still in the library: named first (by name),
        then the most photographed."""
        out = []
        for row in self.store.people():
            docs, paths = [], []
            for d in row.doc_ids:
                p = self.catalog.paths_of(d)
                if p:
                    docs.append(d)
                    paths.append(p[0])
            if docs:
                out.append(Person(row.id, row.name, len(docs), row.faces, tuple(docs), tuple(paths)))
        out.sort(key=lambda p: (p.name is None, (p.name or "").casefold(), -p.size, p.id))
        return out

    def get(self, person_id: int) -> Person | None:
        return next((p for p in self.list() if p.id == int(person_id)), None)

    def faces_in(self, doc_id: str) -> list[StoredFace]:
        """The faces stored for a photo (not-a-face marks included), in store order."""
        return self.store.faces_of_docs([doc_id]).get(doc_id, [])

    def faces_of(self, person_id: int) -> list[StoredFace]:
        return self.store.faces_of_person(int(person_id))

    def cover_face(self, person_id: int) -> StoredFace | None:
        """The face to show on a person's card: the one closest to the person's centroid."""
        faces = self.faces_of(person_id)
        if not faces:
            return None
        vectors = self.store.embeddings(f.id for f in faces if f.usable)
        if not vectors:
            return faces[0]
        keys = list(vectors)
        matrix = grouping.normalise(np.stack([vectors[k] for k in keys]))
        centroid = grouping.normalise(matrix.mean(axis=0))[0]
        best = keys[int(np.argmax(matrix @ centroid))]
        return next(f for f in faces if f.id == best)

    def similar_faces(self, person_id: int, limit: int = 60, floor: float | None = None
                      ) -> list[tuple[StoredFace, float]]:
        """"More like this face": faces of other people or of nobody that look like this person
        (cosine to the person's centroid at least ``floor``, default SUGGEST_SIMILARITY: just
        under the join threshold, where a split person's other half sits), most alike first,
        one per photo."""
        floor = SUGGEST_SIMILARITY if floor is None else floor
        faces, matrix = self.store.grouped_embeddings()
        mine = [i for i, f in enumerate(faces) if f.person_id == int(person_id)]
        if not mine:
            return []
        centroid = grouping.normalise(matrix[mine].mean(axis=0))[0]
        sims = grouping.normalise(matrix) @ centroid
        out, seen = [], {f.doc_id for f in faces if f.person_id == int(person_id)}
        for i in np.argsort(-sims):
            f = faces[int(i)]
            if sims[i] < floor or len(out) >= limit:
                break
            if f.person_id == int(person_id) or f.doc_id in seen or int(person_id) in f.rejected:
                continue
            seen.add(f.doc_id)
            out.append((f, float(sims[i])))
        return out

    def names(self) -> list[str]:
        return self.store.names()

    def name_keys(self) -> set[str]:
        """Casefolded names, for the query parser (a plain "anna" means person:anna)."""
        return {n.casefold() for n in self.store.names()}

    def ids_named(self, name: str) -> list[int]:
        return self.store.ids_named(name)

    # --- the user's corrections ---------------------------------------------------------------
    @_serialised
    def name(self, person_id: int, name: str | None) -> str | None:
        name = self.store.set_name(int(person_id), name)
        self._mirror(self.store.docs_of_people([int(person_id)]))
        return name

    @_serialised
    def merge(self, keep: int, gone: int) -> None:
        """``gone``'s faces join ``keep`` (who keeps their name, or takes ``gone``'s)."""
        docs = self.store.docs_of_people([int(keep), int(gone)])
        self.store.merge(int(keep), int(gone))
        self._mirror(docs)

    @_serialised
    def confirm(self, face_ids, person_id: int) -> None:
        """The user says these faces are ``person_id`` (from "more like this face")."""
        faces = [self._face(f) for f in face_ids]
        left = self.store.confirm([f.id for f in faces], int(person_id))
        self.store.drop_empty_people()
        self._mirror({f.doc_id for f in faces} | self.store.docs_of_people(left))

    @_serialised
    def remove_face(self, face_id: int) -> int | None:
        """Take a face out of its person; it is grouped again (never into that person). Returns
        the person it left."""
        face = self._face(face_id)
        left = self.store.remove_face(face.id)
        self._after_correction(face.doc_id, left)
        return left

    @_serialised
    def not_a_face(self, face_id: int, not_face: bool = True) -> int | None:
        face = self._face(face_id)
        left = self.store.set_not_face(face.id, not_face)
        self._after_correction(face.doc_id, left)
        return left

    def _face(self, face_id) -> StoredFace:
        try:
            face = self.store.face(int(face_id))
        except (TypeError, ValueError):
            raise PeopleError(f"a face id is a number, not {face_id!r}") from None
        if face is None:
            raise PeopleError(f"no face {face_id}")
        return face

    def _after_correction(self, doc_id: str, left: int | None) -> None:
        docs = {doc_id} | (self.store.docs_of_people([left]) if left is not None else set())
        touched = self._group(RefreshReport())
        docs |= self.store.docs_of_people(touched)
        self.store.drop_empty_people()
        self._mirror(docs)

    @_serialised
    def purge(self) -> None:
        """Forget every face, person and name, here and in the index."""
        self.store.purge()
        try:
            self.backend.clear_fields([PEOPLE_FIELD])
            self.backend.flush()
        except BackendError as e:
            log.warning("people forgotten, but the index could not be cleared yet: %s", e)

    # --- the index mirror ---------------------------------------------------------------------
    def _mirror(self, doc_ids) -> None:
        """Write each photo's people into the index (``person:`` queries). The store is already
        written: when the index cannot take it now, the next refresh of those photos redoes it."""
        doc_ids = [d for d in doc_ids if d]
        if not doc_ids or not self.mirror:
            return
        refs = self.store.refs_of_docs(doc_ids)
        try:
            for doc_id, people in refs.items():
                self.backend.update_fields(doc_id, {PEOPLE_FIELD: [PersonRef(pid, name) for pid, name in people]})
            self.backend.flush()
        except BackendError as e:
            log.warning("people saved, but the index could not be updated yet (%s); search may lag", e)
            self.store.forget_synced(doc_ids)
