"""Content hashes: the identity of a document.

blake2b is fast in pure CPython (hashlib releases the GIL for large buffers) and a 128-bit digest is
plenty to tell photos apart; the hex string is the document id in every backend.
"""
from __future__ import annotations

import hashlib
import os

DIGEST_BYTES = 16
_CHUNK = 1 << 20


def hash_bytes(data: bytes | memoryview) -> str:
    return hashlib.blake2b(data, digest_size=DIGEST_BYTES).hexdigest()


def hash_file(path: str | os.PathLike) -> str:
    """Hash a file in chunks (for callers that do not need the bytes themselves)."""
    h = hashlib.blake2b(digest_size=DIGEST_BYTES)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def looks_like_hash(text: str) -> bool:
    """True for a string that could be a document id (used to tell ids from paths)."""
    if len(text) != DIGEST_BYTES * 2:
        return False
    try:
        int(text, 16)
    except ValueError:
        return False
    return True
