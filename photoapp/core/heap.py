"""Keep the C heap from holding on to memory it no longer uses.

glibc serves allocations over 128 KB with mmap and gives them back on free, but each free of
such a block raises that threshold (up to 32 MB), after which image buffers and model tensors
of a few MB come from the heap and stay there as fragments: indexing 200 photos kept growing to
0.9 GB. Fixing the threshold (what ``MALLOC_MMAP_THRESHOLD_=131072`` does) stops the growth:
0.7 GB, same speed (photoapp/bench/memory.py). Process-wide, set once; a no-op off glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 128 * 1024
_done = False


def fix_mmap_threshold() -> None:
    global _done
    if _done:
        return
    _done = True
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return
    if not mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES):
        log.debug("mallopt(M_MMAP_THRESHOLD) refused")
