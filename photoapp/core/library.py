"""The facade both front ends (CLI, GUI) use. Everything here is Qt-free and thread-safe enough
for one GUI thread plus worker threads: long calls take a ``progress`` callback and a
``JobControl`` (pause / resume / cancel) and never print.

API (the CLI and the GUI are written against exactly this):

    lib = Library.open(settings)                       # opens catalog + backend + (lazily) models
    lib.folders() -> list[str]
    lib.add_folder(path) -> None                       # records the root; caller then calls index()
    lib.remove_folder(path) -> PurgeReport             # purges rows, vectors, thumbnails under it
    lib.index(paths=None, progress=cb, control=ctl, quick=False) -> IndexReport   # None = all roots
                                                       # quick: returns once stage 1 is done
    lib.backfill(paths=None, progress=cb, control=ctl) -> BackfillReport  # later stages, model
                                                       # changes, new analyzers (core/stages.py)
    lib.set_analyzer_enabled(name, on) -> None          # off purges its fields
    lib.watch(paths=None, progress=cb, control=ctl) -> LibraryWatcher (start()/stop(), polling fallback)
    lib.search(text, limit=50, offset=0) -> SearchResults  # list[SearchHit] + .notes
                                                            # ("objects: 81% of photos analysed
                                                            # so far"); raises QueryError
    lib.similar(target, limit=50, filter_text="", min_score=None) -> list[SearchHit]  # target: library path, doc id,
                                                                        # outside file path, or PIL.Image,
                                                                        # or a list of ids/paths (their mean)
    lib.clusters(k=None, seed=0, recompute=False) -> list[ClusterInfo]
    lib.duplicates(threshold=None) -> list[DuplicateGroup]
    lib.info(path_or_id) -> PhotoDocument | None
    lib.errors() -> list[FileErrorRecord]              # path, reason, detail, when
    lib.status() -> LibraryStatus                       # counts, folders, backend, models, pending,
                                                        # stages: [StageProgress(name, stage, done, total)]
    lib.thumbnail_path(doc_id, size=256) -> Path | None # on-disk JPEG thumbnail cache (core, no Qt)
    lib.tag_counts(limit, prefix, min_confidence=TAG_MIN_CONFIDENCE, everyday=True) -> list[(tag, count)]
                                                        # a photo counts only where its tag is that
                                                        # sure; everyday: abstract WordNet ancestors
                                                        # left out (still searchable); tag_name(label)
                                                        # -> the name to show ("plate (entree)" -> "plate")
    lib.list_photos(listing, sort="date", limit=100, offset=0) -> list[SearchHit]
                                                        # listing from photoapp.core.query.listing:
                                                        # Folder(path) | Tag(label) | Cluster(id) |
                                                        # Color(name) | All(); sort "date" | "name" |
                                                        # "relevance"; no query text is built or parsed
    lib.suggest(text) -> str | None                     # "did you mean": text with unknown words
                                                        # replaced by the closest vocabulary words
    lib.all_photos(sort="date"|"name", limit, offset) -> list[SearchHit]
    lib.set_rating(paths_or_ids, n) / lib.set_favorite(paths_or_ids, on) -> Change  # core/userdata.py
    lib.marks(ids=None) -> dict[id, UserMark]; lib.undo() -> Change (last rating/favourite/keeper change)
    lib.set_keeper(group_key, path) / lib.keeper(group_key)   # duplicate keeper (core/keeper.py)
    lib.people -> People                                # core/people: list(), name(id, n), merge(a, b),
                                                        # remove_face(f), not_a_face(f); grouped after
                                                        # every analysis pass (backfill)
    lib.close()

Progress events are ``ProgressEvent(done, total, rate, eta_s, current_path, phase)``.

Implementation notes (additions, all backward-compatible):
- ``Library.open(settings, *, backend=None, bundle=None)`` also takes a ready backend or model
  bundle (benchmarks share one loaded bundle); ``Library`` is a context manager.
- Types importable from here: ``ProgressEvent`` (phase: "scan" while walking, with total 0;
  "index"; "remove"; "done"), ``JobControl`` (pause/resume/cancel, ``Cancelled``),
  ``IndexReport`` (scanned, unchanged, indexed, reused, removed, errors, documents_deleted,
  thumbnails_deleted, cancelled, elapsed_s, problems, missing_roots), ``PurgeReport``,
  ``FileErrorRecord``, ``LibraryStatus``; ``LibraryWatcher`` lives in photoapp.core.watch.
- ``watch()`` returns a watcher that is already started (``start()`` is idempotent); its first
  batch is a catch-up scan. ``index(paths)`` accepts roots or paths inside them.
- Errors: ``LibraryError`` (not a folder / not in the library / unknown similar() target),
  ``QueryError`` (search), ``ModelError`` (models missing: the run stops, nothing is marked bad),
  ``BackendError`` and subclasses from the backend.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from . import similar_rerank
from .catalog import CATALOG_FILENAME, Catalog, is_under, unique_roots
from .decode import decode_file, decode_image
from .errors import BackendError, DecodeError, LibraryError, ModelError
from .hashing import looks_like_hash
from .jobs import Cancelled, JobControl, ProgressCallback, ProgressEvent
from .analyzers import LATER_STAGE, analyzer_named, enabled_analyzers
from .pipeline import BackfillReport, IndexPipeline, IndexReport, model_version_of
from .safeguards import fault_point, folder_removal, heal_on_open, status_warnings
from .safeguards import install as install_safeguards
from .scan_problems import record_scan_problems
from .reconcile import plan_changes
from .records import ClusterInfo, DuplicateGroup, PhotoDocument, SearchHit
from .settings import Settings
from .stages import (SearchResults, StageProgress, adopt_legacy, notes_for_query, purge_disabled,
                     stage_progress, summary_line)
from .thumbnails import ThumbnailCache
from .userdata import Change, UserData, UserMark
from .people import People, PeopleStore

PROGRESS_TTL_S = 5.0  # stage progress cached at most this long (see stage_progress)

__all__ = ["Library", "LibraryStatus", "FileErrorRecord", "PurgeReport", "IndexReport",
           "ProgressEvent", "JobControl", "Cancelled"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileErrorRecord:
    path: str
    reason: str  # truncated | not-an-image | too-large | unreadable | unsupported
    detail: str
    when: datetime


@dataclass(frozen=True)
class PurgeReport:
    folder: str
    files_removed: int  # catalog rows (indexed or bad) that were under the folder
    documents_deleted: int  # documents whose every path was under the folder
    documents_kept: int  # documents that lost paths here but keep paths elsewhere
    thumbnails_deleted: int


@dataclass
class LibraryStatus:
    documents: int
    files: int
    errors: int
    folders: list[str]
    backend: str
    backend_ok: bool = True
    backend_detail: str = ""
    models: str = "not loaded"  # model version once loaded
    indexing: bool = False
    pending: int = 0  # files waiting in the watcher's queue or in the running job
    watching: bool = False
    watch_mode: str | None = None  # "native" | "polling" while watching
    warnings: list[str] = field(default_factory=list)
    data_dir: str = ""
    catalog_schema: int = 0
    # Per analyzer: documents it ran on at its current version (empty when models are missing).
    stages: list[StageProgress] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """ "12,400 photos · objects 81%" """
        return summary_line(self.documents, self.stages)


class Library:
    def __init__(self, settings: Settings, catalog: Catalog, backend, bundle=None):
        self.settings = settings
        self.catalog = catalog
        self.backend = backend
        self._bundle = bundle
        self._bundle_lock = threading.Lock()
        # One writer at a time: index(), remove_folder() and the watcher's batches queue here.
        self._write_lock = threading.RLock()
        self.thumbs = ThumbnailCache(settings.data_dir, settings.thumbnail_size)
        # Ratings and favourites: their own file, so they outlive a catalog or index rebuild.
        self.userdata = UserData.in_folder(settings.data_dir)
        # People (core/people): grouped after each analysis pass; names live beside the ratings.
        self.people = People(PeopleStore.in_folder(settings.data_dir), backend, catalog, settings)
        # A rating and the pipeline's upsert of the same photo take turns (see _mirror); a
        # rating never waits for a whole indexing run, only for one upsert.
        self._marks_lock = threading.Lock()
        self.pipeline = IndexPipeline(catalog, backend, self.models, self.thumbs,
                                      decode_workers=settings.decode_workers,
                                      batch_size=settings.batch_size,
                                      user_marks=self._marks_for_upsert, user_marks_lock=self._marks_lock,
                                      analyzers=self._analyzers)
        install_safeguards(self)  # writer lock, decode limits, commit journal (safeguards.py)
        self._adopted = False  # legacy documents adopted (once per library, stages.adopt_legacy)
        self._stage1_waiting = 0  # stage-1 runs waiting for the write lock
        self._progress_cache = None  # (catalog generation + settings, time, [StageProgress])
        self._waiting_lock = threading.Lock()
        self._watchers: list = []
        self._indexing = 0
        self._pending = 0
        self._warnings: list[str] = []
        self._closed = False
        self.last_clustering = None

    # --- lifecycle ----------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings | None = None, *, backend=None, bundle=None) -> "Library":
        """Open catalog and backend; models load on first need. ``backend``/``bundle`` may be
        passed in (a benchmark shares one loaded bundle between runs)."""
        settings = settings or Settings.load()
        settings.ensure_dirs()
        catalog = Catalog(settings.data_dir / _catalog_filename(settings))
        if backend is None:
            from .index import open_backend

            try:
                backend = open_backend(settings, vocabulary=_vocabulary_or_none(settings, bundle))
            except BaseException:
                catalog.close()
                raise
        lib = cls(settings, catalog, backend, bundle)
        lib._check_backend_sync()
        heal_on_open(lib)  # safeguards.py: finish a commit a killed writer left half done
        return lib

    def _check_backend_sync(self) -> None:
        """The catalog says which documents the backend holds; make sure that is still true.

        Each backend has its own catalog file (``_catalog_filename``), so a switch of backend
        never lands here; but when the index itself was deleted or emptied, the catalog's rows
        would make the scan skip every photo. Forget them then, so the next index() rebuilds
        the backend (roots are kept)."""
        if self.catalog.counts()["documents"]:
            try:
                # Documents still queued for a remote index (pending_ids) are not lost.
                if self.backend.stats().documents == 0 and not self.backend.pending_ids():
                    msg = ("the index is empty but the catalog remembers indexed photos: every "
                           "photo will be indexed again on the next scan")
                    log.warning(msg)
                    self._warnings.append(msg)
                    self.catalog.forget_index_state()
            except BackendError as e:  # unreachable now: check again next time
                log.info("backend check skipped: %s", e)
        if self.catalog.get_meta("backend") != _backend_identity(self.settings):
            # Only when it changed: opening must not write (read-only commands on a full disk).
            self.catalog.set_meta("backend", _backend_identity(self.settings))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for w in list(self._watchers):
            w.stop()
        with self._write_lock:
            try:
                self.backend.close()
            finally:
                self.catalog.close()
                self.userdata.close()
                self.people.store.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _analyzers(self, bundle, max_stage: int | None = None):
        return enabled_analyzers(self.settings, bundle, max_stage)

    def models(self):
        """The model bundle, loaded once on first use (raises ModelError when missing)."""
        with self._bundle_lock:
            if self._bundle is None:
                from .models import load_bundle

                self._bundle = load_bundle(self.settings)
                log.info("models loaded: %s", model_version_of(self._bundle))
            return self._bundle

    # --- folders ------------------------------------------------------------------------------
    def folders(self) -> list[str]:
        return self.catalog.roots()

    def add_folder(self, path: str | os.PathLike) -> None:
        folder = _abs(path)
        if not os.path.isdir(folder):
            raise LibraryError(f"not a folder: {folder}")
        # A root *containing* the data folder is fine (the scan skips it); one inside it is not.
        if is_under(os.path.realpath(folder), os.path.realpath(self.settings.data_dir)):
            raise LibraryError(f"{folder} is inside photoapp's data folder")
        self.catalog.add_root(folder)

    def remove_folder(self, path: str | os.PathLike) -> PurgeReport:
        folder = _abs(path)
        if folder not in self.catalog.roots():
            raise LibraryError(f"not a library folder: {folder}")
        with self._write_lock, self.writer.hold(), folder_removal(self, folder):
            self.catalog.remove_root(folder)
            fault_point("after-remove-root")
            for w in list(self._watchers):
                w.forget_root(folder)
            if any(is_under(folder, r) for r in self.catalog.roots()):
                # Still inside another root: its photos stay in the library.
                return PurgeReport(folder, 0, 0, 0, 0)
            inner_roots = [r for r in self.catalog.roots() if is_under(r, folder)]
            rows = [r for p, r in self.catalog.files_under(folder).items()
                    if not any(is_under(p, ir) for ir in inner_roots)]
            hashes = {r.content_hash for r in rows if r.status == "indexed"}
            removed = [(r.path, r.content_hash if r.status == "indexed" else None) for r in rows]
            report = self.pipeline.run([], removed)
            return PurgeReport(folder, len(rows), report.documents_deleted,
                               len(hashes) - report.documents_deleted, report.thumbnails_deleted)

    # --- indexing -----------------------------------------------------------------------------
    def index(self, paths: Iterable[str | os.PathLike] | None = None,
              progress: ProgressCallback | None = None,
              control: JobControl | None = None, *, quick: bool = False) -> IndexReport:
        """Bring the index up to date with the disk under ``paths`` (None = every root).

        Returns when every enabled analyzer has run on the photos there (new photos get them
        all from one decode; photos indexed before get the ones they lack). ``quick``: returns
        once stage 1 is done (browsable, searchable, similar-findable); later stages follow on
        the next full index, in the watcher or in the GUI (``backfill``)."""
        roots = self.catalog.roots()
        if paths is None:
            targets = unique_roots(roots)
        else:
            targets = [_abs(p) for p in paths]
            for t in targets:
                if not any(is_under(t, r) for r in roots):
                    raise LibraryError(f"{t} is not in the library; add_folder() it first")
        control = control or JobControl()
        max_stage = LATER_STAGE - 1 if quick else None
        report = self._reconcile(targets, progress=progress, control=control, max_stage=max_stage)
        if report.cancelled:
            return report
        self._date_undated()
        analysis = self.backfill(targets, progress=progress, control=control, max_stage=max_stage)
        report.analysed, report.cancelled = analysis.analysed, analysis.cancelled
        report.elapsed_s += analysis.elapsed_s
        return report

    def _date_undated(self) -> None:
        """Photos indexed before dates came from file names and file times get one now
        (capture_date.date_undated: nothing to do, and nearly free, once they have)."""
        from .capture_date import date_undated

        try:
            with self._write_lock, self.writer.hold():
                dated = date_undated(self.backend)
        except Exception as exc:  # noqa: BLE001 - dates are a nicety; indexing has succeeded
            log.warning("could not date undated photos: %s", exc)
            return
        if dated:
            log.info("dated %d photos from their file names or file times", dated)

    def backfill(self, paths: Iterable[str | os.PathLike] | None = None,
                 progress: ProgressCallback | None = None, control: JobControl | None = None,
                 *, max_stage: int | None = None,
                 should_yield=None) -> BackfillReport:
        """Run the enabled analyzers (up to ``max_stage``) that documents under ``paths`` (None:
        the whole library) lack at their current version: a later stage after a quick index, a
        new analyzer, a model whose version changed. Each photo is decoded once for all of
        them. Turned-off analyzers are purged first. Yields (stops, keeping what is done) as
        soon as stage-1 work waits for the library or ``should_yield()`` says so."""
        control = control or JobControl()
        under = None if paths is None else [_abs(p) for p in paths]

        def yield_now() -> bool:
            return self._stage1_waiting > 0 or bool(should_yield and should_yield())

        with self._write_lock, self.writer.hold():
            bundle = self._bundle_if_loadable()
            if bundle is None:
                return BackfillReport()
            self._maintain_analyses(bundle)
            analyzers = self._analyzers(bundle, max_stage)
            pending = self.catalog.pending_analyses(
                {a.name: a.version(bundle) for a in analyzers}, under=under)
            if not pending:
                self.people.update()
                return BackfillReport()
            self._indexing += 1
            try:
                report = self.pipeline.backfill(pending, progress=progress, control=control,
                                                should_yield=yield_now)
            finally:
                self._indexing -= 1
            self.people.update()  # new faces join people (core/people)
            return report

    def set_analyzer_enabled(self, name: str, enabled: bool) -> None:
        """Switch an analyzer on or off (saved in settings). Off purges its fields now; on
        leaves the work to the next index, watch batch or backfill."""
        analyzer = analyzer_named(name)
        if analyzer is None:
            raise LibraryError(f"no analyzer named {name!r}")
        if analyzer.required and not enabled:
            raise LibraryError(f"the {name} analyzer cannot be turned off")
        self.settings.analyzers = {**(self.settings.analyzers or {}), name: bool(enabled)}
        self.settings.save()
        if not enabled:
            with self._write_lock:
                purge_disabled(self.catalog, self.backend, self.settings,
                               self._bundle_if_loadable())
                self.people.update()  # face analysis off: people and names go too

    def _waiting(self, delta: int) -> None:
        with self._waiting_lock:
            self._stage1_waiting += delta

    def _bundle_if_loadable(self):
        try:
            return self.models()
        except ModelError as e:
            log.info("analyses not checked: %s", e)
            return None

    def _maintain_analyses(self, bundle) -> None:
        """Purge analyzers turned off; once per library, adopt documents from before analyses
        were recorded. Called with the write lock held."""
        purge_disabled(self.catalog, self.backend, self.settings, bundle)
        if not self._adopted:
            adopt_legacy(self.catalog, bundle, self._analyzers(bundle))
            self._adopted = True

    def _reconcile(self, targets: list[str], moves: Iterable[tuple[str, str]] = (),
                   progress: ProgressCallback | None = None,
                   control: JobControl | None = None,
                   max_stage: int | None = None) -> IndexReport:
        control = control or JobControl()
        started = time.monotonic()

        def scanning(n: int, path: str) -> None:
            if progress and n % 100 == 0:
                progress(ProgressEvent(n, 0, 0.0, None, path, "scan"))

        self._waiting(+1)  # a running backfill yields the write lock at its next batch
        with self._write_lock, self.writer.hold():
            self._waiting(-1)
            roots = self.catalog.roots()
            # A watcher may still report events in a folder removed a moment ago.
            targets = [t for t in targets if any(is_under(t, r) for r in roots)]
            self._indexing += 1
            try:
                try:
                    plan = plan_changes(self.catalog, targets, roots=roots,
                                        exclude=[str(self.settings.data_dir)], moves=moves,
                                        control=control, on_file=scanning)
                except Cancelled:
                    return IndexReport(cancelled=True)
                record_scan_problems(self.catalog, plan)  # scan_problems.py: shown by errors()
                self._pending = len(plan.work) + len(plan.attach) + len(plan.removed)

                def tracking(e: ProgressEvent) -> None:
                    self._pending = max(0, e.total - e.done)
                    if progress:
                        progress(e)

                report = self.pipeline.run(plan.work, plan.removed, plan.attach,
                                           progress=tracking, control=control,
                                           max_stage=max_stage)
            finally:
                self._indexing -= 1
                self._pending = 0
        report.scanned, report.unchanged = plan.scanned, plan.unchanged
        report.problems, report.missing_roots = plan.problems, plan.missing_roots
        report.elapsed_s = time.monotonic() - started
        return report

    def watch(self, paths: Iterable[str | os.PathLike] | None = None,
              progress: ProgressCallback | None = None,
              control: JobControl | None = None, *, start: bool = True):
        """A started LibraryWatcher over ``paths`` (None = every root); ``stop()`` it when done.

        Events are debounced and go through the same reconcile + pipeline as ``index()``; the
        first batch is a catch-up scan of the watched folders. Pause/resume/cancel via
        ``control``; ``status()`` shows the mode (native or polling) and any fallback warning."""
        from .watch import LibraryWatcher

        known = self.catalog.roots()
        roots = unique_roots(known) if paths is None else unique_roots(_abs(p) for p in paths)
        for r in roots:
            if not any(is_under(r, k) for k in known):
                raise LibraryError(f"{r} is not in the library; add_folder() it first")
            if not os.path.isdir(r):
                raise LibraryError(f"cannot watch {r}: not a folder")
        watcher = LibraryWatcher(self, roots, progress=progress, control=control)
        if start:
            watcher.start()
        return watcher

    # --- queries ------------------------------------------------------------------------------
    def _parse(self, text: str):
        from .query import parse_query

        return parse_query(text, self.vocabulary(), people=self.people.name_keys())

    def vocabulary(self):
        return self.models().vocabulary

    def search(self, text: str, limit: int = 50, offset: int = 0) -> SearchResults:
        query = self._parse(text)
        hits = self.backend.search(query, limit=limit, offset=offset)
        return SearchResults(hits, notes_for_query(query, self.stage_progress()))

    def stage_progress(self) -> list[StageProgress]:
        """How far each enabled analyzer is over the library ([] when models are missing).

        Every search asks (for its notes): counting a million rows each time would cost more
        than the search, so the answer is kept until this process writes the catalog again,
        and at most PROGRESS_TTL_S (another process may be indexing the same library)."""
        bundle = self._bundle_if_loadable()
        if bundle is None:
            return []
        key = (self.catalog.generation, tuple(sorted((self.settings.analyzers or {}).items())))
        cached = self._progress_cache
        if cached and cached[0] == key and time.monotonic() - cached[1] < PROGRESS_TTL_S:
            return cached[2]
        progress = stage_progress(self.catalog, self._analyzers(bundle), bundle)
        self._progress_cache = (key, time.monotonic(), progress)
        return progress

    def similar(self, target, limit: int = 50, filter_text: str = "",
                min_score: float | None = None) -> list[SearchHit]:
        """Photos that look like ``target``: a library path or document id (its stored embedding,
        itself excluded), an outside file path or a PIL.Image (embedded now, not indexed).
        The backend's nearest candidates are re-ranked in the core, the same on every backend
        (core/similar_rerank.py); ``min_score`` drops results scoring below it."""
        query = self._parse(filter_text) if filter_text and filter_text.strip() else None
        exclude: list[str] = []
        if isinstance(target, Image.Image):
            vector = self._embed(decode_image(target, "<image>").image)
        elif isinstance(target, (list, tuple)):  # several photos: what they have in common
            vector, exclude = self._mean_embedding(target)
        else:
            doc = self.info(target)
            if doc is not None:
                exclude = [doc.id]
            if doc is not None and doc.embedding is not None:
                vector = doc.embedding
            else:
                path = doc.path if doc is not None else _abs(target)
                if not os.path.isfile(path):
                    raise LibraryError(f"no photo or document {target!s}")
                size = max(self.models().tagger.input_size)
                vector = self._embed(decode_file(path, size).image)
        vector = np.asarray(vector, dtype=np.float32)
        candidates = self.backend.similar(vector, limit=max(limit, similar_rerank.CANDIDATES) if limit > 0 else 0,
                                          query=query, exclude_ids=exclude)
        return similar_rerank.rerank_hits(vector, candidates, self.backend.embeddings, limit, min_score)

    def _mean_embedding(self, targets) -> tuple[np.ndarray, list[str]]:
        """The normalised mean of the stored embeddings of several library photos, and their ids
        (excluded from the results: the user has those already)."""
        docs = [d for d in (self.info(t) for t in targets) if d is not None]
        vectors = [np.asarray(d.embedding, dtype=np.float32) for d in docs if d.embedding is not None]
        if not vectors:
            raise LibraryError("none of these photos is analysed yet: nothing to compare with")
        mean = np.mean(vectors, axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-12), [d.id for d in docs]

    def _embed(self, image: Image.Image) -> np.ndarray:
        return self.models().tagger.analyze([image])[0].embedding

    def info(self, path_or_id: str | os.PathLike) -> PhotoDocument | None:
        text = os.fspath(path_or_id)
        path = _abs(text)
        h = self.catalog.hash_of_path(path)
        if h is None and looks_like_hash(text):
            return self.backend.get(text)
        doc = self.backend.get(h) if h else None
        # Mid-commit (backend written, catalog not yet) the backend knows better.
        doc = doc if doc is not None else self.backend.get_by_path(path)
        if doc is not None:  # the user-data store owns these; the index holds a mirror
            mark = self.userdata.get(doc.id)
            doc.rating, doc.favorite = mark.rating, mark.favorite
        return doc

    def errors(self) -> list[FileErrorRecord]:
        records = [FileErrorRecord(r.path, r.error_reason or "", r.error_detail or "",
                                   datetime.fromtimestamp(r.updated_at))
                   for r in self.catalog.errors()]
        # Changes the index server refused for good (an Elasticsearch mapping error, HTTP 400):
        # the photo is in the catalog but not searchable there until its document is rewritten.
        for doc_id, reason, when in self.backend.rejected_changes():
            for path in self.catalog.paths_of(doc_id) or [doc_id]:
                records.append(FileErrorRecord(path, "rejected-by-index", reason,
                                               when.astimezone().replace(tzinfo=None)))
        return records

    def status(self) -> LibraryStatus:
        c = self.catalog.counts()
        st = LibraryStatus(documents=c["documents"], files=c["files"], errors=c["errors"],
                           folders=self.catalog.roots(),
                           backend=getattr(self.backend, "name", type(self.backend).__name__),
                           data_dir=str(self.settings.data_dir),
                           catalog_schema=self.catalog.schema_version)
        try:
            self.backend.stats()
        except BackendError as e:
            st.backend_ok, st.backend_detail = False, str(e)
        st.stages = self.stage_progress()
        if self._bundle is not None:
            st.models = model_version_of(self._bundle)
        st.indexing = self._indexing > 0
        watchers = [w for w in self._watchers if w.running]
        st.watching = bool(watchers)
        st.watch_mode = watchers[0].mode if watchers else None
        st.pending = self._pending + sum(w.pending for w in watchers)
        st.warnings = list(self._warnings) + [m for w in watchers for m in w.warnings]
        st.warnings += status_warnings(self)  # safeguards.py: open data folder, other writer
        queued = len(self.backend.pending_ids())
        if queued:
            st.warnings.append(f"{queued} photo(s) queued for the index server: sent when it is reachable")
        refused = self.backend.rejected_changes()
        if refused:
            st.errors += len(refused)
            st.warnings.append(f"the index refused {len(refused)} change(s) for good: see `photoapp errors`")
        return st

    def thumbnail_path(self, doc_id: str, size: int | None = None) -> Path | None:
        size = size or self.settings.thumbnail_size
        cached = self.thumbs.path_for(doc_id, size)
        if cached.is_file():
            return cached
        for path in self.catalog.paths_of(doc_id):
            try:
                decoded = decode_file(path, size)
            except DecodeError as e:
                log.info("thumbnail source %r unusable: %s", path, e)
                continue
            return self.thumbs.write(doc_id, decoded.image, size)
        return None

    def tag_counts(self, limit: int = 100, prefix: str = "", min_confidence: float | None = None,
                   everyday: bool = True) -> list[tuple[str, int]]:
        """Tags by how many photos carry them at ``min_confidence`` or more (default
        plan.TAG_MIN_CONFIDENCE; 0 counts every tag); ``everyday`` leaves out the abstract
        WordNet ancestors (query/tags.py), which stay searchable."""
        from .query.plan import TAG_MIN_CONFIDENCE
        from .query.tags import is_everyday

        floor = TAG_MIN_CONFIDENCE if min_confidence is None else min_confidence
        vocabulary = self.vocabulary() if everyday else None
        fetch = limit
        while True:  # ancestors filtered out here: ask for more until the page is full
            rows = self.backend.tag_counts(limit=fetch, prefix=prefix, min_confidence=floor or None)
            kept = [(label, n) for label, n in rows if is_everyday(label, vocabulary)]
            if len(kept) >= limit or len(rows) < fetch:
                return kept[:limit]
            fetch *= 4

    def tag_name(self, label: str) -> str:
        """The name to show for a tag label (query/tags.py: "plate (entree)" -> "plate")."""
        from .query.tags import display_name

        return display_name(label, self.vocabulary())

    def list_photos(self, listing, sort: str = "date", limit: int = 100, offset: int = 0) -> list[SearchHit]:
        """The photos of a folder, tag, cluster or colour view, or all photos: ``listing`` is a
        ``photoapp.core.query.listing`` value (Folder(path), Tag(label), Cluster(id), Color(name),
        All()); see that module for sorts. Names are never parsed as query text."""
        from .query import listing as L

        if isinstance(listing, L.Folder):
            listing = L.Folder(_abs(listing.path))
        return self.backend.list_photos(listing, sort=sort, limit=limit, offset=offset)

    def suggest(self, text: str) -> str | None:
        """"Did you mean": ``text`` with each word that neither the vocabulary nor the library's
        labels know replaced by the closest vocabulary word (edit distance); None when no word
        changes. Meant for an empty result."""
        from .query import suggest_query

        labels = {label for label, _ in self.backend.tag_counts(limit=100_000)}
        return suggest_query(text, self.vocabulary(), labels.__contains__)

    def all_photos(self, sort: str = "date", limit: int = 100, offset: int = 0) -> list[SearchHit]:
        return [SearchHit(id=h, path=paths[0], score=0.0, paths=paths)
                for h, paths in self.catalog.list_documents(sort, limit, offset) if paths]

    def clusters(self, k: int | None = None, seed: int = 0, recompute: bool = False) -> list[ClusterInfo]:
        from .clusters import clusters_from_backend

        with self._write_lock, self.writer.hold():  # it writes cluster ids back into the index
            # k=None falls back to the user's setting, where 0 means "choose by silhouette".
            k = k if k is not None else (self.settings.cluster_count or None)
            result = clusters_from_backend(self.backend, k=k, seed=seed, recompute=recompute,
                                           state_path=self.settings.data_dir / "clusters.npz")
        # Quality of the clustering just returned (silhouette, Davies-Bouldin, k, method), for
        # front ends that show it next to the clusters.
        self.last_clustering = result
        return result.clusters

    def duplicates(self, threshold: float | None = None) -> list[DuplicateGroup]:
        from .duplicates import duplicates_from_backend

        return duplicates_from_backend(self.backend, self.settings.duplicate_threshold
                                       if threshold is None else threshold)

    # --- user data: ratings, favourites, undo -------------------------------------------------
    def set_rating(self, targets: Iterable[str | os.PathLike], rating: int) -> Change:
        """Give photos (library paths or document ids) 0-5 stars; 0 clears. Files are untouched."""
        ids = self._resolve_ids(targets)
        with self._marks_lock:
            return self._mirror(self.userdata.set_rating(ids, rating))

    def set_favorite(self, targets: Iterable[str | os.PathLike], favorite: bool = True) -> Change:
        ids = self._resolve_ids(targets)
        with self._marks_lock:
            return self._mirror(self.userdata.set_favorite(ids, favorite))

    def set_keeper(self, group_key: str, path: str | None) -> Change:
        """Remember which copy of a duplicate group to keep (None: back to the suggestion)."""
        return self.userdata.set_keeper(group_key, path)

    def marks(self, ids: Iterable[str] | None = None) -> dict[str, UserMark]:
        """Ratings/favourites of the given document ids, or of every marked photo (None);
        unmarked ids are left out."""
        return self.userdata.all_marks() if ids is None else self.userdata.get_many(ids)

    def keeper(self, group_key: str) -> str | None:
        """The copy the user chose to keep in a duplicate group (core/keeper.py), if any."""
        return self.userdata.keeper(group_key)

    def undo(self) -> Change:
        """Revert the last rating, favourite or keeper change (raises UserDataError when none).
        Folder changes are not undoable: removing a folder purges what the models computed."""
        with self._marks_lock:
            return self._mirror(self.userdata.undo())

    def _marks_for_upsert(self, ids: list[str], edited: dict[str, list[str]] | None = None) -> dict[str, UserMark]:
        """The pipeline's hook: marks of the documents it writes. A photo edited in place (its
        path now holds new bytes, so a new id) inherits what its old content had."""
        if edited:
            self.userdata.inherit(edited)
            self.people.store.inherit(edited)  # and its faces' people and corrections
        return self.userdata.get_many(ids)

    def _resolve_ids(self, targets: Iterable[str | os.PathLike]) -> list[str]:
        ids = []
        for target in targets:
            text = os.fspath(target)
            h = self.catalog.hash_of_path(_abs(text))
            if h is None and looks_like_hash(text):
                h = text
            if h is None:
                raise LibraryError(f"not in the library: {text}")
            ids.append(h)
        return ids

    def _mirror(self, change: Change) -> Change:
        """Copy changed marks into the index so queries (``rating>=4``, ``favorite``) see them.
        The store is already written: when the index cannot take the mirror now, the next
        indexing of those photos re-applies it (pipeline hook), so this only warns.

        Called under ``_marks_lock``, not the library's write lock: a rating given while a long
        indexing run holds that lock lands at once (the backends take their own write locks)."""
        if not change.marks:
            return change
        try:
            for doc_id, mark in change.marks.items():
                self.backend.update_fields(doc_id, {"rating": mark.rating, "favorite": mark.favorite})
            self.backend.flush()
        except (NotImplementedError, BackendError) as e:
            msg = f"ratings saved, but the index could not be updated yet ({e}); search may lag"
            log.warning(msg)
            if msg not in self._warnings:
                self._warnings.append(msg)
        return change

    # --- for the watcher ----------------------------------------------------------------------
    def _register_watcher(self, watcher) -> None:
        self._watchers.append(watcher)

    def _unregister_watcher(self, watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)


def _catalog_filename(settings: Settings) -> str:
    """One catalog (folders + scan state) per backend: a desktop that searches a shared cluster
    now and then keeps its embedded library's scan state, instead of re-running the models on
    every photo after each switch."""
    identity = _backend_identity(settings)
    if identity == "embedded":
        return CATALOG_FILENAME
    return f"catalog-{hashlib.sha1(identity.encode()).hexdigest()[:12]}.sqlite3"


def _backend_identity(settings: Settings) -> str:
    backend = (settings.backend or "embedded").strip()
    if backend == "embedded":
        return "embedded"
    return f"{backend}#{settings.elasticsearch.index_prefix}"


def _vocabulary_or_none(settings: Settings, bundle):
    """The vocabulary lets the backend index tag synonyms; the library opens without models too
    (status, errors, folder management), so a missing model folder is not an error here."""
    if bundle is not None:
        return bundle.vocabulary
    try:
        from .models import load_bundle

        return load_bundle(settings).vocabulary  # manifests + labels only, no ONNX session
    except (ModelError, ImportError) as e:
        log.warning("opening the index without the model vocabulary: %s", e)
        return None


def _abs(path: str | os.PathLike) -> str:
    return os.path.abspath(os.path.expanduser(os.fspath(path)))
