"""The real app in a real X server (Xvfb), not the offscreen platform: Qt's xcb plugin loads only
when the system libraries the README lists are installed, so this keeps that list true."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MODELS_DIR

README = Path(__file__).resolve().parents[2] / "README.md"

# Started as `photoapp gui` would be (app.main), then asked to quit once the window is exposed.
_SCRIPT = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from photoapp.core.settings import Settings
from photoapp.gui import app as gui_app

def check():
    windows = [w for w in QGuiApplication.topLevelWindows() if w.isExposed()]
    if windows:
        print("PLATFORM", QGuiApplication.platformName(), "EXPOSED", windows[0].title(), flush=True)
        QGuiApplication.quit()
    else:
        QTimer.singleShot(100, check)

gui_app.create_application([])  # main() uses this instance; timers need it first
QTimer.singleShot(200, check)
QTimer.singleShot(60000, QGuiApplication.quit)
settings = Settings(data_dir=sys.argv[1], models_dir=sys.argv[2])
sys.exit(gui_app.main([], settings=settings))
"""


def _xvfb_run() -> str:
    tool = shutil.which("xvfb-run")
    if tool is None or shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian: apt-get install xvfb); .ci/run installs it")
    return tool


def test_the_app_opens_a_real_window_under_xvfb(tmp_path):
    xvfb_run = _xvfb_run()
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    env["QT_DEBUG_PLUGINS"] = "0"
    result = subprocess.run(
        [xvfb_run, "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-c", _SCRIPT,
         str(tmp_path / "data"), str(MODELS_DIR)],
        capture_output=True, text=True, timeout=120, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "PLATFORM xcb EXPOSED photoapp" in output, output[-3000:]


def test_the_readme_lists_the_libraries_qts_xcb_plugin_needs():
    """Each library the xcb platform plugin links against is in the README's Debian list."""
    import PySide6

    plugin_dir = Path(PySide6.__file__).parent / "Qt"
    libs = [plugin_dir / "plugins" / "platforms" / "libqxcb.so", plugin_dir / "lib" / "libQt6XcbQpa.so.6"]
    if not all(p.exists() for p in libs) or shutil.which("ldd") is None:
        pytest.skip("no Linux xcb plugin in this PySide6 build")
    needed = set()
    for lib in libs:
        out = subprocess.run(["ldd", str(lib)], capture_output=True, text=True).stdout
        needed |= set(re.findall(r"^\s*(libxcb-[\w-]+|libxkbcommon-x11)\.so\.(\d+)", out, re.M))
    # Debian names the package after the soname: libxcb-icccm.so.4 -> libxcb-icccm4,
    # and with a dash when the name ends in a digit: libxkbcommon-x11.so.0 -> libxkbcommon-x11-0.
    packages = {f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}" for name, version in needed}
    assert {"libxcb-icccm4", "libxcb-keysyms1"} <= packages
    readme_words = set(re.findall(r"[\w.+-]+", README.read_text(encoding="utf-8")))
    ci_words = set(re.findall(r"[\w.+-]+", (README.parent / ".ci" / "run").read_text(encoding="utf-8")))
    assert not sorted(packages - readme_words), f"README's Debian list misses {sorted(packages - readme_words)}"
    assert not sorted(packages - ci_words), f".ci/run does not install {sorted(packages - ci_words)}"
