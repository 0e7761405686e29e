"""What an installed photoapp carries besides its Python code, written once for every artifact.

setup.py turns it into the wheel's data files (installed under ``<prefix>/share``), and
packaging/photoapp.spec into the standalone build's data (under ``_internal/share``, which is
``sys.prefix`` there). Either way ``photoapp.core.settings.bundled_path`` finds
``<sys.prefix>/share/photoapp/{models,resources}``. Deriving the model list from the tree means a
new model folder ships without editing a list here.
"""
from __future__ import annotations

from pathlib import Path

APP_ID = "photoapp"  # the desktop file, the icon name and the metainfo file are all named after it
APP_SVG = "resources/icons/app.svg"
HICOLOR = "resources/icons/hicolor"  # PNG renderings of APP_SVG (packaging/render_icons.py)
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
NOT_SHIPPED_MODEL_DIRS = {"scripts", "__pycache__"}  # how the models were made, not what runs


def _files(root: Path, folder: str, pattern: str = "*") -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / folder).glob(pattern) if p.is_file())


def data_files(root: Path) -> list[tuple[str, list[str]]]:
    """(destination under the prefix, [source files relative to root]) for every shipped file."""
    out: list[tuple[str, list[str]]] = [("share/photoapp/models", _files(root, "models"))]
    for folder in sorted((root / "models").rglob("*")):
        rel = folder.relative_to(root / "models")
        if folder.is_dir() and not NOT_SHIPPED_MODEL_DIRS & set(rel.parts):
            files = _files(root, f"models/{rel.as_posix()}")
            if files:
                out.append((f"share/photoapp/models/{rel.as_posix()}", files))
    out.append(("share/photoapp/resources/icons", _files(root, "resources/icons", "*.svg")))
    out.append(("share/photoapp/resources/map", _files(root, "resources/map", "*.json")))  # the map's countries
    out += desktop_files(root)
    return out


def desktop_files(root: Path) -> list[tuple[str, list[str]]]:
    """The freedesktop integration: launcher entry, themed icon in every size, AppStream data."""
    out = [
        ("share/applications", [f"packaging/{APP_ID}.desktop"]),
        ("share/metainfo", [f"packaging/{APP_ID}.metainfo.xml"]),
        ("share/icons/hicolor/scalable/apps", [f"{HICOLOR}/scalable/apps/{APP_ID}.svg"]),
    ]
    for size in ICON_SIZES:
        out.append((f"share/icons/hicolor/{size}x{size}/apps",
                    [f"{HICOLOR}/{size}x{size}/apps/{APP_ID}.png"]))
    return out


def pyinstaller_datas(root: Path) -> list[tuple[str, str]]:
    """The same files as (absolute source, destination folder) pairs for PyInstaller's Analysis."""
    return [(str(root / src), dest) for dest, files in data_files(root) for src in files]


# --- the standalone build's Qt: only what photoapp uses -------------------------------------------
# The xcb (X11 and XWayland desktops) and offscreen (headless: screenshots, CI) platforms, minimal
# (a fallback needing no display libraries), image formats and the SVG icon engine (icons are SVG),
# input methods (compose key, ibus). Dropped: wayland, eglfs, vnc, linuxfb, the gtk3 and portal
# themes (Qt's own dialogs are used), generic input, tls and network information.
QT_PLUGINS = {  # plugin folder -> files kept (None: all of them)
    "platforms": {"libqxcb.so", "libqoffscreen.so", "libqminimal.so"},
    "imageformats": None,
    "iconengines": None,
    "platforminputcontexts": {"libcomposeplatforminputcontextplugin.so",
                              "libibusplatforminputcontextplugin.so"},
}
QT_PLUGINS_DROPPED_FILES = {"libqpdf.so"}  # the PDF image format drags in QtPdf and QtNetwork


def keep_qt_plugin(plugin_type: str, file_name: str) -> bool:
    kept = QT_PLUGINS.get(plugin_type, set())
    return file_name not in QT_PLUGINS_DROPPED_FILES and (kept is None or file_name in kept)


def is_qt_translation(dest: str) -> bool:
    return Path(dest).parts[:3] == ("PySide6", "Qt", "translations")
