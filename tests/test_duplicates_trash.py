"""`photoapp duplicates --trash`, as real processes: only on an explicit confirmation (a y/N
prompt on a terminal, or --yes), only extra copies of the groups shown, into the system trash
(a freedesktop.org trash inside the test's tmp), and nothing else is ever touched."""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from photoapp.core.records import DuplicateGroup
from photoapp.core.trash import TrashError, plan_trash
from tests.gui.test_gui_duplicates import photo

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI in this process (as tests/test_cli.py runs it): exit code, stdout, stderr."""
    from photoapp.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    root = tmp_path_factory.mktemp("dup-trash")
    photos = root / "photos"
    (photos / "old").mkdir(parents=True)
    photo(11).save(photos / "lake.jpg", quality=95)
    shutil.copy(photos / "lake.jpg", photos / "old" / "lake.jpg")  # exact
    photo(12).save(photos / "forest.jpg", quality=95)
    photo(12).resize((320, 240), Image.LANCZOS).save(photos / "old" / "forest_small.jpg", quality=55)  # same photo
    photo(13).save(photos / "city.jpg", quality=90)
    home = root / "home"
    (home / ".local" / "share").mkdir(parents=True)
    data = ["--data-dir", str(root / "data")]
    done = run_cli(*data, "index", str(photos), "--quick")
    assert done.returncode == 0, done.stderr
    # Moving to the trash runs as its own process: the trash is found from HOME/XDG_DATA_HOME
    # when send2trash is imported, and this one's is the test's.
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share"),
           "PHOTOAPP_MODELS_DIR": str(MODELS_DIR)}
    base = [sys.executable, "-m", "photoapp.cli.main", *data]

    def run(*args):
        if "--trash" not in args:
            return run_cli(*data, *args)
        return subprocess.run(base + list(args), env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=300)

    return {"run": run, "photos": photos, "trash": home / ".local" / "share" / "Trash", "base": base, "env": env}


def groups_of(cli) -> list[dict]:
    done = cli["run"]("duplicates", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_refusals_move_nothing(cli):
    photos = cli["photos"]
    before = snapshot(photos)
    rows = groups_of(cli)
    assert sorted((r["tier"], sorted(Path(p).name for p in r["paths"])) for r in rows) == [
        ("exact", ["lake.jpg", "lake.jpg"]), ("photo", ["forest.jpg", "forest_small.jpg"])]
    # Refusals are checked before anything moves: in this process (stdin is not a terminal).
    data = cli["base"][3:]
    # No terminal and no --yes: a one-line refusal.
    done = run_cli(*data, "duplicates", "--trash")
    assert done.returncode == 1 and "--yes" in done.stderr and "Traceback" not in done.stderr
    # A photo that is in no group, and every copy of a group: refused whole.
    done = run_cli(*data, "duplicates", "--trash", str(photos / "city.jpg"), "--yes")
    assert done.returncode == 1 and "not a copy in a duplicate group" in done.stderr
    forest = next(r for r in rows if r["tier"] == "photo")
    done = run_cli(*data, "duplicates", "--trash", *forest["paths"], "--yes")
    assert done.returncode == 1 and "keep at least one" in done.stderr
    # A terminal answering "n".
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(cli["base"] + ["duplicates", "--tier", "photo", "--trash"], env=cli["env"],
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.write(master, b"n\n")
        out, _ = proc.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 1 and "Move these 1 files to the trash? [y/N]" in out and "nothing moved" in out
    assert snapshot(photos) == before and not cli["trash"].exists()


def test_trash_moves_the_extra_copies_of_the_tier_shown_and_nothing_else(cli):
    photos = cli["photos"]
    before = snapshot(photos)
    done = cli["run"]("duplicates", "--tier", "photo", "--trash", "--yes")
    assert done.returncode == 0, done.stderr
    assert "moved 1 files to the trash" in done.stdout
    small = photos / "old" / "forest_small.jpg"
    after = snapshot(photos)
    assert set(before) - set(after) == {str(small)} and all(after[p] == before[p] for p in after)
    # Recoverable: in the trash with its original location recorded.
    assert digest(cli["trash"] / "files" / "forest_small.jpg") == before[str(small)]
    info = (cli["trash"] / "info" / "forest_small.jpg.trashinfo").read_text()
    assert "Path=" in info and "forest_small.jpg" in info
    # The library forgot it; the exact copies (another tier) were not touched.
    rows = groups_of(cli)
    assert [r["tier"] for r in rows] == ["exact"]
    assert all(str(small) not in r["paths"] for r in rows)


def test_plan_trash_checks_every_path_before_anything_moves():
    groups = [DuplicateGroup(["a"], ["/p/a.jpg", "/p/old/a.jpg"], 1.0, "exact"),
              DuplicateGroup(["b", "c"], ["/p/b.jpg", "/p/c.jpg", "/p/d.jpg"], 0.9, "photo")]
    assert plan_trash(groups, ["/p/old/a.jpg", "/p/c.jpg", "/p/c.jpg"]) == ["/p/old/a.jpg", "/p/c.jpg"]
    assert plan_trash(groups, ["/p/c.jpg", "/p/d.jpg"]) == ["/p/c.jpg", "/p/d.jpg"]
    for bad in ([], ["/p/elsewhere.jpg"], ["/p/a.jpg", "/p/old/a.jpg"], ["/p/c.jpg", "/p/zz.jpg"]):
        with pytest.raises(TrashError):
            plan_trash(groups, bad)
