"""Waiting for a main window to settle, and grabbing it then (screenshots, the GUI benches)."""
from __future__ import annotations

import time
from pathlib import Path


def wait_until_idle(window, timeout_s: float = 60.0, settle_ms: int = 120) -> None:
    """Run the event loop until the window's workers are idle and stay idle a moment."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(25, loop.quit)
        loop.exec()
        busy = (window.runner.pending or window.thumbnails.pending_count or window.loader.loading
                or window.similar_loader.loading)
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif (time.monotonic() - quiet_since) * 1000 >= settle_ms:
            return


def grab_when_idle(widget, window, path: Path) -> Path:
    """Save ``widget`` as a PNG once what its painting asked for (thumbnails) has arrived."""
    # Painting requests the visible thumbnails; wait for them and paint again.
    for _ in range(3):
        widget.grab()
        wait_until_idle(window)
    widget.grab().save(str(path))
    return path
