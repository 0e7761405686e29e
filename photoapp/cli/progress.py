"""A one-line progress bar for terminals; silent when stderr is not a terminal."""
from __future__ import annotations

import sys
import time


def _fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class TerminalProgress:
    def __init__(self, stream=None, enabled: bool | None = None, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.min_interval = min_interval
        self._last = 0.0
        self._shown = False

    def __call__(self, event) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        final = event.total and event.done >= event.total
        if not final and now - self._last < self.min_interval:
            return
        self._last = now
        total = max(event.total or 0, 1)
        frac = min(event.done / total, 1.0)
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        phase = getattr(event, "phase", "") or ""
        line = (f"\r{phase:<9} [{bar}] {event.done}/{event.total} "
                f"{getattr(event, 'rate', 0.0) or 0.0:5.1f}/s ETA {_fmt_eta(getattr(event, 'eta_s', None))}")
        self.stream.write(line[:200].ljust(80))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()
