"""Fixtures for the packaging tests: the artifacts `make package` builds, built once per session
into a temporary folder (never into the checkout's dist/)."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from packaging_helpers import ROOT, run

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
