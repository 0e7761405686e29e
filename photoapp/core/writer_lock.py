"""One writer per library: ``data_dir/writer.lock``, an advisory ``flock`` held while a process
writes the catalog and the index (a scan, a watcher batch, a folder removal, a backfill, clusters).

The GUI watching a folder and ``photoapp index`` in a terminal are ordinary things to do at once.
Without this, each process allocates vector slots and commits batches on its own view of the
library and they corrupt each other. With it, the second writer waits (and says who it waits
for) until the first one's batch or scan is done, then reads the library afresh. Readers never
take the lock: SQLite in WAL mode gives them a consistent snapshot while a writer works.

The kernel drops an ``flock`` when its holder dies, even by SIGKILL, so a crash never leaves the
library locked; what a killed writer left half done is healed by the next holder
(``on_acquire``, see consistency.py).
"""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import StorageError
from .sqlite_files import storage_problem

log = logging.getLogger(__name__)

LOCK_FILENAME = "writer.lock"


class _ProcessLock:
    """One per lock file per process: ``flock`` treats two opens of a file in one process as
    strangers, so every Library of this process on the same folder shares this object."""

    def __init__(self, path: Path):
        self.path = path
        self.threads = threading.RLock()  # threads of this process queue here, not on flock
        self.depth = 0
        self.fd: int | None = None


_registry: dict[str, _ProcessLock] = {}
_registry_lock = threading.Lock()


def _process_lock(path: Path) -> _ProcessLock:
    key = os.path.realpath(path)
    with _registry_lock:
        return _registry.setdefault(key, _ProcessLock(Path(key)))


class WriterLock:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_FILENAME
        # Called with the holder's pid (None when unknown) when we have to wait; front ends say
        # "waiting for another photoapp (pid N)". Default: a log line.
        self.on_wait: Callable[[int | None], None] | None = None
        # Called once each time this process takes the lock from outside (not re-entries).
        self.on_acquire: Callable[[], None] | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the library's writer lock (re-entrant within this process); waits if needed.

        Every write of the library happens inside a hold, so this is also the one place where
        a write the disk refuses becomes a ``StorageError`` naming the folder and what to do,
        for the CLI and the GUI alike."""
        try:
            with self._held(blocking=True):
                yield
        except (OSError, sqlite3.Error) as e:
            problem = storage_problem(e, self.path.parent)
            if problem is None:
                raise
            raise StorageError(problem) from e

    @contextmanager
    def try_hold(self) -> Iterator[bool]:
        """Take the lock only if nobody holds it; yields whether we got it."""
        shared = _process_lock(self.path)
        if not shared.threads.acquire(blocking=False):
            yield False
            return
        try:
            fresh = shared.depth == 0
            if fresh and not self._acquire(shared, blocking=False):
                yield False
                return
            shared.depth += 1
            try:
                if fresh:
                    self._acquired()
                yield True
            finally:
                self._leave(shared)
        finally:
            shared.threads.release()

    @contextmanager
    def _held(self, blocking: bool) -> Iterator[None]:
        shared = _process_lock(self.path)
        with shared.threads:
            fresh = shared.depth == 0
            if fresh:
                self._acquire(shared, blocking)
            shared.depth += 1
            try:
                if fresh:
                    self._acquired()
                yield
            finally:
                self._leave(shared)

    def held_elsewhere(self) -> int | None:
        """The pid of another process writing this library right now (-1 if unknown), or None.
        For status lines: it never waits, and ignores this process's own hold."""
        if _process_lock(self.path).depth > 0:
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return self.holder() or -1
        finally:
            os.close(fd)  # drops the shared lock, if we got it
        return None

    def holder(self) -> int | None:
        """The pid written by the process that holds (or last held) the lock."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    # --- internals ----------------------------------------------------------------------------
    def _acquire(self, shared: _ProcessLock, blocking: bool) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not blocking:
                    os.close(fd)
                    return False
                pid = self.holder()
                if self.on_wait is not None:
                    self.on_wait(pid)
                else:
                    log.warning("waiting for another photoapp (pid %s) that is writing to this "
                                "library", pid or "?")
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        try:  # who holds it, for the next one who has to wait (best effort: the disk may be full)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass
        shared.fd = fd
        return True

    def _acquired(self) -> None:
        # Inside the hold (depth 1): the hook may write the library, and re-enter hold().
        if self.on_acquire is not None:
            self.on_acquire()

    def _leave(self, shared: _ProcessLock) -> None:
        shared.depth -= 1
        if shared.depth == 0:
            self._release(shared)

    @staticmethod
    def _release(shared: _ProcessLock) -> None:
        if shared.fd is not None:
            fd, shared.fd = shared.fd, None
            os.close(fd)  # closing the last descriptor drops the flock
