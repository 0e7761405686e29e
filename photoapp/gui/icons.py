"""Icons drawn as SVG in resources/icons, tinted to the palette when loaded.

The SVG files use ``currentColor`` so one drawing serves every colour; we substitute the colour
and rasterise at a few sizes once (cheap: a dozen icons at start-up).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from photoapp.core.settings import bundled_path

RESOURCES_DIR = bundled_path("resources")
ICONS_DIR = RESOURCES_DIR / "icons"

DEFAULT_COLOR = "#4a5160"
_SIZES = (16, 20, 24, 32, 48)


def _render(svg: bytes, size: int, ratio: float = 2.0) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    image = QImage(int(size * ratio), int(size * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


@lru_cache(maxsize=None)
def icon(name: str, color: str = DEFAULT_COLOR) -> QIcon:
    """A tinted icon by file stem; an empty QIcon if the file is missing (installed without data)."""
    path = ICONS_DIR / f"{name}.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_bytes().replace(b"currentColor", color.encode())
    result = QIcon()
    for size in _SIZES:
        result.addPixmap(_render(svg, size))
    return result


@lru_cache(maxsize=None)
def app_icon() -> QIcon:
    path = ICONS_DIR / "app.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_bytes()
    result = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        result.addPixmap(_render(svg, size, ratio=1.0))
    return result


def pixmap(name: str, size: int, color: str = DEFAULT_COLOR) -> QPixmap:
    return icon(name, color).pixmap(size, size)
