"""A full disk under the data folder: read-only commands work, writes fail with one line that
names the folder and what to do. Two ways to fill the disk: a real 4 MB tmpfs (needs mount
rights) and a file-size limit of zero bytes in the child (works anywhere: every write that
would grow a file fails at the OS boundary, as on a full disk)."""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess

import pytest

from fault_helpers import SAMPLE_PHOTOS, cli, copy_photos
from photoapp.core.errors import StorageError
from photoapp.core.library import Library
from photoapp.core.settings import Settings

READ_COMMANDS = (["search", "cat", "--json"], ["status"], ["errors"], ["folders"])


@pytest.fixture
def tmpfs(tmp_path):
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}); the "
                    "file-size-limit variant covers the same code")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _no_file_growth():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill, like ENOSPC
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _check_reads_work(data, photos, **popen):
    for args in READ_COMMANDS:
        r = cli(data, *args, **popen)
        assert r.returncode == 0, (args, r.stderr.decode())
        assert b"Traceback" not in r.stderr
    hits = json.loads(cli(data, "search", "cat", "--json", **popen).stdout)
    assert hits and hits[0]["path"].endswith("chelsea.jpg")
    r = cli(data, "info", str(photos / "chelsea.jpg"), **popen)
    assert r.returncode == 0 and b"cat" in r.stdout, r.stderr
    r = cli(data, "similar", str(photos / "chelsea.jpg"), **popen)
    assert r.returncode == 0, r.stderr


def _check_write_fails_clearly(data, photos, why: bytes, **popen):
    shutil.copy2(SAMPLE_PHOTOS / "rocket.jpg", photos / "rocket.jpg")
    r = cli(data, "index", str(photos), **popen)
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if line.startswith(b"photoapp: error:")]
    assert len(errors) == 1 and b"Traceback" not in r.stderr, r.stderr.decode()
    assert f"cannot write {data}".encode() in errors[0] and why in errors[0], errors[0]
    assert b"--data-dir" in errors[0]


def test_full_tmpfs(tmpfs, tmp_path):
    photos = copy_photos(tmp_path / "photos", ["chelsea.jpg", "coffee.jpg", "brick.jpg"])
    data = tmpfs / "data"
    assert cli(data, "index", str(photos)).returncode == 0
    filler = tmpfs / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    assert os.statvfs(tmpfs).f_bavail == 0
    _check_reads_work(data, photos)
    _check_write_fails_clearly(data, photos, b"the disk is full")
    # The core says it too (typed, for the GUI): the write paths raise StorageError.
    with pytest.raises(StorageError, match="the disk is full"):
        with Library.open(Settings(data_dir=data)) as lib:
            lib.remove_folder(photos)
    filler.unlink()
    r = cli(data, "index", str(photos))
    assert r.returncode == 0 and b"1 indexed" in r.stdout, r.stderr


def test_no_room_to_grow_any_file(tmp_path):
    photos = copy_photos(tmp_path / "photos", ["chelsea.jpg", "coffee.jpg", "brick.jpg"])
    data = tmp_path / "data"
    assert cli(data, "index", str(photos)).returncode == 0
    _check_reads_work(data, photos, preexec_fn=_no_file_growth)
    _check_write_fails_clearly(data, photos, b"file-size limit", preexec_fn=_no_file_growth)
    r = cli(data, "index", str(photos))
    assert r.returncode == 0 and b"1 indexed" in r.stdout, r.stderr
