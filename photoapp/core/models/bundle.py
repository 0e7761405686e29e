"""load_bundle: the tagger, detector and vocabulary named by ``<models_dir>/bundle.json``.

bundle.json names the folders, so swapping in another model is an edit of that file::

    {"tagger": "efficientnet-lite2", "detector": "ssd-mobilenet-v2-coco",
     "vocabulary": "vocabulary/vocabulary.json",
     "precision": {"tagger": "int8", "detector": "fp32"}}

``detector`` may be null (tagging then runs without objects); so may ``face_detector`` /
``face_embedder`` (the faces analyzer is then unavailable; both or neither). ``precision`` picks each model's
variant (see manifest.py: "fp32" is the top-level ``model``, "int8" its ``variants.int8``); a
model not named there, or a bundle.json without it, runs the manifest's top-level model. Loading reads manifests and labels
only; each ONNX session is created on first use, once, and bundles are shared per
(models_dir, compute, threads), so every caller in a process uses the same sessions.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from .cpu_features import has_int8_dot_product
from .detector import OnnxDetector
from .manifest import ModelManifest, load_manifest
from .tagger import OnnxTagger
from .vocabulary import WordNetVocabulary

log = logging.getLogger(__name__)

BUNDLE_FILE = "bundle.json"
DEFAULT_LAYOUT = {"tagger": "efficientnet-lite2", "detector": "ssd-mobilenet-v2-coco",
                  "vocabulary": "vocabulary/vocabulary.json",
                  "face_detector": "retinaface-mnet025", "face_embedder": "dlib-resnet-v1"}  # top-level (fp32) models
ROLES = ("tagger", "detector", "face_detector", "face_embedder")


@dataclass
class ModelBundle:
    tagger: OnnxTagger
    detector: OnnxDetector | None
    vocabulary: WordNetVocabulary
    faces: "FaceModels | None" = None  # photoapp.core.faces.models: detector + embedder

    @property
    def version(self) -> str:
        """One string naming every model, for PhotoDocument.model_version."""
        parts = [f"{self.tagger.name}@{self.tagger.version}"]
        if self.detector is not None:
            parts.append(f"{self.detector.name}@{self.detector.version}")
        return "+".join(parts)

    def load(self) -> "ModelBundle":
        """Create the ONNX sessions now rather than on first use (e.g. at start-up)."""
        self.tagger.model.load()
        if self.detector is not None:
            self.detector.model.load()
        if self.faces is not None:
            self.faces.load()
        return self


_cache: dict[tuple, ModelBundle] = {}
_cache_lock = threading.Lock()


def read_layout(models_dir: Path) -> dict:
    path = models_dir / BUNDLE_FILE
    if not path.exists():
        return dict(DEFAULT_LAYOUT)
    try:
        layout = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: unreadable ({e})") from None
    if not isinstance(layout, dict) or not layout.get("tagger") or not layout.get("vocabulary"):
        raise ModelError(f"{path}: needs 'tagger' and 'vocabulary' entries")
    precision = layout.get("precision", {})
    if not isinstance(precision, dict) or any(
            k not in ROLES or not isinstance(v, str) for k, v in precision.items()):
        raise ModelError(f"{path}: 'precision' must map tagger/detector to a name like \"int8\"")
    return layout


def selected_manifest(models_dir: str | Path, role: str, precision: str | None = None
                      ) -> ModelManifest:
    """The manifest bundle.json selects for ``role`` ("tagger"/"detector"), at its precision
    unless ``precision`` overrides it: for callers that need one model, not the bundle."""
    models_dir = Path(models_dir)
    layout = read_layout(models_dir)
    if not layout.get(role):
        raise ModelError(f"{models_dir / BUNDLE_FILE}: no {role}")
    manifest = load_manifest(models_dir / layout[role],
                             precision or layout.get("precision", {}).get(role))
    if precision is None and manifest.precision != "fp32" and _needs_vnni(manifest) \
            and not has_int8_dot_product():
        # bundle.json's choice, not an explicit one: fall back where int8 loses accuracy.
        log.info("%s: this CPU has no int8 dot-product instruction (VNNI/AMX); running the fp32 "
                 "model instead of %s, which loses accuracy here", role, manifest.precision)
        manifest = load_manifest(models_dir / layout[role], None)
    return manifest


def _needs_vnni(manifest: ModelManifest) -> bool:
    variant = manifest.raw.get("variants", {}).get(manifest.precision, {})
    return bool(isinstance(variant, dict) and variant.get("needs_vnni"))


def build_bundle(models_dir: str | Path, compute: str = "auto", threads: int = 0,
                 precision: dict[str, str] | None = None) -> ModelBundle:
    """A fresh bundle (no caching): what load_bundle uses. ``precision`` overrides bundle.json's
    per model (e.g. ``{"tagger": "fp32"}``; benchmarks and parity tests compare variants)."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        raise ModelError(f"models folder {models_dir} does not exist")
    layout = read_layout(models_dir)
    precision = precision or {}
    tagger = OnnxTagger(selected_manifest(models_dir, "tagger", precision.get("tagger")),
                        compute, threads)
    detector = None
    if layout.get("detector"):
        detector = OnnxDetector(selected_manifest(models_dir, "detector",
                                                  precision.get("detector")), compute, threads)
    vocabulary = WordNetVocabulary.from_file(models_dir / layout["vocabulary"])
    faces = None
    if layout.get("face_detector") and layout.get("face_embedder"):
        from ..faces.models import FaceModels  # here: faces imports the models package
        faces = FaceModels(selected_manifest(models_dir, "face_detector", precision.get("face_detector")),
                           selected_manifest(models_dir, "face_embedder", precision.get("face_embedder")),
                           compute, threads)
    log.info("model bundle from %s: tagger %s %s, detector %s, compute=%s, threads=%s", models_dir,
             tagger.name, tagger.version, f"{detector.name} {detector.version}" if detector else None,
             compute, threads or "auto")
    return ModelBundle(tagger, detector, vocabulary, faces)


def load_bundle(settings) -> ModelBundle:
    """The bundle for settings.models_dir / compute / threads, built once per process."""
    key = (str(Path(settings.models_dir).resolve()), settings.compute, int(settings.threads or 0))
    with _cache_lock:
        bundle = _cache.get(key)
        if bundle is None:
            bundle = _cache[key] = build_bundle(*key)
        return bundle
