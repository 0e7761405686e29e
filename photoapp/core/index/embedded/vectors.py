"""The embedded index's vector store: float16 rows on disk plus an approximate index for big libraries.

Layout of the folder:
    vectors.f16   every vector ever written, one float16 row per *slot*, append-only, memory-mapped
    store.json    {"dim": 1280}
    ann.usearch   HNSW graph (usearch) over PCA-reduced copies of the rows, keys = slots
    ann.npz       the PCA (mean, components) the graph was built with
    ann.json      {"upto": rows covered by the graph, "fitted_on": rows the PCA was fitted on}

Why this shape:
- Full vectors stay on disk (1M x 1280 x float16 = 2.5 GB) and are read only for the few rows a
  query touches, so memory does not grow with the library.
- Below ``ann_threshold`` live vectors the search is exact (usearch's SIMD brute force over the
  float16 rows: ~7 ms at 20k). Above it, an HNSW graph over ``reduced_dim``-dimensional PCA
  projections proposes candidates and every candidate is re-scored exactly from the float16 rows.
  PCA makes building the graph ~10x cheaper than at 1280 dimensions (graph build cost is
  distance evaluations x dimensions) and keeps the graph small enough to memory-map.
- Slots are never reused; a replaced or deleted vector just becomes dead (the owner tells us which
  slots are live). The graph may hold dead keys: they are filtered out after the search.

Several processes may write one store (the GUI watching while ``photoapp index`` runs). The owner
(EmbeddedIndex) allocates slots from a counter in its SQLite database *inside* the write
transaction that records them, and ``write_at`` puts the rows at exactly those slots (pwrite at
slot x row size, never "at the end of the file"), so two writers can neither get the same slot
nor store a vector under another photo's slot. Rows past the committed counter (a transaction
that rolled back, a writer still writing) are ignored and overwritten by the next allocation.
Readers notice rows written by others when they ask for a slot past what they mapped
(``refresh``). The graph files are replaced atomically under names private to the process.

The owner maps document ids to slots in SQLite and calls ``set_live`` on open and whenever another
process changed the live set. Thread-safety: one lock guards the mutable state; searches hold it
only around the graph query.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import threading
from pathlib import Path

import numpy as np
from .ann import Index, MetricKind
from .ann import exact_search

from ...errors import BackendError

log = logging.getLogger(__name__)

_ROWS = "vectors.f16"
_META = "store.json"
_ANN = "ann.usearch"
_PCA = "ann.npz"
_ANN_META = "ann.json"


class VectorStore:
    def __init__(self, folder: str | os.PathLike, *, ann_threshold: int = 20_000, reduced_dim: int = 128,
                 connectivity: int = 16, expansion_add: int = 128, expansion_search: int = 128,
                 rerank_factor: int = 3, min_candidates: int = 250, pca_sample: int = 50_000):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ann_threshold = ann_threshold
        self.reduced_dim = reduced_dim
        self.connectivity = connectivity
        self.expansion_add = expansion_add
        self.expansion_search = expansion_search
        # Graph candidates re-scored exactly: max(min_candidates, rerank_factor * k). The floor
        # matters for small k, the factor for big pages. At 1M synthetic photos recall@10 was
        # 0.915 with 100 candidates, 0.957 with 200, 0.979 with 400 (bench/query_scale.py data).
        self.rerank_factor = rerank_factor
        self.min_candidates = min_candidates
        self.pca_sample = pca_sample
        self._lock = threading.RLock()
        self.dim: int | None = None
        meta = self.folder / _META
        if meta.exists():
            self.dim = int(json.loads(meta.read_text())["dim"])
        self._count = 0  # whole rows in the file (some past the owner's counter may be garbage)
        self._rows: np.ndarray | None = None  # memmap over the first _count slots
        self._wfd: int | None = None  # read-write descriptor for pwrite
        self._read_only: str | None = None  # why the file could only be opened for reading
        self._fd: int | None = None  # read-only descriptor for pread (see _gather)
        # Called before each search (the owner syncs liveness with other processes there).
        self.before_search = None
        self._live = np.zeros(0, dtype=bool)
        self._ann: Index | None = None
        self._ann_is_view = False
        self._ann_upto = 0  # slots [0, upto) are in the graph
        self._ann_fitted_on = 0
        self._pca_mean: np.ndarray | None = None
        self._pca_components: np.ndarray | None = None  # (dim, reduced)
        if self.dim is not None:
            self._open_rows()
            self._load_ann()

    # --- files ----------------------------------------------------------------------------
    def _open_rows(self) -> None:
        # A torn last row (a crash mid-write, or another process writing right now) is not
        # counted; it is never truncated, since another writer may be extending the file.
        path = self.folder / _ROWS
        try:
            self._wfd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # a read-only disk or folder: reading still works
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not path.exists():
                raise BackendError(f"cannot open the vector store in {self.folder}: {exc.strerror}") from exc
            self._read_only = exc.strerror or str(exc)
        self._count = self._file_rows()
        self._remap()
        self._grow_live()

    def _file_rows(self) -> int:
        size = os.fstat(self._wfd).st_size if self._wfd is not None else (self.folder / _ROWS).stat().st_size
        return size // (self.dim * 2)

    def _grow_live(self) -> None:
        if len(self._live) < self._count:
            self._live = np.concatenate([self._live, np.zeros(self._count - len(self._live), bool)])

    def refresh(self) -> None:
        """Map rows other processes appended since we last looked (and the store itself, if
        another process created it after we opened an empty one)."""
        with self._lock:
            if self.dim is None and (self.folder / _META).exists():
                self.dim = int(json.loads((self.folder / _META).read_text())["dim"])
                self._open_rows()
            if self.dim is None or self._rows is None:  # no store yet, or closed
                return
            count = self._file_rows()
            if count > self._count:
                self._count = count
                self._remap()
                self._grow_live()

    def _remap(self) -> None:
        if self._count:
            self._rows = np.memmap(self.folder / _ROWS, dtype=np.float16, mode="r",
                                   shape=(self._count, self.dim))
        else:
            self._rows = np.zeros((0, self.dim or 0), dtype=np.float16)

    def _load_ann(self) -> None:
        meta = self.folder / _ANN_META
        if not meta.exists():
            return
        try:
            info = json.loads(meta.read_text())
            if info.get("upto", 0) > self._count or info.get("dim") != self.dim:
                raise ValueError("approximate index does not match the stored vectors")
            pca = np.load(self.folder / _PCA)
            ann = Index.restore(str(self.folder / _ANN), view=True)
            if ann is None:
                raise ValueError("unreadable graph file")
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            # A derived structure: rebuild it instead of failing the whole index.
            log.warning("discarding approximate vector index in %s: %s", self.folder, exc)
            return
        ann.expansion_search = self.expansion_search  # a search-time setting: ours, not the file's
        self._ann, self._ann_is_view = ann, True
        self._ann_upto = int(info["upto"])
        self._ann_fitted_on = int(info["fitted_on"])
        self._pca_mean, self._pca_components = pca["mean"], pca["components"]

    # --- liveness -------------------------------------------------------------------------
    def set_live(self, slots: np.ndarray) -> None:
        self.refresh()
        with self._lock:
            self._live = np.zeros(max(self._count, 0), dtype=bool)
            slots = np.asarray(slots, dtype=np.int64)
            self._live[slots[slots < self._count]] = True

    def release(self, slots) -> None:
        with self._lock:
            slots = np.asarray(list(slots), dtype=np.int64)
            if len(slots):
                self._live[slots[slots < len(self._live)]] = False

    @property
    def live_count(self) -> int:
        return int(self._live.sum())

    @property
    def slot_count(self) -> int:
        return self._count

    @property
    def has_ann(self) -> bool:
        return self._ann is not None

    # --- writes ---------------------------------------------------------------------------
    def append(self, vectors: np.ndarray) -> np.ndarray:
        """Write rows after the last one, return their slots (marked live). For a store with one
        writer (tests, tools); the index allocates slots itself and calls ``write_at``."""
        return self.write_at(self._count, vectors)

    def write_at(self, start: int, vectors: np.ndarray) -> np.ndarray:
        """Write rows at slots ``start``, ``start + 1``, ...; return those slots (marked live)."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or not len(vectors):
            raise BackendError("expected a non-empty 2-D array of vectors")
        with self._lock:
            self._check_dim(int(vectors.shape[1]))
            if self._wfd is None:
                raise BackendError(f"cannot write the vector store in {self.folder}: {self._read_only}")
            rows = vectors.astype(np.float16)
            if not np.isfinite(rows).all():
                raise BackendError("embedding contains NaN or infinite values")
            data = rows.tobytes()
            offset = int(start) * self.dim * 2
            written = 0
            while written < len(data):  # pwrite may write less than asked
                written += os.pwrite(self._wfd, data[written:], offset + written)
            end = int(start) + len(rows)
            if end > self._count:
                self._count = end
                self._remap()
                self._grow_live()
            self._live[int(start):end] = True
            return np.arange(int(start), end, dtype=np.int64)

    def _check_dim(self, dim: int) -> None:
        self.refresh()  # another process may have created the store since we opened it
        if self.dim is None:
            self.dim = dim
            tmp = self.folder / f"{_META}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps({"dim": self.dim}))
            tmp.replace(self.folder / _META)
            self._open_rows()
        if dim != self.dim:
            raise BackendError(f"embedding has {dim} dimensions but this index holds "
                               f"{self.dim}; the model changed, so the index must be rebuilt")

    def flush(self, committed: int | None = None) -> None:
        """Make rows durable and bring the approximate index up to date when it is worth it.
        ``committed``: rows below it are all real (the owner's slot counter); the graph never
        covers rows past it."""
        with self._lock:
            if self._wfd is not None:
                os.fsync(self._wfd)
        self._maintain_ann(committed)

    def close(self) -> None:
        with self._lock:
            if self._wfd is not None:
                os.fsync(self._wfd)
                os.close(self._wfd)
                self._wfd = None
            self._ann = None
            self._rows = None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # --- reads ----------------------------------------------------------------------------
    def vectors(self, slots) -> np.ndarray:
        slots = np.asarray(slots, dtype=np.int64).reshape(-1)
        if len(slots) and (self.dim is None or slots.max() >= self._count):
            self.refresh()  # written by another process since we mapped the file
        if self._rows is None or (len(slots) and (slots.max() >= self._count or slots.min() < 0)):
            raise BackendError("vector slot out of range: the vector file is shorter than the catalog")
        return self._gather(slots).astype(np.float32)

    def _gather(self, slots: np.ndarray) -> np.ndarray:
        """float16 rows of ``slots`` (in that order), read with pread rather than through the
        memory map: scattered faults on a map pull in read-ahead around every row and leave it
        mapped, so a few hundred queries made a 1M-photo process's RSS grow by gigabytes."""
        out = np.empty((len(slots), self.dim), dtype=np.float16)
        if not len(slots):
            return out
        row_bytes = self.dim * 2
        order = np.argsort(slots, kind="stable")
        ordered = slots[order]
        # Runs of consecutive slots (a shoot is stored together) are one read each.
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
        fd = self._read_fd()
        for run in np.split(np.arange(len(ordered)), breaks):
            first, n = int(ordered[run[0]]), len(run)
            data = os.pread(fd, n * row_bytes, first * row_bytes)
            if len(data) != n * row_bytes:
                raise BackendError("vector file is shorter than expected")
            out[order[run]] = np.frombuffer(data, dtype=np.float16).reshape(n, self.dim)
        return out

    def _read_fd(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.folder / _ROWS, os.O_RDONLY)
        return self._fd

    def search(self, query: np.ndarray, k: int, *, within: np.ndarray | None = None,
               exclude: np.ndarray | None = None, candidates: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` live slots by cosine similarity: (slots, scores), best first.

        ``within``: only these slots (exact search over them). ``exclude``: never these slots.
        ``candidates``: how many graph candidates to re-score (default: see ``min_candidates``);
        deep over-fetching for a filter asks for ``k`` itself.
        """
        if self.before_search is not None:
            self.before_search()
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.dim is None or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if len(query) != self.dim:
            raise BackendError(f"query vector has {len(query)} dimensions, the index holds {self.dim}")
        norm = float(np.linalg.norm(query))
        if not np.isfinite(norm) or norm == 0:
            raise BackendError("query vector is zero or not finite")
        query = query / norm
        with self._lock:
            rows, live, count = self._rows, self._live, self._count
        allowed = live.copy() if len(live) == count else np.zeros(count, bool)
        if exclude is not None and len(exclude):
            exclude = np.asarray(exclude, dtype=np.int64)
            allowed[exclude[exclude < count]] = False
        if within is not None:
            within = np.asarray(within, dtype=np.int64)
            within = within[within < count]
            within = within[allowed[within]]
            return self._exact_subset(rows, query, k, within)
        if self._ann is None:
            return self._exact_all(rows, query, k, allowed)
        return self._approximate(rows, query, k, allowed, candidates)

    def _exact_subset(self, rows, query, k, slots, chunk: int = 32_768):
        """Exact search within ``slots``, read in chunks so memory stays bounded (80 MB a chunk
        at 1280 dimensions) however many rows a filter allows."""
        if not len(slots):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        slots = np.sort(slots)
        best_slots, best_dist = [], []
        for start in range(0, len(slots), chunk):
            part = slots[start:start + chunk]
            found = exact_search(self._gather(part), query.astype(np.float16), min(k, len(part)), MetricKind.Cos,
                                 exact=True, threads=1)
            keys, dist = _flat(found)
            best_slots.append(part[keys])
            best_dist.append(dist)
        found_slots, dist = np.concatenate(best_slots), np.concatenate(best_dist)
        top = np.argsort(dist, kind="stable")[:k]
        return found_slots[top], (1.0 - dist[top]).astype(np.float32)

    def _exact_all(self, rows, query, k, allowed):
        n_allowed = int(allowed.sum())
        if n_allowed == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        n_blocked = len(allowed) - n_allowed
        if n_blocked > n_allowed:  # mostly dead rows: gathering the live ones is cheaper
            return self._exact_subset(rows, query, k, np.flatnonzero(allowed))
        # Ask for enough that k allowed ones survive even if every blocked row ranks first.
        found = exact_search(rows, query.astype(np.float16), min(len(rows), k + n_blocked), MetricKind.Cos,
                             exact=True, threads=1)
        keys, dist = _flat(found)
        keep = allowed[keys]
        return keys[keep][:k].astype(np.int64), (1.0 - dist[keep][:k]).astype(np.float32)

    def _approximate(self, rows, query, k, allowed, candidates=None):
        with self._lock:
            ann, upto = self._ann, self._ann_upto
            want = candidates or max(k * self.rerank_factor, self.min_candidates)
            reduced = self._project(query[None, :])[0]
            found = ann.search(reduced, min(want, max(upto, 1)), threads=1)
        cand, _ = _flat(found)
        cand = cand.astype(np.int64)
        if len(rows) > upto:  # rows written since the graph was last extended: scan them exactly
            tail_allowed = allowed[upto:]
            blocked = len(tail_allowed) - int(tail_allowed.sum())
            tail = exact_search(rows[upto:], query.astype(np.float16), min(len(tail_allowed), k + blocked),
                                MetricKind.Cos, exact=True, threads=1)
            cand = np.concatenate([cand, _flat(tail)[0].astype(np.int64) + upto])
        cand = cand[(cand < len(allowed))]
        cand = cand[allowed[cand]]
        if not len(cand):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return self._rerank(rows, query, k, cand)

    def _rerank(self, rows, query, k, cand):
        cand = np.unique(cand)
        vecs = self._gather(cand).astype(np.float32)
        norms = np.linalg.norm(vecs, axis=1)
        norms[norms == 0] = 1.0
        scores = vecs @ query / norms
        top = np.argsort(-scores, kind="stable")[:k]
        return cand[top], scores[top].astype(np.float32)

    # --- approximate index maintenance -----------------------------------------------------
    def _project(self, vectors: np.ndarray) -> np.ndarray:
        return _project(vectors, self._pca_mean, self._pca_components)

    def _maintain_ann(self, committed: int | None = None) -> None:
        live = self.live_count
        if live < self.ann_threshold:
            return
        stale_pca = self._ann is not None and live > 4 * max(self._ann_fitted_on, 1)
        if self._ann is None or stale_pca:
            self.rebuild_ann(committed)
            return
        upto = self._count if committed is None else min(self._count, committed)
        pending = upto - self._ann_upto
        # Keep the exactly-scanned tail short (it is paid on every query), but do not rewrite a
        # large graph file for a handful of rows.
        if pending >= max(2_000, min(self.ann_threshold, self._ann_upto // 20)):
            with self._lock:  # few rows: searches may wait for them
                self._extend_ann(upto)

    def rebuild_ann(self, committed: int | None = None) -> None:
        """Fit the PCA on (a sample of) the live rows and build the graph from scratch.

        Minutes at a million rows, so it works on a snapshot without the lock (searches go on
        with the old graph or exact search) and swaps the result in at the end. Called by the
        single writer only."""
        with self._lock:
            live_slots = np.flatnonzero(self._live)
            count = self._count if committed is None else min(self._count, committed)
            live_slots = live_slots[live_slots < count]
        if not len(live_slots):
            return
        rng = np.random.default_rng(0)
        sample = live_slots if len(live_slots) <= self.pca_sample else \
            np.sort(rng.choice(live_slots, self.pca_sample, replace=False))
        mean, components = self._fit_pca(self._gather(sample).astype(np.float32))
        ann = Index(ndim=components.shape[1], metric="cos", dtype="f16", connectivity=self.connectivity,
                    expansion_add=self.expansion_add, expansion_search=self.expansion_search)
        for start in range(0, len(live_slots), 20_000):
            part = live_slots[start:start + 20_000]
            ann.add(part, _project(self._gather(part), mean, components), threads=os.cpu_count() or 1)
        with self._lock:
            self._pca_mean, self._pca_components = mean, components
            self._ann, self._ann_is_view = ann, False
            self._ann_upto = count
            self._ann_fitted_on = len(live_slots)
        self._save_ann()

    def _extend_ann(self, upto: int) -> None:
        if self._ann_is_view:  # a memory-mapped graph is read-only: load it to add rows
            self._ann = Index.restore(str(self.folder / _ANN), view=False)
            self._ann_is_view = False
        new = np.arange(self._ann_upto, upto, dtype=np.int64)
        new = new[self._live[new]]
        self._add_to_graph(self._ann, new)
        self._ann_upto = upto
        self._save_ann()

    def _fit_pca(self, sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, components (dim x reduced)); identity when the vectors are small already."""
        if self.dim <= self.reduced_dim:
            return np.zeros(self.dim, np.float32), np.eye(self.dim, dtype=np.float32)
        mean = sample.mean(axis=0)
        centred = sample - mean
        cov = centred.T @ centred / max(len(sample) - 1, 1)
        _, vecs = np.linalg.eigh(cov)  # ascending eigenvalues
        return mean.astype(np.float32), np.ascontiguousarray(vecs[:, ::-1][:, :self.reduced_dim]).astype(np.float32)

    def _add_to_graph(self, ann: Index, slots: np.ndarray, chunk: int = 20_000) -> None:
        for start in range(0, len(slots), chunk):
            part = slots[start:start + chunk]
            ann.add(part, self._project(self._gather(part)), threads=os.cpu_count() or 1)

    def _save_ann(self) -> None:
        # Temporary names private to this process: another writer may be saving its graph too
        # (each one is complete for what it covers; the last one replaced wins).
        def tmp(name: str) -> Path:
            return self.folder / f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"

        self._ann.save(str(tmp(_ANN)))
        with open(tmp(_PCA), "wb") as f:
            np.savez(f, mean=self._pca_mean, components=self._pca_components)
        meta = {"upto": self._ann_upto, "fitted_on": self._ann_fitted_on, "dim": self.dim,
                "reduced_dim": int(self._pca_components.shape[1])}
        tmp(_ANN_META).write_text(json.dumps(meta))
        os.replace(tmp(_ANN), self.folder / _ANN)
        os.replace(tmp(_PCA), self.folder / _PCA)
        os.replace(tmp(_ANN_META), self.folder / _ANN_META)

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())


def _flat(found) -> tuple[np.ndarray, np.ndarray]:
    """usearch Matches for one query -> (keys, distances), dropping empty slots."""
    keys = np.asarray(found.keys).reshape(-1)
    dist = np.asarray(found.distances).reshape(-1)
    count = int(np.asarray(found.counts).reshape(-1)[0]) if hasattr(found, "counts") else len(keys)
    return keys[:count], dist[:count]


def _project(vectors: np.ndarray, mean: np.ndarray | None, components: np.ndarray | None) -> np.ndarray:
    if components is None:
        return np.asarray(vectors, dtype=np.float32)
    return ((np.asarray(vectors, np.float32) - mean) @ components).astype(np.float32)
