"""Make the int8 variant of a model folder with ONNX Runtime static quantisation.

    python3 -m venv .quantvenv && .quantvenv/bin/pip install -r models/scripts/requirements-quant.txt
    PYTHONPATH=. .quantvenv/bin/python models/scripts/quantize_int8.py tagger   [options]
    PYTHONPATH=. .quantvenv/bin/python models/scripts/quantize_int8.py detector [options]

What it does, per model folder (``models/efficientnet-lite2`` or ``models/ssd-mobilenet-v2-coco``):

1. ``quant_pre_process`` on the fp32 ``model.onnx`` (shape inference + ORT graph optimisation,
   so BatchNorm/constant sub-graphs are folded before quantisation); written to a temp folder.
2. ``quantize_static``: QDQ format, per-channel int8 weights (QInt8), uint8 activations (QUInt8,
   the fast U8S8 path of ORT's CPU kernels), calibrated on real photos fed through the *runtime's
   own* preprocessing (photoapp.core.models.preprocess, the manifest's recipe).
3. Writes ``model.int8.onnx`` next to ``model.onnx`` and records it in the manifest's
   ``variants.int8``: file, sha256, calibration photos (folders, count, selection), calibration
   method, excluded nodes, onnxruntime/onnx versions and the command line. The fp32 model and the
   rest of the manifest are not touched.

Calibration photos are never the photos a model is evaluated on (photoapp/bench/accuracy.py):
  tagger   (evaluated on imagenet-sample) -> coco128 (256) + exif-samples JPEGs (defaults)
  detector (evaluated on coco128)         -> imagenet-sample + exif-samples JPEGs (defaults)
Photos are taken in sorted path order, every folder in turn, up to --count; a photo that does not
decode is skipped (exif-samples holds deliberately broken files).

What is quantised: the tagger's Conv, Add, Clip and Gemm nodes unless named in --exclude (ORT's
QDQ rules decide which tensors get Q/DQ pairs; Clip = ReLU6 fuses into its conv); the detector's
Conv/Add/Clip nodes of the feature extractor and box predictor only (its pre- and
post-processing: casts, box decoding and NMS loops stay float). --exclude-head boxes|all
(detector) also keeps the box-encoding convolutions, or the whole box predictor, float;
--exclude-first/--exclude-last keep the first / last Conv or Gemm float.

The shipped files (accuracy and the knobs tried: models/README.md, "int8 variants") came from:
    ... quantize_int8.py tagger --method entropy --count 300 --exclude-first --exclude-last
    ... quantize_int8.py detector --exclude-head boxes
(each manifest's variants.int8.conversion.command repeats its line).

Runs on the CPU in a few minutes. Entropy/Percentile build activation histograms; ORT would keep
every calibration activation until the end (12 GB for 100 tagger photos), so this script feeds
its histogram collector --chunk photos at a time (histograms are merged; ~2.5 GB peak).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from photoapp.core.models.manifest import load_manifest  # noqa: E402
from photoapp.core.models.preprocess import preprocess  # noqa: E402

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnxruntime.quantization import (  # noqa: E402
    CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
FOLDERS = {"tagger": "efficientnet-lite2", "detector": "ssd-mobilenet-v2-coco"}
CALIBRATION = {
    "tagger": [DATASETS / "coco128" / "images", DATASETS / "exif-samples" / "jpg"],
    "detector": [DATASETS / "imagenet-sample", DATASETS / "exif-samples" / "jpg"],
}
METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
           "percentile": CalibrationMethod.Percentile}
PHOTO_SUFFIXES = {".jpg", ".jpeg"}
INT8_FILE = "model.int8.onnx"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def calibration_photos(folders: list[Path], count: int) -> list[Path]:
    """Up to ``count`` photos taken in turn from each folder (sorted paths), so every folder gives
    an equal share where it has enough and a small folder's shortfall comes from the others."""
    queues = [sorted(p for p in f.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
              for f in folders]
    picked: list[Path] = []
    for i in range(max(map(len, queues), default=0)):
        picked += [q[i] for q in queues if i < len(q)]
    return picked[:count]


class PhotoReader(CalibrationDataReader):
    """Feeds preprocessed photos, one per run, as the runtime would preprocess them."""

    def __init__(self, manifest, photos: list[Path]):
        self.manifest = manifest
        self.photos = photos
        self.used: list[Path] = []
        self._iter = iter(photos)

    def get_next(self):
        for path in self._iter:
            try:
                with Image.open(path) as im:
                    im.draft("RGB", (600, 600))
                    im = ImageOps.exif_transpose(im).convert("RGB")
            except Exception as e:  # noqa: BLE001 - broken sample files are expected
                print(f"  skip {path.name}: {e}", file=sys.stderr)
                continue
            self.used.append(path)
            x = preprocess(im, self.manifest.preprocessing)
            return {self.manifest.input_name: x[None]}
        return None

    def rewind(self):
        self._iter = iter(self.photos)
        self.used = []


class Chunk(CalibrationDataReader):
    """At most ``size`` inputs of another reader (peeked, so an empty chunk is known up front)."""

    def __init__(self, reader: CalibrationDataReader, size: int):
        self.items = []
        while len(self.items) < size and (item := reader.get_next()) is not None:
            self.items.append(item)
        self._iter = iter(self.items)

    def get_next(self):
        return next(self._iter, None)


def histogram_in_chunks(size: int) -> None:
    """ORT's Entropy/Percentile calibrators keep every activation of every calibration photo
    until the end (~120 MB per tagger photo: 12 GB for 100). Its histogram collector merges
    batches, so feed it ``size`` photos at a time: memory stays at one chunk's activations."""
    from onnxruntime.quantization.calibrate import HistogramCalibrater

    collect_one = HistogramCalibrater.collect_data

    def collect_data(self, data_reader):
        while (chunk := Chunk(data_reader, size)).items:
            collect_one(self, chunk)

    HistogramCalibrater.collect_data = collect_data


def quantisable_nodes(model: onnx.ModelProto, which: str, args) -> tuple[list[str], list[str]]:
    """(op types to quantise, node names to exclude) for the pre-processed graph."""
    nodes = model.graph.node
    if which == "tagger":
        ops = ["Conv", "Add", "Gemm", "Clip"]
        exclude = list(args.exclude)
    else:
        ops = ["Conv", "Add", "Clip"]
        body = ("FeatureExtractor/", "BoxPredictor_", "Conv__")
        exclude = [n.name for n in nodes if n.op_type in ops and not n.name.startswith(body)]
        if args.exclude_head:  # "boxes": the box-encoding convs; "all": class convs as well
            head = "BoxPredictor_" if args.exclude_head == "all" else "/BoxEncodingPredictor/"
            exclude += [n.name for n in nodes if n.name.startswith("BoxPredictor_")
                        and head in n.name]
        exclude += list(args.exclude)
    candidates = [n.name for n in nodes if n.op_type in ("Conv", "Gemm") and n.name not in exclude]
    if args.exclude_first and candidates:
        exclude.append(candidates[0])
    if args.exclude_last and candidates:
        exclude.append(candidates[-1])
    if args.op_types:
        ops = list(args.op_types)
    return ops, sorted(set(exclude))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", choices=sorted(FOLDERS))
    ap.add_argument("--models", type=Path, default=ROOT / "models")
    ap.add_argument("--calibration", type=Path, nargs="+", help="photo folders (defaults above)")
    ap.add_argument("--count", type=int, default=300, help="calibration photos (default 300)")
    ap.add_argument("--method", choices=sorted(METHODS), default="minmax")
    ap.add_argument("--percentile", type=float, default=99.999)
    ap.add_argument("--chunk", type=int, default=20,
                    help="entropy/percentile: photos per histogram update (bounds memory)")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (pre-VNNI CPUs)")
    ap.add_argument("--exclude", nargs="*", default=[], help="node names kept float")
    ap.add_argument("--op-types", nargs="+", help="operator types to quantise (default above)")
    ap.add_argument("--exclude-first", action="store_true")
    ap.add_argument("--exclude-last", action="store_true")
    ap.add_argument("--exclude-head", choices=("boxes", "all"),
                    help="detector: keep the box-encoding convs (boxes) or the whole box "
                         "predictor (all: also the class convs, most of the weights) float")
    ap.add_argument("--output", type=Path, help=f"default <folder>/{INT8_FILE}")
    ap.add_argument("--no-manifest", action="store_true", help="do not record it in manifest.json")
    args = ap.parse_args(argv)

    folder = args.models / FOLDERS[args.model]
    manifest = load_manifest(folder)
    out = args.output or folder / INT8_FILE
    folders = args.calibration or CALIBRATION[args.model]
    photos = calibration_photos(folders, args.count)
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        # The detector's NMS Loops defeat symbolic shape inference; ONNX's own is enough there.
        quant_pre_process(str(manifest.model_path), str(prepared),
                          skip_symbolic_shape=args.model == "detector")
        ops, exclude = quantisable_nodes(onnx.load(str(prepared)), args.model, args)
        reader = PhotoReader(manifest, photos)
        extra = {"CalibMaxIntermediateOutputs": 32} if args.method == "minmax" else {}
        if args.method != "minmax":
            histogram_in_chunks(args.chunk)
        if args.method == "percentile":
            extra["CalibPercentile"] = args.percentile
        quantize_static(
            str(prepared), str(out), reader, quant_format=QuantFormat.QDQ,
            op_types_to_quantize=ops, nodes_to_exclude=exclude, per_channel=True,
            reduce_range=args.reduce_range, activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8, calibrate_method=METHODS[args.method],
            extra_options=extra)
        used = list(reader.used)
    digest = sha256(out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB, sha256 {digest}, {len(used)} calibration "
          f"photos, {len(exclude)} nodes kept float, {time.time() - started:.0f} s")
    if args.no_manifest:
        return
    rel = lambda p: str(Path(p).resolve().relative_to(ROOT.parent))  # noqa: E731
    counts = {rel(f): sum(1 for p in used if Path(p).is_relative_to(f)) for f in folders}
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw.setdefault("precision", "fp32")
    raw.setdefault("variants", {})["int8"] = {
        "model": out.name if out.parent == folder else str(out),
        "sha256": digest,
        "quantization": {
            "tool": f"onnxruntime.quantization.quantize_static (onnxruntime {ort.__version__}, "
                    f"onnx {onnx.__version__})",
            "format": "QDQ", "weights": "int8 per-channel", "activations": "uint8 per-tensor",
            "reduce_range": args.reduce_range, "op_types": ops, "nodes_kept_float": exclude,
            "calibration": {"method": args.method, "photos": len(used),
                            "folders": counts,
                            "selection": "sorted paths, taken from the folders in turn, "
                                         "undecodable files skipped",
                            **({"histogram_chunk": args.chunk} if args.method != "minmax"
                               else {}),
                            **({"percentile": args.percentile} if args.method == "percentile"
                               else {})},
        },
        "conversion": {"script": "models/scripts/quantize_int8.py",
                       "command": "PYTHONPATH=. .quantvenv/bin/python models/scripts/quantize_int8.py "
                                  + shlex.join(argv if argv is not None else sys.argv[1:])},
    }
    (folder / "manifest.json").write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    print(f"recorded in {folder / 'manifest.json'} (variants.int8)")


if __name__ == "__main__":
    main()
