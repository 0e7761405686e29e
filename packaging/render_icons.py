"""Render the app icon (resources/icons/app.svg) into the hicolor theme layout the desktop expects:
``resources/icons/hicolor/scalable/apps/photoapp.svg`` (a copy) and ``<N>x<N>/apps/photoapp.png``.

The PNGs are committed (a build needs no Qt rendering step); tests/packaging checks they are
current. Run after changing app.svg:  QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
from install_layout import APP_ID, APP_SVG, HICOLOR, ICON_SIZES  # noqa: E402


def render_png(svg: Path, size: int):
    """The SVG rasterised at size x size (a QImage, premultiplied ARGB, transparent background)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QPainter needs one)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main(root: Path = ROOT) -> list[Path]:
    svg = root / APP_SVG
    scalable = root / HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written = [scalable]
    for size in ICON_SIZES:
        out = root / HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not render_png(svg, size).save(str(out), "PNG"):
            raise OSError(f"{out}: could not write the PNG")
        written.append(out)
    return written


if __name__ == "__main__":
    for path in main():
        print(path.relative_to(ROOT))
