"""The wheel installs a working photoapp with no source checkout: models, icons and desktop files
come with it, and every CLI command runs from a fresh venv outside the tree.

Dependencies: the fresh venv has no system site-packages and its own site-packages holds only the
photoapp wheel (installed with --no-deps, no index). Its third-party dependencies (numpy,
onnxruntime, PySide6, ... about 800 MB) come from the project venv through a path-only .pth file
added *after* the install: a path line in a .pth is appended to sys.path after the venv's own
site-packages and the .pth files there are not processed, so the project's editable photoapp (an
import hook installed by its own .pth) never activates. The probe below checks that photoapp, its
models and its icons all resolve inside the fresh venv. This keeps the test offline and fast; that
the declared dependencies are complete is what the standalone build (tests/packaging/
test_packaging_standalone.py) and, with PHOTOAPP_TEST_WHEEL_FULL_INSTALL=1, this same test with
the dependencies installed from the package index instead (a few minutes, network or pip cache).
"""
from __future__ import annotations

import json
import os
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from packaging_helpers import release_dist, PHOTOS, ROOT, clean_env, run

sys.path.insert(0, str(ROOT / "packaging"))
from install_layout import data_files  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_wheel_and_sdist_carry_every_shipped_file(release_dist):
    wheel_names = set(zipfile.ZipFile(release_dist["wheel"]).namelist())
    data = next(n.split("/")[0] for n in wheel_names if ".data/" in n)
    with tarfile.open(release_dist["sdist"]) as sdist:
        sdist_names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    expected = [(dest, src) for dest, files in data_files(ROOT) for src in files]
    assert any(src.endswith(".onnx") for _, src in expected)
    for dest, src in expected:
        assert f"{data}/data/{dest}/{Path(src).name}" in wheel_names, src
        assert src in sdist_names, src
    # every model the bundle names is shipped
    bundle = json.loads((ROOT / "models" / "bundle.json").read_text())
    for role, rel in bundle.items():
        if not isinstance(rel, str):  # "precision": {role: variant}, not a path
            continue
        folder = f"{data}/data/share/photoapp/models/{rel}"
        assert any(n == folder or n.startswith(folder + "/") for n in wheel_names), role


FULL_INSTALL_ENV = "PHOTOAPP_TEST_WHEEL_FULL_INSTALL"  # =1: dependencies from the package index


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(target)
    python = target / "bin" / "python"
    if os.environ.get(FULL_INSTALL_ENV) == "1":  # proves the declared dependencies are complete
        cache = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))  # the user's
        env = dict(clean_env(tmp_path / "pip-home"), PIP_CACHE_DIR=cache)
        run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheel],
            env=env, cwd=tmp_path, timeout=1200)
        return target
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--quiet", wheel], env=clean_env(tmp_path / "pip-home"), cwd=tmp_path)
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    env=clean_env(tmp_path / "home"), cwd=tmp_path).stdout.strip())
    (site / "zz-photoapp-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return target


def test_wheel_in_fresh_venv_runs_every_command(release_dist, tmp_path):
    target = _fresh_venv(tmp_path, release_dist["wheel"])
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    env = clean_env(home)
    probe = run([target / "bin" / "python", "-c",
                 "import json, sys, photoapp; from photoapp.core.settings import default_models_dir, "
                 "bundled_path; print(json.dumps([photoapp.__file__, str(default_models_dir()), "
                 "str(bundled_path('resources')), sys.path]))"], env=env, cwd=work)
    module, models, resources, path = json.loads(probe.stdout)
    for p in (module, models, resources):
        assert Path(p).is_relative_to(target), p  # not the checkout
    assert str(ROOT) not in path and "" not in path[1:]
    assert (Path(models) / "bundle.json").is_file() and (Path(resources) / "icons" / "app.svg").is_file()
    for f in ("applications/photoapp.desktop", "metainfo/photoapp.metainfo.xml",
              "icons/hicolor/256x256/apps/photoapp.png", "icons/hicolor/scalable/apps/photoapp.svg"):
        assert (target / "share" / f).is_file(), f

    photoapp = target / "bin" / "photoapp"
    data = tmp_path / "data"
    status = run([photoapp, "--data-dir", data, "status"], env=env, cwd=work)
    assert "embedded" in status.stdout
    index = run([photoapp, "--data-dir", data, "index", PHOTOS], env=env, cwd=work)
    assert "0 errors" in index.stdout + index.stderr
    hits = json.loads(run([photoapp, "--data-dir", data, "search", "tag:cat", "--json"],
                          env=env, cwd=work).stdout)
    assert hits and Path(hits[0]["path"]).name == "chelsea.jpg"  # a tag query: the models ran
    shots = tmp_path / "shots"
    run([photoapp, "--data-dir", data, "screenshot", "--out", shots], env=env, cwd=work)
    pngs = sorted(shots.glob("*.png"))
    assert len(pngs) >= 5
    grid = Image.open(next(p for p in pngs if "grid" in p.name)).convert("RGB")
    assert len(grid.getcolors(maxcolors=1 << 20) or range(1 << 20)) > 1000  # photos painted, not a blank window
