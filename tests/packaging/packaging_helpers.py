"""Helpers for the packaging tests: a clean user environment to run the artifacts in (a fresh
HOME, no PHOTOAPP_* variables, no display; the working directory outside the tree is the caller's)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "tests" / "data" / "photos"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user who has never run photoapp: nothing points back at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PHOTOAPP_", "PYTHON", "XDG_", "VIRTUAL_ENV", "QT_")) and k != "DISPLAY"}
    env.update(HOME=str(home), PYTHONNOUSERSITE="1", **extra)
    home.mkdir(parents=True, exist_ok=True)
    return env


def run(cmd: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command; on failure the assertion shows its output."""
    done = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done
