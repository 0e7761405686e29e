"""The data folder is owner-only when photoapp creates it, and `status` warns about an open one."""
from __future__ import annotations

import os
import stat

from fault_helpers import child_env, cli, copy_photos


def _modes(root):
    for folder, dirs, files in os.walk(root):
        yield folder, stat.S_IMODE(os.stat(folder).st_mode)
        for f in files:
            p = os.path.join(folder, f)
            yield p, stat.S_IMODE(os.stat(p).st_mode)


def test_fresh_data_folder_is_owner_only(tmp_path):
    photos = copy_photos(tmp_path / "photos", ["chelsea.jpg", "coffee.jpg"])
    data = tmp_path / "deep" / "data"
    # A permissive umask, as many desktops have: photoapp must not depend on the user's.
    env = child_env()
    r = cli(data, "index", str(photos), env=env, preexec_fn=lambda: os.umask(0o022))
    assert r.returncode == 0, r.stderr
    assert cli(data, "clusters", env=env).returncode == 0
    seen = dict(_modes(data))
    assert any("thumbs" in p for p in seen) and any("catalog" in p for p in seen)
    open_to_others = {p: f"{m:04o}" for p, m in seen.items() if m & 0o077}
    assert not open_to_others
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    r = cli(data, "status")
    assert b"warning" not in r.stdout


def test_status_warns_about_a_data_folder_others_can_read(tmp_path):
    photos = copy_photos(tmp_path / "photos", ["coffee.jpg"])
    data = tmp_path / "data"
    assert cli(data, "index", str(photos)).returncode == 0
    os.chmod(data, 0o755)
    r = cli(data, "status")
    assert r.returncode == 0, r.stderr
    assert f"warning: the data folder {data} is readable by other users (mode 0755)".encode() \
        in r.stdout
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # warned about, not changed behind the back
