"""The indexing pipeline: files in, documents out.

    work items ──> decode pool (threads) ──> batched inference ──> commit (backend, then catalog)
                   read, hash, decode,        tagger + detector      every ~2 s / N docs
                   metadata, thumbnail,
                   model preprocessing

A bounded look-ahead window of decode futures keeps memory flat and the models busy. Content
that the catalog already knows (a moved, renamed, touched or copied photo) skips decoding and the
models: its new path is attached to the existing document. Scans and the watcher both hand their
changes to :meth:`IndexPipeline.run`, so there is one reconcile path.

Crash safety: a batch is written to the backend and flushed *before* the catalog transaction that
records its files. A kill in between makes the next run redo that batch; upserts are idempotent
by content hash, so nothing is duplicated and nothing is lost.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from .catalog import Catalog, DocumentRow
from .decode import DecodedImage, decode_bytes, read_file
from .errors import DecodeError
from .hashing import hash_bytes
from .index.base import IndexBackend
from .jobs import Cancelled, JobControl, ProgressCallback, ProgressEvent, RateMeter
from .records import PhotoDocument
from .scan import ScannedFile
from .thumbnails import ThumbnailCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkItem:
    """A file that is new or changed since the catalog last saw it."""

    path: str
    size: int
    mtime_ns: int
    old_hash: str | None = None  # what the catalog had for this path, when it was indexed

    @classmethod
    def of(cls, f: ScannedFile, old_hash: str | None = None) -> "WorkItem":
        return cls(f.path, f.size, f.mtime_ns, old_hash)


@dataclass
class IndexReport:
    scanned: int = 0  # image files seen on disk
    unchanged: int = 0  # skipped: same path, size and mtime as last time
    indexed: int = 0  # documents that went through the models
    reused: int = 0  # paths whose content was already known (moved, renamed, copied, touched)
    removed: int = 0  # paths gone from disk
    errors: int = 0  # files recorded as bad and skipped
    documents_deleted: int = 0  # documents whose last path went
    thumbnails_deleted: int = 0
    cancelled: bool = False
    elapsed_s: float = 0.0
    problems: list = field(default_factory=list)  # ScanProblem (unreadable folders, loops)
    missing_roots: list[str] = field(default_factory=list)

    def merge(self, other: "IndexReport") -> None:
        for name in ("indexed", "reused", "removed", "errors", "documents_deleted",
                     "thumbnails_deleted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cancelled = self.cancelled or other.cancelled


@dataclass
class _Prepared:
    item: WorkItem
    content_hash: str
    decoded: DecodedImage  # .image dropped once preprocessed: only sizes and metadata stay
    phash: str | None
    tagger_input: np.ndarray
    detector_input: np.ndarray | None  # None when the bundle has no detector


@dataclass
class _Known:
    """Content already in the library (or claimed by another file of this run)."""

    item: WorkItem
    content_hash: str


@dataclass
class _Failed:
    item: WorkItem
    reason: str
    detail: str


class _CommitBuffer:
    def __init__(self) -> None:
        self.new_docs: dict[str, tuple[PhotoDocument, list[WorkItem]]] = {}
        self.attached: list[tuple[WorkItem, str]] = []  # (item, hash of an existing document)
        self.failed: list[_Failed] = []
        self.removed: list[tuple[str, str | None]] = []  # (path, hash it had)

    def __len__(self) -> int:
        return len(self.new_docs) + len(self.attached) + len(self.failed) + len(self.removed)


# Errors that concern one document, not the backend as a whole.
_PER_DOCUMENT_ERRORS = (UnicodeError, ValueError, TypeError)


def model_version_of(bundle) -> str:
    version = getattr(bundle, "version", None)
    if isinstance(version, str) and version:
        return version
    parts = [bundle.tagger] + ([bundle.detector] if bundle.detector is not None else [])
    return "+".join(f"{m.name}@{m.version}" for m in parts)


def decode_size_for(bundle, thumbnail_size: int) -> int:
    """The smallest side worth decoding: the largest model input or thumbnail (JPEG draft)."""
    sizes = [*bundle.tagger.input_size, thumbnail_size]
    if bundle.detector is not None:
        sizes += list(bundle.detector.input_size)
    return max(sizes)


def _phash_fn() -> Callable | None:
    try:
        from .perceptual import compute_phash
    except ImportError:  # pragma: no cover - scipy missing
        return None
    return compute_phash


class IndexPipeline:
    """One instance per Library; ``run`` is called by one thread at a time (the Library's lock)."""

    def __init__(self, catalog: Catalog, backend: IndexBackend, models: Callable[[], object],
                 thumbs: ThumbnailCache, *, decode_workers: int = 0, batch_size: int = 16,
                 commit_interval_s: float = 2.0, commit_max_items: int = 256,
                 user_marks: Callable[[list[str]], dict] | None = None):
        self.catalog = catalog
        # ids -> {id: UserMark} (core/userdata.py): ratings outlive the index, so every document
        # written again gets them back.
        self.user_marks = user_marks
        self.backend = backend
        self._models = models  # lazy: a re-scan of an unchanged library never loads them
        self.thumbs = thumbs
        self.decode_workers = decode_workers or os.cpu_count() or 2
        self.batch_size = max(1, batch_size)
        self.commit_interval_s = commit_interval_s
        self.commit_max_items = commit_max_items
        self._compute_phash = _phash_fn()

    # --- public -------------------------------------------------------------------------------
    def run(self, work: Iterable[WorkItem], removed: Iterable[tuple[str, str | None]] = (),
            attach: Iterable[tuple[WorkItem, str]] = (),
            progress: ProgressCallback | None = None, control: JobControl | None = None) -> IndexReport:
        """Process new/changed files (``work``), paths gone from disk (``removed``: path and the
        hash it had) and paths known to hold already-indexed content (``attach``: moves the
        watcher saw, with the hash the old path had; no file read at all)."""
        run = _Run(self, progress, control or JobControl())
        return run.execute(list(work), list(removed), list(attach))


class _Run:
    """State of one pipeline run (kept apart so the pipeline object stays reusable)."""

    def __init__(self, p: IndexPipeline, progress: ProgressCallback | None, control: JobControl):
        self.p = p
        self.progress = progress
        self.control = control
        self.report = IndexReport()
        self.buffer = _CommitBuffer()
        self.known = p.catalog.known_hashes()
        self.claims: dict[str, str] = {}  # hash -> path of the file decoding it this run
        self.claims_lock = threading.Lock()
        self.failed_hashes: dict[str, tuple[str, str]] = {}
        self.waiting: dict[str, list[WorkItem]] = {}  # copies waiting for their twin's result
        self.ready: list[_Prepared] = []
        self.done = 0
        self.total = 0
        self.meter = RateMeter()
        self.last_commit = time.monotonic()
        self.bundle = None
        self.bundle_lock = threading.Lock()

    # --- driver -------------------------------------------------------------------------------
    def execute(self, work: list[WorkItem], removed: list[tuple[str, str | None]],
                attach: list[tuple[WorkItem, str]]) -> IndexReport:
        start = time.monotonic()
        self.total = len(work) + len(removed) + len(attach)
        try:
            for item, h in attach:
                if h in self.known:
                    self._attach(item, h)
                else:  # its document went away meanwhile: read the file like any other
                    work.append(item)
            self._process(work)
            for path, old_hash in removed:
                self.control.checkpoint()
                self.buffer.removed.append((path, old_hash))
                self.report.removed += 1
                self._tick(path, "remove")
            self._commit_all()
        except Cancelled:
            self.report.cancelled = True
            self._commit_all()  # keep everything finished before the cancel
        self.report.elapsed_s = time.monotonic() - start
        self._emit("", "done")
        return self.report

    def _process(self, work: list[WorkItem]) -> None:
        if not work:
            return
        window = self.p.batch_size * 2 + self.p.decode_workers
        inflight: deque[Future] = deque()
        pool = ThreadPoolExecutor(self.p.decode_workers, thread_name_prefix="photoapp-decode")
        try:
            for item in work:
                self.control.checkpoint()
                while len(inflight) >= window:
                    self._collect(inflight, block=True)
                inflight.append(pool.submit(self._prepare, item))
                self._collect(inflight, block=False)
            while inflight:
                self.control.checkpoint()
                self._collect(inflight, block=True, draining=True)
            if self.ready:
                self._infer()
        finally:
            for f in inflight:
                f.cancel()
            pool.shutdown(wait=True)

    def _collect(self, inflight: deque[Future], block: bool, draining: bool = False) -> None:
        if block:
            wait(inflight, return_when=FIRST_COMPLETED)
        for f in [f for f in inflight if f.done()]:
            inflight.remove(f)
            self._accept(f.result())
        # Run the models on a full batch, or on what is left once everything was submitted.
        if len(self.ready) >= self.p.batch_size or (draining and self.ready and not inflight):
            self._infer()
        self._maybe_commit()

    # --- decode workers -----------------------------------------------------------------------
    def _models(self):
        with self.bundle_lock:
            if self.bundle is None:
                self.bundle = self.p._models()
            return self.bundle

    def _prepare(self, item: WorkItem) -> _Prepared | _Known | _Failed:
        try:
            data = read_file(item.path)
        except DecodeError as e:
            return self._failed(item, e.reason, e.detail, None)
        h = hash_bytes(data)
        with self.claims_lock:
            if h in self.known or h in self.claims:
                return _Known(item, h)
            self.claims[h] = item.path
        # Outside the per-file handlers: missing or broken models stop the run (ModelError)
        # instead of marking every photo as bad.
        bundle = self._models()
        try:
            min_size = decode_size_for(bundle, self.p.thumbs.default_size)
            decoded = decode_bytes(data, item.path, min_size)
            del data
            image = decoded.image
            self._write_thumbnail(h, image)
            phash = self.p._compute_phash(image) if self.p._compute_phash else None
            tagger_input = bundle.tagger.preprocess(image)
            detector_input = (bundle.detector.preprocess(image)
                              if bundle.detector is not None else None)
            decoded.image = None  # the look-ahead window holds model inputs, not pixels
            return _Prepared(item, h, decoded, phash, tagger_input, detector_input)
        except DecodeError as e:
            return self._failed(item, e.reason, e.detail, h)
        except Exception as e:  # noqa: BLE001 - one odd file must not stop the library
            log.exception("unexpected failure preparing %r", item.path)
            return self._failed(item, "unsupported", f"{type(e).__name__}: {e}", h)

    def _write_thumbnail(self, h: str, image) -> None:
        try:
            self.p.thumbs.write(h, image)
        except OSError as e:  # the photo is still indexed; thumbnail_path() retries on demand
            log.warning("could not write thumbnail %s: %s", h, e)

    def _failed(self, item: WorkItem, reason: str, detail: str, h: str | None) -> _Failed:
        f = _Failed(item, reason, detail)
        if h is not None:
            with self.claims_lock:
                if self.claims.get(h) == item.path:
                    self.failed_hashes[h] = (reason, detail)
        return f

    # --- coordinator --------------------------------------------------------------------------
    def _accept(self, result: _Prepared | _Known | _Failed) -> None:
        if isinstance(result, _Prepared):
            self.ready.append(result)
            return
        if isinstance(result, _Failed):
            self._record_failure(result)
            for twin in self._release_waiting(result.item.path):
                self._record_failure(_Failed(twin, result.reason, result.detail))
            return
        h = result.content_hash
        if h in self.known:
            self._attach(result.item, h)
        elif h in self.failed_hashes:
            reason, detail = self.failed_hashes[h]
            self._record_failure(_Failed(result.item, reason, detail))
        else:  # its twin is still being decoded or inferred
            self.waiting.setdefault(h, []).append(result.item)

    def _release_waiting(self, path: str) -> list[WorkItem]:
        for h, claimer in list(self.claims.items()):
            if claimer == path and h in self.waiting:
                return self.waiting.pop(h)
        return []

    def _record_failure(self, f: _Failed) -> None:
        log.info("skipping %r: %s %s", f.item.path, f.reason, f.detail)
        self.buffer.failed.append(f)
        self.report.errors += 1
        self._tick(f.item.path)

    def _attach(self, item: WorkItem, h: str) -> None:
        self.buffer.attached.append((item, h))
        self.report.reused += 1
        self._tick(item.path)

    def _infer(self) -> None:
        batch, self.ready = self.ready, []
        bundle = self._models()
        results = bundle.tagger.run(np.stack([p.tagger_input for p in batch]))
        objects = (bundle.detector.run([p.detector_input for p in batch])
                   if bundle.detector is not None else [[] for _ in batch])
        version = model_version_of(bundle)
        now = datetime.now()
        for p, result, objs in zip(batch, results, objects):
            d, meta = p.decoded, p.decoded.metadata
            doc = PhotoDocument(
                id=p.content_hash, paths=[], width=d.width, height=d.height,
                size_bytes=p.item.size, format=d.format, taken_at=meta.taken_at,
                camera_make=meta.camera_make, camera_model=meta.camera_model, lens=meta.lens,
                gps=meta.gps, orientation=meta.orientation,
                tags=bundle.vocabulary.expand(result.top_classes, objs), objects=list(objs),
                embedding=np.asarray(result.embedding, dtype=np.float32), phash=p.phash,
                indexed_at=now, model_version=version)
            self.buffer.new_docs[p.content_hash] = (doc, [p.item])
            self.report.indexed += 1
            self._tick(p.item.path)
        self.control.checkpoint()

    def _commit_all(self) -> None:
        # A commit can release copies that waited for their twin: commit until nothing is left.
        while self.buffer:
            self._commit()

    def _maybe_commit(self) -> None:
        due = time.monotonic() - self.last_commit >= self.p.commit_interval_s
        if self.buffer and (due or len(self.buffer) >= self.p.commit_max_items):
            self._commit()

    def _commit(self) -> None:
        buf, self.buffer = self.buffer, _CommitBuffer()
        self.last_commit = time.monotonic()
        if not buf:
            return
        cat, backend = self.p.catalog, self.p.backend
        # Paths each touched document will have once this commit lands.
        added: dict[str, list[str]] = {}
        dropped: dict[str, set[str]] = {}
        for h, (_, items) in buf.new_docs.items():
            added.setdefault(h, []).extend(i.path for i in items)
        for item, h in buf.attached:
            added.setdefault(h, []).append(item.path)
        changed_items = [i for _, items in buf.new_docs.values() for i in items]
        changed_items += [i for i, _ in buf.attached] + [f.item for f in buf.failed]
        for item in changed_items:
            if item.old_hash:
                dropped.setdefault(item.old_hash, set()).add(item.path)
        for path, old_hash in buf.removed:
            if old_hash:
                dropped.setdefault(old_hash, set()).add(path)
        final: dict[str, list[str]] = {}
        for h in set(added) | set(dropped):
            keep = set(cat.paths_of(h)) - dropped.get(h, set())
            final[h] = sorted(keep | set(added.get(h, [])))

        emptied = self._write_backend(buf, final)

        with cat.write() as w:
            for h, (doc, items) in buf.new_docs.items():
                w.put_document(DocumentRow(
                    h, (doc.taken_at or _mtime(items[0])).isoformat(), doc.width, doc.height,
                    doc.size_bytes, doc.format, doc.model_version))
            for path, _ in buf.removed:
                w.delete_file(path)
            for h, (_, items) in buf.new_docs.items():
                for i in items:
                    w.put_indexed(i.path, i.size, i.mtime_ns, h)
            for item, h in buf.attached:
                w.put_indexed(item.path, item.size, item.mtime_ns, h)
            for f in buf.failed:
                w.put_error(f.item.path, f.item.size, f.item.mtime_ns, f.reason, f.detail)
            for h in emptied:
                w.delete_document(h)
        self.report.documents_deleted += len(emptied)
        for h in emptied:
            self.report.thumbnails_deleted += self.p.thumbs.delete(h)
        with self.claims_lock:
            self.known.update(buf.new_docs)
            self.known.difference_update(emptied)
        # Copies that waited for a twin in this commit can attach now.
        for h in buf.new_docs:
            for twin in self.waiting.pop(h, []):
                self._attach(twin, h)

    def _write_backend(self, buf: _CommitBuffer, final: dict[str, list[str]]) -> list[str]:
        """Send one commit to the backend and flush; returns the documents that lost every path.

        A document the backend rejects (e.g. a file name that is not valid UTF-8 for a backend
        that cannot store one) turns its files into recorded errors instead of failing the whole
        run. ``BackendUnavailable`` still propagates: nothing is lost, the next run redoes it.
        """
        backend = self.p.backend
        docs = []
        for h, (doc, _) in buf.new_docs.items():
            doc.paths = final[h]
            docs.append(doc)
        rejected: dict[str, str] = {}
        if docs and self.p.user_marks is not None:
            marks = self.p.user_marks([d.id for d in docs])
            for doc in docs:
                if doc.id in marks:
                    doc.rating, doc.favorite = marks[doc.id].rating, marks[doc.id].favorite
        if docs:
            try:
                backend.upsert(docs)
            except _PER_DOCUMENT_ERRORS:
                for doc in docs:  # find the culprit(s); upserts are idempotent
                    try:
                        backend.upsert([doc])
                    except _PER_DOCUMENT_ERRORS as e:
                        rejected[doc.id] = f"{type(e).__name__}: {e}"
        emptied = []
        for h, paths in final.items():
            if h in buf.new_docs:
                continue
            if not paths:
                emptied.append(h)
                continue
            try:
                backend.set_paths(h, paths)
            except _PER_DOCUMENT_ERRORS as e:
                rejected[h] = f"{type(e).__name__}: {e}"
        if emptied:
            backend.delete(emptied)
        backend.flush()
        if rejected:
            self._reject(buf, rejected)
        return emptied

    def _reject(self, buf: _CommitBuffer, rejected: dict[str, str]) -> None:
        for h, detail in rejected.items():
            log.warning("index backend rejected document %s: %s", h, detail)
            doc, items = buf.new_docs.pop(h, (None, []))
            if doc is not None:
                self.report.indexed -= 1
            items = items + [i for i, ah in buf.attached if ah == h]
            buf.attached = [(i, ah) for i, ah in buf.attached if ah != h]
            for item in items:
                buf.failed.append(_Failed(item, "unsupported", f"index backend rejected it: {detail}"))
                self.report.errors += 1

    # --- progress -----------------------------------------------------------------------------
    def _tick(self, path: str, phase: str = "index") -> None:
        self.done += 1
        self._emit(path, phase)

    def _emit(self, path: str, phase: str) -> None:
        if self.progress is None:
            return
        total = max(self.total, self.done)
        rate, eta = self.meter.update(self.done, total)
        self.progress(ProgressEvent(self.done, total, rate, 0.0 if phase == "done" else eta,
                                    path, phase))


def _mtime(item: WorkItem) -> datetime:
    return datetime.fromtimestamp(item.mtime_ns / 1e9)
