"""Folders the scan cannot walk show up in `photoapp errors` and `status`, not only on stderr,
and go away once the problem does."""
from __future__ import annotations

import json
import os

from fault_helpers import cli, copy_photos


def test_symlink_loops_and_unreadable_entries_are_listed(tmp_path):
    photos = copy_photos(tmp_path / "photos", ["coffee.jpg"])
    (photos / "sub").mkdir()
    os.symlink(photos, photos / "sub" / "back-up")  # a loop back to the root
    os.symlink("self", photos / "self")  # a link to itself: stat fails (ELOOP)
    data = tmp_path / "data"
    assert cli(data, "index", str(photos)).returncode == 0
    rows = {r["path"]: r for r in json.loads(cli(data, "errors", "--json").stdout)}
    assert rows[str(photos / "sub" / "back-up")]["reason"] == "symlink-loop"
    assert rows[str(photos / "self")]["reason"] == "unreadable"
    assert "symbolic links" in rows[str(photos / "self")]["detail"]
    status = json.loads(cli(data, "status", "--json").stdout)[0]
    assert status["errors"] == 2 and status["documents"] == 1
    # Re-scanning keeps them (still there) without counting them as removed and re-added.
    r = cli(data, "index", str(photos))
    assert b"0 removed" in r.stdout, r.stdout
    os.unlink(photos / "sub" / "back-up")
    os.unlink(photos / "self")
    assert cli(data, "index", str(photos)).returncode == 0
    assert json.loads(cli(data, "errors", "--json").stdout) == []
