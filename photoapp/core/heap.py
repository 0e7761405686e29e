"""Keep the C heap from holding on to memory it no longer uses.

glibc serves allocations over 128 KB with mmap and gives them back on free, but each free of
such a block raises that threshold (up to 32 MB), after which image buffers and model tensors
of a few MB come from the heap and stay there as fragments: indexing 200 photos kept growing to
0.9 GB. Fixing the threshold stops that growth. At 128 KB every decoded image and model tensor
was a fresh mmap (page faults: 5.4 s of system time in a 250-photo index, slower than before
this safeguard); at 4 MB the small buffers come from the heap again: a 250-photo index takes
0.71x the wall time of commit 8b7a0c2 (0.86x at 128 KB), with peak RSS 458 MB
(imagenet-sample 1,000 photos: 455 MB; four 12000x12000 PNGs + 60 photos: 547 MB;
photoapp/bench/memory.py). Process-wide, set once; a no-op off glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
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
