"""Running core calls off the GUI thread.

``TaskRunner.submit(fn, on_result, on_error)`` runs ``fn`` in a QThreadPool and calls the
callbacks back on the GUI thread (a queued signal into a QObject that lives there). Callers
that may be superseded (a new search while the old one runs) keep a generation number and
ignore stale results; nothing here kills a running call, because core calls are not
interruptible mid-query and are short.
"""
from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from . import main_thread_gc

log = logging.getLogger(__name__)


class _Job(QRunnable):
    def __init__(self, runner: "TaskRunner", task_id: int, fn: Callable[[], Any]):
        super().__init__()
        self._runner = runner
        self._task_id = task_id
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - delivered to the caller's on_error
            self._runner._finished.emit(self._task_id, None, exc)
        else:
            self._runner._finished.emit(self._task_id, result, None)


class TaskRunner(QObject):
    """A pool of worker threads whose results come back as GUI-thread callbacks."""

    _finished = Signal(int, object, object)
    busy_changed = Signal(bool)

    def __init__(self, max_threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable | None, Callable | None]] = {}
        self._queued: dict[int, _Job] = {}  # jobs that may not have started yet (for cancel)
        self._lock = threading.Lock()
        self._closed = False
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        main_thread_gc.acquire()  # Qt garbage must not be collected on the pool's threads

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    def submit(self, fn: Callable[[], Any], on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, priority: int = 0) -> int:
        if self._closed:  # the window is shutting down: no new work may start behind close()
            return 0
        task_id = next(self._ids)
        was_idle = not self._callbacks
        self._callbacks[task_id] = (on_result, on_error)
        job = _Job(self, task_id, fn)
        job.setAutoDelete(False)  # kept in _queued so that cancel() can tryTake() it
        self._queued[task_id] = job
        self.pool.start(job, priority)
        if was_idle:
            self.busy_changed.emit(True)
        return task_id

    def cancel(self, task_id: int) -> bool:
        """Drop a job that has not started (a page of a listing nobody looks at any more)."""
        job = self._queued.get(task_id)
        if job is None or not self.pool.tryTake(job):
            return False
        del self._queued[task_id]
        self._callbacks.pop(task_id, None)
        if not self._callbacks:
            self.busy_changed.emit(False)
        return True

    def _deliver(self, task_id: int, result: Any, error: BaseException | None) -> None:
        self._queued.pop(task_id, None)
        if task_id not in self._callbacks:
            return  # cancelled after it had started: nobody wants the result
        on_result, on_error = self._callbacks.pop(task_id, (None, None))
        try:
            if error is not None:
                if on_error is not None:
                    on_error(error)
                else:
                    log.error("background task failed", exc_info=error)
            elif on_result is not None:
                on_result(result)
        finally:
            if not self._callbacks:
                self.busy_changed.emit(False)

    def wait(self, msecs: int = -1) -> bool:
        """Block until running jobs finish (shutdown and tests only)."""
        return self.pool.waitForDone(msecs)

    def close(self) -> None:
        """Refuse new jobs, then wait for the running ones: after this no worker thread is busy,
        even if a job or another thread tried to submit more while we waited."""
        if self._closed:
            self.pool.waitForDone(-1)
            return
        self._closed = True
        self.pool.waitForDone(-1)
        main_thread_gc.release()
