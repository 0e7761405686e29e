"""A model folder's manifest.json: what the runtime needs to run any ONNX model it describes.

A model folder holds the ``.onnx`` file, ``manifest.json`` and a labels file. Nothing about a
particular model lives in code, so a user can drop in another folder. The format (``format: 1``)::

    {
      "format": 1,
      "name": "efficientnet-lite2-imagenet", "version": "1",
      "task": "classifier",                  # or "detector"
      "model": "model.onnx", "sha256": "...",  # sha256 is checked when the session is created
      "inputs": [{"name": "input", "shape": ["batch", 3, 260, 260], "dtype": "float32"}],
      "outputs": {"logits": "logits", "embedding": "embedding"},   # role -> tensor name
      "preprocessing": {
        "size": [260, 260],                  # (width, height) fed to the model
        "resize": "center-crop",             # center-crop | shorter-side | stretch
        "crop_fraction": 0.890411,           # center-crop: square side = fraction * shorter side
        "resample": "bicubic",               # nearest | bilinear | bicubic | lanczos
        "layout": "NCHW", "dtype": "float32",
        "scale": 1.0,                        # x = pixel(0..255) * scale, then (x - mean) / std
        "mean": [127.0, 127.0, 127.0], "std": [128.0, 128.0, 128.0]
      },
      "postprocessing": {"activation": "softmax", "top_k": 10},
      "labels": "labels.txt",
      "license": "...", "source": {...}, "conversion": {...},
      "precision": "fp32",                   # what "model" holds (default fp32)
      "variants": {"int8": {"model": "model.int8.onnx", "sha256": "...", "quantization": {...}}}
    }

Precision variants: the same model with other weights/arithmetic (e.g. statically quantised
int8), same inputs, outputs, labels and pre/post-processing. ``load_manifest(folder, "int8")``
selects one (bundle.json's ``precision`` says which); ``None`` selects the top-level ``model``.

``version`` (what the runtime reports and the catalog stores per analyzer) is derived, so that
any change of the ONNX file a bundle runs is a new version: ``<manifest version>-<precision>-<first
12 hex of the file's sha256>``, e.g. ``1-int8-3fa9c2d41b7e``. Without a ``sha256`` in the manifest
(a user's drop-in folder) the file is hashed when the manifest loads: no check, but a replaced file
is still a new version.
("+" would clash with ModelBundle.version, which joins ``name@version`` with "+".)

Classifier output roles: ``logits`` (required), ``embedding`` (optional). Detector roles:
``boxes``, ``scores``, ``classes`` (required), ``count`` (optional); detector postprocessing:
``score_threshold``, ``box_format`` ("yxyx" or "xyxy", normalised), ``max_detections``, and
tiling for small objects: ``tiles`` (0 = whole photo only; n >= 2 = the photo plus an n x n grid
of overlapping tiles, 1 + n*n model runs per photo), ``tile_overlap`` (share of a tile side that
neighbours overlap, default 0.2), ``merge_iou`` (per-class NMS across views, default 0.5).

Labels file: UTF-8 text, one class per line, ``index<TAB>label[<TAB>more columns]``; ``#`` lines
are comments. ``index`` is the class value the model outputs (a row of the logits, or the
detector's class id); ``label`` is the canonical label shared with the vocabulary.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelError

MANIFEST_NAME = "manifest.json"
# face-detector / face-embedder: the faces analyzer's models (photoapp/core/faces/, which reads
# their pre/post-processing: "longer-side" = scale so the longer side is at most max(size)).
TASKS = ("classifier", "detector", "face-detector", "face-embedder")
REQUIRED_OUTPUTS = {"classifier": ("logits",), "detector": ("boxes", "scores", "classes"),
                    "face-detector": ("boxes", "scores", "landmarks"), "face-embedder": ("embedding",)}
RESIZE_MODES = ("center-crop", "shorter-side", "stretch", "longer-side")
RESAMPLE = ("nearest", "bilinear", "bicubic", "lanczos")


@dataclass
class Preprocessing:
    size: tuple[int, int]  # (width, height)
    resize: str = "stretch"
    crop_fraction: float = 1.0
    resize_shorter: int = 0  # shorter-side mode: shorter side before the center crop
    resample: str = "bilinear"
    layout: str = "NCHW"
    dtype: str = "float32"
    scale: float = 1.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass
class ModelManifest:
    folder: Path
    name: str
    version: str  # derived: release + precision + ONNX sha256 prefix (see the module docstring)
    task: str
    model_path: Path
    sha256: str | None
    input_name: str
    outputs: dict[str, str]
    preprocessing: Preprocessing
    postprocessing: dict
    labels: dict[int, str]
    raw: dict = field(repr=False, default_factory=dict)
    precision: str = "fp32"
    release: str = "0"  # the manifest's own "version"

    @property
    def precisions(self) -> list[str]:
        """Every precision this folder offers, the top-level model's first."""
        return [self.raw.get("precision", "fp32"), *self.raw.get("variants", {})]


def _fail(folder: Path, why: str) -> ModelError:
    return ModelError(f"model folder {folder}: {why}")


