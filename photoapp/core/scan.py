"""Walk library folders and list the photo files in them.

A scan must finish whatever the folder holds: symlink loops, folders we may not read, names that are
not valid UTF-8 (they come back from ``os.scandir`` as surrogate-escaped ``str``; we pass them on
unchanged), files whose extension lies. Problems are collected, never raised.
"""
from __future__ import annotations

import logging
import os
import stat as stat_mod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".dib", ".gif",
    ".heic", ".heif", ".hif", ".avif",
})

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1",
                b"msf1", b"avif", b"avis"}
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}
_SNIFF_BYTES = 32


def sniff_image(head: bytes) -> bool:
    """True when the first bytes of a file are those of an image format we decode."""
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return True
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return True
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return True
    # "BM" alone would match plenty of text; insist on a plausible DIB header size too.
    if head[:2] == b"BM" and len(head) >= 18:
        return int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES
    return False


def is_hidden(name: str) -> bool:
    # Dot files are editor temp files, AppleDouble "._x.jpg" companions, .thumbnails caches...
    return name.startswith(".")


def is_image_candidate(path: str) -> bool:
    """Should this file be offered to the decoder? Extension first, then content sniffing.

    A file with an image extension is always offered (if it is not an image, the decoder records
    why). Any other file is offered only when its first bytes say it is an image, so ``IMG_1.dat``
    holding a JPEG is found and ``notes.txt`` is skipped without a word.
    """
    if os.path.splitext(path)[1].lower() in IMAGE_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as f:
            return sniff_image(f.read(_SNIFF_BYTES))
    except OSError:
        return False


@dataclass(frozen=True)
class ScannedFile:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanProblem:
    path: str
    reason: str  # "unreadable-folder" | "symlink-loop" | "unreadable"
    detail: str = ""


@dataclass
class FolderScanner:
    """Recursive walk yielding image files; ``problems`` and ``unreadable_dirs`` say what was skipped.

    ``unreadable_dirs`` matters to the caller: files last seen under a folder we could not list
    this time must not be swept from the library as if they had been deleted.
    """

    exclude: Iterable[str] = ()
    problems: list[ScanProblem] = field(default_factory=list)
    unreadable_dirs: list[str] = field(default_factory=list)
    seen_entries: int = 0

    def __post_init__(self) -> None:
        self._exclude = {os.path.realpath(p) for p in self.exclude}

    def walk(self, root: str) -> Iterator[ScannedFile]:
        root = os.path.abspath(root)
        visited: set[tuple[int, int]] = set()
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                st = os.stat(folder)
            except OSError as e:
                self._problem(folder, "unreadable-folder", e)
                continue
            key = (st.st_dev, st.st_ino)
            if key in visited:
                # A symlink pointing back up the tree (or at a folder already walked).
                self.problems.append(ScanProblem(folder, "symlink-loop"))
                continue
            visited.add(key)
            if os.path.realpath(folder) in self._exclude:
                continue
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as e:
                self._problem(folder, "unreadable-folder", e)
                continue
            subdirs = []
            for entry in entries:
                self.seen_entries += 1
                if is_hidden(entry.name):
                    continue
                try:
                    if entry.is_dir():  # follows symlinks; loops are caught by `visited`
                        subdirs.append(entry.path)
                        continue
                    if not entry.is_file():
                        continue
                    est = entry.stat()
                except OSError as e:
                    self._problem(entry.path, "unreadable", e)
                    continue
                if not stat_mod.S_ISREG(est.st_mode):
                    continue
                if is_image_candidate(entry.path):
                    yield ScannedFile(entry.path, est.st_size, est.st_mtime_ns)
            # Reverse so the stack pops sub-folders in name order.
            stack.extend(reversed(subdirs))

    def _problem(self, path: str, reason: str, err: OSError) -> None:
        log.warning("scan: skipping %r (%s: %s)", path, reason, err)
        self.problems.append(ScanProblem(path, reason, str(err)))
        if reason == "unreadable-folder":
            self.unreadable_dirs.append(path)


def stat_file(path: str) -> ScannedFile | None:
    """A single path as the watcher sees it: None when gone or not an image candidate."""
    if is_hidden(os.path.basename(path)):
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat_mod.S_ISREG(st.st_mode) or not is_image_candidate(path):
        return None
    return ScannedFile(path, st.st_size, st.st_mtime_ns)
