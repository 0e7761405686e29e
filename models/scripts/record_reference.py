"""Record the original frameworks' outputs on the test photos, for the always-on parity test.

    PYTHONPATH=. .convvenv/bin/python models/scripts/record_reference.py tagger
    PYTHONPATH=. /work/tfvenv/bin/python models/scripts/record_reference.py detector

Inputs are made by the runtime's own preprocessing (photoapp.core.models.preprocess) so the
recorded outputs test the exported graph, not a second implementation of preprocessing; the
sha256 of every preprocessed input is stored too, so a test can tell "preprocessing changed"
apart from "the model changed".
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]

from photoapp.core.models.manifest import load_manifest  # noqa: E402
from photoapp.core.models.preprocess import preprocess  # noqa: E402
from reference_views import reference_views  # noqa: E402

OUT = ROOT / "tests" / "data" / "model_reference"


def inputs(folder: str):
    m = load_manifest(ROOT / "models" / folder)
    names, xs = [], []
    for name, im in reference_views():
        names.append(name)
        xs.append(preprocess(im, m.preprocessing))
    x = np.stack(xs)
    sha = [hashlib.sha256(a.tobytes()).hexdigest() for a in xs]
    return names, x, sha


def record_tagger() -> None:
    import torch
    from convert_tagger import LogitsAndEmbedding, load_original
    names, x, sha = inputs("efficientnet-lite2")
    model = LogitsAndEmbedding(load_original()).eval()
    with torch.no_grad():
        logits, emb = (t.numpy() for t in model(torch.from_numpy(x)))
    np.savez_compressed(OUT / "tagger_reference.npz", names=np.array(names), input_sha256=np.array(sha),
                        logits=logits.astype(np.float32), embedding=emb.astype(np.float32),
                        framework=np.array(f"torch {torch.__version__}"))
    print("tagger:", len(names), "inputs ->", OUT / "tagger_reference.npz")


def record_detector() -> None:
    import tensorflow as tf
    from convert_detector import source_graph
    names, x, sha = inputs("ssd-mobilenet-v2-coco")
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(source_graph().read_bytes())
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            boxes, scores, classes, count = sess.run(
                ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"],
                {"image_tensor:0": x})
    np.savez_compressed(OUT / "detector_reference.npz", names=np.array(names), input_sha256=np.array(sha),
                        boxes=boxes, scores=scores, classes=classes, count=count,
                        framework=np.array(f"tensorflow {tf.__version__}"))
    print("detector:", len(names), "inputs ->", OUT / "detector_reference.npz")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    which = sys.argv[1:] or ["tagger", "detector"]
    if "tagger" in which:
        record_tagger()
    if "detector" in which:
        record_detector()