def read_labels(path: Path) -> dict[int, str]:
    labels: dict[int, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ModelError(f"labels file {path}: {e}") from e
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t")
        try:
            index = int(cols[0])
            label = cols[1].strip()
        except (ValueError, IndexError):
            raise ModelError(f"labels file {path} line {n}: expected 'index<TAB>label'") from None
        if not label or index in labels:
            raise ModelError(f"labels file {path} line {n}: empty or repeated class {index}")
        labels[index] = label
    if not labels:
        raise ModelError(f"labels file {path} has no classes")
    return labels


def _preprocessing(folder: Path, p: dict) -> Preprocessing:
    try:
        size = tuple(int(v) for v in p["size"])
        if len(size) != 2 or min(size) <= 0:
            raise ValueError("size must be [width, height]")
        pre = Preprocessing(
            size=size, resize=p.get("resize", "stretch"),
            crop_fraction=float(p.get("crop_fraction", 1.0)),
            resize_shorter=int(p.get("resize_shorter", 0)),
            resample=p.get("resample", "bilinear"), layout=p.get("layout", "NCHW"),
            dtype=p.get("dtype", "float32"), scale=float(p.get("scale", 1.0)),
            mean=tuple(float(v) for v in p.get("mean", (0.0, 0.0, 0.0))),
            std=tuple(float(v) for v in p.get("std", (1.0, 1.0, 1.0))),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise _fail(folder, f"bad preprocessing section ({e})") from None
    if pre.resize not in RESIZE_MODES:
        raise _fail(folder, f"preprocessing.resize must be one of {RESIZE_MODES}")
    if pre.resample not in RESAMPLE:
        raise _fail(folder, f"preprocessing.resample must be one of {RESAMPLE}")
    if pre.layout not in ("NCHW", "NHWC") or pre.dtype not in ("float32", "uint8"):
        raise _fail(folder, "preprocessing.layout must be NCHW|NHWC and dtype float32|uint8")
    if len(pre.mean) != 3 or len(pre.std) != 3 or 0.0 in pre.std:
        raise _fail(folder, "preprocessing.mean/std need three values, std non-zero")
    if not 0.0 < pre.crop_fraction <= 1.0:
        raise _fail(folder, "preprocessing.crop_fraction must be in (0, 1]")
    return pre


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def derived_version(release: str, precision: str, sha256: str) -> str:
    return f"{release}-{precision}-{sha256[:12]}"


def _select_variant(folder: Path, raw: dict, precision: str | None) -> tuple[str, str, str | None]:
    """(precision, model file, sha256) for the requested precision."""
    top = str(raw.get("precision", "fp32"))
    if precision is None or precision == top:
        return top, raw["model"], raw.get("sha256")
    variants = raw.get("variants", {})
    if not isinstance(variants, dict) or precision not in variants:
        offered = ", ".join([top, *(variants if isinstance(variants, dict) else [])])
        raise _fail(folder, f"no {precision!r} variant (offers {offered})")
    v = variants[precision]
    if not isinstance(v, dict) or "model" not in v:
        raise _fail(folder, f"variants.{precision} needs a 'model' file")
    return precision, v["model"], v.get("sha256")


def load_manifest(folder: str | Path, precision: str | None = None) -> ModelManifest:
    """The manifest of ``folder``, running its ``precision`` variant (None: the top-level model)."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise _fail(folder, "not a folder")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(folder, f"no {MANIFEST_NAME}") from None
    except (OSError, ValueError) as e:
        raise _fail(folder, f"unreadable {MANIFEST_NAME} ({e})") from None
    if not isinstance(raw, dict):
        raise _fail(folder, f"{MANIFEST_NAME} must hold a JSON object")
    if raw.get("format", 1) != 1:
        raise _fail(folder, f"unsupported manifest format {raw.get('format')!r}")
    missing = [k for k in ("name", "task", "model", "inputs", "outputs", "preprocessing", "labels")
               if k not in raw]
    if missing:
        raise _fail(folder, f"manifest lacks {', '.join(missing)}")
    task = raw["task"]
    if task not in TASKS:
        raise _fail(folder, f"task must be one of {TASKS}, not {task!r}")
    outputs = raw["outputs"]
    if not isinstance(outputs, dict) or any(r not in outputs for r in REQUIRED_OUTPUTS[task]):
        raise _fail(folder, f"outputs must map roles {REQUIRED_OUTPUTS[task]} to tensor names")
    inputs = raw["inputs"]
    if not isinstance(inputs, list) or len(inputs) != 1 or "name" not in inputs[0]:
        raise _fail(folder, "inputs must list exactly one input with a name")
    chosen, model_file, sha256 = _select_variant(folder, raw, precision)
    model_path = folder / model_file
    if not model_path.is_file():
        raise _fail(folder, f"model file {model_file} is missing")
    release = str(raw.get("version", "0"))
    return ModelManifest(
        folder=folder, name=str(raw["name"]),
        version=derived_version(release, chosen, sha256 or file_sha256(model_path)),
        task=task, model_path=model_path, sha256=sha256, input_name=inputs[0]["name"],
        outputs=dict(outputs), preprocessing=_preprocessing(folder, raw["preprocessing"]),
        postprocessing=dict(raw.get("postprocessing", {})),
        labels=read_labels(folder / raw["labels"]), raw=raw, precision=chosen, release=release,
    )
