"""Indexing and watching in the background, reported to the GUI through signals.

One QThread owns the long ``Library.index`` call; pause/resume/cancel go through the core's
``JobControl``. When a pass ends, the folders are watched (``Library.watch``) so new and
changed photos are picked up without the user asking. Folders added while a pass runs are
queued and indexed next.

The watcher outlives the pass that started it, so it must not report through that pass's
thread object (deleted when the pass ends: "Signal source has been deleted", and every watch
batch failed). It reports through ``_WatchBridge``, a QObject the controller owns for as long
as it exists; the controller stops the watcher before the bridge can go.
"""
from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)
BACKGROUND_NICE = 10
# How long a thread may keep the GIL while another waits for it (CPython's default is 5 ms).
GUI_SWITCH_INTERVAL_S = 0.0005


def prefer_gui_thread_switching(interval_s: float = GUI_SWITCH_INTERVAL_S) -> None:
    """Shorten the interpreter's GIL switch interval in the GUI process.

    PySide releases the GIL around most Qt calls, so a grid repaint gives the GIL up hundreds of
    times; each time a background thread running Python (decode workers, the pipeline's
    coordinator, thumbnail loaders) can keep it for a whole switch interval before the GUI
    thread gets it back (a convoy). Measured (``python -m photoapp.bench.gui``, "GIL convoy"):
    1,000 QPainter calls that take 5-18 ms alone took 94-204 ms next to two busy Python threads
    at 5 ms, 29-56 ms at 0.5 ms. Only ever lowers the interval, never raises it.
    """
    if sys.getswitchinterval() > interval_s:
        sys.setswitchinterval(interval_s)


