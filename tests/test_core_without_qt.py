"""photoapp/core must import and work with PySide6 absent (a headless server or NAS install)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = Path(__file__).parent / "data" / "photos"

# A meta-path hook that makes every PySide6 import fail, as if the package were not installed.
BLOCK_QT = textwrap.dedent("""
    import sys
    class _NoQt:
        def find_spec(self, name, path=None, target=None):
            if name == "PySide6" or name.startswith("PySide6."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by test)")
            return None
    sys.meta_path.insert(0, _NoQt())
""")


def run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PHOTOAPP_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-c", BLOCK_QT + textwrap.dedent(code)],
                          capture_output=True, text=True, env=env, timeout=600)


def test_every_core_module_imports_without_qt(tmp_path):
    r = run_python("""
        import pkgutil, importlib, photoapp.core as core
        names = [m.name for m in pkgutil.walk_packages(core.__path__, "photoapp.core.")]
        for n in names:
            importlib.import_module(n)
        assert not any(k.startswith("PySide6") for k in sys.modules)
        try:
            import PySide6
        except ModuleNotFoundError:
            print("blocked", len(names))
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("blocked")


def test_cli_indexes_and_searches_without_qt(tmp_path):
    if not PHOTOS.is_dir():
        pytest.skip("tests/data/photos missing")
    r = run_python(f"""
        import json, io, contextlib
        from photoapp.cli.main import main
        assert main(["index", {str(PHOTOS)!r}]) == 0
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["search", "cat", "--json"]) == 0
        hits = json.loads(out.getvalue())
        assert hits[0]["path"].endswith("chelsea.jpg"), hits
        print("ok")
    """, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith("ok")
