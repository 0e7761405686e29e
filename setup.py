"""Only the wheel's data files live here; everything else is in pyproject.toml.

They are computed from the tree by packaging/install_layout.py (also used by the standalone build),
so a new model folder or icon ships without editing a list: models, icons, the .desktop entry,
the hicolor icons and the AppStream metainfo, installed under ``<prefix>/share``.
"""
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "packaging"))
from install_layout import data_files  # noqa: E402

setup(data_files=data_files(ROOT))
