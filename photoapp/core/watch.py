"""Keep the index in step with the disk while the app runs.

Filesystem events only mark paths dirty. A debounce thread waits until a path has been quiet for
``quiet_s`` and its size and mtime stopped changing (editors write a temp file and rename it,
cameras and network copies write slowly), then hands the batch to the same reconcile + pipeline
path a scan uses. Moves and renames carry their known content hash, so nothing is re-read.

Stage 1 first: a batch gives new photos the stage-1 analyzers only (browsable and searchable
at once); when no change is waiting, the watcher backfills the later stages (and any analyzer
whose model changed) over the whole library, in chunks that stop as soon as a new change is
ready, so new photos never queue behind the backfill.

When the OS refuses more inotify watches (ENOSPC) or instances (EMFILE), we fall back to
watchdog's PollingObserver and say so in ``warnings`` (shown by ``Library.status()``).
"""
from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .analyzers import LATER_STAGE
from .catalog import is_under
from .jobs import Cancelled, JobControl, ProgressCallback

log = logging.getLogger(__name__)

_LIMIT_ERRNOS = {errno.ENOSPC, errno.EMFILE, errno.ENFILE}
_IGNORED_EVENTS = {"opened", "closed_no_write"}


class _DirtyPaths(FileSystemEventHandler):
    def __init__(self, watcher: "LibraryWatcher"):
        self.w = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's mtime changes with its contents; the file events say what
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.dest_path else ""
        self.w._mark(src, dest if event.event_type == "moved" else "")


