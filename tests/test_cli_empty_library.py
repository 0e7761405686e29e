"""Query commands on an empty library say so and fail, instead of "no results" / "silhouette nan"
with exit 0 (issue 15)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PHOTO = Path(__file__).parent / "data" / "photos" / "coffee.jpg"


@pytest.mark.parametrize("command", [["search", "dog"], ["search", "dog", "--json"], ["clusters"],
                                     ["duplicates"], ["similar", str(PHOTO)]])
def test_query_commands_on_an_empty_library_say_how_to_fill_it(tmp_path, command):
    env = dict(os.environ, PHOTOAPP_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-m", "photoapp.cli.main", *command], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert "the library is empty: add a folder with photoapp index PATH" in result.stderr
    assert result.stdout == ""
