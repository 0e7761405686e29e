"""Opening photoapp's SQLite files (catalog, embedded index, user data) so that reading works on
a full or read-only disk.

A WAL database needs its ``-shm`` index (32 KB) to exist before even a read, and SQLite deletes
it when the last connection closes; on a full disk (or a read-only mount) it cannot be created
again and every read fails with "disk I/O error". Then we fall back to a read-only connection,
and when even that cannot make its ``-shm``, to an *immutable* one (no locks, no ``-shm``) —
safe because with no ``-wal`` content left over, the main file holds every committed write.
Writes on such a connection fail with a clear "readonly" error, which the callers turn into a
one-line message naming the disk.
"""
from __future__ import annotations

import errno
import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)
_warned = False


def connect_wal(path: str | os.PathLike, **kwargs) -> sqlite3.Connection:
    """``sqlite3.connect`` in WAL mode; read-only when the disk refuses the files WAL needs."""
    path = Path(path)
    conn = sqlite3.connect(str(path), **kwargs)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        return conn
    except sqlite3.OperationalError as e:
        conn.close()
        if not path.exists():
            raise
        cause = e
    for query in ("mode=ro", "immutable=1"):
        if query == "immutable=1" and _wal_size(path):
            break  # the -wal holds committed writes the main file lacks: not safe
        uri = f"file:{quote(str(path))}?{query}"
        conn = sqlite3.connect(uri, uri=True, **kwargs)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            continue
        global _warned
        if not _warned:  # one line per process, not one per database file
            _warned = True
            log.warning("opened %s read-only (%s): its disk is full or read-only; searching "
                        "works, indexing will not", path.parent, cause)
        return conn
    raise cause


def _wal_size(path: Path) -> int:
    try:
        return os.path.getsize(f"{path}-wal")
    except OSError:
        return 0


_STORAGE_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                   errno.EROFS: "the disk is mounted read-only",
                   errno.EACCES: "photoapp may not write there", errno.EPERM: "photoapp may not write there",
                   errno.EFBIG: "a file-size limit (ulimit -f) is reached"}
_SQLITE_STORAGE = (("disk is full", errno.ENOSPC), ("readonly database", errno.EROFS),
                   ("disk i/o error", errno.EIO))


def storage_problem(exc: BaseException, data_dir: str | os.PathLike) -> str | None:
    """One line naming the place and what to do when ``exc`` is a failed write to the disk
    (ENOSPC, EROFS, EACCES... from the OS or from SQLite); None for any other error."""
    code, where = None, None
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
        code, where = exc.errno, exc.filename
    elif isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        code = next((c for marker, c in _SQLITE_STORAGE if marker in text), None)
    if code is None:
        return None
    data_dir = os.fspath(data_dir)
    where = os.fsdecode(where) if where else data_dir
    # SQLite reports a full disk as "disk I/O error" or, on the read-only fallback above, as a
    # read-only database: ask the disk itself which it is.
    why = _disk_state(where if os.path.exists(where) else data_dir) or _STORAGE_ERRNOS.get(
        code, "the disk is full, read-only or failing")
    return (f"cannot write {where}: {why} (photoapp keeps its data in {data_dir}); free some "
            f"space or fix the permissions there, or use another data folder (--data-dir or "
            f"$PHOTOAPP_DATA_DIR)")


def _disk_state(path: str) -> str | None:
    """Why writing under ``path`` fails, found by trying (a little file, removed at once)."""
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".photoapp-probe-")
    except OSError as e:
        return _STORAGE_ERRNOS.get(e.errno)
    try:
        os.write(fd, b"\0" * 65536)
        os.fsync(fd)
    except OSError as e:
        return _STORAGE_ERRNOS.get(e.errno)
    finally:
        os.close(fd)
        os.unlink(probe)
    return None
