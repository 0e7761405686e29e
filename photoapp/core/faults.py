"""Named write boundaries where a test can kill the process: ``PHOTOAPP_FAULT=<boundary>``.

The pipeline and the library call :func:`fault_point` between their writes (the boundaries are
listed in pipeline.py's "Write order"). Unset, a call costs one attribute read. Set, the process
SIGKILLs itself the first time it reaches that boundary: no ``finally``, no atexit, no flush,
exactly what a power cut or the OOM killer does. tests/faults/ runs each boundary in a child.
"""
from __future__ import annotations

import os
import signal

FAULT_ENV = "PHOTOAPP_FAULT"

BOUNDARIES = (
    "after-journal",          # the commit's intent is on disk, nothing else written yet
    "after-backend-write",    # W2: documents sent to the backend, not flushed
    "after-backend-flush",    # W3: the backend holds the batch, the catalog does not know it
    "after-catalog-commit",   # W4: both agree, thumbnails of deleted documents still on disk
    "after-remove-root",      # remove_folder: the root is gone, its rows not yet purged
    "after-backfill-flush",   # B2: new fields in the backend, the catalog does not know
)

_armed = os.environ.get(FAULT_ENV, "")


def fault_point(name: str) -> None:
    """Die here (SIGKILL) when ``PHOTOAPP_FAULT`` names this boundary."""
    if _armed and _armed == name:
        os.kill(os.getpid(), signal.SIGKILL)
