"""File names that are not UTF-8, through the real CLI: JSON stays valid and lossless, plain output
never crashes, a closed pipe ends the command quietly."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest

from fault_helpers import REPO, SAMPLE_PHOTOS, child_env, cli

LATIN1_NAME = b"caf\xe9 \\x41.jpg"  # invalid UTF-8, and a literal "\x41" to show why _bytes exists


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    photos = root / "photos"
    photos.mkdir()
    hostile = os.path.join(os.fsencode(photos), LATIN1_NAME)
    shutil.copy2(SAMPLE_PHOTOS / "chelsea.jpg", hostile)
    shutil.copy2(SAMPLE_PHOTOS / "coffee.jpg", photos / "coffee.jpg")
    data = root / "data"
    r = cli(data, "index", str(photos))
    assert r.returncode == 0, r.stderr
    return data, hostile


def test_json_is_valid_utf8_and_round_trips_the_exact_bytes(library):
    data, hostile = library
    r = cli(data, "search", "cat", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout.decode("utf-8"))  # strict: no raw invalid byte got through
    hit = rows[0]
    assert base64.b64decode(hit["path_bytes"]) == hostile
    assert [base64.b64decode(b) for b in hit["paths_bytes"]] == [hostile]
    assert hit["path"].endswith("caf\\xe9 \\x41.jpg")
    # Valid names carry no _bytes twin: ordinary libraries print the JSON they always did.
    coffee = json.loads(cli(data, "search", "cup", "--json").stdout)
    assert all("path_bytes" not in h for h in coffee if h["path"].endswith("coffee.jpg"))


@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_plain_output_never_crashes(library, encoding):
    data, _ = library
    env = child_env(PYTHONIOENCODING=encoding)
    for args in (["search", "cat"], ["folders"], ["status"], ["errors"]):
        r = cli(data, *args, env=env)
        assert r.returncode == 0, (args, r.stderr)
        assert b"Traceback" not in r.stderr
    r = cli(data, "search", "cat", env=env)
    assert b"caf\\xe9 \\x41.jpg" in r.stdout


def test_closed_pipe_ends_quietly(library):
    data, _ = library
    # The reader closes its end before photoapp writes: what `| head -1` does on long output.
    proc = subprocess.Popen([sys.executable, "-m", "photoapp.cli.main", "--data-dir", str(data),
                             "search", "cat", "--limit", "500"], env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(120)
    assert err == b"", err
    assert proc.returncode == 141


def test_remove_prints_a_readable_summary(library, tmp_path):
    data, hostile = library
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy2(SAMPLE_PHOTOS / "rocket.jpg", extra / "rocket.jpg")
    assert cli(data, "index", str(extra)).returncode == 0
    r = cli(data, "remove", str(extra))
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "PurgeReport" not in out
    assert f"removed {extra} from the library: 1 files forgotten, 1 photos deleted" in out
