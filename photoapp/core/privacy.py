"""The data folder holds thumbnails of private photos, GPS positions and what the models saw in
them: it is created owner-only (folders 0700, files 0600) and ``status`` warns when an existing one
is open to other users.

Owner-only files come from the process umask (0077), set when the data folder is prepared: every
file photoapp creates after that (catalog, index, thumbnails, Elasticsearch outbox, logs, settings,
SQLite's -wal/-shm companions) is born 0600 without each writer having to remember it. photoapp
writes nothing outside its data folder except files the user asked for (screenshots), and those
are the user's own.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
FOLDER_MODE = 0o700

# What other users could use to read the library: permission bits of group and others.
_OPEN_TO_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) owner-only; restrict this process's umask.

    An existing folder keeps its mode: the user may have opened it on purpose (a shared family
    library); :func:`exposure_warnings` says so instead of silently changing it."""
    os.umask(OWNER_ONLY_UMASK)
    path = Path(path)
    if path.is_dir():
        return
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.chmod(path, FOLDER_MODE)  # mkdir's mode is filtered by the umask of whoever ran before us


def exposure_warnings(data_dir: Path) -> list[str]:
    """One line per reason other users can read the library (empty when it is owner-only).

    Only the data folder and its top-level entries are checked: a folder others cannot enter
    protects everything below it, so this stays cheap with a million thumbnails."""
    data_dir = Path(data_dir)
    try:
        mode = data_dir.stat().st_mode
    except OSError:
        return []
    if mode & (stat.S_IROTH | stat.S_IXOTH | stat.S_IRGRP | stat.S_IXGRP):
        return [f"the data folder {data_dir} is readable by other users (mode "
                f"{stat.S_IMODE(mode):04o}): it holds thumbnails and locations of your photos; "
                f"run `chmod 700 {data_dir}` unless you share it on purpose"]
    return []
