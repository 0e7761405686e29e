"""Progress reporting and pause / resume / cancel for long core jobs (indexing, watching).

The core never prints: it calls ``progress(ProgressEvent)`` from its worker thread and checks a
``JobControl`` between units of work. Front ends turn events into a progress bar or a Qt signal.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    done: int
    total: int  # 0 while still unknown (during the folder walk)
    rate: float  # items per second over the recent window
    eta_s: float | None
    current_path: str = ""
    phase: str = "index"  # scan | index | remove | watch | done


ProgressCallback = Callable[[ProgressEvent], None]


class Cancelled(Exception):
    """Raised inside a job when its JobControl was cancelled; the job stops at a clean point."""


class JobControl:
    """Thread-safe pause / resume / cancel flags, shared by the front end and a running job."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # wake a paused job so it can stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def checkpoint(self) -> None:
        """Block while paused; raise Cancelled when cancelled. Called between units of work."""
        self._running.wait()
        if self._cancelled.is_set():
            raise Cancelled()


class RateMeter:
    """Rate and ETA over a sliding window, so a pause or a slow start does not skew the ETA."""

    def __init__(self, window_s: float = 10.0):
        self.window_s = window_s
        self._samples: list[tuple[float, int]] = []

    def update(self, done: int, total: int) -> tuple[float, float | None]:
        now = time.monotonic()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window_s:
            self._samples.pop(0)
        t0, d0 = self._samples[0]
        rate = (done - d0) / (now - t0) if now > t0 else 0.0
        eta = (total - done) / rate if rate > 0 and total >= done else None
        return rate, eta
