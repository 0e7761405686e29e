"""usearch then onnxruntime segfaults (usearch 2.26 / onnxruntime 1.31); our imports must never
load them in that order, whatever a caller imports first."""
import subprocess
import sys


def _runs(code: str) -> bool:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120).returncode == 0


def test_vector_store_then_models_loads_cleanly():
    assert _runs("import photoapp.core.index.embedded.vectors; import photoapp.core.duplicates; "
                 "import onnxruntime; from photoapp.core.models import load_bundle")
