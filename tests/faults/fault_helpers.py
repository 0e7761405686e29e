"""Running the real ``photoapp`` CLI in a subprocess, as a user's terminal would."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PHOTOS = REPO / "tests" / "data" / "photos"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), **extra)
    env.pop("PHOTOAPP_FAULT", None)
    env.update(extra)
    return env


def cli(data: Path, *args: str, env: dict | None = None, timeout: float = 120,
        **popen) -> subprocess.CompletedProcess:
    """``photoapp --data-dir DATA ARGS...`` in a fresh process; output as bytes."""
    cmd = [sys.executable, "-m", "photoapp.cli.main", "--data-dir", str(data), *args]
    return subprocess.run(cmd, env=env or child_env(), capture_output=True, timeout=timeout,
                          **popen)


def copy_photos(dest: Path, names: list[str] | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(SAMPLE_PHOTOS.glob("*.jpg")):
        if names is None or p.name in names:
            shutil.copy2(p, dest / p.name)
    return dest
