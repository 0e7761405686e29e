"""Python's cycle collector, run on the GUI thread only while worker threads run Python.

The collector runs on whichever thread happens to allocate when a generation's threshold is
crossed. When that is a worker (a search, a connection test, an indexing batch) and the garbage
holds Qt wrappers (a closed dialog, a lambda slot that refers to its widget), Qt objects are
destroyed off their thread, and the app crashes at random: CI once saw a segfault in a worker
thread inside ``os.environ.get``. While a ``TaskRunner`` is open, automatic collection is off and
this timer collects on the GUI thread instead, with the interpreter's own generations and
thresholds; refcounting still frees everything that is not in a cycle at once.
"""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250  # often enough that cyclic garbage cannot pile up between two checks

_lock = threading.Lock()
_users = 0
_collector: "_Collector | None" = None


class _Collector(QObject):
    def __init__(self):
        super().__init__()
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start()

    def collect_if_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold (as the interpreter
        would have, on whatever thread was allocating); 0 when none is due."""
        counts = gc.get_count()
        due = [g for g in range(3) if counts[g] > self.thresholds[g]]
        return gc.collect(max(due)) if due else 0


def acquire() -> None:
    """A user (a TaskRunner) starts running Python on worker threads: collect on this thread
    (the GUI thread, which must call this) from now on."""
    global _users, _collector
    with _lock:
        _users += 1
        if _collector is None:
            _collector = _Collector()
            gc.disable()


def release() -> None:
    """A user is done; the last one hands collection back to the interpreter."""
    global _users, _collector
    with _lock:
        _users = max(0, _users - 1)
        if _users or _collector is None:
            return
        collector, _collector = _collector, None
        collector.timer.stop()
        collector.deleteLater()
        gc.enable()
    gc.collect()  # what piled up since the last tick, here on the GUI thread


def active() -> bool:
    return _collector is not None


def users() -> int:
    """How many runners are open (tests check none is left open)."""
    return _users
