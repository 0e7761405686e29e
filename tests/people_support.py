"""Shared by the people tests: faces with constructed descriptors (noisy copies of one random
unit vector per identity) and a small library (real catalog, embedded index, user-data file)
whose photos 'have been analysed' with them."""
from __future__ import annotations

import time

import numpy as np

from photoapp.core.catalog import Catalog, DocumentRow
from photoapp.core.index.embedded.backend import EmbeddedIndex
from photoapp.core.people import People, PeopleStore
from photoapp.core.records import Face, PhotoDocument

DIM = 128
RNG = np.random.default_rng(7)
# Like dlib descriptors: every face shares a large common part (two people are ~0.82 alike),
# one person's faces are ~0.97 alike.
COMMON = RNG.normal(size=DIM)
COMMON /= np.linalg.norm(COMMON)


def _identity(rng) -> np.ndarray:
    own = rng.normal(size=DIM)
    v = COMMON + 0.47 * own / np.linalg.norm(own)
    return v / np.linalg.norm(v)


IDENTITIES = {name: _identity(RNG) for name in ("anna", "bob", "carl")}


def face(who: str, box=(0.1, 0.1, 0.3, 0.4), quality=0.9, seed=0) -> Face:
    rng = np.random.default_rng(seed)
    v = IDENTITIES[who] + 0.17 * rng.normal(size=DIM) / np.sqrt(DIM)
    v = (v / np.linalg.norm(v)).astype(np.float32)
    x0, y0, x1, y1 = box
    marks = tuple((x0 + (x1 - x0) * a, y0 + (y1 - y0) * b) for a, b in
                  ((0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8)))
    return Face(box, marks, 0.99, quality, v)


LEFT, RIGHT = (0.05, 0.1, 0.3, 0.45), (0.6, 0.1, 0.85, 0.45)


class Lib:
    """The three stores people work over, and a way to 'analyse' a photo."""

    def __init__(self, folder, index=None):
        self.folder = folder
        self.catalog = Catalog(folder / "catalog.sqlite3")
        self.index = index if index is not None else EmbeddedIndex(folder / "index")
        self.store = PeopleStore.in_folder(folder)
        self.people = People(self.store, self.index, self.catalog)

    def add(self, name: str, faces: list[Face], path: str | None = None) -> str:
        doc_id = (name.encode().hex() + "0" * 40)[:40]
        path = path or f"/photos/{name}.jpg"
        self.index.upsert([PhotoDocument(id=doc_id, paths=[path], faces=faces)])
        with self.catalog.write() as w:
            w.put_document(DocumentRow(doc_id))
            w.put_indexed(path, 1, 1, doc_id)
            w.put_analyses(doc_id, {"faces": "faces/1"})
        return doc_id

    def reanalyse(self, doc_id: str, faces: list[Face]) -> None:
        """A new faces model ran on the photo: new descriptors, boxes moved a little."""
        self.index.update_fields(doc_id, {"faces": faces})
        time.sleep(0.01)  # a new analysed_at
        with self.catalog.write() as w:
            w.put_analyses(doc_id, {"faces": "faces/2"})

    def close(self):
        self.store.close()
        self.index.close()
        self.catalog.close()
