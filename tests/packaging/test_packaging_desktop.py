"""Desktop integration files: valid to the freedesktop tools, named after the icon that exists,
and current with their sources (the hicolor PNGs with app.svg, the release with pyproject)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from packaging_helpers import ROOT
from PIL import Image

sys.path.insert(0, str(ROOT / "packaging"))
from install_layout import APP_SVG, HICOLOR, ICON_SIZES, data_files  # noqa: E402

DESKTOP = ROOT / "packaging" / "photoapp.desktop"
METAINFO = ROOT / "packaging" / "photoapp.metainfo.xml"
# The component id is "photoapp", not reverse-DNS: the project has no domain to name it after yet
# (packaging/README.md). appstreamcli reports that as a warning; everything else must be clean.
APPSTREAM_OVERRIDES = ["--override=cid-desktopapp-is-not-rdns=info"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path


def test_desktop_entry_is_valid_and_its_icon_exists():
    done = subprocess.run([_tool("desktop-file-validate"), DESKTOP], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    entry = dict(line.split("=", 1) for line in DESKTOP.read_text().splitlines() if "=" in line)
    assert entry["Exec"].split()[0] == "photoapp"
    icon = entry["Icon"]
    assert (ROOT / HICOLOR / "scalable" / "apps" / f"{icon}.svg").is_file()
    assert (ROOT / HICOLOR / "48x48" / "apps" / f"{icon}.png").is_file()


def test_metainfo_validates_with_appstreamcli():
    done = subprocess.run([_tool("appstreamcli"), "validate", "--no-net", "--pedantic",
                           *APPSTREAM_OVERRIDES, METAINFO], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_metainfo_matches_the_project_and_its_screenshots():
    root = ET.parse(METAINFO).getroot()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert root.find("releases/release").get("version") == version  # newest release first
    assert root.find("launchable").text == DESKTOP.name
    assert root.find("icon").text == "photoapp"
    images = root.findall("screenshots/screenshot/image")
    assert len(images) >= 2
    for image in images:
        local = ROOT / "packaging" / "screenshots" / image.text.rsplit("/", 1)[1]
        with Image.open(local) as im:
            assert im.size == (int(image.get("width")), int(image.get("height"))), local


def test_hicolor_icons_are_current_renderings_of_the_app_svg(tmp_path):
    """Re-render app.svg (packaging/render_icons.py, in a child process: it needs its own
    QGuiApplication) and compare with the committed icons."""
    (tmp_path / APP_SVG).parent.mkdir(parents=True)
    shutil.copyfile(ROOT / APP_SVG, tmp_path / APP_SVG)
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "import render_icons; render_icons.main(Path(sys.argv[2]))")
    subprocess.run([sys.executable, "-c", code, ROOT / "packaging", tmp_path], check=True,
                   env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, timeout=120)
    committed, fresh = ROOT / HICOLOR, tmp_path / HICOLOR
    assert (committed / "scalable/apps/photoapp.svg").read_bytes() == (ROOT / APP_SVG).read_bytes()
    for size in ICON_SIZES:
        rel = f"{size}x{size}/apps/photoapp.png"
        a = np.asarray(Image.open(committed / rel).convert("RGBA"), dtype=np.int16)
        b = np.asarray(Image.open(fresh / rel).convert("RGBA"), dtype=np.int16)
        assert a.shape == (size, size, 4)
        assert np.abs(a - b).mean() < 2.0, f"{rel} is stale: run packaging/render_icons.py"


def test_install_layout_ships_every_model_file_and_no_scripts():
    shipped = {src for _, files in data_files(ROOT) for src in files}
    tracked = subprocess.run(["git", "ls-files", "models", "resources/icons"], cwd=ROOT,
                             capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    for path in tracked:
        expect = not re.match(r"models/scripts/", path)
        assert (path in shipped) == expect, path