class LibraryWatcher:
    def __init__(self, library, roots: list[str], progress: ProgressCallback | None = None,
                 control: JobControl | None = None, *, quiet_s: float = 1.0,
                 tick_s: float = 0.2, polling_interval_s: float = 2.0, catch_up: bool = True,
                 observer_factory: Callable[[], object] | None = None):
        self.library = library
        self.roots = list(roots)
        self.progress = progress
        self.control = control or JobControl()
        self.quiet_s = quiet_s
        self.tick_s = tick_s
        self.polling_interval_s = polling_interval_s
        self.catch_up = catch_up
        self._observer_factory = observer_factory or Observer
        self.mode: str | None = None
        self.warnings: list[str] = []
        self.last_error: str = ""
        self.batches = 0
        self._lock = threading.Lock()
        self._dirty: dict[str, float] = {}  # path -> time of its last event
        self._stat_seen: dict[str, tuple[int, int] | None] = {}
        self._moves: list[tuple[str, str]] = []
        self._busy = False
        self._backfill_due = True  # pending analyses may exist: check when idle
        self.backfill_reports: list = []  # BackfillReport of each backfill pass, for status/tests
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None
        self._exclude = os.path.realpath(library.settings.data_dir)

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._dirty)

    def start(self) -> "LibraryWatcher":
        """Start watching (no-op when already running)."""
        if self.running:
            return self
        self._stop.clear()
        self._observer = self._start_observer()
        if self.catch_up:  # changes made while nobody watched go through the same queue
            with self._lock:
                for r in self.roots:
                    self._dirty[r] = 0.0
        self._thread = threading.Thread(target=self._loop, name="photoapp-watch", daemon=True)
        self._thread.start()
        self.library._register_watcher(self)
        return self

    def stop(self) -> None:
        """Stop watching; a batch being indexed finishes first (its work is committed)."""
        self._stop.set()
        self.control.resume()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
        if self._thread is not None:
            self._thread.join(timeout=60)
        self.library._unregister_watcher(self)

    def __enter__(self) -> "LibraryWatcher":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def forget_root(self, folder: str) -> None:
        """Stop reacting to events under ``folder`` (it left the library)."""
        with self._lock:
            self.roots = [r for r in self.roots if not is_under(r, folder)]
            for p in [p for p in self._dirty if is_under(p, folder)]:
                del self._dirty[p]

    def wait_idle(self, timeout: float = 30.0, backfill: bool = False) -> bool:
        """Block until no change is queued or being indexed (for tests and the CLI); with
        ``backfill``, also until the background analyses are done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if (not self._dirty and not self._moves and not self._busy
                        and not (backfill and self._backfill_due)):
                    return True
            time.sleep(0.05)
        return False

    def _ready_work_waiting(self) -> bool:
        """A change is ready for stage 1: the backfill yields to it."""
        now = time.monotonic()
        with self._lock:
            return any(now - t >= self.quiet_s for t in self._dirty.values())

    def _start_observer(self):
        observer = self._observer_factory()
        try:
            self._schedule(observer)
            observer.start()
            self.mode = "native"
            return observer
        except OSError as e:
            if e.errno not in _LIMIT_ERRNOS:
                raise
            return self._fall_back_to_polling(observer, (
                f"the OS limit on file watches was reached ({e.strerror or e}); watching by "
                f"polling every {self.polling_interval_s:g} s instead. On Linux, raise "
                "fs.inotify.max_user_watches / max_user_instances to watch natively."))

    def _fall_back_to_polling(self, native, msg: str):
        """Warn (log + status), stop the native observer that failed, start polling instead."""
        log.warning(msg)
        self.warnings.append(msg)
        try:
            native.stop()
        except Exception:  # noqa: BLE001 - it never fully started, or has already died
            pass
        return self._start_polling()

    def _start_polling(self):
        observer = PollingObserver(timeout=self.polling_interval_s)
        self._schedule(observer)
        observer.start()
        self.mode = "polling"
        return observer

    def _check_observer(self) -> None:
        """inotify adds a watch for every new sub-folder from its own thread; when that hits the
        limit the thread dies and events stop silently. Notice it and switch to polling."""
        obs = self._observer
        if self.mode != "native" or obs is None:
            return
        if obs.is_alive() and all(e.is_alive() for e in obs.emitters):
            return
        self._observer = self._fall_back_to_polling(obs, (
            "native file watching stopped (most likely the OS limit on watches was reached "
            f"as folders were added); watching by polling every {self.polling_interval_s:g} s "
            "instead, after a catch-up scan."))
        with self._lock:  # events may have been lost: reconcile everything once
            for r in self.roots:
                self._dirty[r] = 0.0

    def _schedule(self, observer) -> None:
        handler = _DirtyPaths(self)
        for r in self.roots:
            observer.schedule(handler, r, recursive=True)

    # --- events -------------------------------------------------------------------------------
    def _mark(self, src: str, dest: str = "") -> None:
        if is_under(os.path.realpath(src), self._exclude):
            return  # our own thumbnails / catalog, when the data folder sits inside a root
        now = time.monotonic()
        stats = {p: _stat_key(p) for p in (src, dest) if p}
        with self._lock:
            for p, st in stats.items():
                self._dirty[p] = now
                self._stat_seen[p] = st
            if dest:
                self._moves.append((src, dest))

    def _take_ready(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Paths quiet for ``quiet_s`` whose size/mtime held still since the previous look."""
        now = time.monotonic()
        ready: list[str] = []
        with self._lock:
            for path, t in list(self._dirty.items()):
                if now - t < self.quiet_s:
                    continue
                st = _stat_key(path)
                if self._stat_seen.get(path) != st:
                    # Still being written without events (slow copies, polling): look again later.
                    self._stat_seen[path] = st
                    self._dirty[path] = now
                    continue
                self._stat_seen.pop(path, None)
                del self._dirty[path]
                ready.append(path)
            if not ready:
                return [], []
            ready_set = set(ready)
            moves = [m for m in self._moves if m[0] in ready_set and m[1] in ready_set]
            self._moves = [m for m in self._moves if m not in moves]
            self._busy = True
        return ready, moves

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            if self.control.cancelled:
                break
            self._check_observer()
            if self.control.paused:
                continue  # events keep accumulating and are handled on resume
            ready, moves = self._take_ready()
            if not ready:
                if self._backfill_due:
                    self._backfill()
                continue
            try:
                targets = [p for p in ready if any(is_under(p, r) for r in self.roots)]
                report = self.library._reconcile(targets, moves=moves, progress=self.progress,
                                                 control=self.control,
                                                 max_stage=LATER_STAGE - 1)
                self.batches += 1
                self._backfill_due = True
                log.info("watch: %d path(s): %d indexed, %d reused, %d removed, %d errors",
                         len(targets), report.indexed, report.reused, report.removed, report.errors)
            except Cancelled:
                break
            except Exception as e:  # noqa: BLE001 - keep watching; the next batch may succeed
                log.exception("watch: batch failed")
                self.last_error = f"{type(e).__name__}: {e}"
                with self._lock:  # retry these paths later rather than lose them
                    for p in ready:
                        self._dirty.setdefault(p, time.monotonic())
            finally:
                with self._lock:
                    self._busy = False


    def _backfill(self) -> None:
        """Later stages over the whole library, until done or a change is ready."""
        with self._lock:
            self._busy = True
        try:
            report = self.library.backfill(None, progress=self.progress, control=self.control,
                                           should_yield=self._ready_work_waiting)
            self.backfill_reports.append(report)
            if not report.yielded and not report.cancelled:
                self._backfill_due = False
        except Cancelled:
            pass
        except Exception as e:  # noqa: BLE001 - keep watching; try again after the next batch
            log.exception("watch: backfill failed")
            self.last_error = f"{type(e).__name__}: {e}"
            self._backfill_due = False
        finally:
            with self._lock:
                self._busy = False


def _stat_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if not os.path.isdir(path) else None
