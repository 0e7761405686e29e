"""Helpers for the packaging tests: a clean user environment to run the artifacts in (a fresh
HOME, no PHOTOAPP_* variables, no display; the working directory outside the tree is the caller's)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


# --- session fixtures (imported by the test modules that use them: a conftest.py here would
# shadow tests/conftest.py for tests that import helpers from `conftest`) ---------------------
STANDALONE_ENV = "PHOTOAPP_TEST_STANDALONE_DIR"  # reuse a finished build (e.g. dist/photoapp-linux)


@pytest.fixture(scope="session")
def release_dist(tmp_path_factory) -> dict[str, Path]:
    """The wheel and sdist, built as `make package` builds them (sdist first, wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT],
        env=dict(os.environ), cwd=ROOT, timeout=600)
    wheels, sdists = list(out.glob("photoapp-*.whl")), list(out.glob("photoapp-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture(scope="session")
def standalone_dir(tmp_path_factory) -> Path:
    """The PyInstaller one-folder build: built here (about a minute of CPU) unless
    $PHOTOAPP_TEST_STANDALONE_DIR names one that `make package` already made."""
    prebuilt = os.environ.get(STANDALONE_ENV)
    if prebuilt:
        return Path(prebuilt).resolve()
    work = tmp_path_factory.mktemp("pyinstaller")
    pyinstaller = shutil.which("pyinstaller", path=str(Path(sys.executable).parent))
    assert pyinstaller, "PyInstaller is not installed (pip install -e '.[dev]' brings it)"
    run(["nice", pyinstaller, "--noconfirm", "--log-level", "WARN", "--distpath", work / "dist",
         "--workpath", work / "build", ROOT / "packaging" / "photoapp.spec"],
        env=dict(os.environ), cwd=ROOT, timeout=1200)
    return work / "dist" / "photoapp-linux"
