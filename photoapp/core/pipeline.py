"""The indexing pipeline: files in, documents out, analysed in stages.

    work items ──> decode pool (threads) ──> batched analyzers ──> commit (backend, then catalog)
                   read, hash, decode once,    tags+embedding,        every ~2 s / N docs
                   metadata, thumbnail,        colours, objects...
                   each analyzer's input

Which analyzers run (photoapp.core.analyzers) is the caller's choice per run: a full run gives
new photos every enabled analyzer from one decode; a quick run gives them stage 1 only (tags,
embedding, colours: browsable, searchable, similar-findable). :meth:`IndexPipeline.backfill`
later brings existing documents up to date: the analyzers they lack (a later stage, a new
analyzer, a model whose version changed), decoding each photo once for all of them and writing
only their fields (``backend.update_fields``).

A bounded look-ahead window of decode futures keeps memory flat and the models busy. Content
that the catalog already knows (a moved, renamed, touched or copied photo) skips decoding and the
models: its new path is attached to the existing document. Scans and the watcher both hand their
changes to :meth:`IndexPipeline.run`, so there is one reconcile path.

Write order (every write boundary; a kill between any two steps is safe):

  run(), per commit (``_Run._commit``, every ``commit_interval_s`` or ``commit_max_items``):
    W1  thumbnails          decode workers write ``thumbs/`` as photos decode (a cache: a
                            thumbnail without a document is harmless and reused next time)
    W2  backend upsert      new documents (with paths), ``set_paths`` for moved/copied ones,
                            ``delete`` for documents that lost their last path
    W3  backend flush
    W4  catalog transaction documents rows, their ``analyses`` rows (analyzer versions that
                            ran), files rows (indexed / error), deleted files and documents
    W5  thumbnails deleted  for the documents deleted in W4
  backfill(), per commit (``_Backfill._commit``):
    B1  backend update_fields  the fields each pending analyzer filled, per document
    B2  backend flush
    B3  catalog transaction    ``analyses`` rows of those analyzers (error rows for photos
                               whose file could not be read)

The backend is always written and flushed *before* the catalog transaction that records it.
A kill in between makes the next run redo that batch: upserts and field updates are idempotent
by content hash, so nothing is duplicated and nothing is lost (the catalog's rows are the
resume record: files without rows are re-read, analyses without rows are re-run).
A kill between W3 and W4 still leaves the backend holding documents the catalog does not know,
which nothing revisits once their files are deleted ("ghosts"); so before W2 each commit writes
its intent journal (J, core/consistency.py) and removes it after W5, and a journal found on
open or on taking the writer lock is healed. Kill points for tests (``PHOTOAPP_FAULT``,
core/faults.py): after-journal (J), after-backend-write (W2), after-backend-flush (W3),
after-catalog-commit (W4), after-backfill-flush (B2).
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from .analyzers import ANALYZERS, Analyzer, versions_of
from .capture_date import capture_date
from .catalog import Catalog, DocumentRow
from .consistency import NoJournal
from .decode import DecodedImage, decode_bytes, read_file
from .errors import DecodeError
from .faults import fault_point
from .hashing import hash_bytes
from .index.base import IndexBackend
from .jobs import Cancelled, JobControl, ProgressCallback, ProgressEvent, RateMeter
from .pixel_budget import DecodeLimits
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
    analysed: int = 0  # documents already indexed that got analyzers they lacked (backfill)
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
    decoded: DecodedImage  # .image dropped once prepared: only sizes and metadata stay
    phash: str | None
    inputs: dict[str, object]  # analyzer name -> what its prepare() made of the image


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
        self.versions: dict[str, dict[str, str]] = {}  # hash -> analyzers that ran -> version
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


def decode_size_for(bundle, analyzers: Iterable[Analyzer], thumbnail_size: int = 0) -> int:
    """The smallest side worth decoding (JPEG draft): the largest input any analyzer of the run
    needs, or the thumbnail."""
    return max([thumbnail_size, *(a.input_side(bundle) for a in analyzers)])


def all_analyzers(bundle, max_stage: int | None = None) -> list[Analyzer]:
    """Default selection when the caller gives none: every analyzer the bundle can run."""
    return [a for a in ANALYZERS if a.available(bundle)
            and (max_stage is None or a.stage <= max_stage)]


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
                 user_marks: Callable[[list[str]], dict] | None = None,
                 user_marks_lock=None,
                 analyzers: Callable[[object, int | None], list[Analyzer]] = all_analyzers):
        self.catalog = catalog
        # (bundle, max stage or None) -> analyzers to run, in registry order (settings applied)
        self.select_analyzers = analyzers
        # (ids, {new id: ids its paths had before}) -> {id: UserMark} (core/userdata.py): ratings
        # outlive the index, so every document written again gets them back.
        self.user_marks = user_marks
        # Held from reading the marks to the end of the upsert: a rating given meanwhile is
        # mirrored into the index after this upsert, never under it (then overwritten).
        self.user_marks_lock = user_marks_lock if user_marks_lock is not None else contextlib.nullcontext()
        self.backend = backend
        self._models = models  # lazy: a re-scan of an unchanged library never loads them
        self.thumbs = thumbs
        self.decode_workers = decode_workers or os.cpu_count() or 2
        self.batch_size = max(1, batch_size)
        self.commit_interval_s = commit_interval_s
        self.commit_max_items = commit_max_items
        self._compute_phash = _phash_fn()
        # Set by the Library (safeguards.py): pixel budget and largest photo for decoding
        # (pixel_budget.py), intent journal of each commit (consistency.py).
        self.decode_limits = DecodeLimits()
        self.journal = NoJournal()

    # --- public -------------------------------------------------------------------------------
    def run(self, work: Iterable[WorkItem], removed: Iterable[tuple[str, str | None]] = (),
            attach: Iterable[tuple[WorkItem, str]] = (),
            progress: ProgressCallback | None = None, control: JobControl | None = None,
            max_stage: int | None = None) -> IndexReport:
        """Process new/changed files (``work``), paths gone from disk (``removed``: path and the
        hash it had) and paths known to hold already-indexed content (``attach``: moves the
        watcher saw, with the hash the old path had; no file read at all). New content gets the
        analyzers up to ``max_stage`` (None: all)."""
        run = _Run(self, progress, control or JobControl(), max_stage)
        return run.execute(list(work), list(removed), list(attach))

    def backfill(self, pending: dict[str, list[str]], progress: ProgressCallback | None = None,
                 control: JobControl | None = None,
                 should_yield: Callable[[], bool] | None = None) -> "BackfillReport":
        """Run the named analyzers on documents the library already has (content hash -> names
        of its pending analyzers), decoding each photo once for all of them. Stops early (what
        is done is committed) when ``should_yield()`` turns true: stage-1 work is waiting."""
        return _Backfill(self, progress, control or JobControl(), should_yield).execute(pending)


class _Run:
    """State of one pipeline run (kept apart so the pipeline object stays reusable)."""

    def __init__(self, p: IndexPipeline, progress: ProgressCallback | None, control: JobControl,
                 max_stage: int | None = None):
        self.p = p
        self.max_stage = max_stage
        self.analyzers: list[Analyzer] = []  # chosen once the models are loaded
        self.versions: dict[str, str] = {}
        self.decode_size = 0
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
        self.committed_docs = 0  # new documents committed by this run

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
                bundle = self.p._models()
                self.analyzers = self.p.select_analyzers(bundle, self.max_stage)
                self.versions = versions_of(self.analyzers, bundle)
                self.decode_size = decode_size_for(bundle, self.analyzers, self.p.thumbs.default_size)
                self.bundle = bundle
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
            decoded = decode_bytes(data, item.path, self.decode_size, self.p.decode_limits)
            del data
            image = decoded.image
            self._write_thumbnail(h, image)
            phash = self.p._compute_phash(image) if self.p._compute_phash else None
            # One decode feeds every analyzer of the run.
            inputs = {a.name: a.prepare(bundle, image) for a in self.analyzers}
            decoded.image = None  # the look-ahead window holds model inputs, not pixels
            return _Prepared(item, h, decoded, phash, inputs)
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
        results = {a.name: a.run(bundle, [p.inputs[a.name] for p in batch])
                   for a in self.analyzers}
        version = model_version_of(bundle)
        now = datetime.now()
        for i, p in enumerate(batch):
            d, meta = p.decoded, p.decoded.metadata
            # EXIF, else the file name, else the file time; the source is kept for the detail panel.
            taken_at, taken_source = capture_date(meta.taken_at, p.item.path, p.item.mtime_ns, now)
            doc = PhotoDocument(
                id=p.content_hash, paths=[], width=d.width, height=d.height,
                size_bytes=p.item.size, format=d.format, taken_at=taken_at, taken_at_source=taken_source,
                camera_make=meta.camera_make, camera_model=meta.camera_model, lens=meta.lens,
                gps=meta.gps, orientation=meta.orientation, phash=p.phash,
                indexed_at=now, model_version=version)
            for a in self.analyzers:
                a.apply(doc, results[a.name][i], bundle)
            self.buffer.new_docs[p.content_hash] = (doc, [p.item])
            self.buffer.versions[p.content_hash] = self.versions
            self.report.indexed += 1
            self._tick(p.item.path)
        self.control.checkpoint()

    def _commit_all(self) -> None:
        # A commit can release copies that waited for their twin: commit until nothing is left.
        while self.buffer:
            self._commit()

    def _maybe_commit(self) -> None:
        due = time.monotonic() - self.last_commit >= self.p.commit_interval_s
        # The first analysed batch is committed at once: the first photos become searchable
        # one batch after the start instead of one commit interval after it.
        first = not self.committed_docs and bool(self.buffer.new_docs)
        if self.buffer and (due or first or len(self.buffer) >= self.p.commit_max_items):
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

        self.p.journal.begin(final)  # consistency.py: heal() completes this commit after a kill
        emptied = self._write_backend(buf, final)
        fault_point("after-backend-flush")

        with cat.write() as w:
            for h, (doc, items) in buf.new_docs.items():
                w.put_document(DocumentRow(
                    h, (doc.taken_at or _mtime(items[0])).isoformat(), doc.width, doc.height,
                    doc.size_bytes, doc.format, doc.model_version))
                w.put_analyses(h, buf.versions[h])
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
        fault_point("after-catalog-commit")
        self.committed_docs += len(buf.new_docs)
        self.report.documents_deleted += len(emptied)
        for h in emptied:
            self.report.thumbnails_deleted += self.p.thumbs.delete(h)
        self.p.journal.end()
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
        with self.p.user_marks_lock:
            if docs and self.p.user_marks is not None:
                # A photo edited in place (same path, new bytes: a new id) keeps its old marks.
                edited = {h: [i.old_hash for i in items if i.old_hash and i.old_hash != h]
                          for h, (_, items) in buf.new_docs.items()}
                marks = self.p.user_marks([d.id for d in docs], edited)
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
        fault_point("after-backend-write")
        # Kept, if not yet searchable: a server that is away gets the queued changes later, and
        # the catalog records them now, so the next run does not analyse these photos again.
        backend.flush_durable()
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
        _emit_progress(self, path, phase)


@dataclass
class BackfillReport:
    analysed: int = 0  # documents brought up to date
    failed: int = 0  # documents whose file could not be read or decoded (recorded, not retried)
    skipped: int = 0  # documents gone or changed meanwhile (the next scan handles them)
    remaining: int = 0  # not reached: cancelled, or yielded to stage-1 work
    cancelled: bool = False
    yielded: bool = False
    elapsed_s: float = 0.0


@dataclass
class _Pending:
    content_hash: str
    analyzers: list[Analyzer]


@dataclass
class _Analysed:
    pending: _Pending
    path: str
    inputs: dict[str, object]


class _Backfill:
    """One backfill pass: pending analyzers on documents already in the library.

    Same shape as a run (decode pool, look-ahead window, batched models, timed commits), but
    the document exists: a photo is decoded once at the size its pending analyzers need, and
    only their fields are written (``update_fields``); nothing else of the document changes."""

    def __init__(self, p: IndexPipeline, progress: ProgressCallback | None, control: JobControl,
                 should_yield: Callable[[], bool] | None):
        self.p = p
        self.progress = progress
        self.control = control
        self.should_yield = should_yield or (lambda: False)
        self.report = BackfillReport()
        self.bundle = None
        self.ready: list[_Analysed] = []
        self.updates: dict[str, tuple[dict, dict[str, str]]] = {}  # hash -> (fields, versions)
        self.errors: dict[str, tuple[dict[str, str], str]] = {}  # hash -> (versions, why)
        self.done = 0
        self.total = 0
        self.meter = RateMeter()
        self.last_commit = time.monotonic()

    def execute(self, pending: dict[str, list[str]]) -> BackfillReport:
        start = time.monotonic()
        if not pending:
            return self.report
        self.bundle = self.p._models()
        by_name = {a.name: a for a in self.p.select_analyzers(self.bundle, None)}
        work = [_Pending(h, [by_name[n] for n in names if n in by_name])
                for h, names in pending.items()]
        work = [w for w in work if w.analyzers]
        self.versions = versions_of(by_name.values(), self.bundle)
        self.total = len(work)
        submitted = 0
        pool = ThreadPoolExecutor(self.p.decode_workers, thread_name_prefix="photoapp-backfill")
        inflight: deque[Future] = deque()
        window = self.p.batch_size * 2 + self.p.decode_workers
        try:
            for w in work:
                self.control.checkpoint()
                if self.should_yield():
                    self.report.yielded = True
                    break
                while len(inflight) >= window:
                    self._collect(inflight, block=True)
                inflight.append(pool.submit(self._prepare, w))
                submitted += 1
                self._collect(inflight, block=False)
            while inflight:
                self._collect(inflight, block=True, draining=True)
            if self.ready:
                self._infer()
        except Cancelled:
            self.report.cancelled = True
        finally:
            for f in inflight:
                f.cancel()
            pool.shutdown(wait=True)
        self._commit()  # keep everything finished before a cancel or a yield
        self.report.remaining = self.total - self.done
        self.report.elapsed_s = time.monotonic() - start
        self._emit("", "done")
        return self.report

    def _collect(self, inflight: deque[Future], block: bool, draining: bool = False) -> None:
        if block:
            wait(inflight, return_when=FIRST_COMPLETED)
        for f in [f for f in inflight if f.done()]:
            inflight.remove(f)
            if not f.cancelled():
                self._accept(f.result())
        if len(self.ready) >= self.p.batch_size or (draining and self.ready and not inflight):
            self._infer()
        if time.monotonic() - self.last_commit >= self.p.commit_interval_s or (
                len(self.updates) + len(self.errors) >= self.p.commit_max_items):
            self._commit()

    # --- decode workers -----------------------------------------------------------------------
    def _prepare(self, w: _Pending) -> _Analysed | tuple[_Pending, str]:
        """Decode one of the document's files (any path whose bytes still hash to it)."""
        if not any(a.needs_pixels for a in w.analyzers):  # e.g. places: the document is enough
            paths = self.p.catalog.paths_of(w.content_hash)
            return _Analysed(w, paths[0] if paths else "", {a.name: a.prepare(self.bundle, None)
                                                            for a in w.analyzers})
        why = "no file of this photo is left"
        for path in self.p.catalog.paths_of(w.content_hash):
            try:
                data = read_file(path)
                if hash_bytes(data) != w.content_hash:
                    why = "changed on disk"  # the next scan re-indexes it as new content
                    continue
                size = decode_size_for(self.bundle, w.analyzers)
                image = decode_bytes(data, path, size, self.p.decode_limits).image
                del data
                return _Analysed(w, path, {a.name: a.prepare(self.bundle, image)
                                           for a in w.analyzers})
            except DecodeError as e:
                why = f"{e.reason}: {e.detail}"
            except Exception as e:  # noqa: BLE001 - one odd file must not stop the backfill
                log.exception("unexpected failure preparing %r for analysis", path)
                why = f"unsupported: {type(e).__name__}: {e}"
        return (w, why)

    # --- coordinator --------------------------------------------------------------------------
    def _accept(self, result) -> None:
        if isinstance(result, _Analysed):
            self.ready.append(result)
            return
        w, why = result
        if why == "changed on disk" or why.startswith("no file"):
            self.report.skipped += 1
        else:
            log.info("cannot analyse %s: %s", w.content_hash, why)
            self.errors[w.content_hash] = ({a.name: self.versions[a.name] for a in w.analyzers}, why)
            self.report.failed += 1
        self._tick("")

    def _infer(self) -> None:
        batch, self.ready = self.ready, []
        names = [a for a in self.p.select_analyzers(self.bundle, None)
                 if any(a in b.pending.analyzers for b in batch)]
        results: dict[tuple[str, str], object] = {}
        for a in names:
            members = [b for b in batch if a in b.pending.analyzers]
            for b, r in zip(members, a.run(self.bundle, [b.inputs[a.name] for b in members])):
                results[(b.pending.content_hash, a.name)] = r
        for b in batch:
            h = b.pending.content_hash
            doc = self.p.backend.get(h)
            if doc is None:  # deleted meanwhile
                self.report.skipped += 1
                self._tick(b.path)
                continue
            changed: dict[str, object] = {}
            for a in b.pending.analyzers:  # registry order, like a full run
                changed.update(a.apply(doc, results[(h, a.name)], self.bundle))
            self.updates[h] = (changed, {a.name: self.versions[a.name] for a in b.pending.analyzers})
            self.report.analysed += 1
            self._tick(b.path)
        self.control.checkpoint()

    def _commit(self) -> None:
        updates, errors = self.updates, self.errors
        self.updates, self.errors = {}, {}
        self.last_commit = time.monotonic()
        if not updates and not errors:
            return
        backend = self.p.backend
        for h, (changed, _) in updates.items():
            backend.update_fields(h, changed)
        backend.flush_durable()
        fault_point("after-backfill-flush")
        with self.p.catalog.write() as w:
            for h, (_, versions) in updates.items():
                w.put_analyses(h, versions)
            for h, (versions, why) in errors.items():
                w.put_analyses(h, versions, error=why)

    # --- progress -----------------------------------------------------------------------------
    def _tick(self, path: str) -> None:
        self.done += 1
        self._emit(path, "analyze")

    def _emit(self, path: str, phase: str) -> None:
        _emit_progress(self, path, phase)


def _emit_progress(run, path: str, phase: str) -> None:
    """One progress event from a run or a backfill (both keep progress, meter, done, total)."""
    if run.progress is None:
        return
    total = max(run.total, run.done)
    rate, eta = run.meter.update(run.done, total)
    run.progress(ProgressEvent(run.done, total, rate, 0.0 if phase == "done" else eta, path, phase))


def _mtime(item: WorkItem) -> datetime:
    return datetime.fromtimestamp(item.mtime_ns / 1e9)