def lower_this_thread_priority(nice: int = BACKGROUND_NICE) -> None:
    """Make the calling thread, and every thread it starts later (the pipeline's decode pool,
    ONNX Runtime's pool), yield the CPU to the GUI thread.

    Linux keeps the nice value per thread and new threads inherit it; elsewhere it is per
    process, so there we rely on QThread's priority alone.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, min(19, current + nice))
    except OSError as exc:  # not fatal: indexing still works, just less politely
        log.debug("could not lower the indexing thread's priority: %s", exc)


class _PreloadThread(QThread):
    """Loads the models (for the first search) at background priority, so the ONNX Runtime
    threads created with them are background threads too."""

    def __init__(self, library, parent=None):
        super().__init__(parent)
        self.library = library

    def run(self) -> None:
        lower_this_thread_priority()
        try:
            self.library.vocabulary()
        except Exception as exc:  # noqa: BLE001 - the first search will report it
            log.info("models not preloaded: %s", exc)


class _WatchBridge(QObject):
    """Carries the watcher's progress (emitted on the watcher's own thread) to the GUI thread.
    Lives in the GUI thread, owned by the controller: a queued connection crosses threads."""

    progress = Signal(object)  # ProgressEvent


class _IndexThread(QThread):
    progress = Signal(object)  # ProgressEvent
    done = Signal(object, object)  # (IndexReport | None, LibraryWatcher | None)
    failed = Signal(object)

    def __init__(self, library, paths, control, watch_bridge: _WatchBridge | None, parent=None):
        super().__init__(parent)
        self.library = library
        self.paths = paths
        self.control = control
        self.watch_bridge = watch_bridge  # None: do not watch after the pass
        self.watch_control = None
        self.watcher = None

    def run(self) -> None:
        lower_this_thread_priority()
        try:
            # Watching: stage 1 only (browsable and searchable sooner); the watcher, started
            # from this background-priority thread, backfills objects when no change waits.
            report = self.library.index(self.paths, progress=self.progress.emit, control=self.control,
                                        quick=self.watch_bridge is not None)
        except Exception as exc:  # noqa: BLE001 - shown in the status bar, never a crash
            self.failed.emit(exc)
            return
        watcher = None
        if self.watch_bridge is not None and not self.control.cancelled:
            try:
                from ..core.jobs import JobControl
                self.watch_control = JobControl()
                # The bridge, not this thread: the watcher keeps reporting after this thread is gone.
                watcher = self.library.watch(None, progress=self.watch_bridge.progress.emit,
                                             control=self.watch_control)
                watcher.start()
                self.watcher = watcher
            except Exception as exc:  # noqa: BLE001 - indexing worked; watching is best effort
                log.warning("could not start watching: %s", exc)
                watcher = None
        self.done.emit(report, watcher)


class IndexingController(QObject):
    progress = Signal(object)       # ProgressEvent
    started = Signal()
    finished = Signal(object)       # IndexReport
    failed = Signal(object)         # exception
    paused_changed = Signal(bool)
    watching_changed = Signal(bool)
    watch_batch_done = Signal(object)  # the ProgressEvent ending a batch the watcher indexed

    def __init__(self, library, watch: bool = True, parent: QObject | None = None):
        super().__init__(parent)
        self.library = library
        self.watch_enabled = watch
        self._thread: _IndexThread | None = None
        self._control = None
        self._queued: list[str] | None = None  # paths to index after the current pass
        self._queued_all = False
        self.watcher = None
        self.last_event = None
        self.last_report = None
        self._shut_down = False
        self._preload: _PreloadThread | None = None
        self._watch_bridge = _WatchBridge(self)
        self._watch_bridge.progress.connect(self._on_watch_progress)

    def preload_models(self) -> None:
        if self._preload is None and self.library is not None:
            self._preload = _PreloadThread(self.library, self)
            self._preload.start(QThread.Priority.LowPriority)

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return bool(self._control and self._control.paused)

    def start(self, paths: list[str] | None = None) -> None:
        """Index ``paths`` (None = every folder); queued if a pass is running."""
        if self._shut_down:
            return
        if self._thread is not None:
            if paths is None:
                self._queued_all = True
            else:
                self._queued = (self._queued or []) + [p for p in paths if p not in (self._queued or [])]
            return
        from ..core.jobs import JobControl
        prefer_gui_thread_switching()  # also when the app was not made by create_application()
        self._stop_watcher()
        self._control = JobControl()
        thread = _IndexThread(self.library, paths, self._control,
                              self._watch_bridge if self.watch_enabled else None, self)
        thread.progress.connect(self._on_progress)
        thread.done.connect(self._on_done)
        thread.failed.connect(self._on_failed)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        thread.start(QThread.Priority.LowPriority)
        self.started.emit()

    def pause(self) -> None:
        if self._control is not None and not self._control.paused:
            self._control.pause()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._control is not None and self._control.paused:
            self._control.resume()
            self.paused_changed.emit(False)

    def toggle_pause(self) -> None:
        self.resume() if self.paused else self.pause()

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel the running pass, stop watching and wait for the thread (window close)."""
        self._shut_down = True
        self.stop(timeout_ms)

    def stop(self, timeout_ms: int = 30000) -> None:
        """Cancel the running pass and stop watching (the library is about to be replaced);
        ``start`` works again afterwards."""
        self._queued, self._queued_all = None, False
        if self._control is not None:
            self._control.cancel()
        if self._preload is not None:
            self._preload.wait(timeout_ms)
            self._preload = None
        thread, self._thread = self._thread, None  # its queued done/finished are ignored now
        if thread is not None:
            thread.wait(timeout_ms)
            if thread.watch_control is not None:
                thread.watch_control.cancel()
            if thread.watcher is not None and thread.watcher is not self.watcher:
                thread.watcher.stop()
            thread.deleteLater()
        self._stop_watcher()

    def _stop_watcher(self) -> None:
        if self.watcher is not None:
            try:
                self.watcher.stop()
            except Exception as exc:  # noqa: BLE001
                log.warning("stopping the watcher failed: %s", exc)
            self.watcher = None
            self.watching_changed.emit(False)

    def _from_current_pass(self) -> bool:
        sender = self.sender()
        return sender is not None and sender is self._thread

    def _on_progress(self, event) -> None:
        self.last_event = event
        self.progress.emit(event)

    def _on_watch_progress(self, event) -> None:
        if self.watcher is None and self._thread is None:
            return  # a last event from a watcher being stopped
        self._on_progress(event)
        if event.phase == "done":
            self.watch_batch_done.emit(event)

    def _on_done(self, report, watcher) -> None:
        if not self._from_current_pass():  # a pass stop() abandoned: its watcher must go
            if watcher is not None and watcher is not self.watcher:
                watcher.stop()
            return
        self.last_report = report
        if watcher is not None:
            if self._shut_down or (self._control is not None and self._control.cancelled):
                if watcher is not self.watcher:
                    try:
                        watcher.stop()
                    except Exception:  # noqa: BLE001 - already stopped by shutdown()
                        pass
            else:
                self.watcher = watcher
                self.watching_changed.emit(True)
        self.finished.emit(report)

    def _on_failed(self, exc) -> None:
        if self._from_current_pass():
            self.failed.emit(exc)

    def _on_thread_finished(self) -> None:
        if not self._from_current_pass():
            return  # abandoned by stop(), which deletes it
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.deleteLater()
        if self._control is not None and self._control.cancelled:
            return
        if self._queued_all or self._queued:
            paths = None if self._queued_all else self._queued
            self._queued, self._queued_all = None, False
            self.start(paths)
