"""Hand a photo to the desktop: system viewer, file manager, clipboard. Read-only on the file."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication


def open_in_system_viewer(path: str) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def show_in_file_manager(path: str) -> bool:
    """Reveal the file selected where the platform supports it, else open its folder."""
    try:
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", path])
            return True
        if sys.platform.startswith("win"):
            subprocess.Popen(["explorer", "/select,", str(Path(path))])
            return True
    except OSError:
        pass
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


def copy_paths(paths: Sequence[str]) -> None:
    QGuiApplication.clipboard().setText("\n".join(paths))
